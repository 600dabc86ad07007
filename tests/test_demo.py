"""`make run` seeds a demo campaign: requests in several states, responses it generates itself."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from aggregation import rollups
from requests_app.access import Role
from requests_app.demo import DEMO_SLUG, STRIP_SLUG
from requests_app.models import Campaign, DocumentStatus, Lateness, Status

pytestmark = pytest.mark.django_db


def test_seed_demo_prints_a_working_login_and_builds_the_campaign_once(on_commit_at_once, client):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    password = out.getvalue().split("password: ")[1].split()[0]
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": password}
    )
    assert response.status_code == 302 and response.url == "/admin/"

    campaign = Campaign.objects.get(slug=DEMO_SLUG)
    # The printed login sees the demo campaigns: their list, their pages and their figures.
    listed = client.get("/admin/requests_app/campaign/").context["cl"].result_list
    assert {c.slug for c in listed} == {DEMO_SLUG, STRIP_SLUG}
    assert client.get(f"/admin/requests_app/campaign/{campaign.pk}/change/").status_code == 200
    assert client.get(f"/admin/dashboard/{DEMO_SLUG}/").status_code == 200
    api = {c["slug"] for c in client.get("/api/campaigns/").json()["results"]}
    assert api == {DEMO_SLUG, STRIP_SLUG}
    statuses = set(campaign.requests.values_list("status", flat=True))
    assert {
        Status.SENT,
        Status.ANSWERED,
        Status.REFUSED,
        Status.NOT_HELD,
        Status.REVIEW,
    } <= statuses
    assert campaign.requests.filter(lateness=Lateness.VERY_OVERDUE).exists()
    documents = {d.status for r in campaign.requests.all() for d in r.documents.all()}
    assert {DocumentStatus.PARSED, DocumentStatus.NEEDS_REVIEW} <= documents

    strip = Campaign.objects.get(slug=STRIP_SLUG)
    strip_documents = {d.status for r in strip.requests.all() for d in r.documents.all()}
    assert strip_documents == {DocumentStatus.PARSED}
    figures = rollups.campaign_rollup(strip)
    assert figures["national"][strip.periods[-1]]["forces_reporting"] == 8
    assert set(figures["dimensions"]) == {"age", "ethnicity"}

    call_command("seed_demo", stdout=StringIO())
    assert Campaign.objects.filter(slug=DEMO_SLUG).count() == 1
    assert Campaign.objects.filter(slug=STRIP_SLUG).count() == 1
    assert User.objects.filter(username="admin").count() == 1
    assert campaign.requests.count() == 44


def test_seed_demo_for_another_login_makes_it_a_researcher_of_the_existing_demo(
    on_commit_at_once,
):
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", "--username", "second", stdout=StringIO())
    campaign = Campaign.objects.get(slug=DEMO_SLUG)
    second = User.objects.get(username="second")
    assert campaign.owner.username == "admin"
    assert campaign.members.get(user=second).role == Role.RESEARCHER
