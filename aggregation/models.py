"""Campaign templates, each campaign's dimensions and the vocabulary researchers edit, and the
observations read from each response with their per-document sums."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from requests_app.access import CampaignScopedQuerySet
from requests_app.models import NOTE_MAX_LENGTH, Campaign, Document, Force

# A label as a force wrote it (an offence name, say), kept as an alias of a term.
LABEL_MAX_LENGTH = 300


class CampaignTemplate(models.Model):
    """A question campaigns start from: measure, period kind, dimensions and their vocabulary.

    ``definition`` holds the template as plain data (``campaign_templates.Template.to_json``);
    templates are seeded by data migration from ``aggregation.extraction.campaign_templates``.
    """

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    definition = models.JSONField()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class DimensionKind(models.TextChoices):
    AGE = "age", "Age (single years, bands, unknown)"
    CATEGORY = "category", "Categories (terms with aliases and rules)"
    FORCE = "force", "Force (national tables)"


class DimensionQuerySet(CampaignScopedQuerySet):
    def categories(self) -> DimensionQuerySet:
        return self.filter(kind=DimensionKind.CATEGORY)


class Dimension(models.Model):
    """One way a campaign breaks its figures down: age, offence, ethnicity, sex..."""

    campaign_lookup = "campaign"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="dimensions")
    name = models.SlugField(
        max_length=40, help_text="As observations carry it, e.g. age, offence, ethnicity."
    )
    kind = models.CharField(max_length=20, choices=DimensionKind.choices)
    title = models.CharField(max_length=120, blank=True)
    words = models.CharField(
        max_length=500,
        blank=True,
        help_text="Heading words that announce this dimension in a file, comma-separated.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()
    objects = DimensionQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="dimension_unique_name")
        ]

    def __str__(self) -> str:
        return self.title or self.name


def split_words(words: str) -> tuple[str, ...]:
    return tuple(w.strip().lower() for w in words.split(",") if w.strip())


class Term(models.Model):
    """A category of one of a campaign's dimensions, e.g. the offence "Sexual grooming"."""

    campaign_lookup = "dimension__campaign"

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()
    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["dimension", "position", "name"]
        constraints = [
            models.UniqueConstraint("dimension", Lower("name"), name="term_unique_per_dimension"),
        ]

    def __str__(self) -> str:
        return self.name


class Alias(models.Model):
    """A spelling that maps to a term without review, for every force or for one force only."""

    campaign_lookup = "term__dimension__campaign"

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
    objects = CampaignScopedQuerySet.as_manager()

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

    campaign_lookup = "term__dimension__campaign"

    term = models.ForeignKey(Term, on_delete=models.CASCADE, related_name="rules")
    all_of = models.CharField(
        max_length=200, help_text="Words, comma-separated, that must all appear."
    )
    none_of = models.CharField(
        max_length=200, blank=True, help_text="Words, comma-separated, that must not appear."
    )
    force = models.ForeignKey(Force, null=True, blank=True, on_delete=models.CASCADE)

    history = HistoricalRecords()
    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["term", "all_of"]

    def __str__(self) -> str:
        return f"{self.all_of} → {self.term}"


class Abbreviation(models.Model):
    """A police abbreviation a campaign's labels use: "IIOC" = "indecent images of children"."""

    campaign_lookup = "campaign"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="abbreviations")
    short = models.CharField(max_length=40)
    expansion = models.CharField(max_length=200)

    history = HistoricalRecords()
    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "short"]
        constraints = [
            models.UniqueConstraint("campaign", Lower("short"), name="abbreviation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.short} = {self.expansion}"


# The table number figures entered by hand are kept under: after any table a file can hold, so
# that a breakdown read from the file is taken before one entered beside it.
ENTERED_TABLE = 32767


class Observation(models.Model):
    """One figure of a document: read from its cell, or entered by hand by a researcher.

    ``dimensions`` holds the campaign's own dimensions ({"age": "13", "offence": "Rape"}); period
    and force are columns of their own, for speed. ``shape`` is the sorted dimension names. A
    record list (one row per crime) is stored as counts, never row by row: see
    ``aggregation.extraction.records``. A figure entered by hand (a letter, an email: no table
    to read) has no sheet or cell: ``source`` says where in the document it is, ``entered_by``
    and ``entered_at`` who entered it and when; a parse never replaces it.
    """

    class Origin(models.TextChoices):
        READ = "read", "Read from the file"
        ENTERED = "entered", "Entered by hand"

    campaign_lookup = "document__request__campaign"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="observations")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="observations")
    period = models.CharField(max_length=10, blank=True, db_index=True)
    dimensions = models.JSONField(default=dict, blank=True)
    shape = models.CharField(max_length=200, blank=True)
    value = models.IntegerField(null=True, blank=True)
    lower = models.IntegerField()
    upper = models.IntegerField()
    derived = models.BooleanField(default=False)
    sheet = models.CharField(max_length=120)
    cell = models.CharField(max_length=40)
    raw = models.CharField(max_length=200, blank=True)
    table = models.PositiveSmallIntegerField(default=0)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.READ)
    source = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where in the document a figure entered by hand is: page 2, paragraph 3.",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(null=True, blank=True)

    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["document", "table", "id"]
        indexes = [models.Index(fields=["document", "period"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lower__lte=models.F("upper")), name="lower_at_most_upper"
            )
        ]

    def __str__(self) -> str:
        if self.origin == self.Origin.ENTERED:
            return f"{self.period} {self.breakdown} = {self.raw} ({self.source})"
        return f"{self.sheet}!{self.cell} = {self.raw or self.value}"

    @property
    def breakdown(self) -> str:
        """ "age 13, offence Rape"; "total" for a period's total."""
        return ", ".join(f"{k} {v}" for k, v in self.dimensions.items()) or "total"


class FigureKind(models.TextChoices):
    TOTAL = "total", "Stated total"
    SHAPE = "shape", "Sum of a breakdown"
    PART = "part", "Sum of one dimension value"
    FIGURE = "figure", "The document's figure"
    BREAKDOWN = "breakdown", "The document's figure from its breakdown"


class DocumentFigure(models.Model):
    """A document's observations summed per table and period, kept beside them.

    Written whenever the document's observations are, so that a campaign's figures are computed
    from a few rows per document, never from every cell (SPEC 8):

    - ``total``: the table's stated totals for the period; ``lower``/``upper`` are the widest
      bounds, ``lower_max``/``upper_min`` the narrowest (they differ when two totals disagree);
    - ``shape``: the sum of the table's base cells broken down by ``key`` (dimension names);
    - ``part``: the sum of the table's base cells whose ``dimension`` has the value ``key``;
    - ``figure``: the document's own figure for the force and period (its stated total, else one
      complete breakdown: ``key`` says which, ``tables`` from where); ``breakdown``: the same
      from the breakdown only, for when a researcher counts the parts over a wrong total.

    ``document_figures.document_sums`` computes them.
    """

    campaign_lookup = "document__request__campaign"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="figures")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=10)
    table = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=9, choices=FigureKind.choices)
    dimension = models.CharField(max_length=40, blank=True)
    key = models.CharField(max_length=200, blank=True)
    lower = models.BigIntegerField()
    upper = models.BigIntegerField()
    lower_max = models.BigIntegerField(null=True)
    upper_min = models.BigIntegerField(null=True)
    tables = models.CharField(max_length=200, blank=True)

    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["document", "period"]),
            # The rollup ranks every document's own figure per force and period.
            models.Index(fields=["kind", "force", "period"], name="figure_by_force_period"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} table {self.table} {self.dimension} {self.key}"


class LabelMapping(models.Model):
    """A researcher's reading of a label the engine could not place, for the whole campaign
    (or one force's files): a period, an age, a force, or "not part of this request".

    Category labels mapped to a term become ``Alias`` rows (the term's vocabulary); every other
    reading, and "not part of this request" for any dimension, is kept here. The engine reads
    them as ``vocabulary.LabelMap``; ``key`` is the label cleaned as the engine matches it.
    """

    campaign_lookup = "campaign"
    IGNORE = ""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="mappings")
    dimension = models.CharField(
        max_length=50, help_text="period, force, or one of the campaign's dimensions"
    )
    label = models.CharField(max_length=LABEL_MAX_LENGTH)
    key = models.CharField(max_length=LABEL_MAX_LENGTH, editable=False)
    value = models.CharField(
        max_length=200,
        blank=True,
        help_text="The canonical value (2017-18, 13, 0-10, a force's slug); empty: not part of "
        "this request.",
    )
    force = models.ForeignKey(
        Force,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="Leave empty to read this label so in every force's files.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "dimension", "key"]
        constraints = [
            models.UniqueConstraint(
                "campaign",
                "dimension",
                "key",
                condition=models.Q(force__isnull=True),
                name="label_mapping_unique_for_every_force",
            ),
            models.UniqueConstraint(
                "campaign", "dimension", "key", "force", name="label_mapping_unique_per_force"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension} '{self.label}' → {self.value or 'not part of this request'}"


class ReadingHint(models.Model):
    """A researcher's correction of how one document reads, re-applied on every read:
    ``vocabulary.Hint``. Rows and columns count from 0, as the engine's grid does."""

    campaign_lookup = "document__request__campaign"

    class Kind(models.TextChoices):
        TOTAL = "total", "is a total"
        SUBTOTAL = "subtotal", "is a subtotal (a check, not a figure)"
        NOT_DATA = "not_data", "is not data"
        OTHER_MEASURE = "other_measure", "counts another measure"
        LABELS = "labels", "holds the row labels"
        PERIOD = "period", "is all for one period"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="hints")
    sheet = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    row = models.PositiveIntegerField(null=True, blank=True)
    column = models.PositiveIntegerField(null=True, blank=True)
    period = models.CharField(max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["document", "sheet", "row", "column"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(row__isnull=False) | models.Q(column__isnull=False),
                name="reading_hint_names_a_row_or_column",
            )
        ]

    def __str__(self) -> str:
        where = f"row {self.row + 1}" if self.row is not None else f"column {self.column}"
        return f"{self.sheet} {where} {self.get_kind_display()}"


class ReviewAction(models.Model):
    """What a researcher decided about a document, and who and when."""

    campaign_lookup = "document__request__campaign"

    class Kind(models.TextChoices):
        MAP_LABEL = "map_label", "Mapped a label"
        EXCLUDE_TABLE = "exclude_table", "Excluded a table"
        CHOOSE_READING = "choose_reading", "Chose a reading"
        PIN = "pin", "Chose this document over the force's others"
        NO_DATA = "no_data", "Marked no data"
        REPARSE = "reparse", "Re-parsed"
        APPROVE = "approve", "Approved"
        CORRECT = "correct", "Corrected the reading"
        REREAD = "reread", "Re-read after a campaign-wide mapping"
        ENTER_FIGURE = "enter_figure", "Entered a figure by hand"
        REMOVE_FIGURE = "remove_figure", "Removed a figure entered by hand"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="reviews")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d})"


class CampaignRollup(models.Model):
    """The campaign's figures as last computed, kept until its documents change.

    ``data`` holds the counted figure of every force and period (``rollups.compute``), the
    conflicts counted per force, kind and period, and the ``basis`` they were computed on (the
    campaign's documents: how many, the last one, the latest change; the periods asked), from
    which ``rollups.stored_figures`` tells which documents changed since. The conflicts
    themselves are ``RollupConflict`` rows, paged through rather than carried whole.
    """

    campaign_lookup = "campaign"

    campaign = models.OneToOneField(Campaign, on_delete=models.CASCADE, related_name="rollup")
    fingerprint = models.CharField(max_length=64)  # a digest: any number of periods fits
    data = models.JSONField()
    computed_at = models.DateTimeField(default=timezone.now)

    objects = CampaignScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Figures for {self.campaign} ({self.computed_at:%Y-%m-%d %H:%M})"


class ConflictKind(models.TextChoices):
    DOCUMENTS_DIFFER = "documents_differ", "Another document gives a different figure"
    TOTALS_DIFFER = "totals_differ", "The counted document's stated totals disagree"


class RollupConflict(models.Model):
    """A force's figure for a period given differently from the one counted: by another of the
    force's documents (``documents_differ``, with both figures), or by two stated totals of the
    counted document itself (``totals_differ``). Rewritten with the stored figures, only for
    the forces and periods a changed document touches."""

    campaign_lookup = "campaign"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=10)
    kind = models.CharField(max_length=16, choices=ConflictKind.choices)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="+")
    other_document = models.ForeignKey(
        Document, null=True, on_delete=models.CASCADE, related_name="+"
    )
    counted_lower = models.BigIntegerField(null=True)
    counted_upper = models.BigIntegerField(null=True)
    other_lower = models.BigIntegerField(null=True)
    other_upper = models.BigIntegerField(null=True)

    objects = CampaignScopedQuerySet.as_manager()

    class Meta:
        ordering = ["force__name", "period", "other_document_id", "id"]
        indexes = [models.Index(fields=["campaign", "force", "period"], name="conflict_by_pair")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.period}"

    @property
    def counted(self) -> dict | None:
        """The counted figure's bounds (``documents_differ`` only), as figures are shown."""
        return _bounds(self.counted_lower, self.counted_upper)

    @property
    def other(self) -> dict | None:
        return _bounds(self.other_lower, self.other_upper)


def _bounds(lower: int | None, upper: int | None) -> dict | None:
    if lower is None:
        return None
    return {"value": lower if lower == upper else None, "lower": lower, "upper": upper}
