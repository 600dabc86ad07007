"""The request lifecycle: every transition goes through the services and is checked."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from requests_app import services
from requests_app.models import EventKind, FOIRequest, Force, Lateness, Status
from tests.factories import make_campaign, sent_request

pytestmark = pytest.mark.django_db


def test_it_seeds_46_forces_with_emails_and_aliases():
    assert Force.objects.count() == 46
    assert Force.objects.default_targets().count() == 44
    assert not Force.objects.default_targets().filter(slug__in=["british-transport"]).exists()
    assert not Force.objects.filter(foi_email="").exists()
    met = Force.objects.get(slug="metropolitan")
    assert {"MPS", "Met Police"} <= set(met.aliases.values_list("alias", flat=True))
    hampshire = Force.objects.get(slug="hampshire")
    assert "Hampshire Constabulary" in hampshire.aliases.values_list("alias", flat=True)
    assert Force.objects.get(slug="police-scotland").foi_regime == "FOISA"


def test_sending_a_campaign_creates_one_request_per_target_force(researcher):
    campaign = make_campaign(researcher)
    sent = services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    assert len(sent) == 44
    assert campaign.requests.filter(status=Status.SENT, sent_on=date(2024, 3, 1)).count() == 44
    first = campaign.requests.first()
    assert first.events.get().kind == EventKind.SENT
    assert first.events.get().recorded_by == researcher


def test_sending_twice_creates_nothing_new(researcher):
    campaign = make_campaign(researcher)
    services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    again = services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 2))
    assert again == []
    assert campaign.requests.count() == 44
    assert FOIRequest.objects.get(campaign=campaign, force__slug="kent").events.count() == 1


def test_it_rejects_sending_a_campaign_without_forces(researcher):
    campaign = make_campaign(researcher)
    campaign.target_forces.clear()
    with pytest.raises(ValidationError) as exc:
        services.campaign_record_sent(campaign=campaign, by=researcher)
    assert "target_forces" in exc.value.message_dict


def test_sending_sets_the_statutory_due_date(researcher):
    request = sent_request(researcher, on=date(2009, 3, 12))
    assert request.due_on == date(2009, 4, 14)


def test_acknowledgement_keeps_the_forces_reference(researcher):
    request = sent_request(researcher)
    services.foi_request_acknowledge(
        request=request, by=researcher, on=date(2024, 3, 4), reference="FOI/123"
    )
    request.refresh_from_db()
    assert request.status == Status.ACKNOWLEDGED
    assert request.references == ["FOI/123"]
    assert request.acknowledged_on == date(2024, 3, 4)


def test_a_response_records_the_working_days_taken(researcher):
    request = sent_request(researcher, on=date(2024, 3, 1))  # a Friday
    services.foi_request_receive_response(request=request, by=researcher, on=date(2024, 3, 8))
    request.refresh_from_db()
    assert request.status == Status.ANSWERED
    assert request.answered_on == date(2024, 3, 8)
    assert request.working_days_to_answer == 5


def test_clarification_restarts_the_clock(researcher):
    request = sent_request(researcher, on=date(2024, 3, 1))
    services.foi_request_ask_clarification(request=request, by=researcher, on=date(2024, 3, 5))
    request.refresh_from_db()
    assert request.status == Status.CLARIFICATION
    services.foi_request_give_clarification(request=request, by=researcher, on=date(2024, 4, 10))
    request.refresh_from_db()
    assert request.status == Status.SENT
    # 20 working days after 10 April 2024, skipping the early May bank holiday (6 May).
    assert request.due_on == date(2024, 5, 9)


def test_fees_pause_the_clock(researcher):
    request = sent_request(researcher, on=date(2024, 6, 3))  # due 2024-07-01 without a pause
    assert request.due_on == date(2024, 7, 1)
    services.foi_request_fees_notice(request=request, by=researcher, on=date(2024, 6, 10))
    services.foi_request_pay_fee(request=request, by=researcher, on=date(2024, 6, 17))
    request.refresh_from_db()
    assert request.status == Status.SENT
    # s10(2): the working days from notice to payment, both included (10-17 June: 6), are
    # disregarded, so 1 July moves 6 working days later.
    assert request.due_on == date(2024, 7, 9)


def test_a_pit_extension_sets_a_new_target(researcher):
    request = sent_request(researcher, on=date(2024, 6, 3))
    services.foi_request_extend(
        request=request, by=researcher, on=date(2024, 6, 20), target_on=date(2024, 7, 29)
    )
    request.refresh_from_db()
    assert request.status == Status.EXTENDED
    assert request.due_on == date(2024, 7, 29)


def test_it_refuses_a_pit_extension_under_foisa(researcher):
    request = sent_request(researcher, force="police-scotland", on=date(2024, 6, 3))
    with pytest.raises(ValidationError, match="FOISA"):
        services.foi_request_extend(request=request, by=researcher, on=date(2024, 6, 20))


def test_resending_keeps_the_original_clock(researcher):
    request = sent_request(researcher, on=date(2024, 6, 3))
    due = request.due_on
    services.foi_request_resend(request=request, by=researcher, on=date(2024, 6, 24))
    request.refresh_from_db()
    assert request.due_on == due
    assert request.sent_on == date(2024, 6, 3)


def test_a_refusal_records_its_exemptions(researcher):
    request = sent_request(researcher)
    services.foi_request_refuse(
        request=request, by=researcher, exemptions=["s12", "s40"], ncnd=True, on=date(2024, 3, 20)
    )
    request.refresh_from_db()
    assert request.status == Status.REFUSED
    assert set(request.exemptions.values_list("code", flat=True)) == {"s12", "s40"}
    assert request.ncnd


def test_it_rejects_a_refusal_without_exemptions(researcher):
    request = sent_request(researcher)
    with pytest.raises(ValidationError) as exc:
        services.foi_request_refuse(request=request, by=researcher, exemptions=[])
    assert "exemptions" in exc.value.message_dict


def test_it_rejects_an_unknown_exemption(researcher):
    request = sent_request(researcher)
    with pytest.raises(ValidationError, match="s99"):
        services.foi_request_refuse(request=request, by=researcher, exemptions=["s99"])


def test_internal_review_is_due_20_working_days_after_it_is_asked(researcher):
    request = sent_request(researcher, on=date(2024, 3, 1))
    services.foi_request_not_held(request=request, by=researcher, on=date(2024, 3, 8))
    services.foi_request_ask_review(request=request, by=researcher, on=date(2024, 6, 3))
    request.refresh_from_db()
    assert request.status == Status.REVIEW
    assert request.review_due_on == date(2024, 7, 1)
    services.foi_request_answer_review(request=request, by=researcher, on=date(2024, 6, 20))
    services.foi_request_complain_to_ico(request=request, by=researcher, on=date(2024, 6, 25))
    services.foi_request_record_ico_decision(request=request, by=researcher, on=date(2024, 9, 2))
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert list(request.events.values_list("kind", flat=True)) == [
        "sent",
        "not_held",
        "internal_review_asked",
        "internal_review_answered",
        "ico_complaint",
        "ico_decision",
    ]


@pytest.mark.parametrize(
    ("steps", "kind"),
    [
        ([], EventKind.FEE_PAID),
        ([], EventKind.CLARIFICATION_GIVEN),
        ([], EventKind.REVIEW_ASKED),
        ([], EventKind.ICO_DECISION),
        ([EventKind.RESPONSE_RECEIVED], EventKind.ACKNOWLEDGED),
        ([EventKind.RESPONSE_RECEIVED], EventKind.REFUSED),
        ([EventKind.WITHDRAWN], EventKind.RESPONSE_RECEIVED),
        ([EventKind.ACKNOWLEDGED], EventKind.SENT),
    ],
)
def test_it_refuses_an_impossible_transition_with_the_reason(researcher, steps, kind):
    request = sent_request(researcher, on=date(2024, 3, 1))
    for step in steps:
        services.record_event(request=request, kind=step, by=researcher, on=date(2024, 3, 4))
    request.refresh_from_db()
    before = (request.status, request.events.count())
    with pytest.raises(ValidationError) as exc:
        services.record_event(
            request=request, kind=kind, by=researcher, on=date(2024, 3, 5), exemptions=["s12"]
        )
    assert "cannot be" in str(exc.value) or "exemptions" in exc.value.message_dict
    request.refresh_from_db()
    assert (request.status, request.events.count()) == before


def test_every_event_kind_has_a_transition():
    assert set(services.TRANSITIONS) == set(EventKind)


def test_it_rejects_an_event_in_the_future(researcher):
    request = sent_request(researcher)
    with time_machine.travel(date(2024, 3, 10)), pytest.raises(ValidationError) as exc:
        services.foi_request_acknowledge(request=request, by=researcher, on=date(2024, 3, 11))
    assert "future" in exc.value.message_dict["occurred_on"][0]


def test_it_rejects_an_event_before_the_last_one(researcher):
    request = sent_request(researcher, on=date(2024, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.foi_request_acknowledge(request=request, by=researcher, on=date(2024, 2, 28))
    assert "before the last event" in exc.value.message_dict["occurred_on"][0]


def test_a_note_changes_nothing(researcher):
    request = sent_request(researcher)
    services.foi_request_add_note(request=request, by=researcher, note="Chased by phone")
    request.refresh_from_db()
    assert request.status == Status.SENT
    assert request.events.last().note == "Chased by phone"


def test_it_marks_requests_overdue_and_very_overdue(researcher):
    overdue = sent_request(researcher, force="kent", on=date(2024, 3, 1))
    very = sent_request(researcher, force="essex", on=date(2024, 1, 2))
    answered = sent_request(researcher, force="surrey", on=date(2024, 1, 2))
    services.foi_request_receive_response(request=answered, by=researcher, on=date(2024, 1, 5))
    services.mark_overdue(today=date(2024, 4, 15))
    assert FOIRequest.objects.get(pk=overdue.pk).lateness == Lateness.OVERDUE
    assert FOIRequest.objects.get(pk=very.pk).lateness == Lateness.VERY_OVERDUE
    assert FOIRequest.objects.get(pk=answered.pk).lateness == Lateness.ON_TIME


def test_it_marks_internal_reviews_overdue(researcher):
    request = sent_request(researcher, on=date(2024, 3, 1))
    services.foi_request_not_held(request=request, by=researcher, on=date(2024, 3, 8))
    services.foi_request_ask_review(request=request, by=researcher, on=date(2024, 3, 11))
    services.mark_overdue(today=date(2024, 6, 1))
    assert FOIRequest.objects.get(pk=request.pk).review_overdue


def test_an_answer_clears_lateness(researcher):
    request = sent_request(researcher, on=date(2024, 1, 2))
    services.mark_overdue(today=date(2024, 3, 1))
    assert FOIRequest.objects.get(pk=request.pk).lateness == Lateness.VERY_OVERDUE
    services.foi_request_receive_response(request=request, by=researcher, on=date(2024, 3, 1))
    assert FOIRequest.objects.get(pk=request.pk).lateness == Lateness.ON_TIME
