"""Requests go out by email: the letter, sending once to confirmed addresses through a real SMTP
server (aiosmtpd), failures kept with the reason and retried with backoff, chases once per
lateness level, and campaigns recorded as sent elsewhere emailing nobody."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from requests_app import mail, services, tasks
from requests_app.demo import DEMO_SLUG, STRIP_SLUG
from requests_app.models import (
    Campaign,
    EmailKind,
    EmailStatus,
    EventKind,
    FOIRequest,
    Force,
    Lateness,
    OutgoingEmail,
    Status,
)
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db

TOKEN_ADDRESS = re.compile(r"foi\+([0-9a-f]{20})@localhost")


@pytest.fixture(autouse=True)
def _commit_hooks(on_commit_at_once):
    pass


def confirm(*slugs: str) -> None:
    Force.objects.filter(slug__in=slugs).update(foi_email_confirmed=True)


@pytest.fixture
def owner(researcher) -> User:
    researcher.first_name, researcher.last_name = "Rita", "Okafor"
    researcher.save()
    return researcher


# The letter.


def test_the_letter_names_the_force_the_act_the_periods_and_the_researcher(owner):
    campaign = make_campaign(owner, forces=["kent"])
    kent = Force.objects.get(slug="kent")
    subject, body = mail.render_letter(campaign=campaign, force=kent, token="0" * 20)
    assert subject == "Freedom of Information request: Campaign demo"
    assert body.startswith("Dear Kent Police Freedom of Information team,")
    assert "under section 1 of the Freedom of Information Act 2000." in body
    assert "How many offences?" in body
    assert "Periods asked: 2017-18 and 2018-19." in body
    assert "foi+00000000000000000000@localhost" in body
    assert body.rstrip().endswith("Rita Okafor")


def test_police_scotland_is_asked_under_foisa(owner):
    campaign = make_campaign(owner, forces=["police-scotland"])
    scotland = Force.objects.get(slug="police-scotland")
    _, body = mail.render_letter(campaign=campaign, force=scotland, token=None)
    assert "Freedom of Information (Scotland) Act 2002" in body
    assert "Freedom of Information Act 2000" not in body


@pytest.mark.parametrize(
    ("periods", "text"),
    [
        (["2018-19"], "2018-19"),
        (["2017-18", "2018-19"], "2017-18 and 2018-19"),
        (["2016-17", "2017-18", "2018-19"], "2016-17, 2017-18 and 2018-19"),
        (["2018", "2019-06"], "2018 and 2019-06"),  # written as given, whatever they are
    ],
)
def test_periods_are_written_as_given(periods, text):
    assert mail.periods_text(periods) == text


def test_the_researchers_username_signs_when_they_have_no_name(researcher):
    campaign = make_campaign(researcher, forces=["kent"])
    _, body = mail.render_letter(campaign=campaign, force=campaign.target_forces.get(), token=None)
    assert body.rstrip().endswith("rita")


# Sending.


def test_sending_emails_each_confirmed_force_once_from_its_own_address(owner, smtp_server):
    campaign = make_campaign(owner, forces=["kent", "essex", "surrey"])
    confirm("kent", "essex")
    result = mail.campaign_send(campaign=campaign, by=owner)

    assert [e.request.force.slug for e in result.queued] == ["essex", "kent"]
    assert [(f.slug, why) for f, why in result.skipped] == [
        ("surrey", "Surrey Police's FOI address foi@surrey.police.uk is not confirmed.")
    ]
    assert sorted(d.rcpt_tos[0] for d in smtp_server.received) == [
        "foi@essex.police.uk",
        "foi@kent.police.uk",
    ]
    kent = campaign.requests.get(force__slug="kent")
    delivery = smtp_server.to("foi@kent.police.uk")[0]
    message = delivery.message
    token = kent.reply_token
    assert re.fullmatch(r"[0-9a-f]{20}", token)
    assert delivery.mail_from == f"foi+{token}@localhost"  # bounces come back to the request
    assert message["Reply-To"] == f"foi+{token}@localhost"
    assert f"foi+{token}@localhost" in message["From"] and "Rita Okafor" in message["From"]
    assert "Dear Kent Police" in message.get_content()
    essex = campaign.requests.get(force__slug="essex")
    assert essex.reply_token != token

    assert kent.status == Status.SENT and kent.sent_on == timezone.localdate()
    sent_event = kent.events.get()
    assert sent_event.kind == EventKind.SENT and sent_event.recorded_by == owner
    assert message["Message-ID"] in sent_event.note
    assert kent.emails.get().event == sent_event
    assert campaign.requests.get(force__slug="surrey").status == Status.DRAFT
    campaign.refresh_from_db()
    assert campaign.sent_on == timezone.localdate()


def test_sending_twice_sends_nothing_new(owner, smtp_server):
    campaign = make_campaign(owner, forces=["kent", "essex"])
    confirm("kent")
    mail.campaign_send(campaign=campaign, by=owner)
    again = mail.campaign_send(campaign=campaign, by=owner)
    assert again.queued == []
    assert len(smtp_server.received) == 1
    # Re-running the task for the sent email sends nothing either.
    email = OutgoingEmail.objects.get()
    assert mail.email_send(email_id=email.pk) is None
    assert len(smtp_server.received) == 1


def test_a_force_confirmed_later_is_emailed_by_the_next_send(owner, smtp_server):
    campaign = make_campaign(owner, forces=["kent", "essex"])
    confirm("kent")
    mail.campaign_send(campaign=campaign, by=owner)
    confirm("essex")
    result = mail.campaign_send(campaign=campaign, by=owner)
    assert [e.request.force.slug for e in result.queued] == ["essex"]
    assert len(smtp_server.received) == 2


def test_the_plan_lists_whom_it_emails_and_whom_it_skips_before_sending(owner):
    campaign = make_campaign(owner, forces=["kent", "essex", "surrey"])
    confirm("kent", "surrey")
    Force.objects.filter(slug="surrey").update(foi_email="")
    plan = mail.campaign_send_plan(campaign)
    assert [f.slug for f in plan.to_email] == ["kent"]
    assert dict((f.slug, why) for f, why in plan.skipped) == {
        "essex": "Essex Police's FOI address foi@essex.police.uk is not confirmed.",
        "surrey": "Surrey Police has no FOI email address.",
    }
    assert FOIRequest.objects.count() == 0  # reading the plan writes nothing


def test_a_recipient_the_server_refuses_leaves_the_request_unsent_with_the_reason(
    owner, smtp_server
):
    smtp_server.refuse["foi@kent.police.uk"] = "550 5.1.1 No such mailbox"
    campaign = make_campaign(owner, forces=["kent"])
    confirm("kent")
    mail.campaign_send(campaign=campaign, by=owner)
    email = OutgoingEmail.objects.get()
    assert email.status == EmailStatus.FAILED
    assert "550" in email.reason and "No such mailbox" in email.reason
    assert email.next_attempt_at is None  # refused outright: no point trying again
    request = campaign.requests.get()
    assert request.status == Status.DRAFT and not request.events.exists()
    kent = Force.objects.get(slug="kent")
    assert not kent.foi_email_confirmed and "550" in kent.foi_email_note


def test_a_mail_server_that_is_down_is_retried_with_backoff(owner, smtp_server, settings):
    up = settings.EMAIL_PORT
    settings.EMAIL_PORT = mail_port_with_nobody_listening()
    campaign = make_campaign(owner, forces=["kent"])
    confirm("kent")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        mail.campaign_send(campaign=campaign, by=owner)
    email = OutgoingEmail.objects.get()
    assert email.status == EmailStatus.FAILED and email.attempts == 1
    assert "ConnectionRefusedError" in email.reason
    assert email.next_attempt_at == start + timedelta(seconds=60)
    assert campaign.requests.get().status == Status.DRAFT

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert tasks.retry_emails() == 0  # not yet due
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert tasks.retry_emails() == 1  # down still: the wait doubles
    email.refresh_from_db()
    assert email.attempts == 2
    assert email.next_attempt_at == start + timedelta(seconds=61 + 120)

    settings.EMAIL_PORT = up
    with time_machine.travel(start + timedelta(seconds=200), tick=False):
        assert tasks.retry_emails() == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.attempts == 3
    assert len(smtp_server.received) == 1
    assert campaign.requests.get().status == Status.SENT


def test_retries_stop_after_the_last_attempt(owner, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", mail_port_with_nobody_listening()
    settings.MAIL_MAX_ATTEMPTS = 2
    campaign = make_campaign(owner, forces=["kent"])
    confirm("kent")
    mail.campaign_send(campaign=campaign, by=owner)
    email = OutgoingEmail.objects.get()
    mail.email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.attempts == 2 and email.next_attempt_at is None
    assert email.reason.endswith("Gave up after 2 attempts.")


def test_an_address_removed_after_queueing_fails_with_the_reason(owner, settings, mailoutbox):
    campaign = make_campaign(owner, forces=["kent"])
    confirm("kent")
    from django.db import transaction

    # Queued, then the address is removed before the worker gets to it.
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: None)
        mail.campaign_send(campaign=campaign, by=owner)
    Force.objects.filter(slug="kent").update(foi_email="")
    email = OutgoingEmail.objects.get()
    assert mail.email_send(email_id=email.pk) == EmailStatus.FAILED
    email.refresh_from_db()
    assert email.reason == "Kent Police has no FOI email address."
    assert mailoutbox == [] and campaign.requests.get().status == Status.DRAFT


def test_a_request_recorded_as_sent_meanwhile_is_not_emailed(owner, mailoutbox):
    from django.db import transaction

    campaign = make_campaign(owner, forces=["kent"])
    confirm("kent")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: None)
        mail.campaign_send(campaign=campaign, by=owner)
    services.foi_request_send(request=campaign.requests.get(), by=owner)
    email = OutgoingEmail.objects.get()
    assert mail.email_send(email_id=email.pk) == EmailStatus.FAILED
    assert mailoutbox == []


def test_a_campaign_without_forces_is_refused_naming_the_field(owner):
    from django.core.exceptions import ValidationError

    campaign = make_campaign(owner, forces=["kent"])
    campaign.target_forces.clear()
    with pytest.raises(ValidationError) as exc:
        mail.campaign_send(campaign=campaign, by=owner)
    assert "target_forces" in exc.value.message_dict


def mail_port_with_nobody_listening() -> int:
    from tests.mailservers import free_port

    return free_port()


# Recorded elsewhere: nobody is emailed.


def test_recording_a_campaign_sent_outside_the_product_emails_nobody(owner, mailoutbox):
    campaign = make_campaign(owner)
    Force.objects.update(foi_email_confirmed=True)
    sent = services.campaign_record_sent(campaign=campaign, by=owner, on=date(2024, 3, 1))
    assert len(sent) == 44
    assert mailoutbox == [] and not OutgoingEmail.objects.exists()


def test_the_demo_seed_emails_nobody(mailoutbox):
    Force.objects.update(foi_email_confirmed=True)
    call_command("seed_demo", stdout=StringIO())
    sent = {c.slug: c.requests.exclude(status=Status.DRAFT).count() for c in Campaign.objects.all()}
    assert sent == {DEMO_SLUG: 44, STRIP_SLUG: 44}  # every demo campaign, recorded as sent
    assert mailoutbox == [] and not OutgoingEmail.objects.exists()


def test_importing_responses_with_create_emails_nobody(mailoutbox, tmp_path, researcher):
    from aggregation import demo

    Force.objects.update(foi_email_confirmed=True)
    path = tmp_path / "kent.xlsx"
    path.write_bytes(demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", ["2018-19"])))
    call_command(
        "import_responses", str(path), campaign="imported", create=True, force_slug="kent",
        stdout=StringIO(),
    )  # fmt: skip
    imported = Campaign.objects.get(slug="imported")
    assert imported.requests.get(force__slug="kent").status == Status.SENT
    assert mailoutbox == [] and not OutgoingEmail.objects.exists()


# The command.


def test_send_requests_does_what_the_admin_action_does(owner, smtp_server):
    campaign = make_campaign(owner, slug="cmd", forces=["kent", "essex"])
    confirm("kent")
    out = StringIO()
    call_command("send_requests", campaign="cmd", as_json=True, stdout=out)
    report = json.loads(out.getvalue())
    assert report["queued"] == ["kent"]
    assert report["skipped"][0]["force"] == "essex"
    assert report["requests"] == 2
    assert campaign.requests.get(force__slug="kent").events.get().recorded_by == owner
    out = StringIO()
    call_command("send_requests", campaign="cmd", stdout=out)
    assert out.getvalue().startswith("0 request(s) queued")
    assert len(smtp_server.received) == 1


def test_send_requests_names_an_unknown_campaign():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--campaign: no campaign 'nope'"):
        call_command("send_requests", campaign="nope")


# Chasing.


def sent_by_email(owner, smtp_server, *, chase: bool) -> FOIRequest:
    campaign = make_campaign(owner, slug="chased", forces=["kent"])
    Campaign.objects.filter(pk=campaign.pk).update(chase_overdue=chase)
    confirm("kent")
    with time_machine.travel(date(2024, 1, 2), tick=False):
        mail.campaign_send(campaign=campaign, by=owner)
    request = campaign.requests.get()
    services.foi_request_acknowledge(
        request=request, by=owner, on=date(2024, 1, 3), reference="FOI/KEN/0042"
    )
    return request


def test_a_late_force_is_chased_once_per_lateness_level_when_chasing_is_on(owner, smtp_server):
    request = sent_by_email(owner, smtp_server, chase=True)
    with time_machine.travel(date(2024, 2, 5)):
        tasks.mark_overdue()
        tasks.mark_overdue()  # the next day's run: no second chase at the same level
    chases = smtp_server.to("foi@kent.police.uk")[1:]  # after the letter; the digest is Rita's
    assert len(chases) == 1
    chase = chases[0].message
    body = chase.get_content()
    assert "FOI/KEN/0042" in chase["Subject"] and "your reference FOI/KEN/0042" in body
    assert "You received it on 2 January 2024" in body
    assert "The answer was due by 30 January 2024" in body
    assert chase["In-Reply-To"] == request.emails.get(kind=EmailKind.REQUEST).message_id
    assert chases[0].rcpt_tos == ["foi@kent.police.uk"]
    assert request.events.filter(kind=EventKind.NOTE, note__startswith="Chase").count() == 1

    with time_machine.travel(date(2024, 3, 15)):
        tasks.mark_overdue()
    request.refresh_from_db()
    assert request.lateness == Lateness.VERY_OVERDUE
    to_kent = smtp_server.to("foi@kent.police.uk")
    assert len(to_kent) == 3
    assert "more than 40 working days" in to_kent[2].message.get_content()
    assert list(request.emails.filter(kind=EmailKind.CHASE).values_list("level", flat=True)) == [
        Lateness.VERY_OVERDUE,
        Lateness.OVERDUE,
    ]


def test_no_chase_unless_the_owner_switched_chasing_on(owner, smtp_server):
    sent_by_email(owner, smtp_server, chase=False)
    with time_machine.travel(date(2024, 3, 15)):
        tasks.mark_overdue()
    assert len(smtp_server.to("foi@kent.police.uk")) == 1  # the letter only


def test_no_chase_once_the_force_answered(owner, smtp_server):
    request = sent_by_email(owner, smtp_server, chase=True)
    services.foi_request_receive_response(request=request, by=owner, on=date(2024, 2, 1))
    with time_machine.travel(date(2024, 3, 15)):
        tasks.mark_overdue()
    assert len(smtp_server.to("foi@kent.police.uk")) == 1


# Confirming addresses in the admin.


@pytest.fixture
def admin_client(client):
    boss = User.objects.create_superuser("ada", "ada@example.org", "pw-ada-12345")
    client.force_login(boss)
    return client


def force_form(force: Force, **changes) -> dict:
    data = {
        "slug": force.slug,
        "name": force.name,
        "short_name": force.short_name,
        "nation": force.nation,
        "kind": force.kind,
        "foi_regime": force.foi_regime,
        "foi_email": force.foi_email,
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        "aliases-MIN_NUM_FORMS": "0",
        "aliases-MAX_NUM_FORMS": "1000",
    }
    if force.foi_email_confirmed:
        data["foi_email_confirmed"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_changed_address_is_unconfirmed_until_ticked_again(admin_client):
    confirm("kent")
    kent = Force.objects.get(slug="kent")
    url = reverse("admin:requests_app_force_change", args=[kent.pk])
    response = admin_client.post(url, force_form(kent, foi_email="freedom@kent.police.uk"))
    assert response.status_code == 302
    kent.refresh_from_db()
    assert (kent.foi_email, kent.foi_email_confirmed) == ("freedom@kent.police.uk", False)
    assert kent.foi_email_note.startswith("Changed")
    # Ticked in the same save as a new address: the researcher vouches for the new one.
    admin_client.post(
        url, force_form(kent, foi_email="foi.requests@kent.police.uk", foi_email_confirmed="on")
    )
    kent.refresh_from_db()
    assert (kent.foi_email_confirmed, kent.foi_email_note) == (True, "")


def test_the_preview_page_shows_the_letter_and_sending_there_emails(admin_client, smtp_server):
    owner = User.objects.get(username="ada")
    campaign = make_campaign(owner, forces=["kent", "essex"])
    confirm("kent")
    url = reverse("admin:campaign_send", args=[campaign.pk])
    page = admin_client.get(url, {"force": "essex"}).content.decode()
    assert "Dear Essex Police Freedom of Information team" in page
    assert "Essex Police&#x27;s FOI address foi@essex.police.uk is not confirmed." in page
    assert FOIRequest.objects.count() == 0 and smtp_server.received == []
    response = admin_client.post(url)
    assert response.status_code == 302
    assert [d.rcpt_tos for d in smtp_server.received] == [["foi@kent.police.uk"]]
