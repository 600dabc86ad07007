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

from requests_app.access import CampaignScopedQuerySet, Role, in_researcher_group

# What researchers type is bounded: generous for real text, and refused with the field named
# (forms, serializers and services alike) rather than failing in the database.
REQUEST_TEXT_MAX_LENGTH = 20_000
NOTE_MAX_LENGTH = 10_000
REFERENCE_MAX_LENGTH = 100
MAX_REFERENCES = 20


class PeriodKind(models.TextChoices):
    """The kind of period a campaign counts by (SPEC 4); files in another kind are flagged."""

    FINANCIAL_YEAR = "financial_year", "Financial years (April to March), e.g. 2018-19"
    CALENDAR_YEAR = "calendar_year", "Calendar years, e.g. 2018"
    MONTH = "month", "Months, e.g. 2018-06"


# kind -> (pattern, how it is written, its name)
_PERIOD_FORMATS = {
    PeriodKind.FINANCIAL_YEAR: (
        re.compile(r"^(\d{4})-(\d{2})$"),
        "YYYY-YY, e.g. 2018-19",
        "financial year",
    ),
    PeriodKind.CALENDAR_YEAR: (re.compile(r"^(\d{4})$"), "YYYY, e.g. 2018", "calendar year"),
    PeriodKind.MONTH: (re.compile(r"^(\d{4})-(\d{2})$"), "YYYY-MM, e.g. 2018-06", "month"),
}
FIRST_YEAR, LAST_YEAR = 1980, 2100  # police recorded-crime data starts well after 1980
MAX_PERIODS = 240  # twenty years of months


def _period_ok(period: str, kind: PeriodKind) -> bool:
    match = _PERIOD_FORMATS[kind][0].match(period)
    if not match or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        return False
    if kind == PeriodKind.FINANCIAL_YEAR:
        return (int(match[1]) + 1) % 100 == int(match[2])
    if kind == PeriodKind.MONTH:
        return 1 <= int(match[2]) <= 12
    return True


def validate_periods(periods: object, kind: str = PeriodKind.FINANCIAL_YEAR) -> None:
    """Periods asked are canonical periods of the campaign's kind: ["2015-16", "2016-17"],
    ["2018"] or ["2018-06"], each once, years 1980 to 2100, at most 240 of them.

    Raises ``ValidationError`` naming the first period that is not.
    """
    kind = PeriodKind(kind)
    if not isinstance(periods, list) or not periods:
        raise ValidationError(f"List at least one period, written {_PERIOD_FORMATS[kind][1]}.")
    if len(periods) > MAX_PERIODS:
        raise ValidationError(f"At most {MAX_PERIODS} periods, not {len(periods)}.")
    for period in periods:
        if not isinstance(period, str) or not _period_ok(period, kind):
            _, written, name = _PERIOD_FORMATS[kind]
            raise ValidationError(
                f"{str(period)[:40]!r} is not a {name} written {written}, "
                f"between {FIRST_YEAR} and {LAST_YEAR}."
            )
    if len(set(periods)) != len(periods):
        raise ValidationError("Each period may be listed once.")


def validate_references(references: object) -> None:
    """A request's references: a list of at most MAX_REFERENCES short strings."""
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise ValidationError("References are a list of the force's reference numbers.")
    if len(references) > MAX_REFERENCES:
        raise ValidationError(
            f"{len(references)} references: a request keeps at most {MAX_REFERENCES}."
        )
    for reference in references:
        if len(reference) > REFERENCE_MAX_LENGTH:
            raise ValidationError(
                f"A reference of {len(reference):,} characters is too long: at most "
                f"{REFERENCE_MAX_LENGTH} are kept."
            )


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
    """One FOI request sent to many forces, seen only by its owner and members."""

    campaign_lookup = "pk"

    title = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="campaigns"
    )
    # What the campaign asks: its measure, periods and (in aggregation.Dimension) dimensions.
    template = models.ForeignKey(
        "aggregation.CampaignTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaigns",
        help_text="The template the campaign's question and vocabulary were copied from.",
    )
    measure = models.CharField(
        max_length=200,
        default="offences",
        help_text="What is counted, as the headline says it: 'strip searches of children'.",
    )
    measure_description = models.TextField(blank=True, help_text="What is counted, in full.")
    measure_words = models.CharField(
        max_length=300,
        blank=True,
        help_text="Heading words that name the measure in a file (e.g. searches, incidents), "
        "comma-separated: where a table counts two measures, these columns are read.",
    )
    measure_subjects = models.CharField(
        max_length=300,
        blank=True,
        help_text="Whose the figures are (e.g. victims), comma-separated: a table titled "
        "'Victims by age' is then read as the measure by victims' age, not as another measure.",
    )
    measure_unit = models.CharField(max_length=20, default="count")
    period_kind = models.CharField(
        max_length=20, choices=PeriodKind.choices, default=PeriodKind.FINANCIAL_YEAR
    )
    request_text = models.TextField(max_length=REQUEST_TEXT_MAX_LENGTH)
    periods = models.JSONField(
        default=list,
        help_text="Periods asked, of the campaign's kind: 2015-16, 2016-17 (financial years), "
        "2018 (calendar years) or 2018-06 (months).",
    )
    max_age = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=17,
        help_text="Record lists: people older than this are outside the request (empty: no limit).",
    )
    require_flag = models.BooleanField(
        default=False,
        help_text="Record lists: where a flag column (e.g. online) exists, only flagged rows "
        "count.",
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

    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        try:
            validate_periods(self.periods, self.period_kind)
        except ValidationError as exc:
            raise ValidationError({"periods": exc.messages}) from None


class CampaignMember(models.Model):
    """A collaborator on a campaign: a researcher reads and writes, a reader only reads.

    The owner is ``Campaign.owner`` and is never also a member. Only the owner (and superusers)
    manage members; see ``requests_app.access`` for what each role may do.
    """

    campaign_lookup = "campaign"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaign_memberships"
    )
    role = models.CharField(
        max_length=20,
        choices=[(r.value, r.label) for r in (Role.RESEARCHER, Role.READER)],
        default=Role.READER,
    )
    added_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def clean(self) -> None:
        # getattr: on the page adding a campaign, the campaign is not saved yet.
        campaign = getattr(self, "campaign", None)
        if campaign is not None and self.user_id and campaign.owner_id == self.user_id:
            raise ValidationError({"user": "The owner already reads and writes this campaign."})
        if self.role == Role.RESEARCHER and self.user_id and not in_researcher_group(self.user):
            raise ValidationError(
                {"role": f"{self.user} is not in the researcher group; add them as a reader."}
            )


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


class FOIRequestQuerySet(CampaignScopedQuerySet):
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

    campaign_lookup = "campaign"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="requests")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="requests")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    references = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_references],
        help_text="The force's own reference numbers.",
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
    campaign_lookup = "request__campaign"

    request = models.ForeignKey(FOIRequest, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    occurred_on = models.DateField("date")
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
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
    objects = CampaignScopedQuerySet.as_manager()

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


class DocumentQuerySet(CampaignScopedQuerySet):
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


RESPONSES_DIR = "responses"


def document_path(instance: Document, filename: str) -> str:
    # Random names: the original name is kept in a field, never trusted as a path.
    return f"{RESPONSES_DIR}/{secrets.token_hex(16)}"


class Document(models.Model):
    """A file a force sent back in answer to a request."""

    campaign_lookup = "request__campaign"

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
    # Set when the original file was deleted under RECORD_LIST_RETENTION_DAYS; the figures, their
    # cells and this row stay.
    original_deleted_at = models.DateTimeField(
        "original deleted",
        null=True,
        blank=True,
        help_text="When the original file was deleted under the record-list retention policy.",
    )
    # Counts the researcher's decisions that settle the document or ask for a new reading: a
    # parse stores its result only if none came since it started (aggregation.services).
    revision = models.PositiveIntegerField(default=0, editable=False)

    history = HistoricalRecords()
    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["request", "sha256"], name="one_document_per_content")
        ]

    def __str__(self) -> str:
        return self.original_name


class DocumentDownload(models.Model):
    """Someone took a copy of a document's original file: who, and when."""

    campaign_lookup = "document__request__campaign"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="downloads")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Downloaded by {self.by} on {self.at:%Y-%m-%d %H:%M}"


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

    campaign_lookup = "request__campaign"

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

    objects = CampaignScopedQuerySet.as_manager()

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

    # An unmatched reply reaches no campaign: the shared intake (see requests_app.access).
    campaign_lookup = "request__campaign"

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

    objects = CampaignScopedQuerySet.as_manager()

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


class UnmatchedReplyManager(models.Manager.from_queryset(CampaignScopedQuerySet)):
    def get_queryset(self) -> CampaignScopedQuerySet:
        return super().get_queryset().filter(request__isnull=True)


class UnmatchedReply(Reply):
    """Replies no rule could match to a request, waiting for a researcher to file them: only
    those, so that a reply filed since is no longer one (its page is the reply's own)."""

    objects = UnmatchedReplyManager()

    class Meta:
        proxy = True
        verbose_name = "unmatched reply"
        verbose_name_plural = "unmatched replies"
