"""The campaign dashboard in the admin: the headline, charts, tables, sources and exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from aggregation import charts, exports
from aggregation.rollups import campaign_rollup, figure_sources
from requests_app import access
from requests_app.models import Campaign
from requests_app.selectors import campaign_outcome

# Staff who may view campaigns at all (403 otherwise); then only the campaigns they belong to.
can_view = permission_required("requests_app.view_campaign", raise_exception=True)


def _campaign(request: HttpRequest, slug: str) -> Campaign:
    """The user's campaign by slug; 404 for one they do not belong to, as for no campaign."""
    return get_object_or_404(Campaign.objects.visible_to(request.user), slug=slug)


def _sources_url(base: str, **params: str) -> str:
    """A link to the sources page: `base` is its URL, reversed once per page, not per link."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return base + (f"?{query}" if query else "")


def _bar(label: str, figure: dict | None, href: str = "", note: str = "") -> charts.Bar:
    if not figure or figure.get("lower") is None:
        return charts.Bar(label, None, None, note=note)
    return charts.Bar(label, figure["lower"], figure["upper"], href)


def _charts(sources: str, rollup: dict, names: dict[str, str]) -> dict[str, str]:
    periods = rollup["periods"]
    last = periods[-1] if periods else None
    trend = [_bar(p, rollup["national"][p], _sources_url(sources, period=p)) for p in periods]
    result = {"trend": charts.vertical(trend, title="Offences recorded, all reporting forces")}
    if last is None:
        return result
    forces = [
        _bar(
            names.get(slug, slug),
            by_period.get(last),
            _sources_url(sources, period=last, force=slug),
        )
        for slug, by_period in rollup["by_force"].items()
        if last in by_period
    ]
    forces.sort(key=lambda b: (-(b.upper or 0), b.label))
    forces += [
        charts.Bar(names.get(slug, slug), None, None, note=why)
        for slug, why in rollup["coverage"][last]["missing"].items()
    ]
    result["forces"] = charts.horizontal(forces, title=f"By force, {last} (largest first)")
    ages = [
        _bar(age, b, _sources_url(sources, period=last, age=age))
        for age, b in rollup["age"][last]["ages"].items()
    ]
    result["ages"] = charts.horizontal(ages, title=f"By age of victim, {last}")
    offences = [
        _bar(name, b, _sources_url(sources, period=last, offence=name))
        for name, b in rollup["offence"][last].items()
    ]
    result["offences"] = charts.horizontal(offences, title=f"By offence, {last}")
    return result


@can_view
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    rollup = campaign_rollup(campaign)
    sources = reverse("dashboard-sources", args=[campaign.slug])
    names = rollup["force_names"]
    context = {
        **admin.site.each_context(request),
        "title": f"Figures: {campaign.title}",
        "campaign": campaign,
        "rollup": rollup,
        "charts": {k: mark_safe(v) for k, v in _charts(sources, rollup, names).items()},
        "outcome": campaign_outcome(campaign),
        "rows": _national_rows(sources, rollup),
        "force_rows": _force_rows(sources, rollup, names),
    }
    return render(request, "aggregation/dashboard.html", context)


def _national_rows(sources: str, rollup: dict) -> list[dict]:
    return [
        {
            "period": p,
            "national": rollup["national"][p],
            "age": rollup["age"][p],
            "like": rollup["like_for_like"]["national"][p],
            "change": rollup["change"].get(f"{rollup['periods'][i - 1]} to {p}") if i else None,
            "href": _sources_url(sources, period=p),
            "missing": rollup["coverage"][p]["missing"],
        }
        for i, p in enumerate(rollup["periods"])
    ]


def _force_rows(sources: str, rollup: dict, names: dict[str, str]) -> list[dict]:
    return [
        {
            "force": names.get(slug, slug),
            "cells": [
                {"figure": by_period.get(p), "href": _sources_url(sources, period=p, force=slug)}
                for p in rollup["periods"]
            ],
        }
        for slug, by_period in sorted(rollup["by_force"].items())
    ]


@can_view
def sources(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    params = {k: request.GET.get(k) for k in ("period", "force", "age", "offence")}
    observations = figure_sources(campaign, **params)
    context = {
        **admin.site.each_context(request),
        "title": f"Sources: {campaign.title}",
        "campaign": campaign,
        "params": {k: v for k, v in params.items() if v},
        "observations": observations,
        "can_download": access.can_edit(request.user, campaign),
    }
    return render(request, "aggregation/sources.html", context)


@can_view
def export_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    content = exports.workbook_bytes(campaign_rollup(campaign), figure_sources(campaign))
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-figures.xlsx"'
    return response


@can_view
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    text = exports.csv_text(campaign_rollup(campaign), figure_sources(campaign))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-figures.csv"'
    return response
