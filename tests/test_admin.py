"""The admin: campaign figures, the request timeline, actions through the services, no N+1."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from requests_app import services
from requests_app.models import Campaign, FOIRequest, Force, Status
from tests.factories import make_campaign, sent_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("ada", "ada@example.org", "pw-ada-12345")
    client.force_login(user)
    client.user = user
    return client


def inline_data(request: FOIRequest, **event) -> dict:
    """The POST body of the request page with one new event in the timeline inline."""
    data = {
        "references": "[]",
        "events-TOTAL_FORMS": "1",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
        "documents-TOTAL_FORMS": "0",
        "documents-INITIAL_FORMS": "0",
        "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
    }
    data |= {f"events-0-{k}": v for k, v in event.items()}
    data["events-0-request"] = str(request.pk)
    return data


def test_the_campaign_page_shows_status_counts_outcome_and_overdue(admin_client):
    campaign = make_campaign(admin_client.user, forces=["kent", "essex", "surrey"])
    services.campaign_record_sent(campaign=campaign, by=admin_client.user, on=date(2024, 1, 2))
    essex = campaign.requests.get(force__slug="essex")
    services.foi_request_refuse(
        request=essex, by=admin_client.user, exemptions=["s12"], on=date(2024, 1, 10)
    )
    services.mark_overdue(today=date(2024, 6, 1))
    page = admin_client.get(reverse("admin:requests_app_campaign_change", args=[campaign.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Sent, awaiting reply</td><td>2" in html
    assert "s12: 1" in html
    assert 'id="overdue-list"' in html and "Kent Police" in html
    assert "Replied within 20 working days</th><td>1 (100.0%)" in html
    # One count of replies, the lateness levels explained, the figures one click from the top.
    assert html.count("Answered</") == 0
    assert "past 40 working days" in html
    assert html.index('id="dashboard-link"') < html.index('id="campaign_form"')


def test_the_send_action_calls_the_service(admin_client, on_commit_at_once, mailoutbox):
    campaign = make_campaign(admin_client.user, forces=["kent", "essex"])
    Force.objects.filter(slug__in=["kent", "essex"]).update(foi_email_confirmed=True)
    url = reverse("admin:requests_app_campaign_changelist")
    admin_client.post(url, {"action": "send_campaigns", "_selected_action": [campaign.pk]})
    assert campaign.requests.filter(status=Status.SENT).count() == 2
    assert len(mailoutbox) == 2
    admin_client.post(url, {"action": "send_campaigns", "_selected_action": [campaign.pk]})
    assert FOIRequest.objects.get(campaign=campaign, force__slug="kent").events.count() == 1
    assert len(mailoutbox) == 2


def test_adding_an_event_in_the_timeline_inline_performs_the_transition(admin_client):
    request = sent_request(admin_client.user, on=date(2024, 3, 1))
    url = reverse("admin:requests_app_foirequest_change", args=[request.pk])
    response = admin_client.post(
        url,
        inline_data(request, kind="refused", occurred_on="2024-03-12", exemptions=["1"]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    request.refresh_from_db()
    assert request.status == Status.REFUSED
    assert request.events.last().recorded_by == admin_client.user


def test_an_impossible_event_in_the_inline_shows_the_reason_and_saves_nothing(admin_client):
    request = sent_request(admin_client.user, on=date(2024, 3, 1))
    url = reverse("admin:requests_app_foirequest_change", args=[request.pk])
    response = admin_client.post(
        url, inline_data(request, kind="fee_paid", occurred_on="2024-03-04")
    )
    assert response.status_code == 200
    assert "cannot be" in response.content.decode()
    assert request.events.count() == 1


def test_the_request_page_shows_its_timeline(admin_client):
    request = sent_request(admin_client.user, on=date(2024, 3, 1))
    services.foi_request_acknowledge(request=request, by=admin_client.user, on=date(2024, 3, 4))
    html = admin_client.get(
        reverse("admin:requests_app_foirequest_change", args=[request.pk])
    ).content.decode()
    assert "Acknowledged" in html and "2024" in html


@pytest.mark.parametrize(
    "name",
    [
        "requests_app_foirequest_changelist",
        "requests_app_campaign_changelist",
        "requests_app_requestevent_changelist",
        "requests_app_force_changelist",
    ],
)
def test_list_pages_run_a_fixed_number_of_queries(
    admin_client, django_assert_max_num_queries, name
):
    for n in range(3):
        campaign = make_campaign(admin_client.user, slug=f"c{n}")
        services.campaign_record_sent(campaign=campaign, by=admin_client.user, on=date(2024, 1, 2))
    assert Campaign.objects.count() == 3 and FOIRequest.objects.count() == 132
    with django_assert_max_num_queries(15):
        assert admin_client.get(reverse(f"admin:{name}")).status_code == 200


def test_the_overdue_filter_lists_only_late_requests(admin_client):
    late = sent_request(admin_client.user, force="kent", on=date(2024, 1, 2))
    answered = sent_request(admin_client.user, force="essex", on=date(2024, 1, 2))
    services.foi_request_receive_response(
        request=answered, by=admin_client.user, on=date(2024, 1, 5)
    )
    services.mark_overdue(today=date(2024, 6, 1))
    response = admin_client.get(
        reverse("admin:requests_app_foirequest_changelist") + "?late=overdue"
    )
    assert list(response.context["cl"].result_list) == [late]


# The campaign page's members inline, left empty.
NO_MEMBERS = {"members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"}


def test_a_campaign_is_created_with_periods_typed_as_text(admin_client):
    from requests_app.models import Force

    response = admin_client.post(
        reverse("admin:requests_app_campaign_add"),
        {
            "title": "Typed",
            "slug": "typed",
            "owner": admin_client.user.pk,
            "request_text": "How many?",
            "periods": "2017-18, 2018-19",
            "target_forces": [f.pk for f in Force.objects.default_targets()],
            **NO_MEMBERS,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Campaign.objects.get(slug="typed").periods == ["2017-18", "2018-19"]


def test_a_period_that_is_not_a_financial_year_is_refused_in_the_form(admin_client):
    response = admin_client.post(
        reverse("admin:requests_app_campaign_add"),
        {
            "title": "Typed",
            "slug": "typed",
            "owner": admin_client.user.pk,
            "request_text": "How many?",
            "periods": "2018",
            **NO_MEMBERS,
        },
    )
    assert response.status_code == 200
    assert "is not a financial year" in response.content.decode()
    assert not Campaign.objects.filter(slug="typed").exists()
