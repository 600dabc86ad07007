"""Realistic response files for any campaign template, generated with the figures they hold.

Forces answer the same question in many shapes (SPEC 6): a table per dimension with years
across, a long table, a sheet per year, a crosstab under a two-level header, one row per event,
years down the side. ``demo_responses`` writes one force's answer in each of those layouts, with
the truth a careful reader takes from it, for the demo seed, the tests and the benchmarks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product

from openpyxl import Workbook

from aggregation.extraction.campaign_templates import Template
from aggregation.extraction.labels import period_bounds
from aggregation.extraction.vocabulary import DimensionKind, PeriodKind

# The ages a force writes for each template: bands where forces publish bands.
AGE_LABELS = {
    "online-child-sexual-offences": [str(a) for a in range(0, 18)],
    "child-strip-searches": ["10-12", "13-15", "16-17"],
    "children-missing": ["0-11", "12-14", "15-17"],
    "taser-use-on-children": ["10-13", "14-15", "16-17"],
    "child-cruelty-offences": ["0-4", "5-9", "10-13", "14-17"],
}
DEFAULT_AGES = ["0-9", "10-13", "14-17"]

# Finer groups some forces write instead of the campaign's terms; each maps to its term and the
# file's rows for one term add up to it.
DETAIL = {
    "White": ["White - British", "White - Irish", "White - Any other White background"],
    "Black": ["Black or Black British - Caribbean", "Black or Black British - African"],
    "Asian": ["Asian or Asian British - Indian", "Asian or Asian British - Pakistani"],
    "Mixed": ["Mixed - White and Black Caribbean", "Mixed - Any other mixed background"],
}

Key = tuple[str, ...]  # one value per dimension, in the template's order


@dataclass
class DemoResponse:
    """One force's file: its name, bytes, layout and the truth it holds."""

    force: str
    name: str
    layout: str
    content: bytes
    totals: dict[str, int] = field(default_factory=dict)  # period -> count
    # dimension -> period -> value (as the engine reads it: a term, an age label) -> count
    breakdowns: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Answer:
    template: Template
    force_name: str
    periods: list[str]
    values: list[list[str]]  # each dimension's values
    counts: dict[str, dict[Key, int]]  # period -> key -> count
    rng: random.Random

    @property
    def titles(self) -> list[str]:
        return [d.title for d in self.template.dimensions]

    def total(self, period: str) -> int:
        return sum(self.counts[period].values())

    def by(self, period: str, position: int) -> dict[str, int]:
        sums: dict[str, int] = defaultdict(int)
        for key, n in self.counts[period].items():
            sums[key[position]] += n
        return dict(sums)


def _values(template: Template) -> list[list[str]]:
    values = []
    for d in template.dimensions:
        if d.kind is DimensionKind.AGE:
            values.append(AGE_LABELS.get(template.slug, DEFAULT_AGES))
        else:
            values.append([t.name for t in template.terms if t.dimension == d.name])
    return values


def _counts(rng: random.Random, periods: list[str], values: list[list[str]]) -> dict:
    return {
        p: {key: rng.randint(0, 9) + 2 * i for key in product(*values)}
        for i, p in enumerate(periods)
    }


def _period_label(period: str, kind: PeriodKind, style: int) -> str:
    """The period as forces write it, in one of a few spellings."""
    if kind is PeriodKind.FINANCIAL_YEAR:
        start = int(period[:4])
        return [
            f"{start}/{(start + 1) % 100:02d}",
            period,
            f"FY {start}/{(start + 1) % 100:02d}",
            f"Apr {start} - Mar {start + 1}",
        ][style % 4]
    if kind is PeriodKind.MONTH:
        first, _ = period_bounds(period, kind)
        return [first.strftime("%b %Y"), period, first.strftime("%B %Y")][style % 3]
    return period


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _spelled(term: str, rng: random.Random, n: int) -> list[tuple[str, int]]:
    """A term's count as the finer groups some forces write, split among them."""
    groups = DETAIL.get(term)
    if not groups:
        return [(term, n)]
    cuts = sorted(rng.randint(0, n) for _ in groups[1:])
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    return list(zip(groups, shares, strict=True))


# ---------------------------------------------------------------------------------------------
# Layouts: each returns (file name suffix, bytes).


def _tables_by_period(a: _Answer) -> tuple[str, bytes]:
    """One table per dimension, its values down the side and the periods across, each with a
    Total row, on one sheet under a title."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Response"
    kind = a.template.period_kind
    ws.append([f"{a.force_name}: {a.template.measure.name}"])
    ws.append(["Our reference: FOI/2024/0117"])
    for position, title in enumerate(a.titles):
        ws.append([])
        ws.append([title, *(_period_label(p, kind, 0) for p in a.periods)])
        for value in a.values[position]:
            ws.append([value, *(a.by(p, position).get(value, 0) for p in a.periods)])
        ws.append(["Total", *(a.total(p) for p in a.periods)])
    return "xlsx", _save(wb)


def _long_table(a: _Answer) -> tuple[str, bytes]:
    """Period, each dimension, count: one row per combination."""
    kind = a.template.period_kind
    header = ["Period" if kind is not PeriodKind.FINANCIAL_YEAR else "Financial Year"]
    rows = [[*header, *a.titles, "Count"]]
    for p in a.periods:
        for key, n in a.counts[p].items():
            rows.append([_period_label(p, kind, 1), *key, n])
    return "csv", _csv(rows)


def _sheet_per_period(a: _Answer) -> tuple[str, bytes]:
    """A sheet per period: the first dimension down (in finer groups where forces use them), the
    second across, with Total row and column."""
    wb = Workbook()
    wb.remove(wb.active)
    kind = a.template.period_kind
    for p in a.periods:
        ws = wb.create_sheet(p)
        ws.append([f"{a.template.measure.name.capitalize()}, {_period_label(p, kind, 0)}"])
        ws.append([])
        if len(a.values) == 1:
            ws.append([a.titles[0], "Number"])
            for value, n in a.by(p, 0).items():
                ws.append([value, n])
            ws.append(["Total", a.total(p)])
            continue
        second = a.values[1]
        ws.append([a.titles[0], *second, "Total"])
        for first in a.values[0]:
            row = [a.counts[p].get((first, s), 0) for s in second]
            split = [_spelled(first, a.rng, n) for n in row]
            for i, (label, _) in enumerate(split[0]):
                parts = [s[i][1] for s in split]
                ws.append([label, *parts, sum(parts)])
        ws.append(["Total", *(a.by(p, 1).get(s, 0) for s in second), a.total(p)])
    return "xlsx", _save(wb)


def _two_level_header(a: _Answer) -> tuple[str, bytes]:
    """Periods merged over the second dimension's values, which sit in a header row below; the
    first dimension down the side."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    kind = a.template.period_kind
    second = a.values[1] if len(a.values) > 1 else ["Count"]
    top, sub = [a.titles[0]], [None]
    for p in a.periods:
        top += [_period_label(p, kind, 2)] + [None] * (len(second) - 1)
        sub += second
    ws.append(top)
    ws.append(sub)
    for i in range(len(a.periods)):
        first_col = 2 + i * len(second)
        ws.merge_cells(
            start_row=1, start_column=first_col, end_row=1, end_column=first_col + len(second) - 1
        )
    for first in a.values[0]:
        row: list[object] = [first]
        for p in a.periods:
            if len(a.values) > 1:
                row += [a.counts[p].get((first, s), 0) for s in second]
            else:
                row += [a.counts[p].get((first,), 0)]
        ws.append(row)
    return "xlsx", _save(wb)


def _periods_down(a: _Answer) -> tuple[str, bytes]:
    """Periods down the side, a dimension's values across with a Total column; a table per
    dimension, a blank line between."""
    kind = a.template.period_kind
    rows: list[list[object]] = []
    for position, title in enumerate(a.titles):
        if rows:
            rows.append([])
        rows.append([f"{title} by period"])
        rows.append(["Period", *a.values[position], "Total"])
        for p in a.periods:
            by = a.by(p, position)
            rows.append(
                [_period_label(p, kind, 3), *(by.get(v, 0) for v in a.values[position]), a.total(p)]
            )
    return "csv", _csv(rows)


def _records(a: _Answer) -> tuple[str, bytes]:
    """One row per event, dated within its period, with single ages; a few events with people
    too old for the request, which a reader leaves out."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Records"
    kind = a.template.period_kind
    age_position = next(
        (i for i, d in enumerate(a.template.dimensions) if d.kind is DimensionKind.AGE), None
    )
    ws.append(["Reference", "Date recorded", *a.titles])
    events: list[tuple[dt.date, list[object]]] = []
    for p in a.periods:
        first, last = period_bounds(p, kind)
        span = (last - first).days
        for key, n in a.counts[p].items():
            for _ in range(n):
                values: list[object] = list(key)
                if age_position is not None:
                    values[age_position] = _single_age(key[age_position], a.rng)
                day = first + dt.timedelta(days=a.rng.randint(0, span))
                events.append((day, values))
    # The list runs from the first day of the first period to the last day of the last.
    if events:
        first_day, last_day = (
            period_bounds(a.periods[0], kind)[0],
            period_bounds(a.periods[-1], kind)[1],
        )
        events[0] = (first_day, events[0][1])
        events[-1] = (last_day, events[-1][1])
    max_age = a.template.scope.max_age
    if age_position is not None and max_age is not None:
        for i in range(3):
            values: list[object] = [v[0] for v in a.values]
            values[age_position] = max_age + 1 + i
            events.append((period_bounds(a.periods[-1], kind)[0], values))
    events.sort(key=lambda e: e[0])
    for n, (day, values) in enumerate(events, start=1):
        ws.append([f"REF-{n:05d}", day, *values])
    return "xlsx", _save(wb)


def _single_age(label: str, rng: random.Random) -> int:
    if "-" in label:
        low, high = (int(x) for x in label.split("-"))
        return rng.randint(low, high)
    return int(label)


LAYOUTS: dict[str, Callable[[_Answer], tuple[str, bytes]]] = {
    "tables_by_period": _tables_by_period,
    "long_table": _long_table,
    "sheet_per_period": _sheet_per_period,
    "two_level_header": _two_level_header,
    "periods_down": _periods_down,
    "records": _records,
}


def _truth(a: _Answer, layout: str, response: DemoResponse) -> None:
    for p in a.periods:
        response.totals[p] = a.total(p)
    for position, d in enumerate(a.template.dimensions):
        per_period = {}
        for p in a.periods:
            by = a.by(p, position)
            if layout == "records" and d.kind is DimensionKind.AGE:
                by = {}  # records give single ages: counted from the file itself below
            per_period[p] = {k: v for k, v in by.items() if v}
        response.breakdowns[d.name] = per_period


def demo_responses(
    template: Template,
    periods: list[str],
    forces: list[tuple[str, str]],
    *,
    seed: str = "demo",
    layouts: list[str] | None = None,
) -> list[DemoResponse]:
    """One response per force, ``forces`` as (slug, name) pairs, the layouts taken in turn.

    A record list's age breakdown is in single years (``breakdowns`` then holds them as the
    file gives them).
    """
    names = layouts or list(LAYOUTS)
    values = _values(template)
    responses = []
    for i, (slug, name) in enumerate(forces):
        layout = names[i % len(names)]
        if layout == "two_level_header" and len(values) < 2:
            layout = "tables_by_period"
        rng = random.Random(f"{seed}-{template.slug}-{slug}")
        answer = _Answer(template, name, periods, values, _counts(rng, periods, values), rng)
        suffix, content = LAYOUTS[layout](answer)
        response = DemoResponse(slug, f"{slug}-{layout}.{suffix}", layout, content)
        _truth(answer, layout, response)
        if layout == "records":
            _record_ages(answer, response)
        responses.append(response)
    return responses


def _record_ages(a: _Answer, response: DemoResponse) -> None:
    """The single ages a record list holds, counted back from its rows."""
    from openpyxl import load_workbook

    age_position = next(
        (i for i, d in enumerate(a.template.dimensions) if d.kind is DimensionKind.AGE), None
    )
    if age_position is None:
        return
    name = a.template.dimensions[age_position].name
    ws = load_workbook(io.BytesIO(response.content)).active
    counted: dict[str, dict[str, int]] = {p: defaultdict(int) for p in a.periods}
    kind = a.template.period_kind
    max_age = a.template.scope.max_age
    for row in ws.iter_rows(min_row=2, values_only=True):
        day, age = row[1], row[2 + age_position]
        if max_age is not None and age > max_age:
            continue
        period = next(
            p
            for p in a.periods
            if period_bounds(p, kind)[0] <= day.date() <= period_bounds(p, kind)[1]
        )
        counted[period][str(age)] += 1
    response.breakdowns[name] = {p: dict(c) for p, c in counted.items()}
