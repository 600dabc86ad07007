"""Forces, campaigns and the FOI requests sent to each force, with their timelines.

A request's status changes only through ``requests_app.services``: every change is an event.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def validate_periods(periods: object) -> None:
    """Periods asked are canonical financial years, e.g. ["2015-16", "2016-17"]."""
    if not isinstance(periods, list) or not periods:
        raise ValidationError("List at least one financial year, e.g. 2018-19.")
    for period in periods:
        match = FINANCIAL_YEAR.match(str(period))
        if not match or (int(match[1]) + 1) % 100 != int(match[2]):
            raise ValidationError(
                f"{period!r} is not a financial year written YYYY-YY (e.g. 2018-19)."
            )
    if len(set(periods)) != len(periods):
        raise ValidationError("Each financial year may be listed once.")


class Nation(models.TextChoices):
    ENGLAND = "England"
    WALES = "Wales"
    NORTHERN_IRELAND = "Northern Ireland"
    SCOTLAND = "Scotland"
    GREAT_BRITAIN = "Great Britain"


class ForceKind(models.TextChoices):
    TERRITORIAL = "territorial"
    SPECIAL = "special"


class Regime(models.TextChoices):
    FOIA = "FOIA", "FOI Act 2000"
    FOISA = "FOISA", "FOI (Scotland) Act 2002"


class ForceQuerySet(models.QuerySet["Force"]):
    def default_targets(self) -> ForceQuerySet:
        """The 44 territorial forces of England, Wales and Northern Ireland."""
        return self.filter(kind=ForceKind.TERRITORIAL, foi_regime=Regime.FOIA)


class Force(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120, unique=True)
    short_name = models.CharField(max_length=80)
    nation = models.CharField(max_length=20, choices=Nation.choices)
    kind = models.CharField(max_length=20, choices=ForceKind.choices)
    foi_regime = models.CharField(max_length=5, choices=Regime.choices)
    foi_email = models.EmailField("FOI contact email", blank=True)
    # The seeded addresses are plausible guesses: nothing is emailed until a researcher confirms.
    foi_email_confirmed = models.BooleanField(
        "FOI email confirmed",
        default=False,
        help_text="Ticked by a researcher who checked the address; requests are emailed only "
        "to confirmed addresses. A bounce clears it.",
    )
    foi_email_note = models.CharField(
        "FOI email note", max_length=300, blank=True, help_text="Why the address is unconfirmed."
    )

    objects = ForceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ForceAlias(models.Model):
    """Another way a force writes its name ("MPS", "Hampshire Constabulary")."""

    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=120)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "force aliases"
        ordering = ["alias"]
        constraints = [
            models.UniqueConstraint(models.functions.Lower("alias"), name="force_alias_unique_ci")
        ]

    def __str__(self) -> str:
        return self.alias


class Campaign(models.Model):
    """One FOI request sent to many forces."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns"
    )
    request_text = models.TextField()
    periods = models.JSONField(
        default=list,
        validators=[validate_periods],
        help_text="Financial years asked, e.g. 2015-16, 2016-17.",
    )
    target_forces = models.ManyToManyField(Force, related_name="campaigns", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_on = models.DateField(null=True, blank=True)
    chase_overdue = models.BooleanField(
        "email chases to late forces",
        default=False,
        help_text="The daily overdue check emails each late force a polite chase, once when it "
        "is overdue and once when it is very overdue.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Status(models.TextChoices):
    DRAFT = "draft", "Not sent"
    SENT = "sent", "Sent, awaiting reply"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLARIFICATION = "clarification", "Clarification asked"
    FEES = "fees", "Fees notice"
    EXTENDED = "extended", "Public-interest extension"
    ANSWERED = "answered", "Answered"
    PARTIAL = "partial", "Partly answered"
    REFUSED = "refused", "Refused"
    NOT_HELD = "not_held", "Not held"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REVIEW = "review", "Internal review asked"
    REVIEWED = "reviewed", "Internal review answered"
    ICO = "ico", "Complaint to the ICO"
    CLOSED = "closed", "ICO decision"


# Statuses in which the force owes an answer and the statutory clock matters.
AWAITING_FORCE = (Status.SENT, Status.ACKNOWLEDGED, Status.EXTENDED)
OPEN = (*AWAITING_FORCE, Status.CLARIFICATION, Status.FEES)
ANSWERED = (Status.ANSWERED, Status.PARTIAL, Status.REFUSED, Status.NOT_HELD)


class Lateness(models.TextChoices):
    ON_TIME = "on_time", "On time"
    OVERDUE = "overdue", "Overdue (past 20 working days)"
    VERY_OVERDUE = "very_overdue", "Very overdue (past 40 working days)"


class Exemption(models.Model):
    code = models.CharField(max_length=10, unique=True)
    label = models.CharField(max_length=120)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code


class FOIRequestQuerySet(models.QuerySet["FOIRequest"]):
    def open(self) -> FOIRequestQuerySet:
        return self.filter(status__in=OPEN)

    def overdue(self) -> FOIRequestQuerySet:
        return self.exclude(lateness=Lateness.ON_TIME)

    def due_before(self, today: date) -> FOIRequestQuerySet:
        return self.filter(status__in=AWAITING_FORCE, due_on__lt=today)

    def review_overdue_before(self, today: date) -> FOIRequestQuerySet:
        return self.filter(status=Status.REVIEW, review_due_on__lt=today)


class FOIRequest(models.Model):
    """A campaign's request to one force, followed to its end through its events."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="requests")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="requests")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    references = models.JSONField(
        default=list, blank=True, help_text="The force's own reference numbers."
    )
    exemptions = models.ManyToManyField(Exemption, blank=True, related_name="requests")
    ncnd = models.BooleanField("neither confirm nor deny", default=False)

    # Derived from the timeline by the services, stored so lists filter and sort in the database.
    sent_on = models.DateField(null=True, blank=True)
    acknowledged_on = models.DateField(null=True, blank=True)
    answered_on = models.DateField(null=True, blank=True)
    due_on = models.DateField("due", null=True, blank=True)
    very_overdue_on = models.DateField(null=True, blank=True)
    review_asked_on = models.DateField(null=True, blank=True)
    review_due_on = models.DateField("review due", null=True, blank=True)
    working_days_to_answer = models.PositiveIntegerField(null=True, blank=True)
    lateness = models.CharField(max_length=20, choices=Lateness.choices, default=Lateness.ON_TIME)
    review_overdue = models.BooleanField(default=False)
    # The unguessable part of the address replies come back to (settings.REPLY_ADDRESS); set when
    # the product first emails the force.
    reply_token = models.CharField(
        max_length=40, unique=True, null=True, blank=True, editable=False
    )

    history = HistoricalRecords()
    objects = FOIRequestQuerySet.as_manager()

    class Meta:
        verbose_name = "FOI request"
        ordering = ["campaign", "force__name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "force"], name="one_request_per_force")
        ]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.campaign} → {self.force.short_name}"


class EventKind(models.TextChoices):
    SENT = "sent", "Sent"
    RESENT = "resent", "Re-sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLARIFICATION_ASKED = "clarification_asked", "Clarification asked"
    CLARIFICATION_GIVEN = "clarification_given", "Clarification given"
    FEES_NOTICE = "fees_notice", "Fees notice"
    FEE_PAID = "fee_paid", "Fee paid"
    PIT_EXTENSION = "pit_extension", "Public-interest extension"
    RESPONSE_RECEIVED = "response_received", "Response received"
    PARTIAL_RESPONSE = "partial_response", "Partial response"
    REFUSED = "refused", "Refused"
    NOT_HELD = "not_held", "Not held"
    WITHDRAWN = "withdrawn", "Withdrawn"
    BOUNCED = "bounced", "Bounced (never delivered)"
    REVIEW_ASKED = "internal_review_asked", "Internal review asked"
    REVIEW_ANSWERED = "internal_review_answered", "Internal review answered"
    ICO_COMPLAINT = "ico_complaint", "ICO complaint"
    ICO_DECISION = "ico_decision", "ICO decision"
    NOTE = "note", "Note"


class RequestEvent(models.Model):
    request = models.ForeignKey(FOIRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    occurred_on = models.DateField("date")
    note = models.TextField(blank=True)
    target_on = models.DateField(
        "new target date", null=True, blank=True, help_text="Public-interest extensions only."
    )
    status_before = models.CharField(max_length=20, choices=Status.choices)
    status_after = models.CharField(max_length=20, choices=Status.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["occurred_on", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_on__isnull=True) | Q(kind="pit_extension"),
                name="target_only_on_pit_extension",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_on}"


class DocumentQuerySet(models.QuerySet["Document"]):
    def counted(self) -> DocumentQuerySet:
        """Only parsed and approved documents count in rollups."""
        return self.filter(status__in=(DocumentStatus.PARSED, DocumentStatus.APPROVED))


class DocumentStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PARSING = "parsing", "Parsing"
    PARSED = "parsed", "Parsed"
    NEEDS_REVIEW = "needs_review", "Needs review"
    NO_DATA = "no_data", "No data"
    FAILED = "failed", "Failed"
    APPROVED = "approved", "Approved"


def document_path(instance: Document, filename: str) -> str:
    # Random names: the original name is kept in a field, never trusted as a path.
    return f"responses/{secrets.token_hex(16)}"


class Document(models.Model):
    """A file a force sent back in answer to a request."""

    request = models.ForeignKey(FOIRequest, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=document_path, max_length=200)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=10, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.QUEUED
    )
    status_reason = models.TextField(blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # What the extraction engine found: reasons (with sheet and cells), tables, sheets.
    result = models.JSONField(default=dict, blank=True)
    excluded_tables = models.JSONField(
        default=list, blank=True, help_text="Indexes of tables a researcher excluded."
    )
    # Where a stated total and its breakdown disagree, a researcher chooses which to count.
    count_breakdown = models.BooleanField(
        "count the breakdown, not the stated totals",
        default=False,
        help_text="Set when the file's totals are wrong and its parts are right.",
    )
    # Among a force's documents the newest counts for a period, unless a researcher pins one.
    pinned = models.BooleanField(
        default=False, help_text="Count this document's figures over newer ones for its force."
    )

    history = HistoricalRecords()
    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["request", "sha256"], name="one_document_per_content")
        ]

    def __str__(self) -> str:
        return self.original_name


# Email: the letters and chases the product sends, and the replies that come back.


class EmailKind(models.TextChoices):
    REQUEST = "request", "Request letter"
    CHASE = "chase", "Chase"


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Not sent"
    BOUNCED = "bounced", "Bounced"


class OutgoingEmail(models.Model):
    """One email to a force: the request letter, or a chase at one lateness level.

    At most one live (not bounced) email per request, kind and level, so sending twice sends
    nothing new; a failed one is retried on the same row.
    """

    request = models.ForeignKey(FOIRequest, on_delete=models.CASCADE, related_name="emails")
    kind = models.CharField(max_length=10, choices=EmailKind.choices)
    level = models.CharField(
        max_length=20, choices=Lateness.choices, blank=True, help_text="Chases only."
    )
    to_address = models.EmailField(blank=True)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=255, unique=True)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    reason = models.TextField(blank=True, help_text="Why it was not sent or bounced.")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    event = models.OneToOneField(
        RequestEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="email"
    )

    class Meta:
        verbose_name = "email to a force"
        verbose_name_plural = "emails to forces"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "kind", "level"],
                condition=~Q(status="bounced"),
                name="one_live_email_per_request_kind_level",
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.request.force.short_name}"


class ReplyKind(models.TextChoices):
    REPLY = "reply", "Reply"
    BOUNCE = "bounce", "Bounce (not delivered)"


class MatchedBy(models.TextChoices):
    TOKEN = "token", "Reply address"
    THREAD = "thread", "Answers our email"
    REFERENCE = "reference", "Force's reference"
    DOMAIN = "domain", "Sender's domain"
    RESEARCHER = "researcher", "Filed by a researcher"


class OfferState(models.TextChoices):
    NONE = "", "Nothing recognised"
    OPEN = "open", "Offered"
    RECORDED = "recorded", "Recorded"
    DISMISSED = "dismissed", "Dismissed"


def reply_path(instance: Reply, filename: str) -> str:
    return f"replies/{secrets.token_hex(16)}.eml"


class Reply(models.Model):
    """An email that came back, kept as received; its text is plain text, never HTML.

    Stored once however often it is fetched: by Message-ID, else by the hash of its bytes.
    """

    request = models.ForeignKey(
        FOIRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    kind = models.CharField(max_length=10, choices=ReplyKind.choices, default=ReplyKind.REPLY)
    message_id = models.CharField(max_length=500, blank=True)
    sha256 = models.CharField(max_length=64, unique=True)
    raw = models.FileField(upload_to=reply_path, max_length=200)
    size = models.PositiveBigIntegerField()
    source = models.CharField(max_length=20, help_text="imap, mailgun or a command.")
    sender = models.CharField(max_length=320, blank=True)
    sender_name = models.CharField(max_length=200, blank=True)
    original_sender = models.CharField(
        max_length=320, blank=True, help_text="Forwarded mail: who sent it first."
    )
    recipients = models.TextField(blank=True)
    subject = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField("date", null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    text = models.TextField(blank=True, help_text="The message as plain text.")
    attachments = models.JSONField(
        default=list, blank=True, help_text="Each attachment and what became of it."
    )
    matched_by = models.CharField(max_length=20, choices=MatchedBy.choices, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    event = models.OneToOneField(
        RequestEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="reply"
    )
    # What the text looks like (an acknowledgement, a refusal under s12...): offered to a
    # researcher, recorded on the timeline only when one clicks.
    offer_kind = models.CharField(max_length=30, choices=EventKind.choices, blank=True)
    offer_exemptions = models.JSONField(default=list, blank=True)
    offer_ncnd = models.BooleanField(default=False)
    offer_reference = models.CharField(max_length=100, blank=True)
    offer_state = models.CharField(
        max_length=10, choices=OfferState.choices, blank=True, default=OfferState.NONE
    )
    offer_event = models.OneToOneField(
        RequestEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="offer_of"
    )

    class Meta:
        verbose_name_plural = "replies"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="one_reply_per_message_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject or '(no subject)'} from {self.sender or 'unknown sender'}"

    def offer_summary(self) -> str:
        """What the reply was recognised as, e.g. "Refused (s12, s40): offered"."""
        if not self.offer_kind:
            return "Nothing recognised."
        text = self.get_offer_kind_display()
        if self.offer_exemptions:
            ncnd = ", NCND" if self.offer_ncnd else ""
            text += f" ({', '.join(self.offer_exemptions)}{ncnd})"
        if self.offer_reference:
            text += f", reference {self.offer_reference}"
        return f"{text}: {self.get_offer_state_display().lower()}"


class UnmatchedReply(Reply):
    """Replies no rule could match to a request, waiting for a researcher to file them."""

    class Meta:
        proxy = True
        verbose_name = "unmatched reply"
        verbose_name_plural = "unmatched replies"
