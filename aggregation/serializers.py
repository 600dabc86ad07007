from __future__ import annotations

from rest_framework import serializers
from rest_framework.reverse import reverse

from aggregation.models import (
    LABEL_MAX_LENGTH,
    ConflictKind,
    Observation,
    ReadingHint,
    ReviewAction,
    Term,
)
from requests_app.models import NOTE_MAX_LENGTH, Document, Force
from requests_app.serializers import CampaignScopedRelatedField


class DocumentSerializer(serializers.ModelSerializer):
    request = serializers.PrimaryKeyRelatedField(read_only=True)
    force = serializers.CharField(source="request.force.slug", read_only=True)
    campaign = serializers.CharField(source="request.campaign.slug", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.get_username", read_only=True)
    status_url = serializers.SerializerMethodField()
    reasons = serializers.SerializerMethodField()
    tables = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "request",
            "force",
            "campaign",
            "original_name",
            "size",
            "sha256",
            "format",
            "status",
            "status_reason",
            "rows_read",
            "attempts",
            "reasons",
            "tables",
            "excluded_tables",
            "pinned",
            "count_breakdown",
            "uploaded_by",
            "uploaded_at",
            "original_deleted_at",
            "status_url",
        ]
        read_only_fields = fields

    def get_status_url(self, obj: Document) -> str:
        return reverse("document-detail", args=[obj.pk], request=self.context.get("request"))

    def get_reasons(self, obj: Document) -> list[dict]:
        return (obj.result or {}).get("reasons", [])

    def get_tables(self, obj: Document) -> list[dict]:
        return (obj.result or {}).get("tables", [])


class UploadSerializer(serializers.Serializer):
    file = serializers.ListField(
        child=serializers.FileField(), allow_empty=False, help_text="One or more files."
    )


def _entered_by() -> serializers.CharField:
    """Who entered a figure by hand (a username), or None for a figure read from the file."""
    return serializers.CharField(
        source="entered_by.get_username", read_only=True, allow_null=True, default=None
    )


class ObservationSerializer(serializers.ModelSerializer):
    force = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    entered_by = _entered_by()

    class Meta:
        model = Observation
        fields = [
            "id",
            "document",
            "force",
            "period",
            "dimensions",
            "value",
            "lower",
            "upper",
            "derived",
            "sheet",
            "cell",
            "raw",
            "table",
            "origin",
            "source",
            "entered_by",
            "entered_at",
        ]
        read_only_fields = fields


class EnteredFigureSerializer(serializers.ModelSerializer):
    """A figure entered by hand: where in the document it is, who entered it and when."""

    entered_by = _entered_by()

    class Meta:
        model = Observation
        fields = [
            "id",
            "document",
            "period",
            "dimensions",
            "value",
            "lower",
            "upper",
            "source",
            "entered_by",
            "entered_at",
        ]
        read_only_fields = fields


class EnterFigureSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=20, help_text="One of the campaign's periods.")
    dimensions = serializers.DictField(
        child=serializers.CharField(max_length=LABEL_MAX_LENGTH),
        required=False,
        default=dict,
        help_text='The part of a breakdown, e.g. {"age": "13"}; none for the period\'s total.',
    )
    value = serializers.IntegerField(required=False, allow_null=True, default=None)
    lower = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="For a suppressed figure."
    )
    upper = serializers.IntegerField(required=False, allow_null=True, default=None)
    source = serializers.CharField(
        max_length=200, help_text="Where in the document it is: page 2, paragraph 3."
    )


class RemoveFigureSerializer(serializers.Serializer):
    figure = serializers.IntegerField()


class MapLabelSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=LABEL_MAX_LENGTH)
    term = CampaignScopedRelatedField(queryset=Term.objects.all())
    this_force_only = serializers.BooleanField(default=False)


class CampaignMapLabelSerializer(serializers.Serializer):
    dimension = serializers.CharField(max_length=50, help_text="period, force, or the campaign's")
    label = serializers.CharField(max_length=LABEL_MAX_LENGTH)
    to = serializers.CharField(
        max_length=200,
        help_text="A period of the campaign's kind, an age, a term's name, a force's slug, or "
        "'ignore' (not part of this request).",
    )
    force = serializers.SlugRelatedField(
        slug_field="slug", queryset=Force.objects.all(), required=False, allow_null=True
    )


class ReviewSerializer(serializers.Serializer):
    doubts = serializers.ListField(child=serializers.DictField())
    documents = serializers.DictField(child=serializers.CharField())


class RereadSerializer(serializers.Serializer):
    reread = serializers.ListField(child=serializers.IntegerField())
    statuses = serializers.DictField(child=serializers.CharField())


class ReadingHintSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReadingHint
        fields = ["id", "sheet", "kind", "row", "column", "period", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]


class RemoveCorrectionSerializer(serializers.Serializer):
    hint = serializers.IntegerField()


class ExcludeTablesSerializer(serializers.Serializer):
    tables = serializers.ListField(child=serializers.IntegerField(min_value=0), allow_empty=False)


class ReadingSerializer(serializers.Serializer):
    reading = serializers.ChoiceField(choices=["totals", "breakdown"])


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH
    )


class ReviewActionSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.get_username", read_only=True)

    class Meta:
        model = ReviewAction
        fields = ["id", "document", "kind", "detail", "note", "by", "at"]
        read_only_fields = fields


class FigureSerializer(serializers.Serializer):
    value = serializers.IntegerField(allow_null=True)
    lower = serializers.IntegerField(allow_null=True)
    upper = serializers.IntegerField(allow_null=True)


class NationalFigureSerializer(FigureSerializer):
    forces_reporting = serializers.IntegerField()
    per_day = serializers.FloatField(allow_null=True)


class BreakdownFigureSerializer(FigureSerializer):
    forces_reporting = serializers.IntegerField()


class ConflictSerializer(serializers.Serializer):
    """A force's figure for a period given differently from the one counted."""

    force_id = serializers.IntegerField()
    force = serializers.CharField(help_text="The force's slug.")
    period = serializers.CharField()
    kind = serializers.ChoiceField(choices=ConflictKind.choices)
    document = serializers.IntegerField(help_text="The document counted.")
    other_document = serializers.IntegerField(required=False)
    counted = FigureSerializer(required=False)
    other = FigureSerializer(required=False)


class ConflictSummarySerializer(serializers.Serializer):
    force = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ConflictKind.choices)
    periods = serializers.ListField(child=serializers.CharField())
    conflicts = serializers.IntegerField()


class RollupSerializer(serializers.Serializer):
    """Documents the rollup's shape for the schema; the view returns the rollup as computed."""

    campaign = serializers.CharField()
    title = serializers.CharField(required=False)
    measure = serializers.CharField(required=False)
    period_kind = serializers.CharField(required=False)
    forces_expected = serializers.IntegerField(required=False)
    periods = serializers.ListField(child=serializers.CharField(), required=False)
    national = serializers.DictField(child=NationalFigureSerializer(), required=False)
    by_force = serializers.DictField(
        child=serializers.DictField(child=FigureSerializer()), required=False
    )
    age = serializers.DictField(child=serializers.DictField(), required=False)
    offence = serializers.DictField(child=serializers.DictField(), required=False)
    dimensions = serializers.DictField(
        child=serializers.DictField(child=serializers.DictField(child=BreakdownFigureSerializer())),
        required=False,
        help_text="dimension -> period -> term or age -> figure and forces reporting.",
    )
    coverage = serializers.DictField(child=serializers.DictField(), required=False)
    conflict_summary = ConflictSummarySerializer(many=True, required=False)
    conflicts_count = serializers.IntegerField(required=False)
    headline = serializers.CharField(required=False)
    url = serializers.URLField(required=False)


class ChooseDocumentSerializer(serializers.Serializer):
    document = serializers.IntegerField(help_text="The id of one of the request's files.")
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH
    )


class ReadingsSerializer(serializers.Serializer):
    """Documents the comparison's shape for the schema (``rollups.request_readings``)."""

    request = serializers.IntegerField()
    force = serializers.CharField()
    campaign = serializers.CharField()
    dimensions = serializers.ListField(child=serializers.CharField())
    chosen = serializers.IntegerField(allow_null=True, help_text="The file a researcher chose.")
    chosen_by = serializers.CharField(allow_null=True)
    chosen_at = serializers.DateTimeField(allow_null=True)
    documents = serializers.ListField(
        child=serializers.DictField(), help_text="The request's files, oldest first."
    )
    periods = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per period: each file's figure (in the order of documents), whether they "
        "differ, the file that counts and the rule that picked it, and each breakdown.",
    )
