"""Vocabulary editing and the review of each response document."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse

from aggregation import services
from aggregation.models import (
    LABEL_MAX_LENGTH,
    Alias,
    KeywordRule,
    Observation,
    ReviewAction,
    Term,
)
from aggregation.selectors import campaign_terms
from requests_app.admin import AuditedAdmin
from requests_app.models import Document


class AliasInline(admin.TabularInline):
    model = Alias
    extra = 1
    fields = ["alias", "force", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    autocomplete_fields = ["force"]


class KeywordRuleInline(admin.TabularInline):
    model = KeywordRule
    extra = 1
    autocomplete_fields = ["force"]


@admin.register(Term)
class TermAdmin(AuditedAdmin):
    list_display = ["name", "dimension", "campaign", "position"]
    list_select_related = ["campaign"]
    list_filter = ["dimension", "campaign"]
    search_fields = ["name", "aliases__alias"]
    inlines = [AliasInline, KeywordRuleInline]


@admin.register(Alias)
class AliasAdmin(AuditedAdmin):
    list_display = ["alias", "term", "force", "created_by", "created_at"]
    list_select_related = ["term", "force", "created_by"]
    list_filter = ["term", "force"]
    search_fields = ["alias"]
    autocomplete_fields = ["force"]


@admin.register(KeywordRule)
class KeywordRuleAdmin(AuditedAdmin):
    list_display = ["all_of", "none_of", "term", "force"]
    list_select_related = ["term", "force"]


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = [
        "document",
        "force",
        "period",
        "age",
        "offence",
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
    search_fields = ["document__original_name", "offence", "raw"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ObservationInline(admin.TabularInline):
    model = Observation
    extra = 0
    can_delete = False
    fields = ["table", "period", "age", "offence", "value", "lower", "upper", "derived"]
    fields += ["sheet", "cell", "raw"]
    readonly_fields = fields
    max_num = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReviewActionInline(admin.TabularInline):
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
class ReviewActionAdmin(AuditedAdmin):
    """Review decisions are made on the document's page; here, read-only, with history."""

    list_display = ["document", "kind", "by", "at"]
    list_select_related = ["document", "by"]
    list_filter = ["kind"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


class MapLabelForm(forms.Form):
    label = forms.CharField(max_length=LABEL_MAX_LENGTH)
    term = forms.ModelChoiceField(queryset=Term.objects.none())
    this_force_only = forms.BooleanField(required=False)

    def __init__(self, *args, document: Document, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = campaign_terms(document.request.campaign)


@admin.register(Document)
class DocumentAdmin(AuditedAdmin):
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
    ]
    exclude = ["file", "status_changed_at", "result"]
    inlines = [ReviewActionInline, ObservationInline]
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
        """The uploaded file itself, to people who may see the document; never a public URL."""
        document = get_object_or_404(Document, pk=pk)
        if not self.has_view_permission(request, document):
            raise PermissionDenied
        return FileResponse(
            document.file.open("rb"), as_attachment=True, filename=document.original_name
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        document = self.get_object(request, object_id)
        if document is not None:
            result = document.result or {}
            extra_context = {
                **(extra_context or {}),
                "reasons": result.get("reasons", []),
                "tables": [
                    {**t, "index": i, "excluded": i in document.excluded_tables}
                    for i, t in enumerate(result.get("tables", []))
                ],
                "unknown_labels": sorted(
                    {r["label"] for r in result.get("reasons", []) if r.get("label")}
                ),
                "terms": campaign_terms(document.request.campaign),
                "review_actions": REVIEW_ACTIONS,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def review_view(self, request: HttpRequest, pk: int, action: str):
        document = get_object_or_404(
            Document.objects.select_related("request__campaign", "request__force"), pk=pk
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
            case "map_label":
                form = MapLabelForm(data, document=document)
                if not form.is_valid():
                    raise ValidationError(form.errors.as_text())
                services.document_map_label(document=document, by=by, **form.cleaned_data)
                return f"“{form.cleaned_data['label']}” now means {form.cleaned_data['term']}."
            case "exclude_table":
                tables = [int(t) for t in data.getlist("table") if t.isdigit()]
                services.document_exclude_tables(document=document, tables=tables, by=by)
                return "Table excluded; the document is being read again."
            case "no_data":
                services.document_mark_no_data(document=document, by=by, note=data.get("note", ""))
                return "Marked no data."
            case "reparse":
                services.document_reparse(document=document, by=by)
                return "Queued to be read again."
            case "approve":
                services.document_approve(document=document, by=by, note=data.get("note", ""))
                return "Approved: its figures now count."
            case "pin":
                services.document_pin(document=document, by=by)
                return "This document now counts over the force's others."
            case "count_breakdown" | "count_totals":
                chosen = action == "count_breakdown"
                services.document_choose_reading(document=document, count_breakdown=chosen, by=by)
                return f"Counting the {'breakdown' if chosen else 'stated totals'}."
            case "accept":
                services.document_accept_as_response(document=document, by=by)
                return "The request is now marked response received."
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
