"""The campaign vocabulary researchers edit, and the observations read from each response."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from requests_app.models import NOTE_MAX_LENGTH, Campaign, Document, Force

# A label as a force wrote it (an offence name, say), kept as an alias of a term.
LABEL_MAX_LENGTH = 300


class Dimension(models.TextChoices):
    OFFENCE = "offence", "Offence category"


class Term(models.Model):
    """A category of a dimension, e.g. the offence category "Sexual grooming".

    Terms without a campaign form the default template every campaign starts from; a campaign may
    add its own.
    """

    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    name = models.CharField(max_length=120)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="terms"
    )
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["dimension", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                "dimension", Lower("name"), "campaign", name="term_unique_per_campaign"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Alias(models.Model):
    """A spelling that maps to a term without review, for every force or for one force only."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=LABEL_MAX_LENGTH)
    force = models.ForeignKey(
        Force,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Leave empty to use this spelling for every force.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "aliases"
        ordering = ["term", "alias"]
        constraints = [
            models.UniqueConstraint(Lower("alias"), "term", "force", name="alias_unique_per_force")
        ]

    def __str__(self) -> str:
        return f"{self.alias} → {self.term}"


class KeywordRule(models.Model):
    """Labels containing every word of `all_of` and none of `none_of` map to the term."""

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="rules")
    all_of = models.CharField(
        max_length=200, help_text="Words, comma-separated, that must all appear."
    )
    none_of = models.CharField(
        max_length=200, blank=True, help_text="Words, comma-separated, that must not appear."
    )
    force = models.ForeignKey(Force, null=True, blank=True, on_delete=models.CASCADE)

    history = HistoricalRecords()

    class Meta:
        ordering = ["term", "all_of"]

    def __str__(self) -> str:
        return f"{self.all_of} → {self.term}"

    @staticmethod
    def split(words: str) -> tuple[str, ...]:
        return tuple(w.strip().lower() for w in words.split(",") if w.strip())


class Observation(models.Model):
    """One figure read from a document, pointing back to its cell."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="observations")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="observations")
    period = models.CharField(max_length=10, blank=True, db_index=True)
    age = models.CharField(max_length=20, blank=True)
    offence = models.CharField(max_length=120, blank=True)
    value = models.IntegerField(null=True, blank=True)
    lower = models.IntegerField()
    upper = models.IntegerField()
    derived = models.BooleanField(default=False)
    sheet = models.CharField(max_length=120)
    cell = models.CharField(max_length=40)
    raw = models.CharField(max_length=200, blank=True)
    table = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["document", "table", "id"]
        indexes = [models.Index(fields=["document", "period"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lower__lte=models.F("upper")), name="lower_at_most_upper"
            )
        ]

    def __str__(self) -> str:
        return f"{self.sheet}!{self.cell} = {self.raw or self.value}"


class ReviewAction(models.Model):
    """What a researcher decided about a document, and who and when."""

    class Kind(models.TextChoices):
        MAP_LABEL = "map_label", "Mapped a label"
        EXCLUDE_TABLE = "exclude_table", "Excluded a table"
        CHOOSE_READING = "choose_reading", "Chose a reading"
        PIN = "pin", "Chose this document over the force's others"
        NO_DATA = "no_data", "Marked no data"
        REPARSE = "reparse", "Re-parsed"
        APPROVE = "approve", "Approved"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d})"


class CampaignRollup(models.Model):
    """The campaign's figures as last computed, kept until its documents change."""

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="rollup")
    fingerprint = models.CharField(max_length=200)
    data = models.JSONField()
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Figures for {self.campaign} ({self.computed_at:%Y-%m-%d %H:%M})"
