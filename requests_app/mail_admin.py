"""Admin for email: the letter's preview and sending, emails to forces, replies and their offers.

Every button here calls the same services as the API and the commands (``mail``, ``replies``).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from requests_app import mail, replies
from requests_app.admin_base import CampaignScopedAdmin
from requests_app.models import (
    Campaign,
    FOIRequest,
    OfferState,
    OutgoingEmail,
    Reply,
    UnmatchedReply,
)


def send_result_message(result: mail.SendResult) -> tuple[str, int]:
    """What sending did, in words for the admin: (message, level)."""
    text = f"{len(result.queued)} request(s) queued to be emailed."
    if result.skipped:
        names = ", ".join(force.short_name for force, _ in result.skipped)
        text += f" Not emailed, address not confirmed: {names}."
    return text, messages.WARNING if result.skipped else messages.SUCCESS


def campaign_send_view(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int):
    """GET: the letter as each force will read it, whom it goes to and whom it skips.
    POST (change permission): send it.

    As on the admin's own pages: 403 without the permission at all, then 404 for a campaign
    the user does not belong to, like one that does not exist (requests_app.access).
    """
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    campaign = get_object_or_404(model_admin.get_queryset(request).select_related("owner"), pk=pk)
    if request.method == "POST":
        if not model_admin.has_change_permission(request, campaign):
            raise PermissionDenied
        try:
            result = mail.campaign_send(campaign=campaign, by=request.user)
        except ValidationError as exc:
            model_admin.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            model_admin.message_user(request, *send_result_message(result))
        return HttpResponseRedirect(reverse("admin:requests_app_campaign_change", args=[pk]))
    plan = mail.campaign_send_plan(campaign)
    forces = list(campaign.target_forces.order_by("name"))
    shown = next((f for f in forces if f.slug == request.GET.get("force")), None)
    shown = shown or (plan.to_email or forces or [None])[0]
    subject, body = (
        mail.render_letter(campaign=campaign, force=shown, token=None) if shown else ("", "")
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Campaign._meta,
        "title": f"Send “{campaign.title}”",
        "campaign": campaign,
        "plan": plan,
        "forces": forces,
        "shown": shown,
        "subject": subject,
        "body": body,
        "can_send": model_admin.has_change_permission(request, campaign),
    }
    return TemplateResponse(request, "admin/requests_app/campaign/send.html", context)


def attachments_html(reply: Reply) -> str:
    def row(a: dict) -> tuple:
        if a.get("document"):
            url = reverse("admin:requests_app_document_change", args=[a["document"]])
            return (a["name"], format_html('<a href="{}">document</a>', url), a.get("reason", ""))
        return (a["name"], a.get("outcome", ""), a.get("reason", ""))

    return (
        format_html_join(
            "", "<div class='attachment'>{}: {} {}</div>", (row(a) for a in reply.attachments)
        )
        or "–"
    )


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(CampaignScopedAdmin):
    list_display = ["request", "kind", "level", "to_address", "status", "attempts", "sent_at"]
    list_select_related = ["request__force", "request__campaign"]
    list_filter = ["status", "kind", "request__campaign"]
    search_fields = ["to_address", "request__force__name", "message_id"]
    readonly_fields = [
        "request",
        "kind",
        "level",
        "to_address",
        "subject",
        "body",
        "message_id",
        "status",
        "reason",
        "attempts",
        "next_attempt_at",
        "created_by",
        "created_at",
        "sent_at",
        "event",
    ]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False  # sending a campaign or the daily chase makes them

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class FileReplyForm(forms.Form):
    """The request to file an unmatched reply on: one of the researcher's own campaigns'."""

    request = forms.ModelChoiceField(
        queryset=FOIRequest.objects.select_related("campaign", "force").order_by(
            "campaign__title", "force__name"
        ),
        label="File on the request",
        # The select sits in the reply's page; it belongs to the filing form below it.
        widget=forms.Select(attrs={"form": "reply-file", "id": "file-request"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["request"]
        field.queryset = field.queryset.editable_by(user)


REPLY_FIELDS = [
    "request",
    "kind",
    "sender_name",
    "sender",
    "original_sender",
    "recipients",
    "subject",
    "sent_at",
    "received_at",
    "source",
    "message_id",
    "matched_by",
    "filed_by",
    "event",
]


@admin.register(Reply)
class ReplyAdmin(CampaignScopedAdmin):
    """A reply as received: its text (plain, shown escaped), its attachments and the event its
    words look like, offered with a button."""

    list_display = ["received_at", "sender", "subject", "request", "matched_by", "offer_state"]
    list_select_related = ["request__force", "request__campaign"]
    list_filter = ["kind", "matched_by", "offer_state", "request__campaign"]
    search_fields = ["subject", "sender", "text", "message_id"]
    readonly_fields = REPLY_FIELDS
    fields = REPLY_FIELDS
    change_form_template = "admin/requests_app/reply/change_form.html"
    change_list_template = "admin/requests_app/reply/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False  # replies arrive by email

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        act = self.admin_site.admin_view(self.action_view)
        fetch = self.admin_site.admin_view(self.fetch_view)
        own = [
            path("<int:pk>/do/<str:action>/", act, name="reply_action"),
            path("fetch/", fetch, name="reply_fetch"),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        reply = self.get_object(request, object_id)
        if reply is not None:
            extra_context = {
                **(extra_context or {}),
                "reply": reply,
                "attachments": attachments_html(reply),
                "offer": reply.offer_summary(),
                "offer_open": reply.offer_state == OfferState.OPEN and reply.request_id,
                "offer_problem": replies.offer_problem(reply),
                "file_form": FileReplyForm(user=request.user) if reply.request_id is None else None,
                "can_act": self.has_change_permission(request, reply),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def action_view(self, request: HttpRequest, pk: int, action: str):
        reply = get_object_or_404(self.get_queryset(request).select_related("request"), pk=pk)
        back = HttpResponseRedirect(reverse("admin:requests_app_reply_change", args=[pk]))
        if request.method != "POST" or not self.has_change_permission(request, reply):
            self.message_user(request, "Not allowed.", messages.ERROR)
            return back
        try:
            message = self._act(request, reply, action)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, message)
        return back

    def _act(self, request: HttpRequest, reply: Reply, action: str) -> str:
        match action:
            case "record":
                event = replies.reply_record_offer(reply=reply, by=request.user)
                return (
                    f"Recorded on the timeline: {event.get_kind_display()} on {event.occurred_on}."
                )
            case "dismiss":
                replies.reply_dismiss_offer(reply=reply, by=request.user)
                return "Dismissed; nothing recorded."
            case "file":
                form = FileReplyForm(request.POST, user=request.user)
                if not form.is_valid():
                    raise ValidationError(form.errors.as_text())
                filed = replies.reply_file(
                    reply=reply, request=form.cleaned_data["request"], by=request.user
                )
                return f"Filed on {filed.request}."
        raise ValidationError(f"Unknown action {action!r}.")

    def fetch_view(self, request: HttpRequest):
        back = HttpResponseRedirect(reverse("admin:requests_app_reply_changelist"))
        if request.method != "POST" or not self.has_change_permission(request):
            self.message_user(request, "Not allowed.", messages.ERROR)
            return back
        try:
            result = replies.fetch_replies()
        except (OSError, ValueError) as exc:
            self.message_user(request, f"Could not fetch replies: {exc}", messages.ERROR)
            return back
        unmatched = sum(1 for r in result.new if r.request_id is None)
        text = f"{len(result.new)} new repl(ies) stored, {unmatched} unmatched"
        text += f"; {result.duplicates} fetched before." if result.duplicates else "."
        if result.failed:
            text += f" Could not store: {'; '.join(result.failed)}"
        self.message_user(request, text, messages.WARNING if result.failed else messages.SUCCESS)
        return back


@admin.register(UnmatchedReply)
class UnmatchedReplyAdmin(ReplyAdmin):
    """Replies no rule matched, waiting for a researcher to file them (on the reply's page)."""

    list_display = ["received_at", "sender", "subject", "kind"]
    list_filter = ["kind"]

    def get_urls(self):
        return super(ReplyAdmin, self).get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # One page per reply: the reply's own, where it is filed. A reply the user may not see
        # (or one filed since) answers 404 here, like every other page.
        reply = self.get_object(request, unquote(object_id))
        if reply is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return HttpResponseRedirect(reverse("admin:requests_app_reply_change", args=[reply.pk]))
