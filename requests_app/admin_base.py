"""The admin's bases for campaign-owned models: scoped to the user's campaigns (see
``requests_app.access``), and with simple-history's pages closed to writes by readers."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from requests_app import access


def _may(request: HttpRequest, obj, *, write: bool) -> bool:
    """can_view / can_edit, asked once per row and page: the admin asks many times per page."""
    cache = request.__dict__.setdefault("_campaign_access", {})
    key = (obj._meta.label, obj.pk, write)
    if key not in cache:
        check = access.can_edit if write else access.can_view
        cache[key] = check(request.user, obj)
    return cache[key]


def _scoped_choices(db_field, request: HttpRequest, kwargs: dict) -> dict:
    """A choice of campaign-owned rows offers only those the user may change.

    A nullable link on the path to the campaign (a reply's request) must be filled in by anyone
    but a superuser: only a superuser leaves a row reaching no campaign.
    """
    related = db_field.related_model
    if related is None or not access.is_campaign_owned(related) or "queryset" in kwargs:
        return kwargs
    kwargs["queryset"] = related._default_manager.editable_by(request.user)
    model = db_field.model
    if (
        db_field.null
        and access.is_campaign_owned(model)
        and access.campaign_path(model)[0].split("__")[0] == db_field.name
        and not access.is_superuser(request.user)
    ):
        kwargs["required"] = True
    return kwargs


class CampaignScopedAdmin(admin.ModelAdmin):
    """The admin of a campaign-owned model (see ``requests_app.access``).

    Its list, search, filters, date drill-down and autocomplete hold only the campaigns the user
    belongs to; a page for any other id (change, history, delete) answers 404, like an id that
    does not exist (Django's admin would redirect); a row the user may see but not change shows
    read-only; choices of campaign-owned rows offer only what the user may change; and actions,
    which all change things, run only on the selected rows the user may change.
    """

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).visible_to(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or _may(request, obj, write=False))

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or _may(request, obj, write=True))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or _may(request, obj, write=True))

    def get_list_filter(self, request):
        # Django's related filter lists every campaign (or term) by name; list only those in
        # the user's own rows.
        scoped = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str):
                field = get_fields_from_path(self.model, entry)[-1]
                if field.is_relation and access.is_campaign_owned(field.related_model):
                    entry = (entry, admin.RelatedOnlyFieldListFilter)
            scoped.append(entry)
        return scoped

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **_scoped_choices(db_field, request, kwargs)
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(
            db_field, request, **_scoped_choices(db_field, request, kwargs)
        )

    def response_action(self, request, queryset):
        return super().response_action(request, queryset.editable_by(request.user))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Out of scope and absent look the same: 404, never a hint that the id exists.
        raise Http404(f"No {opts.verbose_name} with id {object_id!r}.")


class CampaignScopedInline:
    """An inline on a campaign-owned page: it adds, changes and deletes only where the page's
    row may be changed, and its choices of campaign-owned rows are scoped like the page's."""

    def parent_allows(self, request, obj) -> bool:
        """Whether the page's row (None on an add page) lets this user change the inline."""
        return obj is None or _may(request, obj, write=True)

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and self.parent_allows(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and self.parent_allows(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and self.parent_allows(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **_scoped_choices(db_field, request, kwargs)
        )


class ReadOnlyAdmin:
    """Records made by services elsewhere (a review decision, a mapping, a timeline event):
    listed with their history here, never added, changed or deleted through this page. Put it
    first among the bases, so that no scoped base grants what this refuses."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditedAdmin(SimpleHistoryAdmin):
    """The history pages of simple-history, where only a user who may change may revert.

    simple-history saves a POST to a past version's page after checking only *view*
    permission; a reader must be able to look at history, never to write through it. Its pages
    also read the historical rows directly, so the row's own visibility is checked first: a
    history page of a row the user may not see answers 404. (A deleted row's history is then
    for superusers only, since it no longer belongs to a campaign anyone is a member of.)
    """

    def _visible_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None and not access.is_superuser(request.user):
            raise Http404(f"No {self.opts.verbose_name} with id {object_id!r}.")
        return obj

    def history_view(self, request, object_id, extra_context=None):
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        obj = self._visible_or_404(request, object_id)
        if request.method == "POST" and not self.has_change_permission(request, obj):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
