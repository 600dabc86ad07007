"""The campaign dashboard in the admin: the headline, charts, tables, sources and exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from aggregation import charts, exports
from aggregation.rollups import (
    CONFLICTS_PER_PAGE,
    campaign_rollup,
    figure_sources,
    stored_conflicts,
)
from requests_app import access
from requests_app.models import Campaign, FOIRequest
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


def _covers(n: int, expected: int) -> str:
    return f"{n} of {expected} forces"


def _charts(sources: str, rollup: dict, period: str | None) -> dict[str, str]:
    """The national trend, then for the chosen period: every force, and every dimension's
    breakdown, each chart saying how many forces it covers."""
    names, expected = rollup["force_names"], rollup["forces_expected"]
    trend = [
        _bar(p, rollup["national"][p], _sources_url(sources, period=p)) for p in rollup["periods"]
    ]
    result = {
        "trend": charts.vertical(
            trend, title=f"{rollup['measure'].capitalize()}, all reporting forces"
        )
    }
    if period is None:
        return result
    expected_slugs = set(rollup["coverage"][period]["reporting"])
    forces = [
        _bar(
            names.get(slug, slug),
            by_period.get(period),
            _sources_url(sources, period=period, force=slug),
        )
        for slug, by_period in rollup["by_force"].items()
        # The forces the campaign asked: the national figure and its coverage count only them.
        if slug in expected_slugs
    ]
    forces.sort(key=lambda b: (-(b.upper or 0), b.label))
    forces += [
        charts.Bar(names.get(slug, slug), None, None, note=why)
        for slug, why in rollup["coverage"][period]["missing"].items()
    ]
    reporting = rollup["national"][period]["forces_reporting"]
    result["forces"] = charts.horizontal(
        forces, title=f"By force, {period} (largest first; {_covers(reporting, expected)})"
    )
    for name, by_period in rollup["dimensions"].items():
        breakdown = by_period.get(period, {})
        covered = next(iter(breakdown.values()), {}).get("forces_reporting", 0)
        title = rollup["dimension_info"][name]["title"]
        bars = [
            _bar(value, b, _sources_url(sources, period=period, **{name: value}))
            for value, b in breakdown.items()
        ]
        result[f"dimension-{name}"] = charts.horizontal(
            bars, title=f"By {title.lower()}, {period} ({_covers(covered, expected)})"
        )
    return result


def _chosen_period(request: HttpRequest, rollup: dict) -> str | None:
    """The period the breakdowns show: the one asked for, else the latest with figures."""
    asked = request.GET.get("period")
    if asked in rollup["periods"]:
        return asked
    with_figures = [p for p in rollup["periods"] if rollup["national"][p]["lower"] is not None]
    return (with_figures or rollup["periods"] or [None])[-1]


@can_view
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    rollup = campaign_rollup(campaign, conflicts=False)
    sources = reverse("dashboard-sources", args=[campaign.slug])
    period = _chosen_period(request, rollup)
    # A campaign may have thousands of conflicts: summarised per force, read a page at a time.
    conflicts, conflict_rows = None, []
    if rollup["conflicts_count"]:
        paginator = Paginator(stored_conflicts(campaign), CONFLICTS_PER_PAGE)
        paginator.count = rollup["conflicts_count"]  # stored with the rows: no count(*) again
        conflicts = paginator.get_page(request.GET.get("conflicts"))
        # Each document's admin page, from the list's URL reversed once, not twice per row.
        documents = reverse("admin:requests_app_document_changelist")
        conflict_rows = [
            (
                c,
                f"{documents}{c.document_id}/change/",
                c.other_document_id and f"{documents}{c.other_document_id}/change/",
            )
            for c in conflicts
        ]
    names = rollup["force_names"]
    # Built by charts.py, which escapes every text it draws.
    drawn = {k: mark_safe(v) for k, v in _charts(sources, rollup, period).items()}
    context = {
        **admin.site.each_context(request),
        "title": f"Figures: {campaign.title}",
        "campaign": campaign,
        "rollup": rollup,
        "period": period,
        "charts": drawn,
        "breakdowns": [
            {"name": name, "chart": drawn[f"dimension-{name}"]}
            for name in rollup["dimensions"]
            if f"dimension-{name}" in drawn
        ],
        "has_ages": any(info["kind"] == "age" for info in rollup["dimension_info"].values()),
        "outcome": campaign_outcome(campaign),
        "rows": _national_rows(sources, rollup),
        "force_rows": _force_rows(sources, rollup, names),
        "conflicts": conflicts,
        "conflict_rows": conflict_rows,
        "conflict_summary": _with_requests(campaign, rollup["conflict_summary"]),
    }
    return render(request, "aggregation/dashboard.html", context)


def _with_requests(campaign: Campaign, summary: list[dict]) -> list[dict]:
    """Each force's conflicts with its request in the campaign, for the link to its files side
    by side (``request``: None where the campaign asked the force nothing, its figures coming
    from another force's file)."""
    if not summary:
        return []
    request_of = dict(
        FOIRequest.objects.filter(
            campaign=campaign, force__slug__in={c["force"] for c in summary}
        ).values_list("force__slug", "pk")
    )
    return [{**c, "request": request_of.get(c["force"])} for c in summary]


def _national_rows(sources: str, rollup: dict) -> list[dict]:
    expected = rollup["forces_expected"]
    names = rollup["force_names"]
    return [
        {
            "period": p,
            "national": rollup["national"][p],
            "age": rollup["age"][p],
            "like": rollup["like_for_like"]["national"][p],
            "change": rollup["change"].get(f"{rollup['periods'][i - 1]} to {p}") if i else None,
            "href": _sources_url(sources, period=p),
            "covers": _covers(rollup["national"][p]["forces_reporting"], expected),
            "missing": {
                names.get(s, s): why for s, why in rollup["coverage"][p]["missing"].items()
            },
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
        for slug, by_period in sorted(
            rollup["by_force"].items(), key=lambda kv: names.get(kv[0], kv[0])
        )
    ]


def _figure_params(request: HttpRequest, campaign: Campaign) -> dict[str, str | None]:
    """Which figure's sources: period and force, and at most one dimension's value
    (?age=13, ?ethnicity=Black)."""
    params: dict[str, str | None] = {k: request.GET.get(k) for k in ("period", "force")}
    for name in campaign.dimensions.values_list("name", flat=True):
        if request.GET.get(name) is not None:
            params.update(dimension=name, value=request.GET[name])
            break
    return params


@can_view
def sources(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    params = _figure_params(request, campaign)
    observations = figure_sources(campaign, **params)
    force = params.get("force")
    shown = {
        "period": params.get("period"),
        "force": campaign.target_forces.filter(slug=force).values_list("name", flat=True).first()
        or force,
        params.get("dimension") or "": params.get("value"),
    }
    context = {
        **admin.site.each_context(request),
        "title": f"Sources: {campaign.title}",
        "campaign": campaign,
        "params": {k: v for k, v in shown.items() if k and v},
        "observations": observations,
        "can_download": access.can_edit(request.user, campaign),
    }
    return render(request, "aggregation/sources.html", context)


@can_view
def export_xlsx(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    content = exports.workbook_bytes(
        campaign_rollup(campaign, conflicts=False), figure_sources(campaign)
    )
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-figures.xlsx"'
    return response


@can_view
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _campaign(request, slug)
    text = exports.csv_text(campaign_rollup(campaign, conflicts=False), figure_sources(campaign))
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}-figures.csv"'
    return response
