"""Replies: stored once, matched to their request, filed on its timeline with their attachments.

Mail arrives from the IMAP mailbox (``fetch_replies``, run by a periodic task and the
``fetch_replies`` command) or from Mailgun's signed inbound webhook (django-anymail's
``inbound`` signal); both hand the message's bytes to :func:`reply_receive`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import unquote, urlparse

from anymail.signals import inbound
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from requests_app import access, mail, mailparse, services
from requests_app.models import (
    OPEN,
    EmailStatus,
    EventKind,
    Exemption,
    FOIRequest,
    Force,
    MatchedBy,
    OfferState,
    OutgoingEmail,
    Reply,
    ReplyKind,
    RequestEvent,
    Status,
)

log = logging.getLogger(__name__)

# The IMAP keyword set on a message once it is stored, so the next fetch skips it.
FILED_KEYWORD = "FoitrackFiled"
# A reply's text on the timeline is cut here; the whole text stays on the reply's page.
NOTE_TEXT_LIMIT = 5000
SPREADSHEETS = {"xlsx", "xls", "ods", "csv"}


def token_pattern() -> re.Pattern:
    """Matches any request's reply address (settings.REPLY_ADDRESS); group 1 is the token."""
    before, _, after = settings.REPLY_ADDRESS.partition("{token}")
    return re.compile(re.escape(before) + r"([0-9a-f]{20})" + re.escape(after), re.IGNORECASE)


def _refuse(field_name: str, message: str) -> ValidationError:
    return ValidationError({field_name: message})


# Receiving.


def reply_receive(*, raw: bytes, source: str) -> tuple[Reply, bool]:
    """Store one received email once, then file it on its request when it can be matched.

    The same Message-ID, or the same bytes, is the same reply: the one stored is returned with
    ``False``. An unmatched reply waits for a researcher (``reply_file``).
    """
    digest = hashlib.sha256(raw).hexdigest()
    parsed = mailparse.parse(raw)
    with transaction.atomic():
        existing = _stored(digest, parsed.message_id)
        if existing:
            return existing, False
        reply = Reply(
            sha256=digest,
            size=len(raw),
            source=source[:20],
            message_id=parsed.message_id,
            sender=parsed.sender[:320],
            sender_name=parsed.sender_name,
            original_sender=parsed.original_sender[:320],
            recipients=", ".join(parsed.recipients)[:5000],
            subject=parsed.subject,
            sent_at=parsed.date,
            text=parsed.text,
            kind=ReplyKind.BOUNCE if parsed.bounce else ReplyKind.REPLY,
        )
        reply.raw.save("reply", ContentFile(raw), save=False)
        try:
            with transaction.atomic():
                reply.save()
        except IntegrityError:  # stored meanwhile by another fetch or the webhook
            return _stored(digest, parsed.message_id), False
        request, how = match(parsed)
        if request is not None:
            _file(reply, parsed, request, how, by=None)
    return reply, True


def _stored(digest: str, message_id: str) -> Reply | None:
    same = Q(sha256=digest) | Q(message_id=message_id) if message_id else Q(sha256=digest)
    return Reply.objects.filter(same).first()


def match(parsed: mailparse.ParsedMail) -> tuple[FOIRequest | None, str]:
    """The request a reply answers, and how it was told: (None, "") when it cannot be told.

    By its reply token (in the addresses it was delivered to, else anywhere in its text, as in
    a forwarded reply), else by answering one of our emails (In-Reply-To, References), else by a
    reference number the force gave that request, else by the sender's domain when the force
    has exactly one request awaiting an answer.
    """
    pattern = token_pattern()
    for haystack in (" ".join(parsed.recipients), parsed.text):
        for token in pattern.findall(haystack):
            request = FOIRequest.objects.filter(reply_token=token.lower()).first()
            if request:
                return request, MatchedBy.TOKEN
    if parsed.thread_ids:
        email = OutgoingEmail.objects.filter(message_id__in=parsed.thread_ids).first()
        if email:
            return email.request, MatchedBy.THREAD
    if found := _by_reference(parsed):
        return found, MatchedBy.REFERENCE
    if found := _by_domain(parsed):
        return found, MatchedBy.DOMAIN
    return None, ""


def _by_reference(parsed: mailparse.ParsedMail) -> FOIRequest | None:
    words = f"{parsed.subject}\n{parsed.text}".lower()
    candidates = {
        request
        for request in FOIRequest.objects.exclude(references=[]).only("references", "status")
        for ref in request.references
        if len(ref) >= 4 and re.search(rf"(?<![\w/-]){re.escape(ref.lower())}(?![\w/-])", words)
    }
    return _only_one(candidates)


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _by_domain(parsed: mailparse.ParsedMail) -> FOIRequest | None:
    domains = {_domain(a) for a in (parsed.sender, parsed.original_sender) if a}
    forces = [
        f
        for f in Force.objects.exclude(foi_email="")
        if any(d == _domain(f.foi_email) or d.endswith("." + _domain(f.foi_email)) for d in domains)
    ]
    awaiting = FOIRequest.objects.filter(force__in=forces, status__in=OPEN)
    return _only_one(set(awaiting))


def _only_one(candidates: set[FOIRequest]) -> FOIRequest | None:
    if len(candidates) > 1:  # prefer the one still awaiting an answer
        candidates = {r for r in candidates if r.status in OPEN}
    return candidates.pop() if len(candidates) == 1 else None


def _file(
    reply: Reply, parsed: mailparse.ParsedMail, request: FOIRequest, how: str, by: User | None
) -> None:
    """Put the reply on the request's timeline, its files among the request's documents, and
    what its words look like on offer."""
    request = FOIRequest.objects.select_related("force").get(pk=request.pk)
    reply.request, reply.matched_by, reply.filed_by = request, how, by
    if parsed.bounce:
        reply.event = _bounced(reply, parsed, request)
    else:
        reply.event = services.record_event(
            request=request,
            kind=EventKind.NOTE,
            by=by,
            on=_timeline_date(reply, request),
            note=_summary(reply),
        )
        reply.attachments = _keep_attachments(parsed, request, by)
        offer = mailparse.recognise(
            subject=reply.subject,
            text=mailparse.own_words(reply.text, token_pattern()),
            exemption_codes=set(Exemption.objects.values_list("code", flat=True)),
            has_response_files=any(a.get("format") in SPREADSHEETS for a in reply.attachments),
        )
        if offer:
            reply.offer_kind, reply.offer_exemptions = offer.kind, list(offer.exemptions)
            reply.offer_ncnd, reply.offer_reference = offer.ncnd, offer.reference
            reply.offer_state = OfferState.OPEN
    reply.save()


def _reply_date(reply: Reply) -> date:
    return timezone.localdate(reply.sent_at or reply.received_at)


def _timeline_date(reply: Reply, request: FOIRequest, *, after_last_event: bool = False) -> date:
    """The reply's date, within what the timeline allows: not in the future, not before the
    request was sent (nor, for a status change, before its last event)."""
    on = min(_reply_date(reply), timezone.localdate())
    floors = [request.sent_on] if request.sent_on else []
    if after_last_event:
        last = request.events.exclude(kind=EventKind.NOTE).order_by("-occurred_on").first()
        floors += [last.occurred_on] if last else []
    return max([on, *floors])


def _summary(reply: Reply) -> str:
    when = timezone.localtime(reply.sent_at).strftime("%d %b %Y %H:%M") if reply.sent_at else "?"
    text = reply.text
    if len(text) > NOTE_TEXT_LIMIT:
        text = text[:NOTE_TEXT_LIMIT] + "\n[… cut; the whole message is on the reply's page]"
    sender = f"{reply.sender_name} <{reply.sender}>" if reply.sender_name else reply.sender
    return f"Email received\nFrom: {sender}\nDate: {when}\nSubject: {reply.subject}\n\n{text}"


def _keep_attachments(parsed: mailparse.ParsedMail, request: FOIRequest, by: User | None):
    """Each spreadsheet, PDF or Word attachment becomes a document, read as if uploaded;
    anything else, or too large, is listed with the reason."""
    from aggregation import services as document_services

    kept = []
    for attachment in parsed.attachments:
        row = {"name": attachment.name, "size": len(attachment.content)}
        try:
            document, new = document_services.document_upload(
                request=request,
                name=attachment.name,
                content=attachment.content,
                by=by,
                letters=True,
            )
        except ValidationError as exc:
            row |= {"outcome": "refused", "reason": " ".join(exc.messages)}
        else:
            row |= {"outcome": "document", "document": document.pk, "format": document.format}
            if not new:
                row["reason"] = "Received before: the same file is already a document."
        kept.append(row)
    return kept


def _bounced(reply: Reply, parsed: mailparse.ParsedMail, request: FOIRequest) -> RequestEvent:
    """The force never got our email: its address is unconfirmed, the letter unsent again."""
    bounce = parsed.bounce
    force = request.force
    reason = bounce.diagnostic or reply.subject or "The email came back undelivered."
    mail.force_unconfirm_email(force=force, note=f"Bounced on {_reply_date(reply)}: {reason}")
    letters = request.emails.filter(status=EmailStatus.SENT)
    thread = letters.filter(message_id__in=parsed.thread_ids + _quoted_ids(reply.text))
    bounced = thread.first() or letters.order_by("-sent_at").first()
    if bounced:
        bounced.status, bounced.reason = EmailStatus.BOUNCED, reason[:2000]
        bounced.save(update_fields=["status", "reason"])
    note = (
        f"{_summary(reply)}\n\nNot delivered to {', '.join(bounce.recipients) or force.foi_email}"
    )
    if request.status == Status.SENT and (bounced is None or bounced.kind == "request"):
        return services.record_event(
            request=request,
            kind=EventKind.BOUNCED,
            by=None,
            on=_timeline_date(reply, request, after_last_event=True),
            note=note,
        )
    return services.record_event(
        request=request, kind=EventKind.NOTE, by=None, on=_timeline_date(reply, request), note=note
    )


def _quoted_ids(text: str) -> list[str]:
    return re.findall(r"<[^<>\s]+@[^<>\s]+>", text)


# A researcher's clicks.


@transaction.atomic
def reply_file(*, reply: Reply, request: FOIRequest, by: User | None) -> Reply:
    """File an unmatched reply on the request a researcher chose, as if it had matched.

    Raises ValidationError (request) when ``by`` may not change the request's campaign: a reply
    is filed only on one's own campaigns (``by=None``: a command, run by whoever runs it).
    """
    if by is not None and not access.can_edit(by, request):
        raise _refuse("request", "File it on a request of a campaign you research.")
    reply = Reply.objects.select_for_update().get(pk=reply.pk)
    if reply.request_id:
        raise _refuse("request", f"This reply is already filed on {reply.request}.")
    with reply.raw.open("rb") as f:
        parsed = mailparse.parse(f.read())
    _file(reply, parsed, request, MatchedBy.RESEARCHER, by)
    return reply


@transaction.atomic
def reply_record_offer(*, reply: Reply, by: User | None) -> RequestEvent:
    """Record what the reply was recognised as (an acknowledgement, a refusal under s12...)
    on its request's timeline, dated with the reply. Refused with the reason when the event
    cannot happen now, or when it was recorded or dismissed before."""
    reply = Reply.objects.select_for_update(of=("self",)).select_related("request").get(pk=reply.pk)
    if reply.offer_state != OfferState.OPEN or reply.request is None:
        raise _refuse("offer", "This reply has nothing on offer to record.")
    event = services.record_event(
        request=reply.request,
        kind=reply.offer_kind,
        by=by,
        on=_timeline_date(reply, reply.request, after_last_event=True),
        exemptions=reply.offer_exemptions,
        ncnd=reply.offer_ncnd,
        reference=reply.offer_reference,
        note=f"From the email of {_reply_date(reply)}: {reply.subject}"[:500],
    )
    reply.offer_state, reply.offer_event = OfferState.RECORDED, event
    reply.save(update_fields=["offer_state", "offer_event"])
    return event


@transaction.atomic
def reply_dismiss_offer(*, reply: Reply, by: User | None) -> None:
    reply = Reply.objects.select_for_update().get(pk=reply.pk)
    if reply.offer_state != OfferState.OPEN:
        raise _refuse("offer", "This reply has nothing on offer to dismiss.")
    reply.offer_state = OfferState.DISMISSED
    reply.save(update_fields=["offer_state"])
    log.info("offer on reply %s dismissed by %s", reply.pk, by)


def offer_problem(reply: Reply) -> str:
    """Why the offered event cannot be recorded now ("" when it can)."""
    if reply.offer_state != OfferState.OPEN or reply.request is None:
        return "Nothing on offer."
    try:
        services.check_event(
            request=reply.request,
            kind=reply.offer_kind,
            on=_timeline_date(reply, reply.request, after_last_event=True),
            exemptions=reply.offer_exemptions,
            ncnd=reply.offer_ncnd,
        )
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


# Fetching.


@dataclass
class FetchResult:
    new: list[Reply] = field(default_factory=list)
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)


def fetch_replies(*, url: str = "") -> FetchResult:
    """Store every message in the IMAP mailbox not fetched before, then mark it fetched.

    ``url`` (default settings.IMAP_URL): ``imaps://user:password@host[:993]/FOLDER``,
    ``imap+starttls://...`` (port 143, STARTTLS) or ``imap://...`` (unencrypted: local servers
    only). A message that cannot be stored is left unmarked, to be tried again next time.
    """
    result = FetchResult()
    with open_mailbox(url or settings.IMAP_URL) as box:
        criteria = f"NOT KEYWORD {FILED_KEYWORD}"
        for message in box.fetch(criteria, mark_seen=False, bulk=False):
            try:
                reply, new = reply_receive(raw=message.obj.as_bytes(), source="imap")
            except Exception as exc:  # one bad message must not stop the others
                log.exception("could not store IMAP message %s", message.uid)
                result.failed.append(f"{message.uid}: {exc.__class__.__name__}: {exc}")
                continue
            box.flag([message.uid], FILED_KEYWORD, True)
            if new:
                result.new.append(reply)
            else:
                result.duplicates += 1
    return result


def open_mailbox(url: str):
    """A logged-in imap-tools mailbox for an ``IMAP_URL``; raises ValueError for a bad URL."""
    from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

    parsed = urlparse(url)
    kinds = {
        "imaps": (MailBox, 993),
        "imap+starttls": (MailBoxStartTls, 143),
        "imap": (MailBoxUnencrypted, 143),
    }
    if parsed.scheme not in kinds or not parsed.hostname or not parsed.username:
        raise ValueError(
            "IMAP_URL must look like imaps://user:password@host/INBOX "
            "(or imap+starttls://, or imap:// for a local server)"
        )
    cls, port = kinds[parsed.scheme]
    box = cls(parsed.hostname, parsed.port or port, timeout=60)
    folder = unquote(parsed.path.lstrip("/")) or "INBOX"
    return box.login(unquote(parsed.username), unquote(parsed.password or ""), folder)


@receiver(inbound, dispatch_uid="foitrack-inbound-reply")
def _inbound_webhook(sender, event, esp_name: str, **kwargs) -> None:
    """django-anymail verified the provider's signature; store the message like any other."""
    reply_receive(raw=event.message.as_bytes(), source=esp_name.lower())
