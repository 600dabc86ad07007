from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from requests_app.models import (
    Campaign,
    EventKind,
    Exemption,
    FOIRequest,
    Force,
    Reply,
    RequestEvent,
    validate_periods,
)


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


class CampaignSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    periods = serializers.ListField(child=serializers.CharField(), validators=[validate_periods])
    target_forces = serializers.SlugRelatedField(
        many=True,
        slug_field="slug",
        queryset=Force.objects.all(),
        required=False,
        help_text="Force slugs; default: the 44 territorial forces of England, Wales and NI.",
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "title",
            "slug",
            "owner",
            "request_text",
            "periods",
            "target_forces",
            "created_at",
            "sent_on",
        ]
        read_only_fields = ["created_at", "sent_on"]


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
    request = serializers.PrimaryKeyRelatedField(queryset=FOIRequest.objects.all())
    kind = serializers.ChoiceField(choices=EventKind.choices)
    # None for events the product recorded itself (a reply filed, a bounce).
    recorded_by = serializers.CharField(
        source="recorded_by.get_username", read_only=True, allow_null=True
    )
    exemptions = serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        queryset=Exemption.objects.all(),
        required=False,
        write_only=True,
        help_text="Refusals only: the exemptions cited, e.g. s12.",
    )
    ncnd = serializers.BooleanField(required=False, default=False, write_only=True)
    reference = serializers.CharField(required=False, allow_blank=True, write_only=True)

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
    request = serializers.PrimaryKeyRelatedField(queryset=FOIRequest.objects.all())
