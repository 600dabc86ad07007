"""What the project serves, read from the project itself: the API's routes, the project's
admins and the views it adds beside them; and clients and a snapshot for the role tests."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aggregation import demo

PERIODS = ["2017-18", "2018-19"]


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[str, ...]
    methods: tuple[str, ...]  # the methods the view offers, beyond OPTIONS

    def __str__(self) -> str:
        return self.name


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def api_routes() -> list[Route]:
    """Every named view under /api/, without the `.json` format-suffix twins."""
    routes: dict[str, Route] = {}
    for pattern, url in _walk(get_resolver().url_patterns):
        if not pattern.startswith("api/") or "format" in url.pattern.regex.groupindex:
            continue
        view = url.callback
        cls = getattr(view, "cls", None)
        allowed = {m.upper() for m in getattr(cls, "http_method_names", ())}
        if getattr(view, "actions", None):
            offered = {m.upper() for m in view.actions} & allowed
        else:
            offered = {m.upper() for m in allowed if m != "OPTIONS" and hasattr(cls, m.lower())}
        if "GET" in offered:
            offered.add("HEAD")
        params = tuple(url.pattern.regex.groupindex)
        routes.setdefault(url.name, Route(url.name, params, tuple(sorted(offered))))
    return sorted(routes.values(), key=str)


PROJECT_APPS = {"requests_app", "aggregation"}


def project_admins():
    """The project's own admin classes (django-axes's lockout admin is for superusers only)."""
    return [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label in PROJECT_APPS]


def custom_admin_views() -> set[str]:
    """Views the project adds to the admin: in its model admins, and mounted beside the admin."""
    standard = {"changelist", "add", "history", "delete", "change", "simple_history"}
    custom = set()
    for model, model_admin in project_admins():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        for url in model_admin.get_urls():
            name = url.name or ""
            if name and name.removeprefix(prefix) not in standard:
                custom.add(name)
    for top in get_resolver().url_patterns:
        beside_admin = str(top.pattern).startswith("admin/") and (
            getattr(top, "namespace", None) != admin.site.name
        )
        if beside_admin:
            custom |= {url.name for _, url in _walk([top]) if url.name}
    return custom


def spreadsheet() -> SimpleUploadedFile:
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("other", PERIODS))
    return SimpleUploadedFile("new.xlsx", content)


# Each write the API offers: what a researcher sends, and the status that means it was done. The
# payloads read `w.request` (an FOI request of the campaign written to) and `w.term` (a term it
# may use).
API_WRITES = {
    ("campaign-list", "POST"): (
        lambda w: {"title": "New", "slug": "new", "request_text": "How many?", "periods": PERIODS},
        201,
    ),
    ("campaign-detail", "PATCH"): (lambda w: {"title": "Renamed"}, 200),
    ("campaign-send", "POST"): (lambda w: {}, 200),
    ("requestevent-list", "POST"): (
        lambda w: {"request": w.request.pk, "kind": "acknowledged", "occurred_on": "2024-03-04"},
        201,
    ),
    ("document-upload", "POST"): (lambda w: {"file": [spreadsheet()]}, 202),
    ("document-map-label", "POST"): (lambda w: {"label": "Odd label", "term": w.term.pk}, 200),
    ("document-exclude-tables", "POST"): (lambda w: {"tables": [0]}, 200),
    ("document-no-data", "POST"): (lambda w: {"note": "s12 letter"}, 200),
    ("document-reparse", "POST"): (lambda w: {}, 200),
    ("reply-record-offer", "POST"): (lambda w: {}, 201),
    ("reply-dismiss-offer", "POST"): (lambda w: {}, 200),
    ("reply-file", "POST"): (lambda w: {"request": w.request.pk}, 200),
    ("document-approve", "POST"): (lambda w: {"note": "checked"}, 200),
    ("document-accept", "POST"): (lambda w: {}, 200),
    ("document-pin", "POST"): (lambda w: {}, 200),
    ("foirequest-choose-document", "POST"): (lambda w: {"document": _document(w).pk}, 200),
    ("document-figures", "POST"): (
        lambda w: {"period": "2017-18", "value": 5, "source": "page 2, paragraph 3"},
        201,
    ),
    ("document-remove-figure", "POST"): (lambda w: {"figure": _entered(w)}, 200),
    ("document-choose-reading", "POST"): (lambda w: {"reading": "breakdown"}, 200),
    ("document-corrections", "POST"): (
        lambda w: {"sheet": _document(w).result["sheets"][0], "kind": "not_data", "row": 99},
        200,
    ),
    ("document-remove-correction", "POST"): (
        lambda w: {"hint": _document(w).hints.values_list("pk", flat=True).first()},
        200,
    ),
    ("review-map-label", "POST"): (
        lambda w: {"dimension": "offence", "label": "Odd label", "to": w.term.name},
        200,
    ),
}


def _document(w):
    """The document the document routes write to: the first on the world's request."""
    return w.request.documents.order_by("pk").first()


def _entered(w) -> int | None:
    return _document(w).observations.filter(origin="entered").values_list("pk", flat=True).first()


def add_entered_figure(document) -> None:
    """A figure entered by hand on the document: something for the remove route to remove."""
    from django.utils import timezone

    from aggregation.models import ENTERED_TABLE, Observation

    Observation.objects.create(
        document=document,
        force=document.request.force,
        period="2017-18",
        dimensions={"age": "0-10"},
        shape="age",
        value=1,
        lower=1,
        upper=1,
        table=ENTERED_TABLE,
        sheet="",
        cell="",
        raw="1",
        origin=Observation.Origin.ENTERED,
        source="page 1",
        entered_at=timezone.now(),
    )


def add_correction(document) -> None:
    """A kept correction on a row no table reaches: something for the remove route to remove."""
    from aggregation.models import ReadingHint

    ReadingHint.objects.create(
        document=document, sheet=document.result["sheets"][0], kind="not_data", row=999
    )


def call_api(client: APIClient, route: Route, method: str, url: str, world):
    """One API call: a plain read, or a write with its payload from API_WRITES (an empty one
    for a method the route does not offer)."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return client.generic(method, url)
    payload, _ = API_WRITES.get((route.name, method), (lambda w: {}, None))
    fmt = "multipart" if route.name == "document-upload" else "json"
    return getattr(client, method.lower())(url, payload(world), format=fmt)


def snapshot() -> dict[str, list[dict]]:
    """Every row of the project's own tables, history included: any write shows up here."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for config in (apps.get_app_config("requests_app"), apps.get_app_config("aggregation"))
        for model in config.get_models()
    }


def token_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def signed_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
