"""National figures from the counted responses, by the rules of SPEC 8, for any campaign.

Every document's observations are summed per table and period when they are written
(``DocumentFigure``), so a campaign's figures come from one query over a few rows per document,
never from the cells themselves. The result is stored per campaign (``CampaignRollup``, with its
conflicts as ``RollupConflict`` rows); when documents change, only the forces and periods they
touch are recomputed.

Rules: a force's figure for a period is its explicit total where it gave one, else the sum of one
complete breakdown (the first table's, a one-way breakdown before a crosstab); totals and
subtotals are never added to their parts; suppressed cells make ranges, exact only when the
bounds meet; among a force's documents the newest counts unless a researcher pinned one (its own
reply before another force's file that names it), and a different figure in another document is a
conflict. Each dimension's breakdown comes from one
table of the document counted, never from two copies of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import statistics
from collections import defaultdict
from functools import lru_cache
from itertools import pairwise

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Max,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import FirstValue, RowNumber
from django.utils import timezone

from aggregation import selectors
from aggregation.extraction.labels import parse_age as _parse_age
from aggregation.extraction.labels import period_bounds
from aggregation.extraction.summary import ZERO, Bounds
from aggregation.extraction.vocabulary import PeriodKind
from aggregation.models import (
    CampaignRollup,
    ConflictKind,
    Dimension,
    DimensionKind,
    DocumentFigure,
    FigureKind,
    Observation,
    ReviewAction,
    RollupConflict,
)
from requests_app.models import (
    ANSWERED,
    OPEN,
    Campaign,
    Document,
    DocumentStatus,
    FOIRequest,
    Force,
    Lateness,
    Status,
)

COUNTED = (DocumentStatus.PARSED, DocumentStatus.APPROVED)
AT_OR_UNDER = 10
SMALL_FORCE = 20
CONFLICTS_PER_PAGE = 50

# A campaign has a handful of age labels, read thousands of times per rollup.
parse_age = lru_cache(maxsize=4096)(_parse_age)


def days_in(period: str, kind: str = PeriodKind.FINANCIAL_YEAR) -> int:
    """Days in a canonical period: 2015-16 has 366 (1 April 2015 to 31 March 2016)."""
    first, last = period_bounds(period, PeriodKind(kind))
    return (last - first).days + 1


def bounds_json(b: Bounds | None) -> dict:
    if b is None:
        return {"value": None, "lower": None, "upper": None}
    return {"value": b.value, "lower": b.lower, "upper": b.upper}


# Among a force's documents the newest counts for a period, unless a researcher pinned one;
# the force's own reply before another force's file that names it (a national table).
COUNTS_FIRST = [
    F("document__pinned").desc(),
    ExpressionWrapper(
        Q(document__request__force_id=F("force_id")), output_field=BooleanField()
    ).desc(),
    F("document__uploaded_at").desc(),
    F("document_id").desc(),
]


def _ranked(campaign: Campaign, *, forces: set[int] | None, periods: list[str]) -> QuerySet:
    """Every counted document's own figure per force and period (the stated total, or the
    breakdown where a researcher chose it), ranked: the one that counts first, with its
    document and bounds beside every row. ``forces``: only these (None: every force).

    One row per document and period is sorted here (55,000 at 10,000,000 observations), so
    each carries only what ranking and conflicts need; the counted rows' details are read
    with their breakdowns (``_details``).
    """
    window = {"partition_by": [F("force_id"), F("period")], "order_by": COUNTS_FIRST}
    rows = DocumentFigure.objects.filter(
        document__request__campaign=campaign,
        document__status__in=COUNTED,
        period__in=periods,
    )
    if forces is not None:
        rows = rows.filter(force_id__in=forces)
    return rows.filter(
        Q(kind=FigureKind.FIGURE, document__count_breakdown=False)
        | Q(kind=FigureKind.BREAKDOWN, document__count_breakdown=True)
    ).annotate(
        rank=Window(RowNumber(), **window),
        counted_document=Window(FirstValue("document_id"), **window),
        counted_lower=Window(FirstValue("lower"), **window),
        counted_upper=Window(FirstValue("upper"), **window),
    )


def compute(
    campaign: Campaign,
    *,
    forces: set[int] | None = None,
    periods: set[str] | None = None,
    order: list[str] | None = None,
) -> dict:
    """The campaign's figures, freshly from the per-document sums: one ranking query over one
    row per document and period, one read of the counted documents' own rows.

    ``forces`` and ``periods`` narrow it to those (a changed document's); the result has the
    same shape: ``{"periods", "dimensions", "figures": [...], "totals_differ": [...]}``, each
    figure ``{"force_id", "force", "period", "document", "source", "tables", "total": [lower,
    upper], "breakdown_tables", "breakdowns": {dimension: {value: [lower, upper]}}}``, each
    of ``totals_differ`` the ``(force_id, period, document_id)`` of a counted figure whose
    stated totals disagree. ``order``: the campaign's dimensions, when the caller has read
    them already. Conflicts between documents are found and stored by ``recompute``.
    """
    if order is None:
        order = selectors.dimension_order(campaign.pk)
    asked = [p for p in campaign.periods if periods is None or p in periods]
    counted = _ranked(campaign, forces=forces, periods=asked).filter(rank=1)
    chosen: dict[tuple[int, str], dict] = {
        (force_id, period): {
            "force_id": force_id,
            "period": period,
            "document": doc,
            "kind": kind,
            "total": [lower, upper],
            "breakdown_tables": {},
            "breakdowns": {},
        }
        for force_id, period, doc, kind, lower, upper in counted.values_list(
            "force_id", "period", "document_id", "kind", "lower", "upper"
        )
    }
    totals_differ = _details({(*k, f["document"]): f for k, f in chosen.items()}, order)
    return {
        "periods": list(campaign.periods),
        "dimensions": order,
        "figures": [chosen[k] for k in sorted(chosen)],
        "totals_differ": totals_differ,
    }


# A conflict between documents as the ranking gives it, and the RollupConflict fields it fills.
RANKED_CONFLICT = ("force_id", "period", "counted_document", "document_id", "counted_lower",
                   "counted_upper", "lower", "upper")  # fmt: skip
STORED_CONFLICT = ("force", "period", "document", "other_document", "counted_lower",
                   "counted_upper", "other_lower", "other_upper")  # fmt: skip


def _differing(campaign: Campaign, *, forces: set[int] | None, periods: list[str]) -> QuerySet:
    """Every document's figure that differs from the one counted for its force and period:
    ``RANKED_CONFLICT`` of each."""
    return (
        _ranked(campaign, forces=forces, periods=periods)
        .filter(~Q(rank=1) & (~Q(lower=F("counted_lower")) | ~Q(upper=F("counted_upper"))))
        .values_list(*RANKED_CONFLICT)
    )


def recompute(
    campaign: Campaign,
    *,
    forces: set[int] | None = None,
    periods: set[str] | None = None,
    order: list[str] | None = None,
) -> dict:
    """``compute``, and the conflicts stored for the same forces and periods (the old ones
    replaced): those between documents straight from the ranking, inside the database (a
    campaign may have tens of thousands), and those where the counted stated totals disagree.

    Returns ``compute``'s figures with ``conflict_counts`` for those forces and periods,
    ``[[force_id, kind, period, n], ...]``: the stored figures carry them as their summary,
    so that the conflicts themselves are read a page at a time.
    """
    if order is None:
        order = selectors.dimension_order(campaign.pk)
    data = compute(campaign, forces=forces, periods=periods, order=order)
    asked = [p for p in campaign.periods if periods is None or p in periods]
    stored = RollupConflict.objects.filter(campaign=campaign)
    if forces is not None:
        stored = stored.filter(force_id__in=forces, period__in=asked)
    stored.delete()
    sql, params = _differing(campaign, forces=forces, periods=asked).query.sql_with_params()
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(RollupConflict._meta.get_field(name).column)
        for name in (*STORED_CONFLICT, "campaign", "kind")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(RollupConflict._meta.db_table)} ({columns}) "
            f"SELECT differ.*, %s, %s FROM ({sql}) differ",
            [campaign.pk, ConflictKind.DOCUMENTS_DIFFER.value, *params],
        )
    RollupConflict.objects.bulk_create(
        RollupConflict(campaign=campaign, force_id=f, period=p, document_id=d,
                       kind=ConflictKind.TOTALS_DIFFER)
        for f, p, d in data.pop("totals_differ")
    )  # fmt: skip
    data["conflict_counts"] = [
        list(row)
        for row in stored.values_list("force_id", "kind", "period")
        .annotate(n=Count("id"))
        .order_by("force_id", "kind", "period")
    ]
    return data


DETAILS = ("force_id", "force__slug", "period", "document_id", "table", "kind", "dimension", "key",
           "tables", "lower", "upper", "lower_max", "upper_min")  # fmt: skip


def _details(
    figures: dict[tuple[int, str, int], dict], order: list[str]
) -> list[tuple[int, str, int]]:
    """Fill each figure's force, source, tables and breakdown per dimension from its document's
    own rows (``force``, ``source``, ``tables``, ``breakdown_tables``, ``breakdowns``); returns
    the ``(force_id, period, document_id)`` of those whose stated totals disagree.

    ``figures`` are keyed by force id, period and document id, each with the ``kind`` of its
    document's figure that counts (``FigureKind.FIGURE``, or ``BREAKDOWN`` where a researcher
    chose the breakdown), which is removed: the rollup's counted figures, or every file of a
    request side by side (``request_readings``).

    A dimension's breakdown comes from the first table of the document that gives it one way,
    else the first that crosses it with another; never two.
    """
    one_way: dict[tuple[int, str, int, int], set[str]] = defaultdict(set)
    parts: dict[tuple[int, str, int, int], dict[str, dict[str, list[int]]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    conflicts = []
    rows = DocumentFigure.objects.filter(
        document_id__in={doc for _, _, doc in figures},
        kind__in=(FigureKind.SHAPE, FigureKind.PART, FigureKind.FIGURE, FigureKind.BREAKDOWN),
    ).values_list(*DETAILS)
    for force_id, slug, period, doc, table, kind, dimension, key, tables, *bounds in rows:
        figure = figures.get((force_id, period, doc))
        if figure is None:
            continue
        if kind == FigureKind.SHAPE:
            one_way[(force_id, period, doc, table)].add(key)
        elif kind == FigureKind.PART:
            parts[(force_id, period, doc, table)][dimension][key] = bounds[:2]
        elif kind == figure["kind"]:
            figure["force"] = slug
            figure["source"] = key
            figure["tables"] = [int(t) for t in tables.split(",") if t]
            if bounds[2:] != bounds[:2]:  # several stated totals that disagree
                conflicts.append((force_id, period, doc))
    tables_of: dict[tuple[int, str, int], list[int]] = defaultdict(list)
    for force_id, period, doc, table in sorted(parts):
        tables_of[(force_id, period, doc)].append(table)
    for where, figure in figures.items():
        del figure["kind"]
        tables = tables_of[where]
        for dimension in order:
            single = [t for t in tables if dimension in one_way[(*where, t)]]
            crossed = [t for t in tables if dimension in parts[(*where, t)]]
            if single or crossed:
                table = (single or crossed)[0]
                figure["breakdown_tables"][dimension] = table
                figure["breakdowns"][dimension] = parts[(*where, table)][dimension]
    return conflicts


# Stored figures: recomputed only for what the documents changed since touch.


def _basis(campaign: Campaign, last: int) -> dict:
    """What the stored figures were computed on: the campaign's documents (how many, the last
    one, their latest change) and the periods asked; ``added``: documents after ``last``.

    Every change to a document's figures (parse, review, pin, reading, figures by hand)
    touches its status_changed_at, so a document changed since has a later one.
    """
    docs = Document.objects.filter(request__campaign=campaign).aggregate(
        documents=Count("id"),
        last=Max("id"),
        changed=Max("status_changed_at"),
        added=Count("id", filter=Q(id__gt=last)),
    )
    return {
        "documents": docs["documents"],
        "last": docs["last"] or 0,
        "changed": docs["changed"].isoformat() if docs["changed"] else None,
        "periods": list(campaign.periods),
        "added": docs["added"],
    }


def _same_basis(stored: CampaignRollup | None, basis: dict) -> bool:
    was = stored.data.get("basis") if stored else None
    return was is not None and was == {k: v for k, v in basis.items() if k != "added"}


def stored_figures(campaign: Campaign, *, order: list[str] | None = None) -> dict:
    """The stored figures (``CampaignRollup.data``), brought up to date first when the
    campaign's documents changed since: only the forces and periods the changed documents
    touch are recomputed, unless a document was deleted or the periods or dimensions asked
    changed. ``order``: the campaign's dimensions, when the caller has read them already."""
    stored = CampaignRollup.objects.filter(campaign=campaign).first()
    basis = _basis(campaign, stored.data.get("basis", {}).get("last", 0) if stored else 0)
    if _same_basis(stored, basis):
        return stored.data
    with transaction.atomic():
        # One recomputation at a time per campaign (the conflicts are rewritten row by row):
        # the campaign locked and its stored figures read again, in one statement.
        locked = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("rollup")
            .get(pk=campaign.pk)
        )
        try:
            now_stored = locked.rollup
        except CampaignRollup.DoesNotExist:
            now_stored = None
        if _fingerprint_of(now_stored) != _fingerprint_of(stored):  # recomputed meanwhile
            stored = now_stored
            last = stored.data.get("basis", {}).get("last", 0) if stored else 0
            basis = _basis(campaign, last)
            if _same_basis(stored, basis):
                return stored.data
        _sort_in_memory()
        if order is None:
            order = selectors.dimension_order(campaign.pk)
        data = _refreshed(campaign, stored, basis, order)
        data["basis"] = {k: v for k, v in basis.items() if k != "added"}
        CampaignRollup.objects.bulk_create(
            [CampaignRollup(campaign=campaign, fingerprint=_digest(data["basis"]), data=data)],
            update_conflicts=True,
            unique_fields=["campaign"],
            update_fields=["fingerprint", "data", "computed_at"],
        )
    return data


def _fingerprint_of(stored: CampaignRollup | None) -> str | None:
    return stored.fingerprint if stored else None


def _sort_in_memory() -> None:
    """Let this transaction's ranking sort in memory on PostgreSQL: one row per document and
    period, about 7 MB at 14,000 documents and 4 periods, spills to disk at the default 4 MB
    of work_mem when no parallel worker is free to share it (measured: bench_rollup.py)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")


def _digest(basis: dict) -> str:
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def _refreshed(
    campaign: Campaign, stored: CampaignRollup | None, basis: dict, order: list[str]
) -> dict:
    """The figures and conflicts after the documents changed since ``stored`` was computed."""
    was = stored.data.get("basis") if stored else None
    if (
        was is None
        or was["documents"] + basis["added"] != basis["documents"]  # one was deleted
        or was["periods"] != basis["periods"]
        or stored.data.get("dimensions") != order
    ):
        return recompute(campaign, order=order)
    forces, periods = _touched(campaign, stored.data, was)
    data = dict(stored.data)
    if forces:
        fresh = recompute(campaign, forces=forces, periods=periods, order=order)

        def untouched(force_id: int, period: str) -> bool:
            return force_id not in forces or period not in periods

        data["figures"] = sorted(
            [f for f in data["figures"] if untouched(f["force_id"], f["period"])]
            + fresh["figures"],
            key=lambda f: (f["force_id"], f["period"]),
        )
        data["conflict_counts"] = sorted(
            [c for c in data["conflict_counts"] if untouched(c[0], c[2])] + fresh["conflict_counts"]
        )
    return data


def _touched(campaign: Campaign, data: dict, was: dict) -> tuple[set[int], set[str]]:
    """The forces and periods whose figures the documents changed since ``was`` may move:
    where they give a figure now, where one of them was counted, where one of them differed."""
    changed = set(
        Document.objects.filter(request__campaign=campaign)
        .filter(
            Q(id__gt=was["last"])
            | (
                Q(status_changed_at__gt=dt.datetime.fromisoformat(was["changed"]))
                if was["changed"]
                else Q()
            )
        )
        .values_list("id", flat=True)
    )
    pairs = {(f["force_id"], f["period"]) for f in data["figures"] if f["document"] in changed}
    pairs |= set(
        DocumentFigure.objects.filter(
            document_id__in=changed, kind__in=(FigureKind.FIGURE, FigureKind.BREAKDOWN)
        )
        .values_list("force_id", "period")
        .distinct()
    )
    pairs |= set(
        RollupConflict.objects.filter(campaign=campaign, other_document_id__in=changed)
        .values_list("force_id", "period")
        .distinct()
    )
    asked = set(campaign.periods)
    pairs = {(f, p) for f, p in pairs if p in asked}
    return {f for f, _ in pairs}, {p for _, p in pairs}


def stored_conflicts(
    campaign: Campaign, *, periods: list[str] | None = None, force: str | None = None
) -> QuerySet[RollupConflict]:
    """The conflicts as last stored, by force name and period, for paging (read them after
    ``stored_figures``, which brings them up to date); ``force`` is a slug."""
    rows = RollupConflict.objects.filter(campaign=campaign).select_related("force")
    if periods is not None:
        rows = rows.filter(period__in=periods)
    if force is not None:
        rows = rows.filter(force__slug=force)
    return rows


def campaign_conflicts(
    campaign: Campaign, *, periods: list[str] | None = None, force: str | None = None
) -> QuerySet[RollupConflict]:
    """The campaign's conflicts, brought up to date first: ``stored_conflicts``."""
    stored_figures(campaign)
    return stored_conflicts(campaign, periods=periods, force=force)


def conflict_json(c: RollupConflict) -> dict:
    """One conflict as ``rollup --json`` and the API give it."""
    where = {"force_id": c.force_id, "force": c.force.slug, "period": c.period, "kind": c.kind}
    if c.kind == ConflictKind.TOTALS_DIFFER:
        return {**where, "document": c.document_id}
    return {
        **where,
        "document": c.document_id,
        "other_document": c.other_document_id,
        "counted": c.counted,
        "other": c.other,
    }


# Superseding: a request's files side by side, which one counts for each period and why.


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%-d %b %Y}"


def _counted_reading(document: Document) -> str:
    """Which reading of a file counts: its stated totals, or its breakdown where a researcher
    chose the breakdown over a wrong total."""
    return FigureKind.BREAKDOWN if document.count_breakdown else FigureKind.FIGURE


def request_readings(request: FOIRequest) -> dict:
    """Every file of a request side by side: each one's figure per period of the campaign and
    its breakdown per dimension, which file counts for each period and the rule that picked it,
    in words. JSON-ready (the comparison page and ``/api/requests/<id>/readings/``)::

        {"request": 7, "force": "kent", "campaign": "demo", "dimensions": ["age", ...],
         "chosen": 12 | None, "chosen_by": "rita" | None, "chosen_at": iso | None,
         "documents": [{"id", "name", "status", "status_text", "uploaded_at", "counts",
                        "chosen", "entered": figures by hand}],    # oldest first
         "periods": [{"period", "figures": [bounds | None per document], "differ": bool,
                      "counted": document id | None, "counted_name": str, "rule": str,
                      "breakdowns": [{"dimension", "value",
                                      "figures": [bounds | None per document]}]}]}

    "counted" is what the rollup counts (``stored_figures``), never worked out again here: the
    page says what the figures say. It can be another request's file (a national table naming
    this force). Figures are ``{"value", "lower", "upper"}`` (suppressed cells make ranges).
    """
    campaign = request.campaign
    order = selectors.dimension_order(campaign.pk)
    documents = list(
        Document.objects.filter(request=request)
        .select_related("uploaded_by")
        .order_by("uploaded_at", "pk")
    )
    by_id = {d.pk: d for d in documents}
    entered = dict(
        Observation.objects.filter(document__request=request, origin=Observation.Origin.ENTERED)
        .values("document_id")
        .annotate(n=Count("id"))
        .values_list("document_id", "n")
        .order_by()
    )
    own: dict[tuple[int, str, int], dict] = {}
    for doc, period, kind, lower, upper in DocumentFigure.objects.filter(
        document__request=request,
        force_id=request.force_id,
        kind__in=(FigureKind.FIGURE, FigureKind.BREAKDOWN),
        period__in=campaign.periods,
    ).values_list("document_id", "period", "kind", "lower", "upper"):
        if kind == _counted_reading(by_id[doc]):
            own[(request.force_id, period, doc)] = {
                "kind": kind,
                "total": [lower, upper],
                "breakdown_tables": {},
                "breakdowns": {},
            }
    _details(own, order)
    counted = {
        f["period"]: f["document"]
        for f in stored_figures(campaign)["figures"]
        if f["force_id"] == request.force_id
    }
    chosen = next((d for d in documents if d.pinned), None)
    choice = (
        ReviewAction.objects.filter(document=chosen, kind=ReviewAction.Kind.PIN)
        .select_related("by")
        .order_by("-at", "-pk")
        .first()
        if chosen
        else None
    )
    names = dict(
        Document.objects.filter(pk__in=set(counted.values()) - set(by_id)).values_list(
            "pk", "original_name"
        )
    )
    names |= {d.pk: d.original_name for d in documents}
    periods = []
    for period in campaign.periods:
        figures = [own.get((request.force_id, period, d.pk)) for d in documents]
        shown = [bounds_json(Bounds(*f["total"])) if f else None for f in figures]
        breakdowns = []
        for dimension in order:
            values = {v for f in figures if f for v in f["breakdowns"].get(dimension, {})}
            for value in sorted(values, key=lambda v: (_age_order((v, None)), v)):
                cells = [
                    (f or {}).get("breakdowns", {}).get(dimension, {}).get(value) for f in figures
                ]
                breakdowns.append(
                    {
                        "dimension": dimension,
                        "value": value,
                        "figures": [bounds_json(Bounds(*c)) if c else None for c in cells],
                    }
                )
        doc = counted.get(period)
        periods.append(
            {
                "period": period,
                "figures": shown,
                "differ": len({(f["lower"], f["upper"]) for f in shown if f}) > 1,
                "counted": doc,
                "counted_name": names.get(doc, ""),
                "rule": _counting_rule(documents, figures, doc, names, choice),
                "breakdowns": breakdowns,
            }
        )
    return {
        "request": request.pk,
        "force": request.force.slug,
        "campaign": campaign.slug,
        "dimensions": order,
        "chosen": chosen.pk if chosen else None,
        "chosen_by": choice.by.get_username() if choice and choice.by else None,
        "chosen_at": choice.at.isoformat() if choice else None,
        "documents": [
            {
                "id": d.pk,
                "name": d.original_name,
                "status": d.status,
                "status_text": d.get_status_display(),
                "uploaded_at": d.uploaded_at.isoformat(),
                "counts": d.status in COUNTED,
                "chosen": d.pinned,
                "entered": entered.get(d.pk, 0),
            }
            for d in documents
        ],
        "periods": periods,
    }


def _counting_rule(
    documents: list[Document],
    figures: list[dict | None],
    counted: int | None,
    names: dict[int, str],
    choice: ReviewAction | None,
) -> str:
    """Why the file that counts for a period counts (SPEC 8: the newest, unless a researcher
    chose one), or why none does, in a researcher's words."""
    with_figure = [d for d, f in zip(documents, figures, strict=True) if f]
    waiting = [d for d in with_figure if d.status not in COUNTED]
    chosen = next((d for d in documents if d.pinned), None)
    if counted is None:
        if waiting:
            listed = ", ".join(d.original_name for d in waiting)
            return f"None counts: {listed} {'await' if len(waiting) > 1 else 'awaits'} review."
        return "No file gives a figure for this period."
    name = names.get(counted, f"document {counted}")
    if chosen is not None and chosen.pk == counted:
        who = choice.by.get_username() if choice and choice.by else "a researcher"
        when = f" on {_when(choice.at)}" if choice else ""
        return f"{name} counts: {who} chose it{when}."
    if counted not in {d.pk for d in documents}:
        # Its own counted reply comes first (COUNTS_FIRST) unless the other file was chosen.
        why = (
            "chosen on its own request"
            if any(d.status in COUNTED for d in with_figure)
            else "none of this request's files counted gives a figure for it"
        )
        return f"{name} counts: a file of another request that names this force, {why}."
    rivals = [d for d in with_figure if d.status in COUNTED and d.pk != counted]
    why = []
    if chosen is not None:
        if chosen.status not in COUNTED:
            why.append(f"the chosen file, {chosen.original_name}, awaits review")
        else:
            why.append(f"the chosen file, {chosen.original_name}, gives no figure for it")
    if rivals:
        uploaded = _when(next(d for d in documents if d.pk == counted).uploaded_at)
        why.append(f"it is the newest file with a figure (uploaded {uploaded})")
        if chosen is None:
            why.append("nobody has chosen one")
    else:
        why.append("it is the only file counted with a figure for this period")
    return f"{name} counts: {'; '.join(why)}."


# Coverage: who reported, and why the others did not.


def _missing_reason(request: FOIRequest | None, documents: dict[str, int]) -> str:
    if request is None:  # a target force whose request is made only when the campaign is sent
        return "not sent"
    status = request.status
    if status == Status.REFUSED:
        codes = ", ".join(e.code for e in request.exemptions.all())
        return f"refused ({codes}{', NCND' if request.ncnd else ''})"
    if status == Status.NOT_HELD:
        return "not held"
    if status == Status.WITHDRAWN:
        return "withdrawn"
    if status == Status.DRAFT:
        return "not sent"
    if documents.get(DocumentStatus.NEEDS_REVIEW):
        return "response awaiting review"
    if documents.get(DocumentStatus.QUEUED) or documents.get(DocumentStatus.PARSING):
        return "response being read"
    if documents.get(DocumentStatus.FAILED):
        return "response could not be read"
    if documents.get(DocumentStatus.NO_DATA):
        return "response has no data"
    if status in OPEN:
        if request.lateness == Lateness.VERY_OVERDUE:
            return "no reply, very overdue"
        if request.lateness == Lateness.OVERDUE:
            return "no reply, overdue"
        return "no reply yet (not due)"
    if status in ANSWERED or documents:
        return "answered, no figure for this period"
    return request.get_status_display().lower()


# The whole rollup, as the command, the API, the dashboard and the exports give it.


def campaign_rollup(
    campaign: Campaign, *, periods: list[str] | None = None, conflicts: bool = True
) -> dict:
    """Everything a campaign's figures say, as JSON-ready data (the shape `rollup --json` and
    `/api/rollups/<slug>/` give); ``periods`` narrows it to some of the periods asked.

    Conflicts come summarised per force and kind (``conflict_summary``, ``conflicts_count``);
    every one of them too (``conflicts``) unless ``conflicts=False``: the dashboard and the API
    page through them instead (``campaign_conflicts``), as a campaign may have thousands.
    """
    dimensions = {d.name: d for d in Dimension.objects.filter(campaign=campaign)}
    order = [name for name, d in dimensions.items() if d.kind != DimensionKind.FORCE]
    data = stored_figures(campaign, order=order)
    targets = {f.pk: f for f in campaign.target_forces.all()}
    requests = {
        r.force_id: r
        for r in FOIRequest.objects.filter(campaign=campaign).prefetch_related("exemptions")
    }
    age_dimension = next((d.name for d in dimensions.values() if d.kind == DimensionKind.AGE), None)
    slugs = {f.pk: f.slug for f in targets.values()}
    names = {f.slug: f.name for f in targets.values()}
    wanted = [p for p in data["periods"] if periods is None or p in periods]

    figures = [f for f in data["figures"] if f["period"] in wanted]
    slugs |= {f["force_id"]: f["force"] for f in figures}  # a national table names others too
    if others := {f["force_id"] for f in figures} - set(targets):
        # Named too, never shown by slug (they are left out of the national figures).
        names |= dict(Force.objects.filter(pk__in=others).values_list("slug", "name"))
    by_force: dict[str, dict] = defaultdict(dict)
    per_period: dict[str, list[dict]] = defaultdict(list)
    for f in figures:
        by_force[slugs[f["force_id"]]][f["period"]] = {
            **bounds_json(Bounds(*f["total"])),
            "document": f["document"],
            "source": f["source"],
        }
        per_period[f["period"]].append(f)

    missing = {pk for p in wanted for pk in set(targets) - {f["force_id"] for f in per_period[p]}}
    doc_states = _document_states(campaign, missing)
    national, breakdowns, coverage, spread = {}, defaultdict(dict), {}, {}
    for period in wanted:
        rows = [f for f in per_period[period] if f["force_id"] in targets]
        total = sum((Bounds(*f["total"]) for f in rows), ZERO) if rows else None
        days = days_in(period, campaign.period_kind)
        national[period] = {
            **bounds_json(total),
            "forces_reporting": len(rows),
            "per_day": round(total.value / days, 3) if total and total.value is not None else None,
            "per_day_range": [round(total.lower / days, 3), round(total.upper / days, 3)]
            if total
            else None,
        }
        for name in data.get("dimensions", []):
            breakdowns[name][period] = _breakdown(rows, name, ordered=name == age_dimension)
        reporting = {f["force_id"] for f in rows}
        coverage[period] = {
            "reporting": sorted(slugs[i] for i in reporting),
            "missing": {
                slugs[pk]: _missing_reason(requests.get(pk), doc_states.get(pk, {}))
                for pk in sorted(set(targets) - reporting, key=lambda pk: targets[pk].name)
            },
        }
        spread[period] = _spread(rows, slugs, names)

    summary = _conflict_summary(data["conflict_counts"], wanted, slugs, names)
    result = {
        "campaign": campaign.slug,
        "title": campaign.title,
        "measure": campaign.measure,
        "period_kind": campaign.period_kind,
        "forces_expected": len(targets),
        "force_names": names,
        "periods": wanted,
        "national": national,
        "by_force": dict(by_force),
        "age": {p: _age_figures(rows_for(per_period, p, targets), age_dimension) for p in wanted},
        "offence": dict(breakdowns.get("offence", {p: {} for p in wanted})),
        "dimensions": {
            name: breakdowns[name] for name in data.get("dimensions", []) if name in dimensions
        },
        "dimension_info": {
            name: {"title": d.title or name, "kind": d.kind} for name, d in dimensions.items()
        },
        "coverage": coverage,
        "like_for_like": _like_for_like(per_period, wanted, targets, slugs),
        "spread": spread,
        "change": _changes(national, wanted),
        "conflict_summary": summary,
        "conflicts_count": sum(c["conflicts"] for c in summary),
    }
    if conflicts:
        rows = stored_conflicts(campaign, periods=wanted)
        result["conflicts"] = [conflict_json(c) for c in rows]
    result["headline"] = headline(result)
    return result


def _document_states(campaign: Campaign, forces: set[int]) -> dict[int, dict[str, int]]:
    """How many documents each force has in each status, for the forces missing a figure
    (the reason given for them); none read when every force reported."""
    states: dict[int, dict[str, int]] = defaultdict(dict)
    if not forces:
        return states
    for row in (
        Document.objects.filter(request__campaign=campaign, request__force_id__in=forces)
        .values("request__force_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        states[row["request__force_id"]][row["status"]] = row["n"]
    return states


def rows_for(per_period: dict[str, list[dict]], period: str, targets: dict) -> list[dict]:
    return [f for f in per_period[period] if f["force_id"] in targets]


def _breakdown(rows: list[dict], dimension: str, *, ordered: bool) -> dict:
    """One dimension's national breakdown for a period: {value: bounds and forces reporting}."""
    with_it = [f for f in rows if f["breakdowns"].get(dimension)]
    sums = _sums(f["breakdowns"][dimension] for f in with_it)
    items = sorted(sums.items(), key=_age_order if ordered else lambda kv: kv[0])
    return {k: {**bounds_json(b), "forces_reporting": len(with_it)} for k, b in items}


def _sums(breakdowns) -> dict[str, Bounds]:
    """Several forces' breakdowns ({value: [lower, upper]}) added up value by value."""
    lower: dict[str, int] = defaultdict(int)
    upper: dict[str, int] = defaultdict(int)
    for breakdown in breakdowns:
        for k, (low, high) in breakdown.items():
            lower[k] += low
            upper[k] += high
    return {k: Bounds(low, upper[k]) for k, low in lower.items()}


def _at_or_under(ages: dict[str, Bounds]) -> Bounds | None:
    """Ages 10 and under; None when a band straddles 10 and 11, so the figure cannot be known."""
    total = ZERO
    for label, bounds in ages.items():
        age = parse_age(label)
        if age is None or age.lower is None:
            continue  # unknown ages are not known to be 10 or under
        if age.upper is not None and age.upper <= AT_OR_UNDER:
            total = total + bounds
        elif age.lower <= AT_OR_UNDER:
            return None
    return total


def _mode(ages: dict[str, Bounds]) -> int | None:
    """The single-year age with the most figures; None when ranges leave it undecided."""
    single = {}
    for label, bounds in ages.items():
        age = parse_age(label)
        if age and age.lower is not None and age.lower == age.upper:
            single[age.lower] = bounds
    if not single:
        return None
    best = max(single, key=lambda a: (single[a].lower, single[a].upper))
    others = [b for a, b in single.items() if a != best]
    if any(b.upper >= single[best].lower for b in others):
        return None  # a tie, or suppressed cells that could change the order
    return best


def _age_figures(rows: list[dict], dimension: str | None) -> dict:
    with_ages = [f for f in rows if dimension and f["breakdowns"].get(dimension)]
    ages = _sums(f["breakdowns"][dimension] for f in with_ages)
    under: Bounds = ZERO
    under_forces = 0
    for f in with_ages:
        force_ages = {k: Bounds(*v) for k, v in f["breakdowns"][dimension].items()}
        share = _at_or_under(force_ages)
        if share is not None:
            under = under + share
            under_forces += 1
    return {
        "mode": _mode(ages),
        "at_or_under_10": bounds_json(under if under_forces else None),
        "at_or_under_10_forces": under_forces,
        "forces_reporting": len(with_ages),
        "ages": {k: bounds_json(b) for k, b in sorted(ages.items(), key=_age_order)},
    }


def _age_order(item: tuple[str, object]) -> tuple[int, int]:
    age = parse_age(item[0])
    if age is None or age.lower is None:
        return (999, 999)
    return (age.lower, age.upper if age.upper is not None else 998)


def _spread(rows: list[dict], slugs: dict[int, str], names: dict[str, str]) -> dict | None:
    if not rows:
        return None
    ranked = sorted(rows, key=lambda f: (f["total"][1], f["total"][0]))
    mids = [(f["total"][0] + f["total"][1]) / 2 for f in rows]
    exact = all(f["total"][0] == f["total"][1] for f in rows)

    def named(f: dict) -> dict:
        slug = slugs[f["force_id"]]
        return {"force": slug, "name": names.get(slug, slug), **bounds_json(Bounds(*f["total"]))}

    return {
        "largest": named(ranked[-1]),
        "smallest": named(ranked[0]),
        "median": statistics.median(mids) if exact else None,
        "under_20": sum(1 for f in rows if f["total"][1] < SMALL_FORCE),
    }


def _like_for_like(per_period, periods, targets, slugs) -> dict:
    every = set(targets)
    for period in periods:
        every &= {f["force_id"] for f in per_period[period]}
    totals = {}
    for period in periods:
        rows = [f for f in per_period[period] if f["force_id"] in every]
        totals[period] = bounds_json(
            sum((Bounds(*f["total"]) for f in rows), ZERO) if rows else None
        )
    return {"forces": sorted(slugs[i] for i in every), "national": totals}


def _change(a: Bounds | None, b: Bounds | None) -> dict | None:
    if a is None or b is None:
        return None
    absolute = {"lower": b.lower - a.upper, "upper": b.upper - a.lower}
    exact = a.value is not None and b.value is not None
    return {
        "absolute": b.value - a.value if exact else None,
        "absolute_range": absolute,
        "percent": round(100 * (b.value - a.value) / a.value, 1) if exact and a.value else None,
    }


def _changes(national: dict, periods: list[str]) -> dict:
    def bounds(p: str) -> Bounds | None:
        n = national[p]
        return Bounds(n["lower"], n["upper"]) if n["lower"] is not None else None

    changes = {f"{a} to {b}": _change(bounds(a), bounds(b)) for a, b in pairwise(periods)}
    if len(periods) > 2:
        changes[f"{periods[0]} to {periods[-1]}"] = _change(bounds(periods[0]), bounds(periods[-1]))
    return changes


def _conflict_summary(
    counts: list[list], periods: list[str], slugs: dict[int, str], names: dict[str, str]
) -> list[dict]:
    """Conflicts per force and kind, from the stored counts: ``[{"force", "name", "kind",
    "periods": [...], "conflicts": n}]`` by force name, for the periods shown."""
    grouped: dict[tuple[int, str], dict] = {}
    for force_id, kind, period, n in counts:
        if period not in periods:
            continue
        slug = slugs[force_id]
        entry = grouped.setdefault(
            (force_id, kind),
            {"force": slug, "name": names.get(slug, slug), "kind": kind, "periods": [],
             "conflicts": 0},
        )  # fmt: skip
        entry["periods"].append(period)
        entry["conflicts"] += n
    for entry in grouped.values():
        entry["periods"].sort(key=periods.index)
    return sorted(grouped.values(), key=lambda e: (e["name"], e["kind"]))


# The headline sentence researchers publish (SPEC 1).


def _amount(b: dict) -> str:
    if b["value"] is not None:
        return f"{b['value']:,}"
    return f"between {b['lower']:,} and {b['upper']:,}"


def _forces(n: int) -> str:
    return f"{n} force" if n == 1 else f"{n} forces"


def _compared(before: dict, now: dict, first: str) -> str:
    change = _change(Bounds(before["lower"], before["upper"]), Bounds(now["lower"], now["upper"]))
    if change["absolute_range"]["lower"] > 0:
        return f", up from {_amount(before)} in {first}"
    if change["absolute_range"]["upper"] < 0:
        return f", down from {_amount(before)} in {first}"
    if change["absolute"] == 0:
        return f", the same as in {first}"
    return f", compared with {_amount(before)} in {first}"


def _largest_term(breakdown: dict) -> tuple[str, dict] | None:
    """The term certainly largest in a breakdown, or None when ranges leave it undecided."""
    if not breakdown:
        return None
    ranked = sorted(breakdown.items(), key=lambda kv: (kv[1]["lower"], kv[1]["upper"]))
    best = ranked[-1]
    if any(b["upper"] >= best[1]["lower"] for _, b in ranked[:-1]):
        return None
    return best


def headline(rollup: dict) -> str:
    """The sentence researchers publish (SPEC 1), written from the campaign's measure and
    figures, with coverage stated: "Police recorded 8,244 online child sexual offences in
    2018-19, up from 4,042 in 2015-16: 22 a day. ..."."""
    periods = [p for p in rollup["periods"] if rollup["national"][p]["lower"] is not None]
    if not periods:
        return "No figures yet: no counted response covers the periods asked."
    last, first = periods[-1], periods[0]
    now = rollup["national"][last]
    sentence = f"Police recorded {_amount(now)} {rollup['measure']} in {last}"
    if first != last:
        sentence += _compared(rollup["national"][first], now, first)
    if now["per_day"] is not None:
        per_day = now["per_day"]
        sentence += f": {per_day:.1f} a day" if per_day < 10 else f": {round(per_day):,} a day"
    sentence += "."
    ages = rollup["age"][last]
    if ages["forces_reporting"]:
        bits = []
        if ages["mode"] is not None:
            bits.append(f"the most common age was {ages['mode']}")
        if ages["at_or_under_10"]["lower"] is not None:
            under = ages["at_or_under_10_forces"]
            # Fewer forces give ages that fall wholly at or under 10 than give ages at all.
            among = "" if under == ages["forces_reporting"] else f" (from {_forces(under)})"
            bits.append(
                f"{_amount(ages['at_or_under_10'])} involved children aged 10 and under{among}"
            )
        if bits:
            sentence += (
                f" Among the {_forces(ages['forces_reporting'])} giving ages, "
                + "; ".join(bits)
                + "."
            )
    for name, by_period in rollup["dimensions"].items():
        info = rollup["dimension_info"][name]
        largest = _largest_term(by_period.get(last, {}))
        if info["kind"] != DimensionKind.CATEGORY or largest is None:
            continue
        term, figure = largest
        title = info["title"].lower()
        sentence += (
            f" By {title}, the largest group was {term} ({_amount(figure)}; "
            f"{_forces(figure['forces_reporting'])} giving {title})."
        )
    expected = _forces(rollup["forces_expected"])
    sentence += f" Figures came from {now['forces_reporting']} of the {expected}"
    spread = rollup["spread"][last]
    if spread and spread["largest"]["force"] != spread["smallest"]["force"]:
        sentence += (
            f"; the largest figure was {spread['largest']['name']}'s "
            f"{_amount(spread['largest'])}, the smallest {spread['smallest']['name']}'s "
            f"{_amount(spread['smallest'])}"
        )
        under = spread["under_20"]
        if under:
            sentence += f", and {under} logged fewer than {SMALL_FORCE}"
    return sentence + "."


# Provenance: the observations behind any figure, down to sheet and cell.


def _source_q(f: dict, *, dimension: str | None, value: str | None) -> Q:
    where = Q(document_id=f["document"], period=f["period"], force_id=f["force_id"])
    if dimension is not None:
        table = f["breakdown_tables"].get(dimension)
        return where & Q(table=table, derived=False, **{f"dimensions__{dimension}": value})
    if f["source"] == "total":
        return where & Q(table__in=f["tables"], shape="")
    return where & Q(table__in=f["tables"], derived=False, shape=f["source"])


def figure_sources(
    campaign: Campaign,
    *,
    period: str | None = None,
    force: str | None = None,
    dimension: str | None = None,
    value: str | None = None,
):
    """The observations a figure was computed from: national (no force) or one force's, its
    total or one value of one dimension's breakdown."""
    data = stored_figures(campaign)
    force_id = None
    if force is not None:
        force_id = campaign.target_forces.filter(slug=force).values_list("pk", flat=True).first()
    query = Q(pk__in=[])
    for f in data["figures"]:
        if (period and f["period"] != period) or (force is not None and f["force_id"] != force_id):
            continue
        if dimension is not None and value not in f["breakdowns"].get(dimension, {}):
            continue
        query |= _source_q(f, dimension=dimension, value=value)
    return (
        Observation.objects.filter(query)
        .select_related("document", "force", "entered_by")
        .order_by("force__name", "period", "document_id", "table", "id")
    )
