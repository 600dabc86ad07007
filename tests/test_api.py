"""The REST API: researchers write, the campaign's readers read, anonymous users get nothing.

Who sees which campaign is tested role by role in tests/test_access.py.
"""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from requests_app.models import Campaign, EventKind, FOIRequest, Force, Status
from tests.factories import add_member, make_campaign, sent_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_researcher(researcher) -> APIClient:
    client = APIClient()
    client.force_authenticate(researcher)
    return client


@pytest.fixture
def as_reader(reader) -> APIClient:
    client = APIClient()
    client.force_authenticate(reader)
    return client


NEW_CAMPAIGN = {
    "title": "Online offences",
    "slug": "online",
    "request_text": "How many?",
    "periods": ["2017-18", "2018-19"],
}


@pytest.mark.parametrize(
    "path", ["/api/forces/", "/api/campaigns/", "/api/requests/", "/api/events/"]
)
def test_it_refuses_anonymous_users(client, path):
    assert APIClient().get(path).status_code in (401, 403)


def test_a_reader_can_read_but_not_write(as_reader, researcher):
    make_campaign(researcher, slug="x")
    assert as_reader.get("/api/campaigns/").status_code == 200
    assert as_reader.get("/api/forces/").json()["count"] == 46
    assert as_reader.post("/api/campaigns/", NEW_CAMPAIGN, format="json").status_code == 403
    assert as_reader.post("/api/campaigns/x/send/").status_code == 403
    assert FOIRequest.objects.count() == 0


def test_a_researcher_creates_a_campaign_defaulting_to_44_forces(as_researcher, researcher):
    response = as_researcher.post("/api/campaigns/", NEW_CAMPAIGN, format="json")
    assert response.status_code == 201, response.json()
    campaign = Campaign.objects.get(slug="online")
    assert campaign.owner == researcher
    assert campaign.target_forces.count() == 44
    assert response.json()["owner"] == "rita"


def test_sending_through_the_api_is_idempotent(
    as_researcher, researcher, on_commit_at_once, mailoutbox
):
    make_campaign(researcher, slug="x")
    Force.objects.filter(slug__in=["kent", "essex"]).update(foi_email_confirmed=True)
    first = as_researcher.post("/api/campaigns/x/send/", {}, format="json").json()
    assert (first["queued"], first["requests"], len(first["skipped"])) == (2, 44, 42)
    skipped = {row["force"]: row["reason"] for row in first["skipped"]}
    assert "kent" not in skipped
    assert skipped["surrey"] == "Surrey Police's FOI address foi@surrey.police.uk is not confirmed."
    second = as_researcher.post("/api/campaigns/x/send/", {}, format="json")
    assert second.json() == {"queued": 0, "skipped": first["skipped"], "requests": 44}
    assert sorted(m.to[0] for m in mailoutbox) == ["foi@essex.police.uk", "foi@kent.police.uk"]


def test_token_authentication_works(researcher):
    token = Token.objects.create(user=researcher)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/forces/metropolitan/").json()["short_name"] == "Metropolitan Police"


def test_it_rejects_an_unknown_force_naming_the_field(as_researcher):
    payload = {**NEW_CAMPAIGN, "target_forces": ["atlantis"]}
    response = as_researcher.post("/api/campaigns/", payload, format="json")
    assert response.status_code == 400
    assert "target_forces" in response.json()
    assert not Campaign.objects.exists()


def test_it_rejects_a_period_that_is_not_a_financial_year(as_researcher):
    payload = {**NEW_CAMPAIGN, "periods": ["2018", "2018-20"]}
    response = as_researcher.post("/api/campaigns/", payload, format="json")
    assert response.status_code == 400
    assert "2018" in str(response.json()["periods"])


def test_it_rejects_malformed_json(as_researcher):
    response = as_researcher.post(
        "/api/campaigns/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_posting_an_event_performs_the_transition(as_researcher, researcher):
    request = sent_request(researcher, on=date(2024, 3, 1))
    response = as_researcher.post(
        "/api/events/",
        {
            "request": request.pk,
            "kind": "refused",
            "occurred_on": "2024-03-20",
            "exemptions": ["s12"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status_after"] == Status.REFUSED
    request.refresh_from_db()
    assert request.status == Status.REFUSED


def test_it_rejects_an_event_not_valid_for_the_status_and_writes_nothing(as_researcher, researcher):
    request = sent_request(researcher, on=date(2024, 3, 1))
    response = as_researcher.post(
        "/api/events/",
        {"request": request.pk, "kind": EventKind.FEE_PAID, "occurred_on": "2024-03-05"},
        format="json",
    )
    assert response.status_code == 400
    assert "cannot be" in response.json()["kind"][0]
    assert request.events.count() == 1


def test_it_rejects_an_event_dated_in_the_future(as_researcher, researcher):
    request = sent_request(researcher, on=date(2024, 3, 1))
    response = as_researcher.post(
        "/api/events/",
        {"request": request.pk, "kind": "acknowledged", "occurred_on": "2999-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "future" in response.json()["occurred_on"][0]


@pytest.mark.parametrize(
    ("event", "field", "day"),
    [
        ({"kind": "pit_extension", "occurred_on": "2024-03-20"}, "target_on", "9999-12-31"),
        ({"kind": "acknowledged"}, "occurred_on", "2004-12-31"),
    ],
)
def test_it_refuses_a_date_outside_the_clocks_calendar_naming_the_field(
    as_researcher, researcher, event, field, day
):
    """A public-interest extension to 9999-12-31 once walked every day to it (and then 500d)."""
    request = sent_request(researcher, on=date(2024, 3, 1))
    body = {"request": request.pk, "occurred_on": day, **event, field: day}
    response = as_researcher.post("/api/events/", body, format="json")
    assert response.status_code == 400
    assert response.json()[field] == [
        f"The date {day} is outside the dates the FOI clock counts (2005-01-01 to 2099-12-31)."
    ]
    assert request.events.count() == 1


def test_requests_filter_by_campaign_force_status_and_overdue(as_reader, reader, researcher):
    late = sent_request(researcher, force="kent", on=date(2024, 1, 2))
    answered = sent_request(researcher, force="essex", on=date(2024, 1, 2))
    add_member(late.campaign, reader)
    add_member(answered.campaign, reader)
    from requests_app import services

    services.foi_request_receive_response(
        request=FOIRequest.objects.get(force__slug="essex"), by=researcher, on=date(2024, 1, 5)
    )
    services.mark_overdue(today=date(2024, 6, 1))
    assert [r["force"] for r in as_reader.get("/api/requests/?overdue=true").json()["results"]] == [
        "kent"
    ]
    assert as_reader.get("/api/requests/?force=essex").json()["results"][0]["status"] == "answered"
    assert as_reader.get(f"/api/requests/?campaign={late.campaign.slug}").json()["count"] == 1
    assert as_reader.get("/api/requests/?status=answered").json()["count"] == 1


def test_a_reader_cannot_post_events(as_reader, reader, researcher):
    request = sent_request(researcher, on=date(2024, 3, 1))
    add_member(request.campaign, reader)
    response = as_reader.post(
        "/api/events/",
        {"request": request.pk, "kind": "acknowledged", "occurred_on": "2024-03-04"},
        format="json",
    )
    assert response.status_code == 403
    assert request.events.count() == 1


def test_the_openapi_schema_validates_without_warnings(as_reader):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    response = as_reader.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/events/" in response.json()["paths"]


def test_the_api_root_lists_every_collection_of_both_apps(as_reader):
    listed = as_reader.get("/api/", HTTP_ACCEPT="application/json").json()
    # A campaign's review is read by its slug (/api/reviews/<slug>/): no list to show.
    assert set(listed) == {
        "forces", "campaigns", "requests", "events", "replies", "documents", "rollups"
    }  # fmt: skip


def test_documents_filter_by_campaign_and_force_as_requests_do(as_reader, reader, researcher):
    from aggregation import services as document_services

    kent = sent_request(researcher, force="kent", on=date(2024, 1, 2))
    essex = sent_request(researcher, force="essex", on=date(2024, 1, 2))
    for request in (kent, essex):
        add_member(request.campaign, reader)
        document_services.document_upload(
            request=request, name="reply.csv", content=b"Age,2018/19\n13,4\n", by=researcher
        )
    by_campaign = as_reader.get(f"/api/documents/?campaign={kent.campaign.slug}").json()
    assert [d["request"] for d in by_campaign["results"]] == [kent.pk]
    assert [
        d["request"] for d in as_reader.get("/api/documents/?force=essex").json()["results"]
    ] == [essex.pk]


def test_the_site_root_opens_the_admin(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
