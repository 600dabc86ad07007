"""What the project serves, read from the project itself: the API's routes, the project's
admins and the views it adds beside them; and clients and a snapshot for the role tests."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


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
