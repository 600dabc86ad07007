"""Replies come back: stored once, matched to their request, filed on its timeline with their
attachments parsed as if uploaded; what their words say is offered, recorded only on a click."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from aggregation import demo
from requests_app import mail, mailparse, replies, services, tasks
from requests_app.models import (
    Document,
    DocumentStatus,
    EmailStatus,
    EventKind,
    FOIRequest,
    Force,
    MatchedBy,
    OfferState,
    Reply,
    ReplyKind,
    Status,
)
from tests.extraction import hostile
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db

PERIODS = ["2017-18", "2018-19"]
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
WHEN = datetime(2024, 3, 6, 10, 30, tzinfo=timezone.get_fixed_timezone(0))
_ids = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def _commit_hooks(on_commit_at_once):
    pass


@pytest.fixture
def emailed(researcher, mailoutbox) -> dict[str, FOIRequest]:
    """Kent and Essex emailed by the product on 1 March 2024 (their tokens assigned)."""
    campaign = make_campaign(researcher, forces=["kent", "essex"])
    Force.objects.filter(slug__in=["kent", "essex"]).update(foi_email_confirmed=True)
    with time_machine.travel(date(2024, 3, 1), tick=False):
        mail.campaign_send(campaign=campaign, by=researcher)
    return {r.force.slug: r for r in campaign.requests.select_related("force")}


def address(request: FOIRequest) -> str:
    return mail.reply_address(request.reply_token)


def message(
    *,
    to: str,
    text: str | None = "Thank you for your request.",
    html: str | None = None,
    sender: str = "Kent FOI Team <foi@kent.police.uk>",
    subject: str = "RE: Freedom of Information request: Campaign demo",
    attachments: list[tuple[str, bytes, tuple[str, str]]] = (),
    when: datetime = WHEN,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = message_id or f"<reply-{next(_ids)}@kent.police.uk>"
    for name, value in (headers or {}).items():
        msg[name] = value
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for name, content, (maintype, subtype) in attachments:
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return msg


def receive(msg: EmailMessage, source: str = "imap") -> Reply:
    reply, _ = replies.reply_receive(raw=msg.as_bytes(), source=source)
    reply.refresh_from_db()
    return reply


def kent_xlsx() -> bytes:
    return demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", PERIODS))


# Filing.


def test_a_reply_to_its_address_lands_on_the_request_timeline(emailed):
    kent = emailed["kent"]
    text = "We acknowledge receipt of your request. Our reference: FOI/KEN/0042."
    reply = receive(message(to=address(kent), text=text))
    assert reply.request == kent and reply.matched_by == MatchedBy.TOKEN
    assert (reply.sender, reply.sender_name) == ("foi@kent.police.uk", "Kent FOI Team")
    assert reply.sent_at == WHEN and reply.text == text
    note = reply.event.note
    assert reply.event.kind == EventKind.NOTE and reply.event.request == kent
    assert reply.event.occurred_on == date(2024, 3, 6)
    assert "From: Kent FOI Team <foi@kent.police.uk>" in note and text in note
    assert "Subject: RE: Freedom of Information request" in note
    # Recognised and offered, never recorded without a click.
    assert (reply.offer_kind, reply.offer_reference) == (EventKind.ACKNOWLEDGED, "FOI/KEN/0042")
    assert reply.offer_state == OfferState.OPEN
    kent.refresh_from_db()
    assert kent.status == Status.SENT and kent.references == []


def test_recording_the_offer_records_the_event_dated_with_the_reply(emailed, researcher):
    kent = emailed["kent"]
    text = "This email acknowledges receipt of your request, reference FOI/KEN/0042."
    reply = receive(message(to=address(kent), text=text))
    event = replies.reply_record_offer(reply=reply, by=researcher)
    assert (event.kind, event.occurred_on, event.recorded_by) == (
        EventKind.ACKNOWLEDGED,
        date(2024, 3, 6),
        researcher,
    )
    kent.refresh_from_db()
    assert kent.status == Status.ACKNOWLEDGED and kent.references == ["FOI/KEN/0042"]
    reply.refresh_from_db()
    assert reply.offer_state == OfferState.RECORDED and reply.offer_event == event
    with pytest.raises(ValidationError, match="nothing on offer"):
        replies.reply_record_offer(reply=reply, by=researcher)


def test_a_refusal_offer_cites_its_exemptions(emailed, researcher):
    kent = emailed["kent"]
    text = (
        "Your request has been considered and is refused. The cost of compliance would exceed "
        "the appropriate limit (section 12), and section 40(2) applies to personal data. "
        "We neither confirm nor deny whether further information is held.\n\n"
        "If you are unhappy, you may ask for an internal review."
    )
    reply = receive(message(to=address(kent), text=text))
    assert (reply.offer_kind, reply.offer_exemptions, reply.offer_ncnd) == (
        EventKind.REFUSED,
        ["s12", "s40"],
        True,
    )
    replies.reply_record_offer(reply=reply, by=researcher)
    kent.refresh_from_db()
    assert kent.status == Status.REFUSED and kent.ncnd
    assert sorted(kent.exemptions.values_list("code", flat=True)) == ["s12", "s40"]


def test_an_offer_that_cannot_happen_now_is_refused_with_the_reason(emailed, researcher):
    kent = emailed["kent"]
    services.foi_request_receive_response(request=kent, by=researcher, on=date(2024, 3, 5))
    reply = receive(message(to=address(kent), text="We have received your request."))
    assert "cannot be 'acknowledged'" in replies.offer_problem(reply)
    with pytest.raises(ValidationError, match="cannot be 'acknowledged'"):
        replies.reply_record_offer(reply=reply, by=researcher)
    reply.refresh_from_db()
    assert reply.offer_state == OfferState.OPEN


def test_dismissing_an_offer_records_nothing(emailed, researcher):
    kent = emailed["kent"]
    reply = receive(message(to=address(kent), text="The information is not held."))
    assert reply.offer_kind == EventKind.NOT_HELD
    replies.reply_dismiss_offer(reply=reply, by=researcher)
    reply.refresh_from_db()
    assert reply.offer_state == OfferState.DISMISSED
    assert list(kent.events.values_list("kind", flat=True)) == ["sent", "note"]


def test_attachments_of_every_accepted_kind_become_documents_read_as_uploads(emailed):
    kent = emailed["kent"]
    files = [
        ("kent.xlsx", kent_xlsx(), XLSX),
        ("kent.csv", demo.offences_long_csv("kent", PERIODS), ("text", "csv")),
        ("kent.ods", hostile.ods(ODS_TABLE), ("application", "octet-stream")),
        ("kent.xls", hostile.xls([("Response", XLS_CELLS)]), ("application", "vnd.ms-excel")),
        ("answer.pdf", hostile.pdf_answer(), ("application", "pdf")),
        ("answer.docx", hostile.docx_answer(), ("application", "octet-stream")),
        ("letter.doc", hostile.ole({"WordDocument": b"\0" * 4096}), ("application", "msword")),
        ("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, ("image", "png")),
    ]  # fmt: skip
    reply = receive(message(to=address(kent), text="Please find attached.", attachments=files))
    outcome = {a["name"]: a for a in reply.attachments}
    documents = {d.original_name: d for d in Document.objects.filter(request=kent)}
    assert set(documents) == {n for n, *_ in files} - {"logo.png"}
    assert {n: d.format for n, d in documents.items()} == {
        "kent.xlsx": "xlsx",
        "kent.csv": "csv",
        "kent.ods": "ods",
        "kent.xls": "xls",
        "answer.pdf": "pdf",
        "answer.docx": "docx",
        "letter.doc": "doc",
    }
    for name in ("kent.xlsx", "kent.csv", "answer.pdf", "answer.docx"):
        assert documents[name].status == DocumentStatus.PARSED, documents[name].status_reason
    for name in ("kent.ods", "kent.xls"):  # read by the engine, whatever its verdict
        assert documents[name].status not in (DocumentStatus.QUEUED, DocumentStatus.FAILED)
    # A PDF or Word answer is read to figures like a spreadsheet.
    for name in ("answer.pdf", "answer.docx"):
        figures = {
            (o.period, o.dimensions.get("age")): o.value for o in documents[name].observations.all()
        }
        assert figures[("2018-19", "0-12")] == 4 and figures[("2018-19", "13-15")] == 6, name
    # Only a legacy Word document stays a letter for a researcher to read.
    assert documents["letter.doc"].status == DocumentStatus.NEEDS_REVIEW
    reason = documents["letter.doc"].status_reason
    assert "figures are read from spreadsheets, PDF and .docx files only" in reason
    assert outcome["kent.xlsx"]["document"] == documents["kent.xlsx"].pk
    assert outcome["logo.png"]["outcome"] == "refused"
    assert "logo.png: The file is binary data of an unknown kind" in outcome["logo.png"]["reason"]
    assert reply.offer_kind == EventKind.RESPONSE_RECEIVED


def test_a_30_mb_attachment_is_refused_with_the_reason_and_the_message_kept(emailed):
    kent = emailed["kent"]
    huge = b"Year,Count\r\n" + b"2018-19,1\r\n" * (30 * 2**20 // 11)
    files = [("huge.csv", huge, ("text", "csv")), ("kent.xlsx", kent_xlsx(), XLSX)]
    reply = receive(message(to=address(kent), attachments=files))
    refused, kept = reply.attachments
    assert refused["outcome"] == "refused"
    assert refused["reason"] == "huge.csv is 30.0 MB, over the 25 MB limit."
    assert kept["outcome"] == "document"
    assert reply.request == kent and reply.event is not None
    assert reply.size > 30 * 2**20 and reply.raw.size == reply.size  # the message, whole
    assert list(Document.objects.filter(request=kent).values_list("original_name", flat=True)) == [
        "kent.xlsx"
    ]


def test_html_only_mail_is_kept_as_text_and_shown_escaped(emailed, client, researcher):
    kent = emailed["kent"]
    html = (
        "<html><head><style>p {color: red}</style><script>alert('x')</script></head><body>"
        "<p>The information is <b>not held</b>.</p>"
        "<p>&lt;img src=x onerror=alert(1)&gt;</p><table><tr><td>2018-19</td><td>12</td></tr>"
        "</table></body></html>"
    )
    reply = receive(message(to=address(kent), text=None, html=html))
    assert reply.text == "The information is not held.\n<img src=x onerror=alert(1)>\n2018-19\t12"
    assert "alert('x')" not in reply.text and "color" not in reply.text
    assert reply.offer_kind == EventKind.NOT_HELD

    researcher.is_staff = researcher.is_superuser = True
    researcher.save()
    client.force_login(researcher)
    page = client.get(reverse("admin:requests_app_reply_change", args=[reply.pk])).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page and "<script>alert" not in page


def test_a_date_without_a_zone_or_no_date_at_all_still_files(emailed):
    kent = emailed["kent"]
    msg = message(to=address(kent))
    msg.replace_header("Date", "Wed, 06 Mar 2024 10:30:00 -0000")
    assert receive(msg).sent_at == datetime(2024, 3, 6, 10, 30, tzinfo=UTC)
    undated = message(to=address(kent))
    del undated["Date"]
    reply = receive(undated)
    assert reply.sent_at is None and reply.event.occurred_on == timezone.localdate()


def test_a_reply_fetched_twice_is_stored_once(emailed):
    kent = emailed["kent"]
    msg = message(to=address(kent), attachments=[("kent.xlsx", kent_xlsx(), XLSX)])
    first, new = replies.reply_receive(raw=msg.as_bytes(), source="imap")
    again, new_again = replies.reply_receive(raw=msg.as_bytes(), source="imap")
    # The same message by another route: other bytes (a header added), the same Message-ID.
    msg["X-Mailgun-Sflag"] = "No"
    third, new_third = replies.reply_receive(raw=msg.as_bytes(), source="mailgun")
    assert (new, new_again, new_third) == (True, False, False)
    assert first == again == third
    assert Reply.objects.count() == 1
    assert kent.events.filter(kind=EventKind.NOTE).count() == 1
    assert Document.objects.filter(request=kent).count() == 1


def test_mail_without_a_message_id_is_told_apart_by_its_bytes(emailed):
    kent = emailed["kent"]
    msg = message(to=address(kent))
    del msg["Message-ID"]
    assert replies.reply_receive(raw=msg.as_bytes(), source="imap")[1] is True
    assert replies.reply_receive(raw=msg.as_bytes(), source="imap")[1] is False
    msg.replace_header("Subject", "Another")
    assert replies.reply_receive(raw=msg.as_bytes(), source="imap")[1] is True


def test_a_reply_forwarded_as_an_attachment_is_matched_with_its_files(emailed):
    kent = emailed["kent"]
    original = message(
        to=address(kent),
        text="Please find the figures attached. Our ref: FOI/KEN/0042",
        attachments=[("kent.xlsx", kent_xlsx(), XLSX)],
    )
    forward = message(
        to="foi@localhost",
        sender="Rita <rita@example.org>",
        subject="Fwd: RE: Freedom of Information request",
        text="Kent's answer came to me; filing it.",
    )
    forward.add_attachment(original)
    reply = receive(forward)
    assert reply.request == kent and reply.matched_by == MatchedBy.TOKEN
    assert reply.original_sender == "foi@kent.police.uk"
    assert "Please find the figures attached." in reply.text
    assert [a["name"] for a in reply.attachments] == ["kent.xlsx"]
    assert Document.objects.get(request=kent).status == DocumentStatus.PARSED
    assert (reply.offer_kind, reply.offer_reference) == (
        EventKind.RESPONSE_RECEIVED,
        "FOI/KEN/0042",
    )


def test_an_inline_forward_is_matched_by_the_original_senders_domain(emailed):
    essex = emailed["essex"]
    text = (
        "See below.\n\n---------- Forwarded message ---------\n"
        "From: Essex FOI <freedomofinformation@essex.police.uk>\nDate: Wed, 6 Mar 2024\n"
        "Subject: Your request\n\nThe information requested is not held by Essex Police."
    )
    reply = receive(message(to="foi@localhost", sender="rita@example.org", text=text))
    assert reply.request == essex and reply.matched_by == MatchedBy.DOMAIN
    assert reply.original_sender == "freedomofinformation@essex.police.uk"
    assert reply.offer_kind == EventKind.NOT_HELD


def test_a_reply_answering_our_email_is_matched_by_its_thread(emailed):
    essex = emailed["essex"]
    letter = essex.emails.get()
    reply = receive(
        message(
            to="someone-else@localhost",
            sender="noreply@foi-portal.example.com",
            headers={"In-Reply-To": letter.message_id, "References": letter.message_id},
        )
    )
    assert reply.request == essex and reply.matched_by == MatchedBy.THREAD


def test_a_reply_quoting_the_forces_reference_is_matched_by_it(emailed, researcher):
    kent = emailed["kent"]
    kent.references = ["FOI/KEN/0042"]
    kent.save()
    reply = receive(
        message(
            to="foi@localhost",
            sender="case.officer@foi-portal.example.com",
            subject="Update on FOI/KEN/0042",
        )
    )
    assert reply.request == kent and reply.matched_by == MatchedBy.REFERENCE


def test_what_cannot_be_told_waits_unmatched_until_a_researcher_files_it(emailed, researcher):
    kent = emailed["kent"]
    msg = message(
        to="foi@localhost",
        sender="someone@example.com",
        text="Not held.",
        attachments=[("kent.xlsx", kent_xlsx(), XLSX)],
    )
    reply = receive(msg)
    assert reply.request is None and reply.event is None and reply.attachments == []
    assert not Document.objects.exists()
    replies.reply_file(reply=reply, request=kent, by=researcher)
    reply.refresh_from_db()
    assert reply.request == kent and reply.matched_by == MatchedBy.RESEARCHER
    assert reply.filed_by == researcher and reply.event.request == kent
    assert Document.objects.get(request=kent).original_name == "kent.xlsx"
    with pytest.raises(ValidationError, match="already filed"):
        replies.reply_file(reply=reply, request=emailed["essex"], by=researcher)


def test_a_sender_domain_with_two_requests_awaiting_is_not_guessed(emailed, researcher):
    other = make_campaign(researcher, slug="other", forces=["kent"])
    services.campaign_record_sent(campaign=other, by=researcher, on=date(2024, 3, 1))
    reply = receive(message(to="foi@localhost"))
    assert reply.request is None


# Bounces.


def bounce_for(request: FOIRequest, when: datetime) -> bytes:
    letter = request.emails.get()
    return f"""From: MAILER-DAEMON@mail.kent.police.uk
To: {address(request)}
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(when)}
Message-ID: <bounce-{next(_ids)}@mail.kent.police.uk>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.kent.police.uk

Final-Recipient: rfc822; {request.force.foi_email}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 Recipient address rejected: User unknown

--B
Content-Type: text/rfc822-headers

From: Rita <{address(request)}>
To: {request.force.foi_email}
Message-ID: {letter.message_id}

--B--
""".replace("\n", "\r\n").encode()


def test_a_bounce_unconfirms_the_address_and_marks_the_request_unsent(emailed, researcher):
    kent = emailed["kent"]
    with time_machine.travel(date(2024, 3, 4), tick=False):
        reply, _ = replies.reply_receive(
            raw=bounce_for(kent, datetime(2024, 3, 4, 9, tzinfo=timezone.get_fixed_timezone(0))),
            source="imap",
        )
    assert reply.kind == ReplyKind.BOUNCE and reply.request == kent
    kent.refresh_from_db()
    assert kent.status == Status.DRAFT and kent.sent_on is None and kent.due_on is None
    assert reply.event.kind == EventKind.BOUNCED
    force = Force.objects.get(slug="kent")
    assert not force.foi_email_confirmed
    assert "User unknown" in force.foi_email_note
    assert kent.emails.get().status == EmailStatus.BOUNCED
    assert reply.offer_kind == ""  # a bounce offers nothing

    # Unconfirmed, it is skipped; once a researcher confirms it, the letter goes again.
    campaign = kent.campaign
    skipped = mail.campaign_send(campaign=campaign, by=researcher).skipped
    assert "kent" in {force.slug for force, _ in skipped}
    mail.force_confirm_email(force=force, by=researcher)
    with time_machine.travel(date(2024, 3, 5), tick=False):
        result = mail.campaign_send(campaign=campaign, by=researcher)
    assert [e.request.force.slug for e in result.queued] == ["kent"]
    kent.refresh_from_db()
    assert kent.status == Status.SENT and kent.sent_on == date(2024, 3, 5)
    # 20 working days from the delivered letter (St Patrick's Day moved to 18 March; Easter).
    assert kent.due_on == date(2024, 4, 5)
    assert kent.emails.filter(status=EmailStatus.SENT).count() == 1


# What the words say.


EXEMPTIONS = {"s12", "s14", "s21", "s23", "s24", "s30", "s31", "s38", "s40", "other"}


@pytest.mark.parametrize(
    ("text", "kind", "exemptions"),
    [
        ("We are refusing your request under section 12 (cost limit).", "refused", ("s12",)),
        ("Section 30 and s.31 are engaged; it is withheld.", "refused", ("s30", "s31")),
        ("The information you asked for is not held by this force.", "not_held", ()),
        ("Kent Police does not hold this information.", "not_held", ()),
        ("Could you please clarify which years you mean?", "clarification_asked", ()),
        ("We acknowledge receipt of your request of 1 March.", "acknowledged", ()),
        ("Please find attached our response.", "response_received", ()),
        ("Thank you for your email.", None, ()),
        # Boilerplate in an acknowledgement is not a refusal nor a clarification request.
        (
            "We have received your request. If the cost would exceed the appropriate limit "
            "under section 12 we may refuse it. If we need clarification we will contact you.",
            "acknowledged",
            (),
        ),
    ],
)  # fmt: skip
def test_the_words_of_a_reply_are_recognised(text, kind, exemptions):
    offer = mailparse.recognise(
        subject="", text=text, exemption_codes=EXEMPTIONS, has_response_files=False
    )
    assert (offer.kind if offer else None) == kind
    if offer:
        assert offer.exemptions == exemptions


def test_our_own_quoted_letter_is_not_read_as_the_forces_words():
    token = "a" * 20
    text = (
        "Thanks, noted.\n\nFrom: Rita <foi+" + token + "@localhost>\nSent: 1 March 2024\n"
        "Subject: Freedom of Information request\n\nIf answering any part would exceed the "
        "cost limit (section 12), please say which part. The information is not held."
    )
    words = mailparse.own_words(text, replies.token_pattern())
    assert words.strip() == "Thanks, noted."


@pytest.mark.parametrize(
    ("subject", "text", "reference"),
    [
        ("RE: FOI request [Ref: 004512/24]", "", "004512/24"),
        ("", "Our reference number is FOI-2024-00123.", "FOI-2024-00123"),
        ("", "Your request (reference FOI/KEN/0042) was received.", "FOI/KEN/0042"),
        ("", "Please refer to our letter.", ""),
    ],
)
def test_the_forces_reference_is_found(subject, text, reference):
    assert mailparse.find_reference(subject, text) == reference


# Fetching from a real IMAP server (dovecot).


def test_fetching_files_new_mail_once_from_a_real_imap_server(emailed, imap_mailbox):
    kent = emailed["kent"]
    raw = message(to=address(kent), attachments=[("kent.xlsx", kent_xlsx(), XLSX)]).as_bytes()
    imap_mailbox.deliver(raw)
    imap_mailbox.deliver(raw)  # delivered twice: one reply
    imap_mailbox.deliver(message(to="foi@localhost", sender="spam@example.com").as_bytes())

    out = StringIO()
    call_command("fetch_replies", as_json=True, stdout=out)
    report = json.loads(out.getvalue())
    assert [r["request"] for r in report["new"]] == [kent.pk, None]
    assert report["duplicates"] == 1 and report["failed"] == []
    assert Document.objects.get(request=kent).status == DocumentStatus.PARSED

    # Fetched messages are marked: the next run finds nothing new, and stores nothing twice.
    assert tasks.fetch_replies() == 0
    assert Reply.objects.count() == 2


def test_fetch_replies_now_in_the_admin(emailed, imap_mailbox, client, staff):
    imap_mailbox.deliver(message(to=address(emailed["kent"])).as_bytes())
    client.force_login(staff)
    response = client.post(reverse("admin:reply_fetch"), follow=True)
    assert "1 new repl(ies) stored, 0 unmatched." in response.content.decode()
    assert Reply.objects.get().request == emailed["kent"]


def test_a_mailbox_that_cannot_be_reached_is_reported_not_crashed(client, staff, settings):
    from tests.mailservers import free_port

    settings.IMAP_URL = f"imap://u:p@127.0.0.1:{free_port()}/INBOX"
    client.force_login(staff)
    response = client.post(reverse("admin:reply_fetch"), follow=True)
    assert "Could not fetch replies: [Errno 111] Connection refused" in response.content.decode()


def test_the_periodic_fetch_does_nothing_without_a_mailbox(settings):
    settings.IMAP_URL = ""
    assert tasks.fetch_replies() == 0


def test_the_beat_schedule_fetches_replies_and_retries_emails(settings):
    from foitrack.celery import app as celery_app

    for name, task in (("fetch-replies", "fetch_replies"), ("retry-emails", "retry_emails")):
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        assert entry["task"] == f"requests_app.tasks.{task}" and entry["task"] in celery_app.tasks


def test_a_bad_imap_url_is_refused_with_the_expected_shape():
    with pytest.raises(ValueError, match="IMAP_URL must look like imaps://"):
        replies.open_mailbox("http://example.org/")


# Mailgun's signed inbound webhook (django-anymail).

SIGNING_KEY = "key-test-signing-0123456789"


def mailgun_post(client, raw: bytes, *, key: str = SIGNING_KEY, url="/mail/inbound/mailgun_mime/"):
    timestamp, token = str(int(time.time())), "t" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "body-mime": raw.decode(),
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
        "recipient": "foi@localhost",
        "sender": "foi@kent.police.uk",
    }
    return client.post(url, data)


def test_a_signed_mailgun_inbound_post_is_stored_and_filed(emailed, client, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    kent = emailed["kent"]
    raw = message(to=address(kent), text="We have received your request.").as_bytes()
    response = mailgun_post(client, raw)
    assert response.status_code == 200
    reply = Reply.objects.get()
    assert (reply.request, reply.source, reply.offer_kind) == (kent, "mailgun", "acknowledged")


def test_mailguns_parsed_fields_are_read_too(emailed, client, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    kent = emailed["kent"]
    timestamp, token = str(int(time.time())), "u" * 50
    signature = hmac.new(
        SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    data = {
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
        "recipient": address(kent),
        "sender": "foi@kent.police.uk",
        "from": "Kent FOI <foi@kent.police.uk>",
        "To": address(kent),
        "subject": "Your request",
        "body-plain": "We have received your request.",
        "Message-Id": "<parsed-1@kent.police.uk>",
        "message-headers": json.dumps(
            [["From", "Kent FOI <foi@kent.police.uk>"], ["To", address(kent)],
             ["Subject", "Your request"], ["Message-Id", "<parsed-1@kent.police.uk>"]]
        ),
    }  # fmt: skip
    assert client.post("/mail/inbound/mailgun/", data).status_code == 200
    reply = Reply.objects.get()
    assert (reply.request, reply.matched_by) == (kent, MatchedBy.TOKEN)
    assert reply.text == "We have received your request."


def test_a_mailgun_post_with_a_wrong_signature_is_refused_and_stores_nothing(
    emailed, client, settings
):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    raw = message(to=address(emailed["kent"])).as_bytes()
    response = mailgun_post(client, raw, key="key-of-an-impostor")
    assert response.status_code == 400
    assert not Reply.objects.exists()


def test_the_webhook_is_not_there_without_a_signing_key(client, settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    assert client.post("/mail/inbound/mailgun/", {}).status_code == 404


# The API and the admin.


def test_the_api_offers_the_event_and_records_it_on_request(emailed, researcher):
    kent = emailed["kent"]
    reply = receive(message(to=address(kent), text="We have received your request."))
    api = APIClient()
    api.force_authenticate(researcher)
    listed = api.get("/api/replies/", {"request": kent.pk}).json()["results"]
    assert listed[0]["suggested_event"] == {
        "kind": "acknowledged",
        "exemptions": [],
        "ncnd": False,
        "reference": "",
        "state": "open",
    }
    assert api.get("/api/requests/", {"status": "acknowledged"}).json()["count"] == 0
    filed = api.get("/api/events/", {"request": kent.pk, "kind": "note"}).json()["results"]
    assert filed[0]["recorded_by"] is None  # filed by the product, not by a person
    response = api.post(f"/api/replies/{reply.pk}/record-offer/")
    assert response.status_code == 201 and response.json()["kind"] == "acknowledged"
    again = api.post(f"/api/replies/{reply.pk}/record-offer/")
    assert again.status_code == 400 and "offer" in again.json()


def test_the_api_files_an_unmatched_reply(emailed, researcher):
    reply = receive(message(to="foi@localhost", sender="x@example.com"))
    api = APIClient()
    api.force_authenticate(researcher)
    assert api.get("/api/replies/", {"matched": "false"}).json()["count"] == 1
    response = api.post(f"/api/replies/{reply.pk}/file/", {"request": emailed["kent"].pk})
    assert response.status_code == 200 and response.json()["request"] == emailed["kent"].pk


@pytest.fixture
def staff(researcher):
    researcher.is_staff = True
    researcher.save()
    return researcher


def test_the_reply_page_records_the_offer_with_a_click(emailed, client, staff):
    kent = emailed["kent"]
    reply = receive(message(to=address(kent), text="Could you please clarify which years?"))
    client.force_login(staff)
    page = client.get(reverse("admin:requests_app_reply_change", args=[reply.pk]))
    assert "Record “Clarification asked” on the timeline" in page.content.decode()
    kent.refresh_from_db()
    assert kent.status == Status.SENT  # showing it recorded nothing
    client.post(reverse("admin:reply_action", args=[reply.pk, "record"]))
    kent.refresh_from_db()
    assert kent.status == Status.CLARIFICATION
    request_page = client.get(reverse("admin:requests_app_foirequest_change", args=[kent.pk]))
    assert "Clarification asked: recorded" in request_page.content.decode()


def test_an_unmatched_reply_is_listed_and_filed_from_its_page(emailed, client, staff):
    reply = receive(message(to="foi@localhost", sender="x@example.com", subject="Lost reply"))
    client.force_login(staff)
    listing = client.get(reverse("admin:requests_app_unmatchedreply_changelist"))
    assert "Lost reply" in listing.content.decode()
    client.post(
        reverse("admin:reply_action", args=[reply.pk, "file"]), {"request": emailed["kent"].pk}
    )
    reply.refresh_from_db()
    assert reply.request == emailed["kent"]
    listing = client.get(reverse("admin:requests_app_unmatchedreply_changelist"))
    assert "Lost reply" not in listing.content.decode()


def ods_cell(text: str, number: int | None = None) -> str:
    kind = (
        f'office:value-type="float" office:value="{number}"'
        if number is not None
        else ('office:value-type="string"')
    )
    return f"<table:table-cell {kind}><text:p>{text}</text:p></table:table-cell>"


ODS_TABLE = (
    '<table:table table:name="Response">'
    f"<table:table-row>{ods_cell('Financial year')}{ods_cell('Offences')}</table:table-row>"
    f"<table:table-row>{ods_cell('2018-19')}{ods_cell('12', 12)}</table:table-row>"
    "</table:table>"
)
XLS_CELLS = [
    hostile.xls_cell(0, 0, "Financial year"),
    hostile.xls_cell(0, 1, "Offences"),
    hostile.xls_cell(1, 0, "2018-19"),
    hostile.xls_cell(1, 1, 12),
]
