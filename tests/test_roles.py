"""Roles: who may do what through the API and the admin, and a refusal writes nothing.

Here every user is a member of the campaigns (the reader as a reader, the staff researcher as a
researcher), so what is tested is the role; which campaigns each user sees at all is tested in
tests/test_access.py.

The API routes and the admin's actions and custom views are listed from the running project (the
URL resolver, the admin registry), so a new endpoint, action or view cannot go untested: it shows
up here without an entry in the tables below, and its test fails until someone decides who may
use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from aggregation import demo
from aggregation import services as document_services
from aggregation.models import Term
from aggregation.selectors import campaign_terms
from requests_app import replies, services
from requests_app.access import Role
from requests_app.models import Document, DocumentStatus, Force, Reply
from tests.endpoints import (
    API_WRITES,
    Route,
    add_correction,
    add_entered_figure,
    api_routes,
    call_api,
    custom_admin_views,
    project_admins,
    signed_in,
    snapshot,
    spreadsheet,
    token_client,
)
from tests.factories import add_member, make_campaign

pytestmark = pytest.mark.django_db

PERIODS = ["2017-18", "2018-19"]
SAFE = ("GET", "HEAD", "OPTIONS")
WRITES = ("POST", "PUT", "PATCH", "DELETE")


# What the project serves, read from the project itself.


API_ROUTES = api_routes()


def api_cases(methods) -> list[tuple[Route, str]]:
    return [
        pytest.param(r, m, id=f"{m} {r.name}")
        for r in API_ROUTES
        for m in (*r.methods, "OPTIONS")
        if m in methods
    ]


def unoffered_cases() -> list[tuple[Route, str]]:
    return [
        pytest.param(r, m, id=f"{m} {r.name}")
        for r in API_ROUTES
        for m in WRITES
        if m not in r.methods
    ]


# The world every test starts from: one campaign sent to Kent with a parsed response, one not sent.


@pytest.fixture(autouse=True)
def _on_commit(on_commit_at_once):
    pass


@dataclass
class World:
    owner: User
    sent: object
    unsent: object
    replied: object  # sent to Essex, whose reply is filed on it
    request: object
    event: object
    document: Document
    term: Term
    reply: Reply  # filed on a third campaign's request to Essex, an acknowledgement on offer
    unmatched: Reply


def received(sender: str) -> Reply:
    text = "We have received your request."
    raw = f"From: {sender}\r\nTo: foi@localhost\r\nSubject: Your request\r\n\r\n{text}\r\n"
    return replies.reply_receive(raw=raw.encode(), source="test")[0]


@pytest.fixture
def world(researcher, reader) -> World:
    sent = make_campaign(researcher, slug="sent", forces=["kent"])
    services.campaign_record_sent(campaign=sent, by=researcher, on=date(2024, 3, 1))
    request = sent.requests.get()
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", PERIODS))
    document, _ = document_services.document_upload(
        request=request, name="kent.xlsx", content=content, by=researcher
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.PARSED
    add_correction(document)
    add_entered_figure(document)
    unsent = make_campaign(researcher, slug="unsent", forces=["kent", "essex"])
    replied = make_campaign(researcher, slug="replied", forces=["essex"])
    services.campaign_record_sent(campaign=replied, by=researcher, on=date(2024, 3, 1))
    for campaign in (sent, unsent, replied):
        add_member(campaign, reader, Role.READER)
    return World(
        owner=researcher,
        sent=sent,
        unsent=unsent,
        replied=replied,
        request=request,
        event=request.events.get(),
        document=document,
        term=campaign_terms(sent).first(),
        reply=received("foi@essex.police.uk"),  # Essex's only request awaiting an answer
        unmatched=received("someone@example.org"),
    )


def url_for(route: Route, world: World) -> str:
    basename = route.name.split("-")[0]
    values = {
        ("force", "slug"): "kent",
        ("campaign", "slug"): world.unsent.slug,
        ("rollup", "slug"): world.sent.slug,
        ("review", "slug"): world.sent.slug,
        ("foirequest", "pk"): world.request.pk,
        ("requestevent", "pk"): world.event.pk,
        ("document", "pk"): world.document.pk,
        ("document", "request_id"): world.request.pk,
        ("reply", "pk"): world.reply.pk,
        ("reply-file", "pk"): world.unmatched.pk,
    }
    kwargs = {p: values.get((route.name, p), values.get((basename, p))) for p in route.params}
    return reverse(route.name, kwargs=kwargs)


def api_call(client: APIClient, route: Route, method: str, world: World):
    return call_api(client, route, method, url_for(route, world), world)


# The API.


def test_the_route_list_finds_every_endpoint_the_api_documents():
    from drf_spectacular.generators import SchemaGenerator

    documented = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert len(documented) >= 12
    names = {r.name for r in API_ROUTES}
    assert {"campaign-send", "document-upload", "document-approve", "api-root"} <= names
    documented_ops = sum(len([m for m in ops if m != "parameters"]) for ops in documented.values())
    listed_ops = sum(len([m for m in r.methods if m != "HEAD"]) for r in API_ROUTES)
    # The listing also holds the browsable root and the schema itself, which are not documented.
    assert listed_ops == documented_ops + 2


@pytest.mark.parametrize(("route", "method"), api_cases(SAFE + WRITES))
def test_anonymous_users_are_refused_every_api_operation(route, method, world):
    before = snapshot()
    response = api_call(token_client(None), route, method, world)
    assert response.status_code in (401, 403), response.content[:300]
    assert snapshot() == before


def test_no_api_route_is_open_without_sign_in_not_even_the_schema(world):
    assert "schema" in {r.name for r in API_ROUTES}  # so the matrix above refuses it too
    response = APIClient().get(reverse("schema"))
    assert response.status_code in (401, 403)
    assert b"openapi" not in response.content


def test_a_wrong_token_is_refused(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/campaigns/").status_code in (401, 403)


@pytest.mark.parametrize(("route", "method"), api_cases(SAFE))
def test_a_reader_may_read_every_api_route(route, method, world, reader):
    response = api_call(token_client(reader), route, method, world)
    assert response.status_code == 200, response.content[:300]


@pytest.mark.parametrize(("route", "method"), api_cases(WRITES))
def test_a_reader_cannot_write_through_any_api_route(route, method, world, reader):
    before = snapshot()
    response = api_call(token_client(reader), route, method, world)
    assert response.status_code == 403, response.content[:300]
    assert snapshot() == before


@pytest.mark.parametrize(("route", "method"), api_cases(WRITES))
def test_a_researcher_may_write_through_every_api_route(route, method, world, researcher):
    assert (route.name, method) in API_WRITES, (
        f"{method} {route.name} is new: add it to API_WRITES with a payload a researcher may send"
    )
    before = snapshot()
    response = api_call(token_client(researcher), route, method, world)
    assert response.status_code == API_WRITES[route.name, method][1], response.content[:500]
    assert snapshot() != before


def test_every_write_in_the_table_is_still_an_api_route():
    offered = {(r.name, m) for r in API_ROUTES for m in r.methods if m in WRITES}
    assert set(API_WRITES) == offered


@pytest.mark.parametrize(("route", "method"), unoffered_cases())
def test_a_method_a_route_does_not_offer_is_refused_to_a_researcher(
    route, method, world, researcher
):
    before = snapshot()
    response = api_call(token_client(researcher), route, method, world)
    assert response.status_code == 405, response.content[:300]
    assert snapshot() == before


def test_a_superuser_outside_the_researcher_group_may_write(world):
    boss = User.objects.create_superuser("boss", "boss@example.org", "pw-boss-12345")
    response = token_client(boss).post(
        "/api/campaigns/unsent/send/", {"sent_on": "2024-03-01"}, format="json"
    )
    assert response.status_code == 200
    assert world.unsent.requests.count() == 2


def test_a_reader_is_refused_even_with_a_valid_payload_for_a_new_event(world, reader):
    payload = {"request": world.request.pk, "kind": "acknowledged", "occurred_on": "2024-03-04"}
    response = token_client(reader).post("/api/events/", payload, format="json")
    assert response.status_code == 403
    assert world.request.events.count() == 1


# The admin. Staff readers look; staff researchers act; nobody else gets in.


def staff(username: str, group: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", "pw-long-enough-123")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name=group))
    return user


def member_of(world: World, user: User, role: Role) -> User:
    for campaign in (world.sent, world.unsent, world.replied):
        add_member(campaign, user, role)
    return user


@pytest.fixture
def reader_staff(world) -> User:
    return member_of(world, staff("rhoda", "reader"), Role.READER)


@pytest.fixture
def researcher_staff(world) -> User:
    return member_of(world, staff("reuben", "researcher"), Role.RESEARCHER)


def test_the_migration_creates_both_groups_with_the_permissions_the_design_names():
    reader = set(Group.objects.get(name="reader").permissions.values_list("codename", flat=True))
    researcher = set(
        Group.objects.get(name="researcher").permissions.values_list("codename", flat=True)
    )
    assert reader and all(code.startswith("view_") for code in reader)
    assert {"view_foirequest", "view_document", "view_alias", "view_reviewaction"} <= reader
    assert reader <= researcher
    assert {"change_campaign", "change_foirequest", "change_document", "add_alias"} <= researcher
    assert not {"delete_foirequest", "delete_requestevent", "delete_document"} & researcher


# Every custom action of every registered admin: its changelist, and what it does when allowed.
ADMIN_ACTIONS = {
    ("requests_app.campaign", "send_campaigns"): (
        lambda w: w.unsent.pk,
        lambda w: w.unsent.requests.count() == 2,
    ),
    ("requests_app.force", "confirm_foi_email"): (
        lambda w: Force.objects.get(slug="kent").pk,
        lambda w: Force.objects.get(slug="kent").foi_email_confirmed,
    ),
    ("requests_app.foirequest", "acknowledge_today"): (
        lambda w: w.request.pk,
        lambda w: w.request.events.filter(kind="acknowledged").exists(),
    ),
    ("requests_app.foirequest", "resend_today"): (
        lambda w: w.request.pk,
        lambda w: w.request.events.filter(kind="resent").exists(),
    ),
    ("requests_app.document", "reparse"): (
        lambda w: w.document.pk,
        lambda w: w.document.reviews.filter(kind="reparse").exists(),
    ),
    ("requests_app.document", "approve"): (
        lambda w: w.document.pk,
        lambda w: Document.objects.get(pk=w.document.pk).status == DocumentStatus.APPROVED,
    ),
}


def custom_admin_actions() -> set[tuple[str, str]]:
    found = set()
    for model, model_admin in project_admins():
        for action in model_admin.actions or ():
            name = action if isinstance(action, str) else action.__name__
            found.add((model._meta.label_lower, name))
    return found


def test_every_custom_admin_action_is_in_the_table():
    assert custom_admin_actions() == set(ADMIN_ACTIONS)


def post_action(client: Client, model: str, action: str, pk: int):
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    return client.post(url, {"action": action, "_selected_action": [pk]})


@pytest.mark.parametrize(("model", "action"), sorted(ADMIN_ACTIONS))
def test_a_staff_reader_cannot_run_an_admin_action(model, action, world, reader_staff):
    selected, _ = ADMIN_ACTIONS[model, action]
    before = snapshot()
    response = post_action(signed_in(reader_staff), model, action, selected(world))
    assert response.status_code in (200, 302, 403)
    assert snapshot() == before


@pytest.mark.parametrize(("model", "action"), sorted(ADMIN_ACTIONS))
def test_a_staff_researcher_can_run_every_admin_action(model, action, world, researcher_staff):
    selected, done = ADMIN_ACTIONS[model, action]
    response = post_action(signed_in(researcher_staff), model, action, selected(world))
    assert response.status_code == 302
    assert done(world)


@pytest.mark.parametrize(("model", "action"), sorted(ADMIN_ACTIONS))
def test_a_non_staff_researcher_cannot_run_an_admin_action(model, action, world, researcher):
    selected, _ = ADMIN_ACTIONS[model, action]
    before = snapshot()
    response = post_action(signed_in(researcher), model, action, selected(world))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize(("model", "action"), sorted(ADMIN_ACTIONS))
def test_an_anonymous_visitor_cannot_run_an_admin_action(model, action, world):
    selected, _ = ADMIN_ACTIONS[model, action]
    before = snapshot()
    response = post_action(signed_in(None), model, action, selected(world))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert snapshot() == before


def test_a_staff_reader_is_not_offered_the_actions(world, reader_staff):
    page = signed_in(reader_staff).get(reverse("admin:requests_app_campaign_changelist"))
    assert page.status_code == 200
    assert "send_campaigns" not in page.content.decode()


# The document review view: /admin/requests_app/document/<pk>/review/<action>/.
REVIEW_ACTIONS = {
    "exclude_table": (lambda w: {"table": "0"}, "exclude_table"),
    "no_data": (lambda w: {"note": "s12 letter"}, "no_data"),
    "reparse": (lambda w: {}, "reparse"),
    "approve": (lambda w: {"note": "checked"}, "approve"),
    "accept": (lambda w: {}, None),
    "pin": (lambda w: {}, "pin"),
    "count_breakdown": (lambda w: {}, "choose_reading"),
    "count_totals": (lambda w: {}, "choose_reading"),
    "enter_figure": (
        lambda w: {"period": "2017-18", "figure": "5", "source": "page 2"},
        "enter_figure",
    ),
    "remove_figure": (
        lambda w: {"figure": str(w.document.observations.get(origin="entered").pk)},
        "remove_figure",
    ),
}


# Custom admin views that only show: who may see them is "staff with view permission".
READ_ONLY_ADMIN_VIEWS = {
    "dashboard": lambda w: reverse("dashboard", args=[w.sent.slug]),
    "dashboard-sources": lambda w: reverse("dashboard-sources", args=[w.sent.slug]),
    "dashboard-export-xlsx": lambda w: reverse("dashboard-export-xlsx", args=[w.sent.slug]),
    "dashboard-export-csv": lambda w: reverse("dashboard-export-csv", args=[w.sent.slug]),
    "campaign_send": lambda w: reverse("admin:campaign_send", args=[w.unsent.pk]),
    "review-queue": lambda w: reverse("review-queue", args=[w.sent.slug]),
    "document-grid": lambda w: reverse("document-grid", args=[w.document.pk]),
    "request-readings": lambda w: reverse("request-readings", args=[w.request.pk]),
}
# Custom admin views that write on POST (the review view has its own tests below).
WRITING_ADMIN_VIEWS = {
    "campaign_send": lambda w: reverse("admin:campaign_send", args=[w.unsent.pk]),
    "reply_action": lambda w: reverse("admin:reply_action", args=[w.reply.pk, "record"]),
    "reply_fetch": lambda w: reverse("admin:reply_fetch"),
    "review-queue": lambda w: reverse("review-queue", args=[w.sent.slug]),
    "document-grid": lambda w: reverse("document-grid", args=[w.document.pk]),
    "request-readings": lambda w: reverse("request-readings", args=[w.request.pk]),
}


# The original file: staff with view permission who are the campaign's owner or researchers.
ORIGINAL_FILE_VIEW = "document_file"


def original_file_url(world: World) -> str:
    return reverse(f"admin:{ORIGINAL_FILE_VIEW}", args=[world.document.pk])


def test_every_custom_admin_view_is_in_a_table():
    assert custom_admin_views() == {
        "document_review",
        ORIGINAL_FILE_VIEW,
        *READ_ONLY_ADMIN_VIEWS,
        *WRITING_ADMIN_VIEWS,
    }


@pytest.mark.parametrize("view", sorted(WRITING_ADMIN_VIEWS))
def test_a_staff_reader_cannot_post_to_a_writing_admin_view(view, world, reader_staff):
    before = snapshot()
    response = signed_in(reader_staff).post(WRITING_ADMIN_VIEWS[view](world))
    assert response.status_code in (302, 403, 404)
    assert snapshot() == before


@pytest.mark.parametrize("view", sorted(WRITING_ADMIN_VIEWS))
def test_an_anonymous_visitor_cannot_post_to_a_writing_admin_view(view, world):
    before = snapshot()
    response = signed_in(None).post(WRITING_ADMIN_VIEWS[view](world))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize("view", ["campaign_send", "reply_action"])
def test_a_staff_researcher_can_post_to_a_writing_admin_view(view, world, researcher_staff):
    before = snapshot()
    response = signed_in(researcher_staff).post(WRITING_ADMIN_VIEWS[view](world))
    assert response.status_code == 302
    assert snapshot() != before


def test_a_staff_researcher_may_download_the_original_and_the_download_is_recorded(
    world, researcher_staff
):
    response = signed_in(researcher_staff).get(original_file_url(world))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content)[:2] == b"PK"
    assert list(world.document.downloads.values_list("by__username", flat=True)) == ["reuben"]


def test_a_staff_reader_is_told_the_original_does_not_exist(world, reader_staff):
    response = signed_in(reader_staff).get(original_file_url(world))
    assert response.status_code == 404
    assert not world.document.downloads.exists()


def test_staff_without_view_permission_are_refused_the_original(world):
    nobody = User.objects.create_user("nemo", "nemo@example.org", "pw-long-enough-123")
    nobody.is_staff = True
    nobody.save()
    add_member(world.sent, nobody, Role.READER)
    assert signed_in(nobody).get(original_file_url(world)).status_code == 403


@pytest.mark.parametrize("who", ["anonymous", "non-staff researcher"])
def test_visitors_who_are_not_staff_are_sent_to_sign_in_for_the_original(who, world, researcher):
    client = signed_in(researcher if who != "anonymous" else None)
    response = client.get(original_file_url(world))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("view", sorted(READ_ONLY_ADMIN_VIEWS))
def test_a_staff_reader_may_open_every_read_only_admin_view(view, world, reader_staff):
    response = signed_in(reader_staff).get(READ_ONLY_ADMIN_VIEWS[view](world))
    assert response.status_code == 200


@pytest.mark.parametrize("view", sorted(READ_ONLY_ADMIN_VIEWS))
def test_staff_without_view_permission_are_refused_every_read_only_admin_view(view, world):
    nobody = User.objects.create_user("nemo", "nemo@example.org", "pw-long-enough-123")
    nobody.is_staff = True
    nobody.save()
    response = signed_in(nobody).get(READ_ONLY_ADMIN_VIEWS[view](world))
    assert response.status_code == 403


@pytest.mark.parametrize("view", sorted(READ_ONLY_ADMIN_VIEWS))
@pytest.mark.parametrize("who", ["anonymous", "non-staff researcher"])
def test_visitors_who_are_not_staff_are_sent_to_sign_in(view, who, world, researcher):
    client = signed_in(researcher if who != "anonymous" else None)
    response = client.get(READ_ONLY_ADMIN_VIEWS[view](world))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_review_view_names_every_action_in_the_table():
    import inspect
    import re

    from aggregation.admin import DocumentAdmin

    source = inspect.getsource(DocumentAdmin._review)
    cases = re.findall(r"^\s*case (.+):$", source, flags=re.MULTILINE)
    named = {name for case in cases for name in re.findall(r'"(\w+)"', case)}
    assert named == set(REVIEW_ACTIONS)


def review(client: Client, world: World, action: str):
    data, _ = REVIEW_ACTIONS[action]
    url = reverse("admin:document_review", args=[world.document.pk, action])
    return client.post(url, data(world))


@pytest.mark.parametrize("action", sorted(REVIEW_ACTIONS))
def test_a_staff_reader_cannot_use_the_review_view(action, world, reader_staff):
    before = snapshot()
    response = review(signed_in(reader_staff), world, action)
    assert response.status_code in (302, 403)
    assert snapshot() == before


@pytest.mark.parametrize("action", sorted(REVIEW_ACTIONS))
def test_an_anonymous_visitor_cannot_use_the_review_view(action, world):
    before = snapshot()
    response = review(signed_in(None), world, action)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize("action", sorted(REVIEW_ACTIONS))
def test_a_staff_researcher_can_use_every_review_action(action, world, researcher_staff):
    before = snapshot()
    response = review(signed_in(researcher_staff), world, action)
    assert response.status_code == 302
    _, kind = REVIEW_ACTIONS[action]
    if kind:
        assert world.document.reviews.filter(kind=kind, by=researcher_staff).exists()
    else:
        world.request.refresh_from_db()
        assert world.request.status == "answered"
    assert snapshot() != before


def test_a_get_to_the_review_view_changes_nothing(world, researcher_staff):
    before = snapshot()
    url = reverse("admin:document_review", args=[world.document.pk, "approve"])
    assert signed_in(researcher_staff).get(url).status_code == 302
    assert snapshot() == before


# Pages that write: a staff reader sees them and cannot save them.


def test_a_staff_reader_can_view_but_not_save_a_request_page(world, reader_staff):
    client = signed_in(reader_staff)
    url = reverse("admin:requests_app_foirequest_change", args=[world.request.pk])
    assert client.get(url).status_code == 200
    before = snapshot()
    response = client.post(url, {"references": '["REF-1"]', "responses": spreadsheet()})
    assert response.status_code == 403
    assert snapshot() == before


def test_a_staff_reader_cannot_add_a_campaign_or_an_alias(world, reader_staff):
    client = signed_in(reader_staff)
    before = snapshot()
    campaign = client.post(
        reverse("admin:requests_app_campaign_add"),
        {"title": "X", "slug": "x", "owner": reader_staff.pk, "request_text": "?"},
    )
    alias = client.post(
        reverse("admin:aggregation_alias_add"), {"alias": "Odd", "term": world.term.pk}
    )
    assert campaign.status_code == 403 and alias.status_code == 403
    assert snapshot() == before


def test_a_staff_reader_cannot_revert_through_a_history_page(world, reader_staff):
    world.request.references = ["REF-OLD"]
    world.request.save()
    old = world.request.history.order_by("history_date").first()
    url = reverse(
        "admin:requests_app_foirequest_simple_history", args=[world.request.pk, old.history_id]
    )
    client = signed_in(reader_staff)
    assert client.get(url).status_code == 200
    before = snapshot()
    response = client.post(url, {"references": '["REF-FORGED"]'})
    assert response.status_code == 403
    assert snapshot() == before


def test_a_staff_researcher_may_revert_through_a_history_page(world, researcher_staff):
    world.request.references = ["REF-OLD"]
    world.request.save()
    old = world.request.history.order_by("history_date").first()
    url = reverse(
        "admin:requests_app_foirequest_simple_history", args=[world.request.pk, old.history_id]
    )
    response = signed_in(researcher_staff).post(url, {"references": '["REF-NEW"]'})
    assert response.status_code == 302
    world.request.refresh_from_db()
    assert world.request.references == ["REF-NEW"]
