"""REST API: thin views over the same services the admin uses."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from aggregation import services as document_services
from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE
from aggregation.rollups import request_readings
from aggregation.serializers import ChooseDocumentSerializer, ReadingsSerializer
from requests_app import access, mail, replies, services
from requests_app.models import (
    Campaign,
    FOIRequest,
    Force,
    Lateness,
    Reply,
    RequestEvent,
    Status,
)
from requests_app.serializers import (
    CampaignSendResultSerializer,
    CampaignSerializer,
    FOIRequestSerializer,
    ForceSerializer,
    ReplyFileSerializer,
    ReplySerializer,
    RequestEventSerializer,
)


def exception_handler(exc, context):
    """Refusals from the services are 400s naming the field, like any other bad input."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail)
    return drf_exception_handler(exc, context)


class CampaignScopedViewSetMixin:
    """For a viewset over a campaign-owned model (see ``requests_app.access``).

    Lists and ids cover only the campaigns the user belongs to: any other id answers 404, like
    one that does not exist. A write to a row the user may see but not change (a reader's)
    answers 403. Views that write to a related row (an upload to a request, an event on one)
    pass it to ``check_object_permissions`` after fetching it from a scoped queryset.
    """

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def check_object_permissions(self, request: Request, obj) -> None:
        super().check_object_permissions(request, obj)
        if request.method not in SAFE_METHODS and not access.can_edit(request.user, obj):
            self.permission_denied(
                request, message="Only the campaign's owner and researchers may change its data."
            )


class ForceViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Force.objects.prefetch_related("aliases")
    serializer_class = ForceSerializer
    lookup_field = "slug"
    filterset_fields = ["nation", "kind", "foi_regime"]


class CampaignViewSet(CampaignScopedViewSetMixin, viewsets.ModelViewSet):
    """Campaigns the user belongs to; researchers create them and own what they create."""

    queryset = Campaign.objects.select_related("owner", "template").prefetch_related(
        "target_forces", "dimensions", "members__user"
    )
    serializer_class = CampaignSerializer
    lookup_field = "slug"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        template = data.get("template")
        serializer.instance = document_services.campaign_create(
            title=data["title"],
            slug=data["slug"],
            owner=self.request.user,
            template=template.slug if template else DEFAULT_TEMPLATE,
            periods=data.get("periods"),
            request_text=data.get("request_text", ""),
            target_forces=data.get("target_forces"),
        )

    @extend_schema(request=None, responses=CampaignSendResultSerializer)
    @action(detail=True, methods=["post"])
    def send(self, request: Request, slug: str | None = None) -> Response:
        """Email the request to every target force with a confirmed address not yet sent it;
        calling it again sends nothing new. Forces skipped are listed with the reason."""
        result = mail.campaign_send(campaign=self.get_object(), by=request.user)
        data = {
            "queued": len(result.queued),
            "skipped": [{"force": f.slug, "reason": why} for f, why in result.skipped],
            "requests": result.requests,
        }
        return Response(CampaignSendResultSerializer(data).data)


class FOIRequestFilter(django_filters.FilterSet):
    campaign = django_filters.CharFilter(field_name="campaign__slug")
    force = django_filters.CharFilter(field_name="force__slug")
    status = django_filters.ChoiceFilter(choices=Status.choices)
    lateness = django_filters.ChoiceFilter(choices=Lateness.choices)
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", help_text="Past a statutory deadline (request or review)."
    )

    class Meta:
        model = FOIRequest
        fields = ["campaign", "force", "status", "lateness", "overdue"]

    def filter_overdue(self, queryset, name, value):
        late = ~Q(lateness=Lateness.ON_TIME) | Q(review_overdue=True)
        return queryset.filter(late) if value else queryset.exclude(late)


class FOIRequestViewSet(CampaignScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = FOIRequest.objects.select_related("campaign", "force").prefetch_related("exemptions")
    serializer_class = FOIRequestSerializer
    filterset_class = FOIRequestFilter

    @extend_schema(responses=ReadingsSerializer)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def readings(self, request: Request, pk: str | None = None) -> Response:
        """The request's files side by side: each one's figures per period and breakdown,
        which counts and the rule that picked it."""
        return Response(request_readings(self.get_object()))

    @extend_schema(request=ChooseDocumentSerializer, responses=ReadingsSerializer)
    @action(detail=True, methods=["post"], url_path="choose-document", filter_backends=[])
    def choose_document(self, request: Request, pk: str | None = None) -> Response:
        """Count one of the request's files over the others until another is chosen; answers
        the comparison as it now stands."""
        foi_request = self.get_object()
        params = ChooseDocumentSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        document = foi_request.documents.filter(pk=params.validated_data["document"]).first()
        if document is None:
            raise ValidationError({"document": ["No such file on this request."]})
        document_services.request_choose_document(
            request=foi_request,
            document=document,
            by=request.user,
            note=params.validated_data["note"],
        )
        return Response(request_readings(foi_request))


class RequestEventViewSet(
    CampaignScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """A request's timeline; posting an event performs its transition."""

    queryset = RequestEvent.objects.select_related("recorded_by")
    serializer_class = RequestEventSerializer
    filterset_fields = ["request", "kind"]

    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self.check_object_permissions(request, data["request"])
        event = services.record_event(
            request=data["request"],
            kind=data["kind"],
            by=request.user,
            on=data["occurred_on"],
            note=data.get("note", ""),
            target_on=data.get("target_on"),
            exemptions=[e.code for e in data.get("exemptions", [])],
            ncnd=data.get("ncnd", False),
            reference=data.get("reference", ""),
        )
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)


class ReplyFilter(django_filters.FilterSet):
    matched = django_filters.BooleanFilter(
        field_name="request", lookup_expr="isnull", exclude=True, help_text="Filed on a request."
    )

    class Meta:
        model = Reply
        fields = ["request", "kind", "matched", "offer_state"]


class ReplyViewSet(CampaignScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Emails received; unmatched ones (``matched=false``) wait to be filed by a researcher."""

    queryset = Reply.objects.all()
    serializer_class = ReplySerializer
    filterset_class = ReplyFilter

    @extend_schema(request=None, responses=RequestEventSerializer)
    @action(detail=True, methods=["post"], url_path="record-offer")
    def record_offer(self, request: Request, pk: str | None = None) -> Response:
        """Record the suggested event on the request's timeline, dated with the reply."""
        event = replies.reply_record_offer(reply=self.get_object(), by=request.user)
        return Response(RequestEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ReplySerializer)
    @action(detail=True, methods=["post"], url_path="dismiss-offer")
    def dismiss_offer(self, request: Request, pk: str | None = None) -> Response:
        reply = self.get_object()
        replies.reply_dismiss_offer(reply=reply, by=request.user)
        reply.refresh_from_db()
        return Response(ReplySerializer(reply).data)

    @extend_schema(request=ReplyFileSerializer, responses=ReplySerializer)
    @action(detail=True, methods=["post"])
    def file(self, request: Request, pk: str | None = None) -> Response:
        """File an unmatched reply on a request: its timeline entry, documents and offer."""
        params = ReplyFileSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        reply = replies.reply_file(
            reply=self.get_object(), request=params.validated_data["request"], by=request.user
        )
        return Response(ReplySerializer(reply).data)
