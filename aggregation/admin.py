"""Vocabulary editing and the review of each response document."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from aggregation import selectors, services
from aggregation.extraction.vocabulary import FORCE, PERIOD
from aggregation.models import (
    Abbreviation,
    Alias,
    Dimension,
    KeywordRule,
    LabelMapping,
    Observation,
    ReviewAction,
    Term,
)
from aggregation.review_views import map_choices
from aggregation.rollups import COUNTED
from requests_app import access
from requests_app.admin_base import (
    AuditedAdmin,
    CampaignScopedAdmin,
    CampaignScopedInline,
    ReadOnlyAdmin,
)
from requests_app.models import Document, DocumentDownload


class AliasInline(CampaignScopedInline, admin.TabularInline):
    model = Alias
    extra = 1
    fields = ["alias", "force", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    autocomplete_fields = ["force"]


class KeywordRuleInline(CampaignScopedInline, admin.TabularInline):
    model = KeywordRule
    extra = 1
    autocomplete_fields = ["force"]


class TermInline(CampaignScopedInline, admin.TabularInline):
    model = Term
    extra = 1
    fields = ["name", "position"]
    show_change_link = True  # aliases and rules are edited on the term's own page


@admin.register(Dimension)
class DimensionAdmin(CampaignScopedAdmin, AuditedAdmin):
    list_display = ["__str__", "name", "kind", "campaign", "position"]
    list_select_related = ["campaign"]
    list_filter = ["kind", "campaign"]
    search_fields = ["name", "title", "campaign__title"]
    inlines = [TermInline]

    # A campaign's dimensions come from its template: observations are keyed by them.
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Term)
class TermAdmin(CampaignScopedAdmin, AuditedAdmin):
    list_display = ["name", "dimension", "campaign", "position"]
    list_select_related = ["dimension__campaign"]
    list_filter = ["dimension__name", "dimension__campaign"]
    search_fields = ["name", "aliases__alias"]
    inlines = [AliasInline, KeywordRuleInline]

    @admin.display(ordering="dimension__campaign__title")
    def campaign(self, obj: Term) -> str:
        return obj.dimension.campaign.title


@admin.register(Abbreviation)
class AbbreviationAdmin(CampaignScopedAdmin, AuditedAdmin):
    list_display = ["short", "expansion", "campaign"]
    list_select_related = ["campaign"]
    list_filter = ["campaign"]
    search_fields = ["short", "expansion"]


@admin.register(Alias)
class AliasAdmin(CampaignScopedAdmin, AuditedAdmin):
    list_display = ["alias", "term", "force", "created_by", "created_at"]
    list_select_related = ["term", "force", "created_by"]
    list_filter = ["term__dimension__campaign", "force"]
    search_fields = ["alias"]
    autocomplete_fields = ["force"]


@admin.register(LabelMapping)
class LabelMappingAdmin(ReadOnlyAdmin, CampaignScopedAdmin, AuditedAdmin):
    """Labels researchers mapped for a whole campaign: made and changed from the review queue
    and the grid (which read the campaign's documents again), listed here with their history."""

    list_display = ["label", "dimension", "reads_as", "campaign", "force", "created_by"]
    list_select_related = ["campaign", "force", "created_by"]
    list_filter = ["campaign", "dimension"]
    search_fields = ["label"]

    @admin.display(description="reads as")
    def reads_as(self, obj: LabelMapping) -> str:
        return obj.value or "not part of this request"


@admin.register(KeywordRule)
class KeywordRuleAdmin(CampaignScopedAdmin, AuditedAdmin):
    list_display = ["all_of", "none_of", "term", "force"]
    list_select_related = ["term", "force"]


@admin.register(Observation)
class ObservationAdmin(CampaignScopedAdmin):
    list_display = [
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
    ]
    list_select_related = ["document", "force"]
    list_filter = ["derived", "period", "force", "document__request__campaign"]
    search_fields = ["document__original_name", "raw"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ObservationInline(CampaignScopedInline, admin.TabularInline):
    model = Observation
    extra = 0
    can_delete = False
    fields = ["table", "period", "dimensions", "value", "lower", "upper", "derived"]
    fields += ["sheet", "cell", "raw", "origin", "source", "entered_by"]
    readonly_fields = fields
    max_num = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReviewActionInline(CampaignScopedInline, admin.TabularInline):
    model = ReviewAction
    extra = 0
    can_delete = False
    fields = ["kind", "detail", "by", "at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


@admin.register(ReviewAction)
class ReviewActionAdmin(ReadOnlyAdmin, CampaignScopedAdmin, AuditedAdmin):
    """Review decisions are made on the document's page; here, read-only, with history."""

    list_display = ["document", "kind", "by", "at"]
    list_select_related = ["document", "by"]
    list_filter = ["kind"]


class DocumentDownloadInline(admin.TabularInline):
    """Every copy taken of the original file: who and when."""

    model = DocumentDownload
    extra = 0
    can_delete = False
    fields = ["by", "at"]
    readonly_fields = fields
    verbose_name, verbose_name_plural = "download", "Downloads of the original file"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


_RANGE = re.compile(r"^\s*(\d+)\s*(?:-|–|to)\s*(\d+)\s*$")


def figure_bounds(text: str) -> dict[str, int | None]:
    """A figure as a researcher types it: "12", "1,204", or a range "0-4" / "0 to 4" for a
    suppressed one. Raises ``ValidationError`` naming ``value``."""
    text = text.strip().replace(",", "")
    if text.isdigit():
        return {"value": int(text), "lower": None, "upper": None}
    if match := _RANGE.match(text):
        return {"value": None, "lower": int(match.group(1)), "upper": int(match.group(2))}
    raise ValidationError(
        {"value": f"{text!r} is not a figure: 12, or a range such as 0-4 for a suppressed one."}
    )


# One-click decisions on the review page; each posts to review_view.
REVIEW_ACTIONS = [
    "approve",
    "reparse",
    "no_data",
    "accept",
    "pin",
    "count_breakdown",
    "count_totals",
]


@admin.register(Document)
class DocumentAdmin(CampaignScopedAdmin, AuditedAdmin):
    list_display = [
        "original_name",
        "force",
        "campaign",
        "status",
        "rows_read",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    list_select_related = ["request__force", "request__campaign", "uploaded_by"]
    list_filter = ["status", "request__campaign", "request__force"]
    search_fields = ["original_name", "sha256"]
    readonly_fields = [
        "request",
        "original_name",
        "size",
        "sha256",
        "format",
        "status",
        "status_reason",
        "rows_read",
        "attempts",
        "excluded_tables",
        # Changed by the review buttons, which keep who and when and refresh the figures.
        "pinned",
        "count_breakdown",
        "uploaded_by",
        "uploaded_at",
        "original_deleted_at",
    ]
    exclude = ["file", "status_changed_at", "result"]
    inlines = [ReviewActionInline, DocumentDownloadInline, ObservationInline]
    change_form_template = "admin/requests_app/document/review.html"
    actions = ["reparse", "approve"]

    @admin.display(ordering="request__force__name")
    def force(self, obj: Document) -> str:
        return obj.request.force.short_name

    @admin.display(ordering="request__campaign__title")
    def campaign(self, obj: Document) -> str:
        return obj.request.campaign.title

    def has_add_permission(self, request) -> bool:
        return False  # upload on the FOI request's page, or through the API

    def get_urls(self):
        review = self.admin_site.admin_view(self.review_view)
        download = self.admin_site.admin_view(self.file_view)
        own = [
            path("<int:pk>/review/<str:action>/", review, name="document_review"),
            path("<int:pk>/file/", download, name="document_file"),
        ]
        return own + super().get_urls()

    def file_view(self, request: HttpRequest, pk: int):
        """The original file, to the campaign's owner and researchers only (readers and everyone
        else get 404), each download recorded; never a public URL."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = get_object_or_404(Document.objects.editable_by(request.user), pk=pk)
        try:
            original = services.document_download(document=document, by=request.user)
        except ValidationError as exc:
            raise Http404(" ".join(exc.messages)) from None
        return FileResponse(original, as_attachment=True, filename=document.original_name)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        document = self.get_object(request, object_id)
        if document is not None:
            result = document.result or {}
            choices = map_choices(document.request.campaign)
            extra_context = {
                **(extra_context or {}),
                "reason_rows": [
                    (line, choices.get(line.dimension) if line.code == "unknown_label" else None)
                    for line in selectors.document_reasons(document)
                ],
                "map_url": reverse("document-grid", args=[document.pk]),
                "own_force": [document.request.force],
                "can_map": access.can_edit(request.user, document),
                "tables": [
                    {**t, "index": i, "excluded": i in document.excluded_tables}
                    for i, t in enumerate(result.get("tables", []))
                ],
                "review_actions": REVIEW_ACTIONS,
                "entered": Observation.objects.filter(
                    document=document, origin=Observation.Origin.ENTERED
                ).select_related("entered_by"),
                "periods": document.request.campaign.periods,
                "dimension_inputs": [
                    (c.dimension, c.title, c.values, c.hint)
                    for c in map_choices(document.request.campaign).values()
                    if c.dimension not in (PERIOD, FORCE)
                ],
                "can_enter": access.can_edit(request.user, document),
                "can_download": access.can_edit(request.user, document),
                "retention_days": settings.RECORD_LIST_RETENTION_DAYS,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def review_view(self, request: HttpRequest, pk: int, action: str):
        document = get_object_or_404(
            self.get_queryset(request).select_related("request__campaign", "request__force"), pk=pk
        )
        back = HttpResponseRedirect(reverse("admin:requests_app_document_change", args=[pk]))
        if request.method != "POST" or not self.has_change_permission(request, document):
            self.message_user(request, "Not allowed.", messages.ERROR)
            return back
        try:
            message = self._review(request, document, action)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, message)
        return back

    def _review(self, request: HttpRequest, document: Document, action: str) -> str:
        by, data = request.user, request.POST
        match action:
            case "exclude_table":
                tables = [int(t) for t in data.getlist("table") if t.isdigit()]
                services.document_exclude_tables(document=document, tables=tables, by=by)
                return "Table excluded; the document is being read again."
            case "no_data":
                removed = services.document_mark_no_data(
                    document=document, by=by, note=data.get("note", "")
                )
                if removed:
                    return f"Marked no data; {removed} figure(s) entered by hand removed."
                return "Marked no data."
            case "reparse":
                services.document_reparse(document=document, by=by)
                return "Queued to be read again."
            case "approve":
                services.document_approve(document=document, by=by, note=data.get("note", ""))
                return "Approved: its figures now count."
            case "pin":
                services.request_choose_document(
                    request=document.request, document=document, by=by, note=data.get("note", "")
                )
                return f"{document.original_name} now counts over the request's other files."
            case "count_breakdown" | "count_totals":
                chosen = action == "count_breakdown"
                services.document_choose_reading(document=document, count_breakdown=chosen, by=by)
                return f"Counting the {'breakdown' if chosen else 'stated totals'}."
            case "accept":
                services.document_accept_as_response(document=document, by=by)
                return "The request is now marked response received."
            case "enter_figure":
                figure = services.document_enter_figure(
                    document=document,
                    period=data.get("period", ""),
                    dimensions={
                        name.removeprefix("dimension-"): value
                        for name, value in data.items()
                        if name.startswith("dimension-")
                    },
                    source=data.get("source", ""),
                    by=by,
                    **figure_bounds(data.get("figure", "")),
                )
                document.refresh_from_db()
                said = (
                    f"Entered: {figure.period} {figure.breakdown} = {figure.raw} ({figure.source})"
                )
                if document.status in COUNTED:
                    return f"{said}; it counts."
                if document.status in services.IN_FLIGHT:
                    return f"{said}; the document is being read: it counts once read."
                return f"{said}; it counts once the document is approved."
            case "remove_figure":
                figure = get_object_or_404(
                    Observation.objects.filter(document=document), pk=data.get("figure")
                )
                services.document_remove_figure(figure=figure, by=by)
                return f"Removed: {figure.period} {figure.breakdown} = {figure.raw}."
        raise ValidationError(f"Unknown review action {action!r}.")

    @admin.action(description="Read again", permissions=["change"])
    def reparse(self, request, queryset) -> None:
        for document in queryset:
            services.document_reparse(document=document, by=request.user)
        self.message_user(request, f"{queryset.count()} document(s) queued.")

    @admin.action(description="Approve", permissions=["change"])
    def approve(self, request, queryset) -> None:
        for document in queryset:
            try:
                services.document_approve(document=document, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{document}: {exc.messages[0]}", messages.WARNING)
