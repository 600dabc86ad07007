from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from aggregation import services as document_services
from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE
from aggregation.models import CampaignTemplate
from requests_app import access, mail, selectors, services
from requests_app.admin_base import (
    AuditedAdmin,
    CampaignScopedAdmin,
    CampaignScopedInline,
    ReadOnlyAdmin,
)
from requests_app.mail_admin import campaign_send_view, send_result_message
from requests_app.models import (
    REFERENCE_MAX_LENGTH,
    Campaign,
    CampaignMember,
    Document,
    Exemption,
    FOIRequest,
    Force,
    ForceAlias,
    RequestEvent,
)


class ListField(forms.CharField):
    """A list edited as text, one item per comma: "2017-18, 2018-19"; JSON lists pass too."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value) -> list[str]:
        text = (super().to_python(value) or "").strip().strip("[]")
        return [part.strip().strip("'\"") for part in text.split(",") if part.strip()]


class CampaignForm(forms.ModelForm):
    """A new campaign asks a template's question; later, its measure words and scope may be
    tuned, never its period kind (the figures already read depend on it)."""

    periods = ListField(
        required=False,
        help_text="Periods of the campaign's kind, e.g. 2017-18, 2018-19 (financial years), "
        "2018 (calendar years), 2018-06 (months). Leave empty for the template's.",
    )

    class Meta:
        model = Campaign
        fields = [
            "title",
            "slug",
            "owner",
            "template",
            "request_text",
            "periods",
            "target_forces",
            "measure",
            "measure_description",
            "measure_words",
            "measure_subjects",
            "max_age",
            "require_flag",
            "chase_overdue",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "request_text" in self.fields:
            self.fields["request_text"].required = False
            self.fields["request_text"].help_text = "Leave empty for the template's wording."
        if "template" in self.fields:
            self.fields["template"].empty_label = None  # always one: the default preselected
            self.fields["template"].initial = CampaignTemplate.objects.filter(
                slug=DEFAULT_TEMPLATE
            ).first()

    def clean(self):
        data = super().clean()
        if not self.instance.pk and not data.get("template") and "template" not in self.errors:
            data["template"] = CampaignTemplate.objects.get(slug=DEFAULT_TEMPLATE)
        template = data.get("template")
        if template is not None and not self.instance.pk:
            # The template decides the kind of period the periods are checked against.
            self.instance.period_kind = template.definition["period_kind"]
            if not data.get("periods"):
                data["periods"] = list(template.definition["periods"])
        return data


class ForceAliasInline(admin.TabularInline):
    model = ForceAlias
    extra = 1


@admin.register(Force)
class ForceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "short_name",
        "nation",
        "kind",
        "foi_regime",
        "foi_email",
        "foi_email_confirmed",
    ]
    list_filter = ["foi_email_confirmed", "nation", "kind", "foi_regime"]
    search_fields = ["name", "short_name", "slug", "aliases__alias"]
    readonly_fields = ["slug", "foi_email_note"]
    inlines = [ForceAliasInline]
    actions = ["confirm_foi_email"]

    def save_model(self, request, obj, form, change) -> None:
        ticked = "foi_email_confirmed" in form.changed_data and obj.foi_email_confirmed
        if change and "foi_email" in form.changed_data and not ticked:
            # A confirmation vouched for the old address, not this one.
            obj.foi_email_confirmed = False
            obj.foi_email_note = "Changed; confirm the new address before requests are emailed."
            self.message_user(request, f"{obj}: the new address is not confirmed yet.")
        elif obj.foi_email_confirmed:
            obj.foi_email_note = ""
        super().save_model(request, obj, form, change)

    @admin.action(description="Confirm their FOI email addresses", permissions=["change"])
    def confirm_foi_email(self, request: HttpRequest, queryset) -> None:
        for force in queryset:
            mail.force_confirm_email(force=force, by=request.user)
        self.message_user(request, f"{queryset.count()} FOI address(es) confirmed.")


@admin.register(ForceAlias)
class ForceAliasAdmin(AuditedAdmin):
    """Aliases are edited on their force's page; here each keeps its history."""

    list_display = ["alias", "force"]
    list_select_related = ["force"]
    search_fields = ["alias", "force__name"]
    autocomplete_fields = ["force"]


@admin.register(Exemption)
class ExemptionAdmin(admin.ModelAdmin):
    list_display = ["code", "label"]


class CampaignMemberForm(forms.ModelForm):
    class Meta:
        model = CampaignMember
        fields = ["user", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = get_user_model().objects.filter(is_active=True)


class CampaignMemberInline(CampaignScopedInline, admin.TabularInline):
    """Who else sees the campaign: only the owner (and superusers) change this list."""

    model = CampaignMember
    form = CampaignMemberForm
    extra = 1
    fields = ["user", "role", "added_at"]
    readonly_fields = ["added_at"]
    verbose_name, verbose_name_plural = "member", "Members (besides the owner)"

    def parent_allows(self, request, obj) -> bool:
        # On the add page the campaign does not exist yet; whoever adds it will own it.
        return obj is None or access.may_manage_members(request.user, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(Campaign)
class CampaignAdmin(CampaignScopedAdmin):
    form = CampaignForm
    list_display = [
        "title",
        "figures",
        "measure",
        "owner",
        "sent_on",
        "request_count",
        "overdue_count",
    ]
    list_select_related = ["owner"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["target_forces"]
    readonly_fields = ["sent_on", "created_at", "period_kind", "dimensions_list"]
    actions = ["send_campaigns"]
    search_fields = ["title", "slug"]
    add_fieldsets = [
        (None, {"fields": ["title", "slug", "owner", "template", "request_text", "periods"]}),
        ("Forces asked", {"fields": ["target_forces"]}),
    ]
    change_fieldsets = [
        (None, {"fields": ["title", "slug", "owner", "request_text", "periods", "sent_on"]}),
        (
            "What the campaign counts",
            {
                "fields": [
                    "measure",
                    "measure_description",
                    "measure_words",
                    "measure_subjects",
                    "period_kind",
                    "dimensions_list",
                    "max_age",
                    "require_flag",
                ]
            },
        ),
        ("Forces asked", {"fields": ["target_forces", "chase_overdue"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        return self.change_fieldsets if obj else self.add_fieldsets

    @admin.display(description="figures")
    def figures(self, obj: Campaign) -> str:
        return format_html('<a href="{}">Figures</a>', reverse("dashboard", args=[obj.slug]))

    @admin.display(description="dimensions")
    def dimensions_list(self, obj: Campaign) -> str:
        links = [
            format_html(
                '<a href="{}">{}</a>',
                reverse("admin:aggregation_dimension_change", args=[d.pk]),
                f"{d.title or d.name} ({d.kind})",
            )
            for d in obj.dimensions.all()
        ]
        return format_html_join(", ", "{}", ((link,) for link in links)) or "–"

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # A new campaign takes the template's question and a copy of its vocabulary.
        document_services.campaign_apply_template(
            campaign=obj, template=form.cleaned_data["template"], periods=obj.periods
        )

    inlines = [CampaignMemberInline]
    # Explicit: the counts below group the query, and grouped queries drop Meta.ordering.
    ordering = ["-created_at"]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_requests=Count("requests"),
                n_overdue=Count("requests", filter=~Q(requests__lateness="on_time")),
            )
        )

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("template")  # a campaign's question is set once
        # Whoever adds a campaign owns it; only a superuser hands a campaign to someone else.
        return fields if access.is_superuser(request.user) else [*fields, "owner"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(
                    Q(is_superuser=True) | Q(groups__name=access.RESEARCHER_GROUP),
                    is_active=True,
                )
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_form(self, request, form, change):
        campaign = super().save_form(request, form, change)
        if not change and not campaign.owner_id:
            # Before the members inline is checked, which refuses the owner as a member.
            campaign.owner = request.user
        return campaign

    @admin.display(description="requests", ordering="n_requests")
    def request_count(self, obj: Campaign) -> int:
        return obj.n_requests

    @admin.display(description="overdue", ordering="n_overdue")
    def overdue_count(self, obj: Campaign) -> int:
        return obj.n_overdue

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("owner", request.user.pk)
        initial.setdefault("target_forces", Force.objects.default_targets())
        return initial

    def get_urls(self):
        send = self.admin_site.admin_view(lambda request, pk: campaign_send_view(self, request, pk))
        return [path("<int:pk>/send/", send, name="campaign_send"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, object_id)
        if campaign is not None:
            extra_context = {
                **(extra_context or {}),
                "status_counts": selectors.campaign_status_counts(campaign),
                "outcome": selectors.campaign_outcome(campaign),
                "overdue": selectors.campaign_overdue_requests(campaign),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Send to every target force", permissions=["change"])
    def send_campaigns(self, request: HttpRequest, queryset) -> None:
        """Email every confirmed force not yet sent; the campaign's "Preview and send" page
        shows the letter and the skipped forces first."""
        for campaign in queryset:
            try:
                result = mail.campaign_send(campaign=campaign, by=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{campaign}: {exc.messages[0]}", messages.ERROR)
            else:
                text, level = send_result_message(result)
                self.message_user(request, f"{campaign}: {text}", level)


class EventForm(forms.ModelForm):
    """A new timeline event; the service decides whether it may happen."""

    exemptions = forms.ModelMultipleChoiceField(
        queryset=Exemption.objects.all(), required=False, help_text="Refusals only."
    )
    ncnd = forms.BooleanField(label="NCND", required=False)
    reference = forms.CharField(
        required=False,
        max_length=REFERENCE_MAX_LENGTH,
        help_text="The force's reference, if given.",
    )

    class Meta:
        model = RequestEvent
        fields = ["kind", "occurred_on", "target_on", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2, "cols": 30})}

    def clean(self):
        data = super().clean()
        request = self.instance.request if self.instance.request_id else None
        if request is None or self.errors or not self.has_changed():
            return data
        try:
            services.check_event(
                request=request,
                kind=data["kind"],
                on=data["occurred_on"],
                target_on=data.get("target_on"),
                exemptions=[e.code for e in data.get("exemptions") or []],
                ncnd=data.get("ncnd", False),
            )
        except ValidationError as exc:
            raise ValidationError(
                {f if f in self.fields else None: m for f, m in exc.message_dict.items()}
            ) from None
        return data


class RequestEventInline(CampaignScopedInline, admin.TabularInline):
    model = RequestEvent
    form = EventForm
    verbose_name, verbose_name_plural = "event", "Timeline"
    extra = 1
    can_delete = False
    fields = [
        "kind",
        "occurred_on",
        "target_on",
        "note",
        "exemptions",
        "ncnd",
        "reference",
        "status_after",
        "recorded_by",
    ]
    readonly_fields = ["status_after", "recorded_by"]

    def has_change_permission(self, request, obj=None) -> bool:
        # The timeline is a record of what happened: add to it, never rewrite it.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class DocumentInline(CampaignScopedInline, admin.TabularInline):
    model = Document
    extra = 0
    can_delete = False
    fields = ["original_name", "size", "status", "status_reason", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class FOIRequestForm(forms.ModelForm):
    responses = MultipleFileField(
        required=False,
        label="Upload response files",
        help_text=(
            "xlsx, xls, ods, csv, text PDF or Word (.docx); several at once. "
            "Each is read on the workers."
        ),
    )

    references = ListField(required=False, help_text="The force's own references, by commas.")

    class Meta:
        model = FOIRequest
        fields = ["references"]

    def clean_responses(self) -> list[tuple[str, bytes]]:
        files = []
        for upload in self.cleaned_data["responses"]:
            content = upload.read()
            document_services.check_upload(name=upload.name, content=content)
            files.append((upload.name, content))
        return files


class LatenessFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "late"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Overdue"),
            ("very_overdue", "Very overdue"),
            ("review", "Internal review overdue"),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "overdue":
                return queryset.exclude(lateness="on_time")
            case "very_overdue":
                return queryset.filter(lateness="very_overdue")
            case "review":
                return queryset.filter(review_overdue=True)
        return queryset


@admin.register(FOIRequest)
class FOIRequestAdmin(CampaignScopedAdmin, AuditedAdmin):
    list_display = [
        "force",
        "campaign",
        "status",
        "sent_on",
        "due_on",
        "lateness",
        "answered_on",
        "references_display",
    ]
    list_select_related = ["force", "campaign"]
    list_filter = [LatenessFilter, "status", "lateness", "review_overdue", "campaign", "force"]
    search_fields = ["force__name", "campaign__title", "references"]
    date_hierarchy = "sent_on"
    readonly_fields = [
        "campaign",
        "force",
        "status",
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
    form = FOIRequestForm
    fields = ["references", "responses", *readonly_fields]
    inlines = [RequestEventInline, DocumentInline]
    actions = ["acknowledge_today", "resend_today"]

    def has_add_permission(self, request) -> bool:
        return False  # requests are created by sending a campaign

    @admin.display(description="references")
    def references_display(self, obj: FOIRequest) -> str:
        return ", ".join(obj.references)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for name, content in form.cleaned_data.get("responses", []):
            _, new = document_services.document_upload(
                request=form.instance, name=name, content=content, by=request.user, answer=True
            )
            if not new:
                self.message_user(request, f"{name} was uploaded before.", messages.WARNING)

    def save_formset(self, request, form, formset, change):
        if formset.model is not RequestEvent:
            return super().save_formset(request, form, formset, change)
        # The service writes the event; the admin's change message reads what it created.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for event_form in formset.extra_forms:
            if not event_form.has_changed():
                continue
            data = event_form.cleaned_data
            event = services.record_event(
                request=form.instance,
                kind=data["kind"],
                by=request.user,
                on=data["occurred_on"],
                note=data.get("note", ""),
                target_on=data.get("target_on"),
                exemptions=[e.code for e in data.get("exemptions") or []],
                ncnd=data.get("ncnd", False),
                reference=data.get("reference", ""),
            )
            formset.new_objects.append(event)

    def _apply(self, request, queryset, service, verb: str) -> None:
        done = 0
        for foi_request in queryset.select_related("force"):
            try:
                service(request=foi_request, by=request.user, on=timezone.localdate())
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{foi_request}: {exc.messages[0]}", messages.WARNING)
        self.message_user(request, f"{done} request(s) {verb}.")

    @admin.action(description="Record acknowledgement today", permissions=["change"])
    def acknowledge_today(self, request, queryset) -> None:
        self._apply(request, queryset, services.foi_request_acknowledge, "acknowledged")

    @admin.action(
        description="Record re-sent today (keeps the original clock)", permissions=["change"]
    )
    def resend_today(self, request, queryset) -> None:
        self._apply(request, queryset, services.foi_request_resend, "re-sent")


@admin.register(RequestEvent)
class RequestEventAdmin(ReadOnlyAdmin, CampaignScopedAdmin, AuditedAdmin):
    """Events are added on the request's page, where the service checks each transition."""

    list_display = [
        "request",
        "kind",
        "occurred_on",
        "status_before",
        "status_after",
        "recorded_by",
    ]
    list_select_related = ["request__force", "request__campaign", "recorded_by"]
    list_filter = ["kind", "request__campaign"]
