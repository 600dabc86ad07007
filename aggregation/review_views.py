"""Review in the admin: a campaign's queue of open doubts, and a document drawn as a grid.

The queue lists every doubt once, grouped by what fixes it (one label mapping fixes every
document that reported the label), worst first; the grid shows each cell's role in the
reading, pins the reasons to their cells, and takes a researcher's corrections. Both call the
same services as the API and the ``review``/``map_label`` commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from aggregation import rollups, selectors, services
from aggregation.extraction.grid import Sheet, column_letter
from aggregation.extraction.reading import UnreadableFile, read_workbook
from aggregation.extraction.values import FIGURE_KINDS, parse_value
from aggregation.extraction.vocabulary import FORCE, PERIOD
from aggregation.models import Dimension, DimensionKind, Observation, ReadingHint
from aggregation.views import can_view
from requests_app import access
from requests_app.models import Campaign, Document, DocumentStatus, FOIRequest, Force

GRID_ROWS = 100  # rows drawn per page of the grid
GRID_COLUMNS = 60


def _editable(request: HttpRequest, campaign: Campaign) -> bool:
    return access.can_edit(request.user, campaign)


@dataclass
class MapChoices:
    """What a label of one dimension may be mapped to, for the mapping form: no value is
    chosen in advance (a researcher picks one), "not part of this request" is always there."""

    dimension: str
    title: str
    values: list[tuple[str, str]] = field(default_factory=list)  # (value, shown); [] : typed
    hint: str = ""


def map_choices(campaign: Campaign) -> dict[str, MapChoices]:
    """Per dimension of the campaign (period and force included), the values to map to."""
    choices = {
        PERIOD: MapChoices(PERIOD, "Period", [(p, p) for p in campaign.periods]),
        FORCE: MapChoices(
            FORCE, "Force", list(Force.objects.order_by("name").values_list("slug", "name"))
        ),
    }
    for dimension in Dimension.objects.filter(campaign=campaign).prefetch_related("terms"):
        if dimension.kind == DimensionKind.AGE:
            choices[dimension.name] = MapChoices(
                dimension.name,
                dimension.title,
                hint="An age (13), a band (0-10, 16+) or 'unknown'.",
            )
        elif dimension.kind == DimensionKind.CATEGORY:
            terms = [(t.name, t.name) for t in dimension.terms.all()]
            choices[dimension.name] = MapChoices(dimension.name, dimension.title, terms)
    return choices


def _map_label(request: HttpRequest, campaign: Campaign, back: str) -> HttpResponse:
    data = request.POST
    wanted = data.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        back = wanted  # back to the page the form was on (a document's review page)
    force = None
    if data.get("force"):
        force = Force.objects.filter(slug=data["force"]).first()
    try:
        reread = services.campaign_map_label(
            campaign=campaign,
            dimension=data.get("dimension", ""),
            label=data.get("label", ""),
            to=data.get("to", ""),
            force=force,
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    to = data.get("to", "")
    shown = "not part of this request" if to.lower() == services.IGNORE else to
    messages.success(
        request,
        f"“{data.get('label')}” now reads as {data.get('dimension')} {shown}"
        f"{' in ' + force.name + ' files' if force else ''}; "
        f"{len(reread)} document{'s' if len(reread) != 1 else ''} read again"
        f"{': ' + ', '.join(f'#{pk}' for pk in reread) if reread else ''}.",
    )
    return HttpResponseRedirect(back)


@can_view
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    """Every open doubt of the campaign, grouped by what fixes it, most documents first."""
    campaign = get_object_or_404(Campaign.objects.visible_to(request.user), slug=slug)
    back = reverse("review-queue", args=[campaign.slug])
    if request.method == "POST":
        if not _editable(request, campaign):
            raise PermissionDenied
        return _map_label(request, campaign, back)
    doubts = selectors.campaign_doubts(campaign)
    documents = {
        d.pk: d
        for d in Document.objects.filter(request__campaign=campaign).select_related(
            "request__force"
        )
    }
    statuses = selectors.campaign_document_statuses(campaign)
    counts: dict[str, int] = {}
    for status in statuses.values():
        shown = DocumentStatus(status).label.lower()
        counts[shown] = counts.get(shown, 0) + 1
    choices = map_choices(campaign)
    rows = [
        {
            "doubt": d,
            "documents": [documents[pk] for pk in d.documents if pk in documents],
            "forces": sorted({documents[pk].request.force for pk in d.documents}, key=str),
            "choices": choices.get(d.dimension) if d.kind == "unknown_label" else None,
        }
        for d in doubts
    ]
    recent = (
        Document.objects.filter(request__campaign=campaign, reviews__kind="reread")
        .select_related("request__force")
        .distinct()
        .order_by("-status_changed_at")[:20]
    )
    return render(
        request,
        "aggregation/review_queue.html",
        {
            **admin.site.each_context(request),
            "campaign": campaign,
            "rows": rows,
            "counts": sorted(counts.items()),
            "recent": recent,
            "can_edit": _editable(request, campaign),
            "title": f"Review: {campaign.title}",
        },
    )


# ---------------------------------------------------------------------------------------------
# Superseding: a request's files side by side


@can_view
def request_readings(request: HttpRequest, pk: int) -> HttpResponse:
    """A request's files side by side, per period and breakdown: which one counts and the rule
    that picked it, and "Count this one" for the researcher to choose."""
    foi_request = get_object_or_404(
        FOIRequest.objects.visible_to(request.user).select_related("campaign", "force"), pk=pk
    )
    can_edit = access.can_edit(request.user, foi_request)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        back = HttpResponseRedirect(request.get_full_path())
        document = foi_request.documents.filter(pk=_digits(request.POST.get("document"))).first()
        if document is None:
            messages.error(request, "Choose one of this request's files.")
            return back
        try:
            services.request_choose_document(
                request=foi_request,
                document=document,
                by=request.user,
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return back
        messages.success(
            request,
            f"{document.original_name} now counts for {foi_request.force.name}, over the "
            "request's other files, until another is chosen.",
        )
        return back
    readings = rollups.request_readings(foi_request)
    documents = readings["documents"]
    periods = [
        {
            **row,
            "cells": [
                {"figure": figure, "document": d, "counted": d["id"] == row["counted"]}
                for figure, d in zip(row["figures"], documents, strict=True)
            ],
            "breakdown_rows": [
                {**b, "cells": list(zip(b["figures"], documents, strict=True))}
                for b in row["breakdowns"]
            ],
        }
        for row in readings["periods"]
    ]
    return render(
        request,
        "aggregation/request_readings.html",
        {
            **admin.site.each_context(request),
            "foi_request": foi_request,
            "campaign": foi_request.campaign,
            "readings": readings,
            "documents": documents,
            "periods": periods,
            "differ": any(row["differ"] for row in periods),
            "can_edit": can_edit,
            "title": f"{foi_request.force.name}: the files side by side",
        },
    )


def _digits(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


# ---------------------------------------------------------------------------------------------
# The grid view

_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _parse_ref(ref: str) -> tuple[int, int] | None:
    """ "B12" -> (11, 1), 0-based (row, column)."""
    match = _REF.match(ref.strip())
    if not match:
        return None
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


def _refs(cells: str) -> list[tuple[int, int]]:
    """Each cell a reason names: single cells, and the corners of ranges (a whole table's
    reason pins to its first cell)."""
    found = []
    for part in cells.split(","):
        first = part.split(":")[0]
        if (at := _parse_ref(first)) is not None:
            found.append(at)
    return found


@dataclass
class GridCell:
    value: object
    role: str = ""  # label, read, total, ignored, doubt, hand
    notes: list[str] = field(default_factory=list)
    ref: str = ""

    @property
    def shown(self) -> str:
        if self.value is None:
            return ""
        return str(self.value)[:60]


def _table_spans(result: dict, sheet: str) -> list[tuple[int, int, int, int, int]]:
    spans = []
    for index, table in enumerate(result.get("tables") or []):
        if table.get("sheet") != sheet:
            continue
        first, _, last = (table.get("cells") or "").partition(":")
        a, b = _parse_ref(first), _parse_ref(last or first)
        if a and b:
            spans.append((index, a[0], a[1], b[0], b[1]))
    return spans


def grid_cells(document: Document, sheet: Sheet, first: int, last: int) -> list[list[GridCell]]:
    """The rows ``first``..``last`` of one sheet, each cell with its role in the reading."""
    result = document.result or {}
    n_cols = min(sheet.n_cols, GRID_COLUMNS)
    grid = [
        [GridCell(sheet.value(r, c), ref=f"{column_letter(c)}{r + 1}") for c in range(n_cols)]
        for r in range(first, last)
    ]

    def at(row: int, col: int) -> GridCell | None:
        if first <= row < last and col < n_cols:
            return grid[row - first][col]
        return None

    excluded = set(document.excluded_tables)
    for index, r0, c0, r1, c1 in _table_spans(result, sheet.name):
        for r in range(max(r0, first), min(r1 + 1, last)):
            for c in range(c0, min(c1 + 1, n_cols)):
                cell = grid[r - first][c]
                if cell.value is None:
                    continue
                if index in excluded:
                    cell.role = "ignored"
                elif (
                    isinstance(cell.value, str) and parse_value(cell.value).kind not in FIGURE_KINDS
                ):
                    cell.role = "label"
                else:
                    cell.role = "ignored"  # a figure the reading did not take: see its reasons
    for o in Observation.objects.filter(document=document, sheet=sheet.name[:120]):
        at_ref = _parse_ref(o.cell)
        if at_ref and (cell := at(*at_ref)) is not None:
            cell.role = "total" if o.derived else "read"
            dims = ", ".join(f"{k} {v}" for k, v in o.dimensions.items())
            cell.notes.append(f"read as {o.period}{', ' + dims if dims else ''}")
    for reason in result.get("reasons") or []:
        if reason.get("sheet") != sheet.name:
            continue
        for row, col in _refs(reason.get("cells") or ""):
            if (cell := at(row, col)) is not None:
                if reason.get("blocking", True):
                    cell.role = "doubt"
                cell.notes.append(reason.get("message", ""))
    return grid


@can_view
def document_grid(request: HttpRequest, pk: int) -> HttpResponse:
    """One sheet of a document drawn as a grid: each cell's role, the reasons on their cells,
    and the forms to correct the reading or map a label for the whole campaign."""
    document = get_object_or_404(
        Document.objects.visible_to(request.user).select_related(
            "request__campaign", "request__force"
        ),
        pk=pk,
    )
    campaign = document.request.campaign
    back = request.get_full_path()
    if request.method == "POST":
        if not access.can_edit(request.user, document):
            raise PermissionDenied
        if request.POST.get("action") == "map_label":
            return _map_label(request, campaign, back)
        return _correct(request, document, back)
    if document.original_deleted_at:
        raise Http404("The original file was deleted under the retention policy.")
    try:
        with document.file.open("rb") as f:
            workbook = read_workbook(f.read())
    except (UnreadableFile, OSError) as exc:
        raise Http404(f"The file cannot be drawn: {exc}") from None
    sheets = list(workbook.sheets)
    if not sheets:
        raise Http404("The file has no sheet to draw.")
    names = [s.name for s in sheets]
    chosen = request.GET.get("sheet") or names[0]
    sheet = next((s for s in sheets if s.name == chosen), sheets[0])
    start = int(request.GET["from"]) if request.GET.get("from", "").isdigit() else 0
    end = min(sheet.n_rows, start + GRID_ROWS)
    hints = ReadingHint.objects.filter(document=document).order_by("sheet", "row", "column")
    return render(
        request,
        "aggregation/document_grid.html",
        {
            **admin.site.each_context(request),
            "document": document,
            "campaign": campaign,
            "sheet": sheet.name,
            "sheets": names,
            "columns": [column_letter(c) for c in range(min(sheet.n_cols, GRID_COLUMNS))],
            "rows": [
                (start + i + 1, row)
                for i, row in enumerate(grid_cells(document, sheet, start, end))
            ],
            "start": start,
            "previous": max(0, start - GRID_ROWS) if start else None,
            "next": end if end < sheet.n_rows else None,
            "n_rows": sheet.n_rows,
            "hints": hints,
            "kinds": ReadingHint.Kind.choices,
            "reasons": selectors.document_reasons(document),
            "choices": map_choices(campaign),
            "can_edit": access.can_edit(request.user, document),
            "title": f"{document.original_name}: {sheet.name}",
        },
    )


def _correct(request: HttpRequest, document: Document, back: str) -> HttpResponse:
    data = request.POST
    try:
        if data.get("action") == "remove":
            hint = get_object_or_404(ReadingHint, pk=data.get("hint"), document=document)
            services.document_remove_correction(hint=hint, by=request.user)
            messages.success(request, "Correction removed; the document is being read again.")
            return HttpResponseRedirect(back)
        row = _number(data.get("row"), "row")
        column = _column(data.get("column"))
        hint = services.document_correct(
            document=document,
            sheet=data.get("sheet", ""),
            kind=data.get("kind", ""),
            row=row,
            column=column,
            period=data.get("period", ""),
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    messages.success(request, f"Kept: {hint}. The document is being read again.")
    return HttpResponseRedirect(back)


def _number(text: str | None, name: str) -> int | None:
    """A row as a researcher sees it (1 is the first) -> the engine's 0-based row."""
    if not text:
        return None
    if not text.strip().isdigit() or int(text) < 1:
        raise ValidationError({name: f"{name.capitalize()} {text!r} is not a row number."})
    return int(text) - 1


def _column(text: str | None) -> int | None:
    """A column letter ("C") -> the engine's 0-based column."""
    if not text:
        return None
    at = _parse_ref(f"{text.strip().upper()}1")
    if at is None:
        raise ValidationError({"column": f"Column {text!r} is not a column letter."})
    return at[1]
