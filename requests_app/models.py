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

# What researchers type is bounded: generous for real text, and refused with the field named
# (forms, serializers and services alike) rather than failing in the database.
REQUEST_TEXT_MAX_LENGTH = 20_000
NOTE_MAX_LENGTH = 10_000
REFERENCE_MAX_LENGTH = 100
MAX_REFERENCES = 20


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
    request_text = models.TextField(max_length=REQUEST_TEXT_MAX_LENGTH)
    periods = models.JSONField(
        default=list,
        validators=[validate_periods],
        help_text="Financial years asked, e.g. 2015-16, 2016-17.",
    )
    target_forces = models.ManyToManyField(Force, related_name="campaigns", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_on = models.DateField(null=True, blank=True)

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
    REVIEW_ASKED = "internal_review_asked", "Internal review asked"
    REVIEW_ANSWERED = "internal_review_answered", "Internal review answered"
    ICO_COMPLAINT = "ico_complaint", "ICO complaint"
    ICO_DECISION = "ico_decision", "ICO decision"
    NOTE = "note", "Note"


class RequestEvent(models.Model):
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


RESPONSES_DIR = "responses"


def document_path(instance: Document, filename: str) -> str:
    # Random names: the original name is kept in a field, never trusted as a path.
    return f"{RESPONSES_DIR}/{secrets.token_hex(16)}"


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
