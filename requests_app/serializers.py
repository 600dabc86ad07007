from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE
from aggregation.models import CampaignTemplate
from requests_app.models import (
    REFERENCE_MAX_LENGTH,
    REQUEST_TEXT_MAX_LENGTH,
    Campaign,
    CampaignMember,
    EventKind,
    Exemption,
    FOIRequest,
    Force,
    Reply,
    RequestEvent,
    validate_periods,
)


class CampaignScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id to a campaign-owned row: ids outside the user's campaigns read as
    "does not exist". The view then checks the user may change the row it was given."""

    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().visible_to(getattr(request, "user", None))


class BoundedManyRelatedField(serializers.ManyRelatedField):
    """A list of related objects refused past ``max_length`` items, before any is looked up
    (each item costs a query: a megabyte of slugs would otherwise be 100,000 of them)."""

    default_error_messages = {"max_length": "At most {max_length} items; {count} were given."}

    def __init__(self, *, max_length: int, **kwargs) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list | tuple) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length, count=len(data))
        return super().to_internal_value(data)


class ForceSerializer(serializers.ModelSerializer):
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="alias")

    class Meta:
        model = Force
        fields = [
            "slug",
            "name",
            "short_name",
            "nation",
            "kind",
            "foi_regime",
            "foi_email",
            "foi_email_confirmed",
            "aliases",
        ]


class CampaignMemberSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.get_username", read_only=True)

    class Meta:
        model = CampaignMember
        fields = ["user", "role"]
        read_only_fields = fields


class CampaignSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    template = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=CampaignTemplate.objects.all(),
        required=False,
        help_text="The question the campaign asks (`manage.py templates`); set once, at creation. "
        f"Default: {DEFAULT_TEMPLATE}.",
    )
    periods = serializers.ListField(
        child=serializers.CharField(max_length=10),
        required=False,
        help_text="Periods of the template's kind (2018-19, 2018 or 2018-06); default: the "
        "template's.",
    )
    request_text = serializers.CharField(
        required=False, allow_blank=True, max_length=REQUEST_TEXT_MAX_LENGTH
    )
    members = CampaignMemberSerializer(
        many=True, read_only=True, help_text="Who else sees the campaign, and their role."
    )
    target_forces = BoundedManyRelatedField(
        child_relation=serializers.SlugRelatedField(
            slug_field="slug", queryset=Force.objects.all()
        ),
        max_length=100,
        required=False,
        help_text="Force slugs; default: the 44 territorial forces of England, Wales and NI.",
    )
    dimensions = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "title",
            "slug",
            "owner",
            "template",
            "measure",
            "measure_description",
            "period_kind",
            "members",
            "request_text",
            "periods",
            "dimensions",
            "target_forces",
            "created_at",
            "sent_on",
        ]
        read_only_fields = [
            "measure",
            "measure_description",
            "period_kind",
            "created_at",
            "sent_on",
        ]

    def get_dimensions(self, obj: Campaign) -> list[dict]:
        return [{"name": d.name, "kind": d.kind, "title": d.title} for d in obj.dimensions.all()]

    def validate(self, data: dict) -> dict:
        if self.instance is not None:
            if "template" in data and data["template"] != self.instance.template:
                raise serializers.ValidationError(
                    {"template": "A campaign's template is set once, when it is created."}
                )
            if "periods" in data:
                validate_periods(data["periods"], self.instance.period_kind)
        return data


class SkippedForceSerializer(serializers.Serializer):
    force = serializers.CharField(help_text="Force slug.")
    reason = serializers.CharField()


class CampaignSendResultSerializer(serializers.Serializer):
    queued = serializers.IntegerField(
        help_text="Letters queued to be emailed by this call (0 when all were sent before)."
    )
    skipped = SkippedForceSerializer(
        many=True, help_text="Forces not emailed, with the reason (address not confirmed)."
    )
    requests = serializers.IntegerField(help_text="Requests the campaign now has.")


class FOIRequestSerializer(serializers.ModelSerializer):
    campaign = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    force = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    exemptions = serializers.SlugRelatedField(many=True, slug_field="code", read_only=True)

    class Meta:
        model = FOIRequest
        fields = [
            "id",
            "campaign",
            "force",
            "status",
            "references",
            "exemptions",
            "ncnd",
            "sent_on",
            "acknowledged_on",
            "answered_on",
            "due_on",
            "very_overdue_on",
            "review_asked_on",
            "review_due_on",
            "working_days_to_answer",
            "lateness",
            "review_overdue",
        ]
        read_only_fields = fields


class RequestEventSerializer(serializers.ModelSerializer):
    request = CampaignScopedRelatedField(queryset=FOIRequest.objects.all())
    kind = serializers.ChoiceField(choices=EventKind.choices)
    # None for events the product recorded itself (a reply filed, a bounce).
    recorded_by = serializers.CharField(
        source="recorded_by.get_username", read_only=True, allow_null=True
    )
    exemptions = BoundedManyRelatedField(
        child_relation=serializers.SlugRelatedField(
            slug_field="code", queryset=Exemption.objects.all()
        ),
        max_length=50,
        required=False,
        write_only=True,
        help_text="Refusals only: the exemptions cited, e.g. s12.",
    )
    ncnd = serializers.BooleanField(required=False, default=False, write_only=True)
    reference = serializers.CharField(
        required=False, allow_blank=True, write_only=True, max_length=REFERENCE_MAX_LENGTH
    )

    class Meta:
        model = RequestEvent
        fields = [
            "id",
            "request",
            "kind",
            "occurred_on",
            "note",
            "target_on",
            "exemptions",
            "ncnd",
            "reference",
            "status_before",
            "status_after",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["status_before", "status_after", "recorded_at"]


class OfferSerializer(serializers.Serializer):
    kind = serializers.CharField(source="offer_kind", help_text="The event it looks like.")
    exemptions = serializers.ListField(source="offer_exemptions", child=serializers.CharField())
    ncnd = serializers.BooleanField(source="offer_ncnd")
    reference = serializers.CharField(source="offer_reference")
    state = serializers.CharField(source="offer_state", help_text="open, recorded or dismissed.")


class ReplySerializer(serializers.ModelSerializer):
    """A received email; ``suggested_event`` is what its words look like, recorded only by
    POSTing to its ``record-offer`` action."""

    suggested_event = serializers.SerializerMethodField()
    date = serializers.DateTimeField(source="sent_at", read_only=True, allow_null=True)

    class Meta:
        model = Reply
        fields = [
            "id",
            "request",
            "kind",
            "sender",
            "sender_name",
            "original_sender",
            "subject",
            "date",
            "received_at",
            "text",
            "attachments",
            "matched_by",
            "event",
            "suggested_event",
        ]
        read_only_fields = fields

    @extend_schema_field(OfferSerializer(allow_null=True))
    def get_suggested_event(self, reply: Reply) -> dict | None:
        return OfferSerializer(reply).data if reply.offer_kind else None


class ReplyFileSerializer(serializers.Serializer):
    request = CampaignScopedRelatedField(queryset=FOIRequest.objects.all())
