"""Emailing forces: the request letter, sending it once, retrying failures, chasing late forces.

The admin action, the preview page, the API and ``send_requests`` all call :func:`campaign_send`;
``services.campaign_record_sent`` records a campaign sent outside the product and emails nobody.
Each email is an ``OutgoingEmail`` row, sent by a Celery task that takes its id: a row is sent at
most once, and a failed one is retried with backoff by the periodic ``retry_emails`` task.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser as User
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from requests_app import services
from requests_app.models import (
    AWAITING_FORCE,
    Campaign,
    EmailKind,
    EmailStatus,
    EventKind,
    FOIRequest,
    Force,
    Lateness,
    OutgoingEmail,
    Regime,
    Status,
)

log = logging.getLogger(__name__)

# A queued email that no worker has sent by then is queued again by the retry task.
QUEUED_GRACE = timedelta(minutes=10)

STATUTE = {
    Regime.FOIA: "section 1 of the Freedom of Information Act 2000",
    Regime.FOISA: "section 1 of the Freedom of Information (Scotland) Act 2002",
}


def periods_text(periods: list) -> str:
    """The periods asked, written as given and joined for a sentence: "2017-18 and 2018-19".

    The one place a letter turns ``Campaign.periods`` into words.
    """
    items = [str(p) for p in periods]
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


def researcher_name(campaign: Campaign) -> str:
    owner = campaign.owner
    return owner.get_full_name() or owner.get_username()


def reply_address(token: str) -> str:
    """The address replies to one request come back to: ``REPLY_ADDRESS`` with its token."""
    return settings.REPLY_ADDRESS.format(token=token)


def _reply_domain() -> str:
    return settings.REPLY_ADDRESS.rpartition("@")[2] or "localhost"


def render_letter(*, campaign: Campaign, force: Force, token: str | None) -> tuple[str, str]:
    """The request letter to one force: (subject, plain-text body).

    Built from the campaign's request text, the force's name, the statute the force answers
    under (FOI Act 2000, or FOISA 2002 for Police Scotland), the periods asked and the campaign
    owner's name. Without a token (a preview) the reply address shows a placeholder.
    """
    body = render_to_string(
        "requests_app/email/request_letter.txt",
        {
            "force": force,
            "statute": STATUTE[Regime(force.foi_regime)],
            "request_text": campaign.request_text.strip(),
            "periods": periods_text(campaign.periods),
            "reply_address": reply_address(token or "…"),
            "researcher": researcher_name(campaign),
        },
    )
    return f"Freedom of Information request: {campaign.title}", body.strip() + "\n"


def render_chase(*, request: FOIRequest) -> tuple[str, str]:
    """The polite chase to a late force: its reference, the date of receipt, the due date."""
    campaign, force = request.campaign, request.force
    body = render_to_string(
        "requests_app/email/chase.txt",
        {
            "force": force,
            "statute": STATUTE[Regime(force.foi_regime)],
            "references": ", ".join(request.references),
            "received": request.sent_on,
            "due": request.due_on,
            "very_overdue": request.lateness == Lateness.VERY_OVERDUE,
            "quoted": "\n".join(f"> {line}" for line in campaign.request_text.strip().splitlines()),
            "reply_address": reply_address(request.reply_token or "…"),
            "researcher": researcher_name(campaign),
        },
    )
    reference = f" (your reference {request.references[0]})" if request.references else ""
    subject = f"Overdue: Freedom of Information request: {campaign.title}{reference}"
    return subject, body.strip() + "\n"


# Force addresses: guesses until a researcher confirms them.


def address_problem(force: Force) -> str:
    """Why the force cannot be emailed now, or "" when its address is confirmed."""
    if not force.foi_email:
        return f"{force.name} has no FOI email address."
    if not force.foi_email_confirmed:
        note = f" ({force.foi_email_note})" if force.foi_email_note else ""
        return f"{force.name}'s FOI address {force.foi_email} is not confirmed{note}."
    return ""


def force_confirm_email(*, force: Force, by: User | None) -> None:
    """A researcher checked the address: requests may be emailed to it."""
    Force.objects.filter(pk=force.pk).update(foi_email_confirmed=True, foi_email_note="")
    log.info("FOI address of %s confirmed by %s", force.slug, by)


def force_unconfirm_email(*, force: Force, note: str) -> None:
    """The address failed (a bounce, a refusal by the mail server): no more email until checked."""
    Force.objects.filter(pk=force.pk).update(foi_email_confirmed=False, foi_email_note=note[:300])


# Sending a campaign.


@dataclass
class SendPlan:
    """What sending a campaign would do now: whom it emails, whom it skips and why."""

    to_email: list[Force] = field(default_factory=list)
    skipped: list[tuple[Force, str]] = field(default_factory=list)
    already_sent: list[Force] = field(default_factory=list)


def campaign_send_plan(campaign: Campaign) -> SendPlan:
    """Read only: the target forces split into to-email, skipped (with the reason), already sent."""
    sent = set(campaign.requests.exclude(status=Status.DRAFT).values_list("force_id", flat=True))
    plan = SendPlan()
    for force in campaign.target_forces.order_by("name"):
        if force.pk in sent:
            plan.already_sent.append(force)
        elif problem := address_problem(force):
            plan.skipped.append((force, problem))
        else:
            plan.to_email.append(force)
    return plan


@dataclass
class SendResult:
    queued: list[OutgoingEmail]
    skipped: list[tuple[Force, str]]
    requests: int


def campaign_send(*, campaign: Campaign, by: User | None) -> SendResult:
    """Email the campaign's request to every force not yet sent it, once.

    Creates the request for every target force that has none, then queues the letter for every
    request not yet sent whose force's address is confirmed; the others are skipped, with the
    reason. Sending again queues nothing new. The ``sent`` event is recorded when the mail
    server accepts the letter (``email_send``). Raises ValidationError (target_forces) for a
    campaign without target forces.
    """
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("owner")
            .get(pk=campaign.pk)
        )
        services.campaign_create_requests(campaign=campaign)
        queued, skipped = [], []
        drafts = campaign.requests.filter(status=Status.DRAFT).select_related("force")
        for request in drafts.order_by("force__name"):
            if problem := address_problem(request.force):
                skipped.append((request.force, problem))
                continue
            email = _letter(request, campaign, by)
            if email is not None:
                queued.append(email)
        ids = [e.pk for e in queued]
        transaction.on_commit(lambda: [enqueue_email(i) for i in ids])
        total = campaign.requests.count()
    return SendResult(queued=queued, skipped=skipped, requests=total)


def _ensure_token(request: FOIRequest) -> str:
    if not request.reply_token:
        request.reply_token = secrets.token_hex(10)
        FOIRequest.objects.filter(pk=request.pk).update(reply_token=request.reply_token)
    return request.reply_token


def _new_message_id(token: str) -> str:
    # Short, so no mail system folds the header; the token in it threads replies to the request.
    return f"<foitrack.{token}.{secrets.token_hex(4)}@{_reply_domain()}>"


def _letter(request: FOIRequest, campaign: Campaign, by: User | None) -> OutgoingEmail | None:
    """The request's live letter, made or queued again; None when it went already."""
    email = request.emails.filter(kind=EmailKind.REQUEST).exclude(status=EmailStatus.BOUNCED)
    email = email.select_for_update().first()
    token = _ensure_token(request)
    subject, body = render_letter(campaign=campaign, force=request.force, token=token)
    if email is None:
        email = OutgoingEmail(request=request, kind=EmailKind.REQUEST, created_by=by)
        email.message_id = _new_message_id(token)
    elif email.status == EmailStatus.SENT:
        return None
    # Queued or failed: sent as it reads now, to the address as it is now.
    email.to_address, email.subject, email.body = request.force.foi_email, subject, body
    email.status, email.reason = EmailStatus.QUEUED, ""
    email.next_attempt_at = timezone.now() + QUEUED_GRACE
    email.save()
    return email


def enqueue_email(email_id: int) -> bool:
    """Queue the send; with the broker down the retry task queues it later."""
    from requests_app.tasks import send_email

    try:
        send_email.delay(email_id)
    except Exception:  # the broker is down: retry_emails finds the row when it is due
        log.warning("could not queue email %s; the retry task will", email_id)
        return False
    return True


# Sending one email.

TRANSIENT = (smtplib.SMTPException, OSError)


def email_send(*, email_id: int) -> str | None:
    """Send one queued or failed email, at most once; record what happened.

    A request letter accepted by the mail server records the ``sent`` event (with the
    Message-ID) and the date the campaign went out; a chase records a note. A missing or
    unconfirmed address, or a mail server refusing the recipient outright, fails for good (the
    address is marked unconfirmed for the latter); other failures are retried with backoff.
    Returns the new status, or None when there was nothing to send.
    """
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(of=("self",))
            .select_related("request__force", "request__campaign")
            .filter(pk=email_id, status__in=(EmailStatus.QUEUED, EmailStatus.FAILED))
            .first()
        )
        if email is None:
            return None
        request, force = email.request, email.request.force
        email.attempts += 1
        if email.kind == EmailKind.REQUEST and request.status != Status.DRAFT:
            return _fail(email, "The request was recorded as sent without this email.")
        if email.kind == EmailKind.CHASE and request.status not in AWAITING_FORCE:
            return _fail(email, "The force answered before the chase went out.")
        if problem := address_problem(force):
            return _fail(email, problem)
        email.to_address = force.foi_email
        try:
            _deliver(email)
        except smtplib.SMTPRecipientsRefused as exc:
            reason = _refusal(exc)
            if reason.permanent:
                force_unconfirm_email(force=force, note=f"Refused by the mail server: {reason}")
                return _fail(email, f"The mail server refused {email.to_address}: {reason}")
            return _fail(
                email, f"The mail server deferred {email.to_address}: {reason}", retry=True
            )
        except TRANSIENT as exc:
            return _fail(email, f"Could not send: {exc.__class__.__name__}: {exc}", retry=True)
        email.status, email.reason = EmailStatus.SENT, ""
        email.sent_at, email.next_attempt_at = timezone.now(), None
        email.event = _record_sent(email)
        email.save()
    return EmailStatus.SENT


@dataclass(frozen=True)
class _Refusal:
    code: int
    message: str

    @property
    def permanent(self) -> bool:
        return self.code >= 500

    def __str__(self) -> str:
        return f"{self.code} {self.message}"


def _refusal(exc: smtplib.SMTPRecipientsRefused) -> _Refusal:
    code, message = next(iter(exc.recipients.values()))
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return _Refusal(code, message)


def _deliver(email: OutgoingEmail) -> None:
    request = email.request
    address = reply_address(request.reply_token)
    display = f"{researcher_name(request.campaign)} <{address}>"
    headers = {"Message-ID": email.message_id, "From": display}
    if email.kind == EmailKind.CHASE:
        letter = request.emails.filter(kind=EmailKind.REQUEST, status=EmailStatus.SENT).first()
        if letter:
            headers |= {"In-Reply-To": letter.message_id, "References": letter.message_id}
    message = EmailMessage(
        subject=email.subject,
        body=email.body,
        # The envelope sender is the request's own address too, so bounces come back to it.
        from_email=address,
        to=[email.to_address],
        reply_to=[address],
        headers=headers,
        connection=get_connection(fail_silently=False),
    )
    message.send()


def _record_sent(email: OutgoingEmail):
    request = email.request
    today = timezone.localdate()
    if email.kind == EmailKind.REQUEST:
        event = services.record_event(
            request=request,
            kind=EventKind.SENT,
            by=email.created_by,
            on=today,
            note=f"Emailed to {email.to_address} (Message-ID {email.message_id}).",
        )
        Campaign.objects.filter(pk=request.campaign_id, sent_on__isnull=True).update(sent_on=today)
        return event
    return services.record_event(
        request=request,
        kind=EventKind.NOTE,
        by=None,
        on=today,
        note=f"Chase ({email.get_level_display().lower()}) emailed to {email.to_address} "
        f"(Message-ID {email.message_id}).",
    )


def _fail(email: OutgoingEmail, reason: str, *, retry: bool = False) -> str:
    email.status, email.reason = EmailStatus.FAILED, reason[:2000]
    email.next_attempt_at = None
    if retry and email.attempts < settings.MAIL_MAX_ATTEMPTS:
        email.next_attempt_at = timezone.now() + backoff(email.attempts)
    elif retry:
        email.reason = f"{email.reason} Gave up after {email.attempts} attempts."
    email.save()
    log.warning("email %s to %s not sent: %s", email.pk, email.to_address, email.reason)
    return EmailStatus.FAILED


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: doubling from MAIL_RETRY_SECONDS, at most six hours."""
    return min(timedelta(seconds=settings.MAIL_RETRY_SECONDS * 2 ** (attempts - 1)),
               timedelta(hours=6))  # fmt: skip


def emails_retry_due(*, now: datetime | None = None) -> list[int]:
    """Queue again every email whose retry time has come (failed, or queued and never sent)."""
    now = now or timezone.now()
    due = OutgoingEmail.objects.filter(
        status__in=(EmailStatus.QUEUED, EmailStatus.FAILED), next_attempt_at__lte=now
    )
    ids = list(due.values_list("pk", flat=True))
    # Pushed back first, so a slow worker is not handed the same email twice by the next run.
    OutgoingEmail.objects.filter(pk__in=ids).update(next_attempt_at=now + QUEUED_GRACE)
    for email_id in ids:
        enqueue_email(email_id)
    return ids


# Chasing late forces.


def chase_overdue(*, today: date | None = None) -> list[OutgoingEmail]:
    """Queue a chase to every late force whose campaign owner switched chasing on.

    Once per request and lateness level (overdue, then very overdue); only to confirmed
    addresses; from the stored lateness that ``services.mark_overdue`` keeps.
    """
    late = FOIRequest.objects.filter(
        campaign__chase_overdue=True,
        status__in=AWAITING_FORCE,
        lateness__in=(Lateness.OVERDUE, Lateness.VERY_OVERDUE),
    ).select_related("force", "campaign__owner")
    queued = []
    with transaction.atomic():
        for request in late.order_by("campaign_id", "force__name"):
            already = request.emails.filter(kind=EmailKind.CHASE, level=request.lateness).exists()
            if already or address_problem(request.force):
                continue
            token = _ensure_token(request)
            subject, body = render_chase(request=request)
            queued.append(
                OutgoingEmail.objects.create(
                    request=request,
                    kind=EmailKind.CHASE,
                    level=request.lateness,
                    to_address=request.force.foi_email,
                    subject=subject,
                    body=body,
                    message_id=_new_message_id(token),
                    next_attempt_at=timezone.now() + QUEUED_GRACE,
                )
            )
        ids = [e.pk for e in queued]
        transaction.on_commit(lambda: [enqueue_email(i) for i in ids])
    return queued
