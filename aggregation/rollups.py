"""National figures from the counted responses, by the rules of SPEC 8.

A GROUP BY in the database reduces the observations to one sum per document, period, table and
kind of figure; two more sum the age and offence breakdowns of the tables chosen. Python only
ever sees those few sums, never rows. The result is stored per
campaign and recomputed only when the campaign's documents change.

Rules: a force's figure for a period is its explicit total where it gave one, else the sum of one
complete breakdown (ages, else offences); totals and subtotals are never added to their parts;
suppressed cells make ranges, exact only when the bounds meet; among a force's documents the newest
counts unless a researcher pinned one, and a different figure in another document is a conflict.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import pairwise

from django.db.models import Case, Count, Max, Min, Q, Sum, Value, When

from aggregation.extraction.labels import parse_age as _parse_age
from aggregation.extraction.summary import ZERO, Bounds
from aggregation.models import CampaignRollup, Observation
from requests_app.models import (
    ANSWERED,
    OPEN,
    Campaign,
    Document,
    DocumentStatus,
    FOIRequest,
    Lateness,
    Status,
)

COUNTED = (DocumentStatus.PARSED, DocumentStatus.APPROVED)
AT_OR_UNDER = 10
SMALL_FORCE = 20


# A campaign has a handful of age labels, read thousands of times per rollup.
parse_age = lru_cache(maxsize=4096)(_parse_age)


def days_in(period: str) -> int:
    """Days in a financial year "2015-16": 1 April 2015 to 31 March 2016."""
    start = int(period[:4])
    return (date(start + 1, 4, 1) - date(start, 4, 1)).days


def bounds_json(b: Bounds | None) -> dict:
    if b is None:
        return {"value": None, "lower": None, "upper": None}
    return {"value": b.value, "lower": b.lower, "upper": b.upper}


# What a table gives for one period: its explicit total, an age or offence breakdown, or an
# age x offence crosstab (which is both breakdowns).
TOTAL, AGES, OFFENCES, CROSS = "t", "a", "o", "x"
KIND = Case(
    When(age="", offence="", then=Value(TOTAL)),
    When(offence="", then=Value(AGES)),
    When(age="", then=Value(OFFENCES)),
    default=Value(CROSS),
)


@dataclass
class Figure:
    """One force's figure for one period, from one document."""

    document: int
    total: Bounds
    source: str  # "total", "ages" or "offences": where the total came from
    tables: list[int]
    age_tables: list[int] = field(default_factory=list)
    offence_tables: list[int] = field(default_factory=list)
    ages: dict[str, Bounds] = field(default_factory=dict)
    offences: dict[str, Bounds] = field(default_factory=dict)


def _counted(campaign: Campaign):
    """Base rows and period totals of the campaign's counted documents, in the periods asked."""
    return Observation.objects.filter(
        document__request__campaign=campaign,
        document__status__in=COUNTED,
        period__in=campaign.periods,
    ).filter(Q(derived=False) | Q(age="", offence=""))


def table_sums(campaign: Campaign):
    """First GROUP BY: per document, period and table, the sum of each kind of figure.

    Small output (documents x periods x tables x 4), whatever the number of cells.
    """
    return (
        _counted(campaign)
        .annotate(kind=KIND)
        .values_list("force_id", "document_id", "period", "table", "kind")
        .annotate(
            lower_sum=Sum("lower"),
            upper_sum=Sum("upper"),
            # For total cells: the spread of their bounds, to see that they agree.
            lowest=Min("lower"),
            highest=Max("upper"),
            lower_max=Max("lower"),
            upper_min=Min("upper"),
        )
        .order_by()
    )


def _candidate(document: int, tables: dict[str, dict[int, tuple]], where: dict, conflicts):
    """A document's figure for a period: explicit total, else one complete breakdown."""
    first = {kind: min(t) for kind, t in tables.items()}
    age_table = first.get(AGES, first.get(CROSS))
    offence_table = first.get(OFFENCES, first.get(CROSS))
    ages = [age_table] if age_table is not None else []
    offences = [offence_table] if offence_table is not None else []
    if TOTAL in tables:
        # Several total cells (a Total row and a Total column, or two tables) are one figure:
        # never added; their widest bounds stand, and a disagreement is a conflict.
        totals = tables[TOTAL].values()
        lowest, highest = min(t[2] for t in totals), max(t[3] for t in totals)
        if lowest != max(t[4] for t in totals) or highest != min(t[5] for t in totals):
            conflicts.append({**where, "kind": "totals_differ", "document": document})
        return Figure(
            document, Bounds(lowest, highest), "total", sorted(tables[TOTAL]), ages, offences
        )
    if age_table is not None:
        lower, upper = tables.get(AGES, tables.get(CROSS))[age_table][:2]
        return Figure(document, Bounds(lower, upper), "ages", ages, ages, offences)
    if offence_table is not None:
        lower, upper = tables[OFFENCES][offence_table][:2]
        return Figure(document, Bounds(lower, upper), "offences", offences, ages, offences)
    return None


def _breakdowns(campaign: Campaign, chosen: dict[tuple[int, str], Figure]) -> None:
    """Second and third GROUP BY: the age and offence breakdowns of the chosen documents."""
    documents = {f.document for f in chosen.values()}
    for dimension, target in (("age", "ages"), ("offence", "offences")):
        rows = (
            _counted(campaign)
            .filter(document_id__in=documents, derived=False)
            .exclude(**{dimension: ""})
            .values_list("force_id", "document_id", "period", "table", dimension)
            .annotate(lower_sum=Sum("lower"), upper_sum=Sum("upper"))
            .order_by()
        )
        for force_id, document, period, table, key, lower, upper in rows:
            fig = chosen.get((force_id, period))
            # Only the one table the figure's breakdown comes from: a copy is never added.
            if fig and fig.document == document and table in getattr(fig, f"{dimension}_tables"):
                getattr(fig, target)[key] = Bounds(lower, upper)


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
    """The single-year age with the most offences; None when ranges leave it undecided."""
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


def _fingerprint(campaign: Campaign) -> str:
    # Every change that moves a figure (parse, review, pin, reading) touches status_changed_at.
    docs = Document.objects.filter(request__campaign=campaign).aggregate(
        n=Count("id"), changed=Max("status_changed_at")
    )
    return f"{docs['n']}|{docs['changed']}|{','.join(campaign.periods)}"


def compute(campaign: Campaign) -> dict:
    """The campaign's figures, freshly from the observations: three GROUP BY queries."""
    documents = {
        d["pk"]: d
        for d in Document.objects.filter(request__campaign=campaign, status__in=COUNTED).values(
            "pk", "pinned", "uploaded_at", "count_breakdown"
        )
    }
    per_doc: dict[tuple[int, int, str], dict[str, dict[int, tuple]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for force_id, doc_id, period, table, kind, *sums in table_sums(campaign):
        per_doc[(force_id, doc_id, period)][kind][table] = tuple(sums)

    conflicts: list[dict] = []
    candidates: dict[tuple[int, str], list[Figure]] = defaultdict(list)
    for (force_id, doc_id, period), tables in per_doc.items():
        where = {"force_id": force_id, "period": period}
        if documents[doc_id]["count_breakdown"]:
            tables.pop(TOTAL, None)  # a researcher chose the parts over the stated total
        fig = _candidate(doc_id, tables, where, conflicts)
        if fig is not None:
            candidates[(force_id, period)].append(fig)

    chosen: dict[tuple[int, str], Figure] = {}
    for key, figs in candidates.items():
        # Newest counts, unless a researcher pinned a document.
        figs.sort(
            key=lambda f: (documents[f.document]["pinned"], documents[f.document]["uploaded_at"]),
            reverse=True,
        )
        chosen[key] = figs[0]
        conflicts += [
            {
                "force_id": key[0],
                "period": key[1],
                "kind": "documents_differ",
                "document": figs[0].document,
                "other_document": other.document,
                "counted": bounds_json(figs[0].total),
                "other": bounds_json(other.total),
            }
            for other in figs[1:]
            if other.total != figs[0].total
        ]
    _breakdowns(campaign, chosen)
    return {
        "periods": list(campaign.periods),
        "figures": _figures_json(chosen),
        "conflicts": conflicts,
    }


def _figures_json(chosen: dict[tuple[int, str], Figure]) -> list[dict]:
    return [
        {
            "force_id": force_id,
            "period": period,
            "document": fig.document,
            "source": fig.source,
            "tables": fig.tables,
            "age_tables": fig.age_tables,
            "offence_tables": fig.offence_tables,
            "total": [fig.total.lower, fig.total.upper],
            "ages": {k: [b.lower, b.upper] for k, b in fig.ages.items()},
            "offences": {k: [b.lower, b.upper] for k, b in fig.offences.items()},
        }
        for (force_id, period), fig in sorted(chosen.items(), key=lambda kv: kv[0])
    ]


def stored_figures(campaign: Campaign) -> dict:
    """The stored figures, recomputed when the campaign's documents changed since."""
    fingerprint = _fingerprint(campaign)
    stored = CampaignRollup.objects.filter(campaign=campaign).first()
    if stored and stored.fingerprint == fingerprint:
        return stored.data
    data = compute(campaign)
    # One statement, insert or update: the dashboard's query budget counts every round trip.
    CampaignRollup.objects.bulk_create(
        [CampaignRollup(campaign=campaign, fingerprint=fingerprint, data=data)],
        update_conflicts=True,
        unique_fields=["campaign"],
        update_fields=["fingerprint", "data", "computed_at"],
    )
    return data


# Coverage: who reported, and why the others did not.


def _missing_reason(request: FOIRequest | None, documents: dict[str, int]) -> str:
    if request is None:
        return "not asked"
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


def campaign_rollup(campaign: Campaign, *, periods: list[str] | None = None) -> dict:
    data = stored_figures(campaign)
    targets = {f.pk: f for f in campaign.target_forces.all()}
    requests = {
        r.force_id: r
        for r in FOIRequest.objects.filter(campaign=campaign).prefetch_related("exemptions")
    }
    doc_states: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        Document.objects.filter(request__campaign=campaign)
        .values("request__force_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        doc_states[row["request__force_id"]][row["status"]] = row["n"]
    slugs = {f.pk: f.slug for f in targets.values()}
    names = {f.pk: f.name for f in targets.values()}
    wanted = [p for p in data["periods"] if periods is None or p in periods]

    figures = [f for f in data["figures"] if f["period"] in wanted]
    for f in figures:
        if f["force_id"] not in slugs:  # a national table may name forces not targeted
            slugs[f["force_id"]] = f"force-{f['force_id']}"
    by_force: dict[str, dict] = defaultdict(dict)
    per_period: dict[str, list[dict]] = defaultdict(list)
    for f in figures:
        total = Bounds(*f["total"])
        by_force[slugs[f["force_id"]]][f["period"]] = {
            **bounds_json(total),
            "document": f["document"],
            "source": f["source"],
        }
        per_period[f["period"]].append(f)

    national, age, offence, coverage, spread = {}, {}, {}, {}, {}
    for period in wanted:
        rows = [f for f in per_period[period] if f["force_id"] in targets]
        total = sum((Bounds(*f["total"]) for f in rows), ZERO) if rows else None
        national[period] = {
            **bounds_json(total),
            "forces_reporting": len(rows),
            "per_day": round(total.value / days_in(period), 3)
            if total and total.value is not None
            else None,
            "per_day_range": [
                round(total.lower / days_in(period), 3),
                round(total.upper / days_in(period), 3),
            ]
            if total
            else None,
        }
        age[period] = _age_figures(rows)
        offence[period] = _offence_figures(rows)
        reporting = {f["force_id"] for f in rows}
        coverage[period] = {
            "reporting": sorted(slugs[i] for i in reporting),
            "missing": {
                slugs[pk]: _missing_reason(requests.get(pk), doc_states.get(pk, {}))
                for pk in sorted(set(targets) - reporting, key=lambda pk: names[pk])
            },
        }
        spread[period] = _spread(rows, slugs)

    like_for_like = _like_for_like(per_period, wanted, targets, slugs)
    result = {
        "campaign": campaign.slug,
        "forces_expected": len(targets),
        "force_names": {f.slug: f.short_name for f in targets.values()},
        "periods": wanted,
        "national": national,
        "by_force": dict(by_force),
        "age": age,
        "offence": offence,
        "coverage": coverage,
        "like_for_like": like_for_like,
        "spread": spread,
        "change": _changes(national, wanted),
        "conflicts": [
            {**c, "force": slugs.get(c["force_id"], str(c["force_id"]))}
            for c in data["conflicts"]
            if c["period"] in wanted
        ],
    }
    result["headline"] = headline(result)
    return result


def _age_figures(rows: list[dict]) -> dict:
    with_ages = [f for f in rows if f["ages"]]
    ages: dict[str, Bounds] = defaultdict(lambda: ZERO)
    under: Bounds | None = ZERO if with_ages else None
    under_forces = 0
    for f in with_ages:
        force_ages = {k: Bounds(*v) for k, v in f["ages"].items()}
        for k, b in force_ages.items():
            ages[k] = ages[k] + b
        share = _at_or_under(force_ages)
        if share is not None:
            under = under + share
            under_forces += 1
    return {
        "mode": _mode(ages),
        "at_or_under_10": {**bounds_json(under if under_forces else None)},
        "at_or_under_10_forces": under_forces,
        "forces_reporting": len(with_ages),
        "ages": {k: bounds_json(b) for k, b in sorted(ages.items(), key=_age_order)},
    }


def _age_order(item: tuple[str, Bounds]) -> tuple[int, int]:
    age = parse_age(item[0])
    if age is None or age.lower is None:
        return (999, 999)
    return (age.lower, age.upper if age.upper is not None else 998)


def _offence_figures(rows: list[dict]) -> dict:
    with_offences = [f for f in rows if f["offences"]]
    sums: dict[str, Bounds] = defaultdict(lambda: ZERO)
    for f in with_offences:
        for k, v in f["offences"].items():
            sums[k] = sums[k] + Bounds(*v)
    return {
        k: {**bounds_json(b), "forces_reporting": len(with_offences)}
        for k, b in sorted(sums.items())
    }


def _spread(rows: list[dict], slugs: dict[int, str]) -> dict | None:
    if not rows:
        return None
    ranked = sorted(rows, key=lambda f: (f["total"][1], f["total"][0]))
    mids = [(f["total"][0] + f["total"][1]) / 2 for f in rows]
    exact = all(f["total"][0] == f["total"][1] for f in rows)
    return {
        "largest": {
            "force": slugs[ranked[-1]["force_id"]],
            **bounds_json(Bounds(*ranked[-1]["total"])),
        },
        "smallest": {
            "force": slugs[ranked[0]["force_id"]],
            **bounds_json(Bounds(*ranked[0]["total"])),
        },
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


def _changes(national: dict, periods: list[str]) -> dict:
    def bounds(p: str) -> Bounds | None:
        n = national[p]
        return Bounds(n["lower"], n["upper"]) if n["lower"] is not None else None

    changes = {f"{a} to {b}": _change(bounds(a), bounds(b)) for a, b in pairwise(periods)}
    if len(periods) > 2:
        changes[f"{periods[0]} to {periods[-1]}"] = _change(bounds(periods[0]), bounds(periods[-1]))
    return changes


def _amount(b: dict) -> str:
    if b["value"] is not None:
        return f"{b['value']:,}"
    return f"between {b['lower']:,} and {b['upper']:,}"


def _forces(n: int) -> str:
    return f"{n} force" if n == 1 else f"{n} forces"


def headline(rollup: dict) -> str:
    """The sentence researchers publish (SPEC 1), written from the figures, coverage stated."""
    periods = [p for p in rollup["periods"] if rollup["national"][p]["lower"] is not None]
    if not periods:
        return "No figures yet: no counted response covers the periods asked."
    last, first = periods[-1], periods[0]
    now = rollup["national"][last]
    parts = [f"Police recorded {_amount(now)} offences in {last}"]
    if first != last:
        before = rollup["national"][first]
        change = _change(
            Bounds(before["lower"], before["upper"]), Bounds(now["lower"], now["upper"])
        )
        direction = (
            "up"
            if change["absolute_range"]["lower"] > 0
            else ("down" if change["absolute_range"]["upper"] < 0 else "compared with")
        )
        parts[0] += f", {direction} from {_amount(before)} in {first}"
    sentence = parts[0]
    if now["per_day"] is not None:
        per_day = now["per_day"]
        sentence += f": {per_day:.1f} a day" if per_day < 10 else f": {round(per_day):,} a day"
    sentence += "."
    ages = rollup["age"][last]
    if ages["forces_reporting"]:
        bits = []
        if ages["mode"] is not None:
            bits.append(f"the most common victim age was {ages['mode']}")
        if ages["at_or_under_10"]["lower"] is not None:
            bits.append(
                f"{_amount(ages['at_or_under_10'])} offences involved children aged 10 and under"
            )
        if bits:
            sentence += (
                f" Among the {_forces(ages['forces_reporting'])} giving ages, "
                + "; ".join(bits)
                + "."
            )
    expected = _forces(rollup["forces_expected"])
    sentence += f" Figures came from {now['forces_reporting']} of the {expected}"
    spread = rollup["spread"][last]
    if spread:
        sentence += (
            f"; the largest figure was {_amount(spread['largest'])}, the smallest "
            f"{_amount(spread['smallest'])}, and {spread['under_20']} logged fewer than 20"
        )
    return sentence + "."


# Provenance: the observations behind any figure, down to sheet and cell.


def _source_q(f: dict, *, age: str | None, offence: str | None) -> Q:
    where = Q(document_id=f["document"], period=f["period"], force_id=f["force_id"])
    if age is not None:
        return where & Q(table__in=f["age_tables"], age=age, derived=False)
    if offence is not None:
        return where & Q(table__in=f["offence_tables"], offence=offence, derived=False)
    if f["source"] == "total":
        return where & Q(table__in=f["tables"], age="", offence="")
    return where & Q(table__in=f["tables"], derived=False)


def figure_sources(
    campaign: Campaign,
    *,
    period: str | None = None,
    force: str | None = None,
    age: str | None = None,
    offence: str | None = None,
):
    """The observations a figure was computed from: national (no force) or one force's."""
    data = stored_figures(campaign)
    force_id = None
    if force is not None:
        force_id = campaign.target_forces.filter(slug=force).values_list("pk", flat=True).first()
    query = Q(pk__in=[])
    for f in data["figures"]:
        if (period and f["period"] != period) or (force is not None and f["force_id"] != force_id):
            continue
        if age is not None and age not in f["ages"]:
            continue
        if offence is not None and offence not in f["offences"]:
            continue
        query |= _source_q(f, age=age, offence=offence)
    return (
        Observation.objects.filter(query)
        .select_related("document", "force")
        .order_by("force__name", "period", "document_id", "table", "id")
    )
