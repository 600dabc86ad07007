"""Documents API: upload (202, parsed on the workers), status, observations, review."""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from aggregation import services
from aggregation.models import Observation, ReadingHint, ReviewAction
from aggregation.rollups import campaign_conflicts, campaign_rollup, conflict_json
from aggregation.selectors import campaign_document_statuses, campaign_doubts
from aggregation.serializers import (
    CampaignMapLabelSerializer,
    ConflictSerializer,
    DocumentSerializer,
    EnteredFigureSerializer,
    EnterFigureSerializer,
    ExcludeTablesSerializer,
    MapLabelSerializer,
    NoteSerializer,
    ObservationSerializer,
    ReadingHintSerializer,
    ReadingSerializer,
    RemoveCorrectionSerializer,
    RemoveFigureSerializer,
    RereadSerializer,
    ReviewActionSerializer,
    ReviewSerializer,
    RollupSerializer,
    UploadSerializer,
)
from requests_app.api import CampaignScopedViewSetMixin
from requests_app.models import Campaign, Document, FOIRequest


class DocumentFilter(django_filters.FilterSet):
    """``?campaign=<slug>&force=<slug>``, as the requests list takes them (the longer
    ``request__campaign__slug`` and ``request__force__slug`` still work)."""

    campaign = django_filters.CharFilter(field_name="request__campaign__slug")
    force = django_filters.CharFilter(field_name="request__force__slug")

    class Meta:
        model = Document
        fields = {
            "request": ["exact"],
            "status": ["exact"],
            "request__campaign__slug": ["exact"],
            "request__force__slug": ["exact"],
        }


class DocumentViewSet(CampaignScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Document.objects.select_related("request__force", "request__campaign", "uploaded_by")
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilter

    @extend_schema(request=UploadSerializer, responses={202: DocumentSerializer(many=True)})
    @action(
        detail=False,
        methods=["post"],
        url_path=r"upload/(?P<request_id>\d+)",
        parser_classes=[MultiPartParser, FormParser],
        # Answers a plain list of what was uploaded: no page wrapper, no list filters.
        pagination_class=None,
        filter_backends=[],
    )
    def upload(self, request: Request, request_id: str) -> Response:
        """Upload one or more response files to an FOI request; each is parsed on the workers."""
        foi_request = get_object_or_404(FOIRequest.objects.visible_to(request.user), pk=request_id)
        self.check_object_permissions(request, foi_request)
        form = UploadSerializer(data={"file": request.FILES.getlist("file")})
        form.is_valid(raise_exception=True)
        documents = []
        for upload in form.validated_data["file"]:
            document, _ = services.document_upload(
                request=foi_request,
                name=upload.name,
                content=upload.read(),
                by=request.user,
                answer=True,
            )
            documents.append(document)
        data = self.get_serializer(documents, many=True).data
        return Response(data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=ObservationSerializer(many=True))
    @action(detail=True, methods=["get"])
    def observations(self, request: Request, pk: str | None = None) -> Response:
        rows = Observation.objects.filter(document=self.get_object()).select_related(
            "force", "entered_by"
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ObservationSerializer(page, many=True).data)

    @extend_schema(responses=ReviewActionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def reviews(self, request: Request, pk: str | None = None) -> Response:
        """Every decision made about the document, oldest first, with who and when."""
        rows = ReviewAction.objects.filter(document=self.get_object()).select_related("by")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ReviewActionSerializer(page, many=True).data)

    def _done(self, document: Document) -> Response:
        document.refresh_from_db()
        return Response(self.get_serializer(document).data)

    @extend_schema(request=MapLabelSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"], url_path="map-label")
    def map_label(self, request: Request, pk: str | None = None) -> Response:
        """Map an unknown label to a vocabulary term (for every force, or this one), re-parse."""
        document = self.get_object()
        params = MapLabelSerializer(data=request.data, context=self.get_serializer_context())
        params.is_valid(raise_exception=True)
        services.document_map_label(document=document, by=request.user, **params.validated_data)
        return self._done(document)

    @extend_schema(methods=["get"], responses=ReadingHintSerializer(many=True), request=None)
    @extend_schema(methods=["post"], request=ReadingHintSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def corrections(self, request: Request, pk: str | None = None) -> Response:
        """A researcher's corrections of this document's reading (this row is a total, this
        column holds the labels...), kept and applied on every read; POST adds one and reads
        the document again."""
        document = self.get_object()
        if request.method != "POST":
            hints = ReadingHint.objects.filter(document=document)
            return Response(ReadingHintSerializer(hints, many=True).data)
        params = ReadingHintSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.document_correct(document=document, by=request.user, **params.validated_data)
        return self._done(document)

    @extend_schema(methods=["get"], responses=EnteredFigureSerializer(many=True), request=None)
    @extend_schema(
        methods=["post"], request=EnterFigureSerializer, responses={201: EnteredFigureSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def figures(self, request: Request, pk: str | None = None) -> Response:
        """The figures entered by hand on this document (a letter, an email: no table to read),
        each with where in it, who and when; POST enters one, which counts like a read figure."""
        document = self.get_object()
        if request.method != "POST":
            rows = Observation.objects.filter(
                document=document, origin=Observation.Origin.ENTERED
            ).select_related("entered_by")
            return Response(EnteredFigureSerializer(rows, many=True).data)
        params = EnterFigureSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        figure = services.document_enter_figure(
            document=document, by=request.user, **params.validated_data
        )
        return Response(EnteredFigureSerializer(figure).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RemoveFigureSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"], url_path="remove-figure")
    def remove_figure(self, request: Request, pk: str | None = None) -> Response:
        """Remove a figure entered by hand."""
        document = self.get_object()
        params = RemoveFigureSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        figure = get_object_or_404(
            Observation.objects.filter(document=document, origin=Observation.Origin.ENTERED),
            pk=params.validated_data["figure"],
        )
        services.document_remove_figure(figure=figure, by=request.user)
        return self._done(document)

    @extend_schema(request=RemoveCorrectionSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"], url_path="remove-correction")
    def remove_correction(self, request: Request, pk: str | None = None) -> Response:
        document = self.get_object()
        params = RemoveCorrectionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        hint = get_object_or_404(
            ReadingHint.objects.filter(document=document), pk=params.validated_data["hint"]
        )
        services.document_remove_correction(hint=hint, by=request.user)
        return self._done(document)

    @extend_schema(request=ExcludeTablesSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"], url_path="exclude-tables")
    def exclude_tables(self, request: Request, pk: str | None = None) -> Response:
        document = self.get_object()
        params = ExcludeTablesSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.document_exclude_tables(
            document=document, tables=params.validated_data["tables"], by=request.user
        )
        return self._done(document)

    @extend_schema(request=NoteSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"], url_path="no-data")
    def no_data(self, request: Request, pk: str | None = None) -> Response:
        document = self.get_object()
        params = NoteSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.document_mark_no_data(document=document, by=request.user, **params.validated_data)
        return self._done(document)

    @extend_schema(request=None, responses=DocumentSerializer)
    @action(detail=True, methods=["post"])
    def reparse(self, request: Request, pk: str | None = None) -> Response:
        document = self.get_object()
        services.document_reparse(document=document, by=request.user)
        return self._done(document)

    @extend_schema(request=NoteSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        document = self.get_object()
        params = NoteSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.document_approve(document=document, by=request.user, **params.validated_data)
        return self._done(document)

    @extend_schema(request=None, responses=DocumentSerializer)
    @action(detail=True, methods=["post"])
    def pin(self, request: Request, pk: str | None = None) -> Response:
        """Count this document over its request's other files: as POST
        ``requests/<id>/choose-document/``."""
        document = self.get_object()
        services.request_choose_document(
            request=document.request, document=document, by=request.user
        )
        return self._done(document)

    @extend_schema(request=ReadingSerializer, responses=DocumentSerializer)
    @action(detail=True, methods=["post"], url_path="choose-reading")
    def choose_reading(self, request: Request, pk: str | None = None) -> Response:
        """Where stated totals and their breakdown disagree, choose which counts."""
        document = self.get_object()
        params = ReadingSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        services.document_choose_reading(
            document=document,
            count_breakdown=params.validated_data["reading"] == "breakdown",
            by=request.user,
        )
        return self._done(document)

    @extend_schema(request=None, responses=DocumentSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Move the document's FOI request to "response received"."""
        document = self.get_object()
        services.document_accept_as_response(document=document, by=request.user)
        return self._done(document)


class ReviewViewSet(CampaignScopedViewSetMixin, viewsets.GenericViewSet):
    """A campaign's open doubts, grouped by what fixes each, and campaign-wide label mappings:
    the API of ``manage.py review`` and ``manage.py map_label``."""

    queryset = Campaign.objects.all()
    serializer_class = ReviewSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None
    filter_backends = []

    @extend_schema(responses=ReviewSerializer)
    def retrieve(self, request: Request, slug: str | None = None) -> Response:
        campaign = self.get_object()
        return Response(
            {
                "doubts": [d.as_json() for d in campaign_doubts(campaign)],
                "documents": {str(pk): s for pk, s in campaign_document_statuses(campaign).items()},
            }
        )

    @extend_schema(request=CampaignMapLabelSerializer, responses=RereadSerializer)
    @action(detail=True, methods=["post"], url_path="map-label")
    def map_label(self, request: Request, slug: str | None = None) -> Response:
        """Read a label as a value of a dimension (or 'ignore') in every file of the campaign,
        or of one force, and read again every document that reported it."""
        campaign = self.get_object()
        params = CampaignMapLabelSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        reread = services.campaign_map_label(
            campaign=campaign, by=request.user, **params.validated_data
        )
        statuses = Document.objects.filter(pk__in=reread).order_by("pk")
        return Response(
            {
                "reread": reread,
                "statuses": {str(pk): s for pk, s in statuses.values_list("pk", "status")},
            }
        )


class RollupViewSet(CampaignScopedViewSetMixin, viewsets.GenericViewSet):
    """National figures for a campaign, as the dashboard and `manage.py rollup --json` give them."""

    queryset = Campaign.objects.all()
    serializer_class = RollupSerializer
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = None
    filter_backends = []

    @extend_schema(
        parameters=[OpenApiParameter("period", str, many=True, description="Only these periods.")],
        responses=RollupSerializer,
    )
    def retrieve(self, request: Request, slug: str | None = None) -> Response:
        """The figures, with the conflicts summarised per force (``conflict_summary``,
        ``conflicts_count``); ``conflicts/`` pages through them."""
        campaign = self.get_object()
        periods = self._periods(request, campaign)
        return Response(campaign_rollup(campaign, periods=periods, conflicts=False))

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, many=True, description="Only these periods."),
            OpenApiParameter("force", str, description="Only this force (its slug)."),
        ],
        responses=ConflictSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=PageNumberPagination)
    def conflicts(self, request: Request, slug: str | None = None) -> Response:
        """Every conflict between a force's documents (or its stated totals), a page at a
        time, by force name and period."""
        campaign = self.get_object()
        rows = campaign_conflicts(
            campaign,
            periods=self._periods(request, campaign),
            force=request.query_params.get("force"),
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response([conflict_json(c) for c in page])

    @staticmethod
    def _periods(request: Request, campaign: Campaign) -> list[str] | None:
        periods = request.query_params.getlist("period") or None
        unknown = sorted(set(periods or ()) - set(campaign.periods))
        if unknown:
            raise ValidationError({"period": f"Not asked by this campaign: {', '.join(unknown)}."})
        return periods

    @extend_schema(responses=RollupSerializer(many=True))
    def list(self, request: Request) -> Response:
        return Response(
            [
                {"campaign": c.slug, "url": request.build_absolute_uri(f"{c.slug}/")}
                for c in self.get_queryset().order_by("slug")
            ]
        )
