"""The admin site: the researcher's own models first, and every campaign one click from its
figures, on the home page."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

# Apps and models in the order a researcher's day runs through them; anything else after.
ORDER = [
    ("requests_app", ["campaign", "foirequest", "document", "requestevent", "force"]),
    ("aggregation", ["dimension", "term", "alias", "keywordrule", "abbreviation"]),
]


def _position(names: list[str], name: str) -> int:
    return names.index(name) if name in names else len(names)


class FoitrackAdminSite(admin.AdminSite):
    site_header = site_title = "foitrack"
    index_title = "FOI requests to police forces, and the figures they return"
    index_template = "admin/foitrack_index.html"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        app_list = super().get_app_list(request, app_label)
        order = dict(ORDER)
        labels = [label for label, _ in ORDER]
        app_list.sort(
            key=lambda a: labels.index(a["app_label"]) if a["app_label"] in labels else 99
        )
        for app in app_list:
            names = order.get(app["app_label"], [])
            app["models"].sort(
                key=lambda m, names=names: _position(names, m["object_name"].lower())
            )
        return app_list

    def index(self, request: HttpRequest, extra_context: dict | None = None):
        Campaign = apps.get_model("requests_app", "Campaign")
        campaigns = Campaign.objects.order_by("-created_at")
        if not request.user.has_perm("requests_app.view_campaign"):
            campaigns = Campaign.objects.none()
        return super().index(request, {**(extra_context or {}), "campaigns": campaigns[:50]})


class FoitrackAdminConfig(AdminConfig):
    default_site = "foitrack.admin.FoitrackAdminSite"
