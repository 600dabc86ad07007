"""Audit: every change to requests, events, documents, aliases and review decisions keeps who and
when (django-simple-history), and the history can be read in the admin."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from simple_history.admin import SimpleHistoryAdmin

from aggregation import demo
from aggregation import services as document_services
from aggregation.models import Alias, ReviewAction
from aggregation.selectors import campaign_terms
from requests_app import services
from requests_app.access import Role
from requests_app.models import Document, FOIRequest, ForceAlias, RequestEvent
from tests.factories import add_member, make_campaign

pytestmark = pytest.mark.django_db

PERIODS = ["2017-18", "2018-19"]
AUDITED = [FOIRequest, RequestEvent, Document, Alias, ForceAlias, ReviewAction]


@pytest.fixture(autouse=True)
def _on_commit(on_commit_at_once):
    pass


@pytest.fixture
def request_with_document(researcher, staff_researcher):
    campaign = make_campaign(researcher, slug="sent", forces=["kent"])
    add_member(campaign, staff_researcher, Role.RESEARCHER)
    services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    foi_request = campaign.requests.get()
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", PERIODS))
    document, _ = document_services.document_upload(
        request=foi_request, name="kent.xlsx", content=content, by=researcher
    )
    return foi_request, document


@pytest.fixture
def api(researcher) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=researcher).key}")
    return client


@pytest.fixture
def staff_researcher(db) -> User:
    user = User.objects.create_user("sara", "sara@example.org", "pw-sara-12345", is_staff=True)
    user.groups.add(Group.objects.get(name="researcher"))
    return user


@pytest.fixture
def admin_client(staff_researcher) -> Client:
    client = Client()
    client.force_login(staff_researcher)
    return client


def latest(obj):
    return obj.history.order_by("-history_date", "-history_id").first()


def recent(when) -> bool:
    return timezone.now() - timedelta(minutes=1) < when <= timezone.now()


# Who and when, through the API


def test_an_event_posted_through_the_api_keeps_who_and_when(api, researcher, request_with_document):
    foi_request, _ = request_with_document
    payload = {"request": foi_request.pk, "kind": "acknowledged", "occurred_on": "2024-03-04"}
    response = api.post("/api/events/", payload, format="json")
    assert response.status_code == 201, response.content
    event = RequestEvent.objects.get(pk=response.json()["id"])
    created = latest(event)
    assert created.history_type == "+"
    assert created.history_user == researcher and recent(created.history_date)
    changed = latest(FOIRequest.objects.get(pk=foi_request.pk))
    assert changed.status == "acknowledged"
    assert changed.history_user == researcher and recent(changed.history_date)


def test_a_label_mapped_through_the_api_keeps_who_for_the_alias_review_and_document(
    api, researcher, request_with_document
):
    _, document = request_with_document
    term = campaign_terms(document.request.campaign).first()
    response = api.post(
        f"/api/documents/{document.pk}/map-label/",
        {"label": "Odd label", "term": term.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    alias = Alias.objects.get(alias="Odd label")
    assert latest(alias).history_user == researcher
    review = ReviewAction.objects.get(document=document, kind="map_label")
    assert latest(review).history_user == researcher and recent(latest(review).history_date)


def test_an_approval_through_the_api_keeps_who_and_when(api, researcher, request_with_document):
    _, document = request_with_document
    assert api.post(f"/api/documents/{document.pk}/approve/").status_code == 200
    decision = latest(ReviewAction.objects.get(document=document, kind="approve"))
    assert decision.history_type == "+"
    assert decision.history_user == researcher and recent(decision.history_date)


def test_a_document_status_changed_by_a_researcher_is_in_its_history(
    api, researcher, request_with_document
):
    _, document = request_with_document
    assert api.post(f"/api/documents/{document.pk}/approve/").status_code == 200
    approved = latest(Document.objects.get(pk=document.pk))
    assert approved.status == "approved"
    assert approved.history_user == researcher and recent(approved.history_date)


def test_a_session_user_is_recorded_too(researcher, request_with_document):
    foi_request, _ = request_with_document
    client = APIClient()
    client.force_login(researcher)
    payload = {"request": foi_request.pk, "kind": "acknowledged", "occurred_on": "2024-03-04"}
    assert client.post("/api/events/", payload, format="json").status_code == 201
    assert latest(FOIRequest.objects.get(pk=foi_request.pk)).history_user == researcher


# Who and when, through the admin


def test_an_admin_action_keeps_who_and_when(admin_client, staff_researcher, request_with_document):
    foi_request, _ = request_with_document
    admin_client.post(
        reverse("admin:requests_app_foirequest_changelist"),
        {"action": "acknowledge_today", "_selected_action": [foi_request.pk]},
    )
    record = latest(FOIRequest.objects.get(pk=foi_request.pk))
    assert record.status == "acknowledged"
    assert record.history_user == staff_researcher and recent(record.history_date)
    event = foi_request.events.get(kind="acknowledged")
    assert latest(event).history_user == staff_researcher


def test_a_review_decision_in_the_admin_keeps_who_and_when(
    admin_client, staff_researcher, request_with_document
):
    _, document = request_with_document
    url = reverse("admin:document_review", args=[document.pk, "no_data"])
    assert admin_client.post(url, {"note": "s12 letter"}).status_code == 302
    decision = latest(ReviewAction.objects.get(document=document, kind="no_data"))
    assert decision.history_user == staff_researcher and recent(decision.history_date)


def test_excluding_a_table_in_the_admin_is_in_the_document_history(
    admin_client, staff_researcher, request_with_document
):
    _, document = request_with_document
    url = reverse("admin:document_review", args=[document.pk, "exclude_table"])
    assert admin_client.post(url, {"table": "0"}).status_code == 302
    record = document.history.filter(excluded_tables=[0]).first()
    assert record is not None
    assert record.history_user == staff_researcher and recent(record.history_date)


def test_an_alias_edited_in_the_admin_keeps_who_and_when_and_the_old_value(
    admin_client, staff_researcher, request_with_document
):
    term = campaign_terms(request_with_document[0].campaign).first()
    alias = Alias.objects.create(term=term, alias="Old spelling")
    url = reverse("admin:aggregation_alias_change", args=[alias.pk])
    response = admin_client.post(
        url, {"alias": "New spelling", "term": term.pk, "created_at_0": "2024-01-01",
              "created_at_1": "10:00:00", "force": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    records = list(alias.history.order_by("history_date", "history_id"))
    assert [r.alias for r in records] == ["Old spelling", "New spelling"]
    assert records[-1].history_user == staff_researcher and recent(records[-1].history_date)


def test_a_force_alias_added_on_the_force_page_keeps_who_and_when(admin_client, staff_researcher):
    from requests_app.models import Force

    kent = Force.objects.get(slug="kent")
    existing = list(kent.aliases.all())
    data = {
        "name": kent.name,
        "short_name": kent.short_name,
        "nation": kent.nation,
        "kind": kent.kind,
        "foi_regime": kent.foi_regime,
        "foi_email": "foi@kent.example.org",
        "aliases-TOTAL_FORMS": str(len(existing) + 1),
        "aliases-INITIAL_FORMS": str(len(existing)),
        "aliases-MIN_NUM_FORMS": "0",
        "aliases-MAX_NUM_FORMS": "1000",
    }
    for i, a in enumerate(existing):
        data |= {
            f"aliases-{i}-id": a.pk,
            f"aliases-{i}-force": kent.pk,
            f"aliases-{i}-alias": a.alias,
        }
    n = len(existing)
    data |= {f"aliases-{n}-force": kent.pk, f"aliases-{n}-alias": "Kent Constab."}
    response = admin_client.post(reverse("admin:requests_app_force_change", args=[kent.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    record = latest(ForceAlias.objects.get(alias="Kent Constab."))
    assert record.history_type == "+"
    assert record.history_user == staff_researcher and recent(record.history_date)


def test_work_done_outside_a_web_request_is_recorded_with_no_user(request_with_document):
    _, document = request_with_document
    created = document.history.get(history_type="+")
    assert created.history_user is None and recent(created.history_date)


# The history pages in the admin


def test_each_audited_model_has_a_history_admin():
    for model in AUDITED:
        assert isinstance(admin.site._registry.get(model), SimpleHistoryAdmin), model


@pytest.fixture
def one_of_each(api, researcher, admin_client, request_with_document):
    """One of each audited record, each made or changed by a person through the API or admin."""
    foi_request, _ = request_with_document
    # Acknowledged first: the upload below records the force's answer.
    payload = {"request": foi_request.pk, "kind": "acknowledged", "occurred_on": "2024-03-04"}
    event = RequestEvent.objects.get(
        pk=api.post("/api/events/", payload, format="json").json()["id"]
    )
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("other", PERIODS))
    upload = SimpleUploadedFile("other.xlsx", content)
    response = api.post(
        f"/api/documents/upload/{foi_request.pk}/", {"file": [upload]}, format="multipart"
    )
    document = Document.objects.get(pk=response.json()[0]["id"])
    api.post(
        f"/api/documents/{document.pk}/map-label/",
        {"label": "Odd label", "term": campaign_terms(foi_request.campaign).first().pk},
        format="json",
    )
    force_alias = ForceAlias.objects.create(force=foi_request.force, alias="Kent Constab.")
    admin_client.post(
        reverse("admin:requests_app_forcealias_change", args=[force_alias.pk]),
        {"alias": "Kent Constabulary (old)", "force": foi_request.force.pk},
    )
    return {
        FOIRequest: foi_request,
        RequestEvent: event,
        Document: document,
        Alias: Alias.objects.get(alias="Odd label"),
        ForceAlias: force_alias,
        ReviewAction: ReviewAction.objects.get(document=document),
    }


def history_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m._meta.model_name)
def test_the_history_page_shows_who_changed_it(model, one_of_each, admin_client):
    obj = one_of_each[model]
    page = admin_client.get(history_url(obj))
    assert page.status_code == 200
    html = page.content.decode()
    who = {r.history_user.get_username() for r in obj.history.all() if r.history_user}
    assert who and all(name in html for name in who), (who, html[-3000:])


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m._meta.model_name)
def test_a_staff_reader_can_read_the_history(model, one_of_each):
    reader = User.objects.create_user("rhea", "rhea@example.org", "pw-rhea-12345", is_staff=True)
    reader.groups.add(Group.objects.get(name="reader"))
    add_member(one_of_each[FOIRequest].campaign, reader)
    client = Client()
    client.force_login(reader)
    assert client.get(history_url(one_of_each[model])).status_code == 200


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m._meta.model_name)
def test_the_history_page_is_closed_to_visitors_who_are_not_staff(model, one_of_each, researcher):
    client = Client()
    client.force_login(researcher)
    response = client.get(history_url(one_of_each[model]))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_decision_made_from_a_command_or_task_keeps_who(researcher, request_with_document):
    from aggregation import services

    _, document = request_with_document
    # No web request: no middleware.
    services.request_choose_document(request=document.request, document=document, by=researcher)
    pinned = latest(Document.objects.get(pk=document.pk))
    assert pinned.pinned and pinned.history_user == researcher
