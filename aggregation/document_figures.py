"""A document's observations summed per table and period: the rows of ``DocumentFigure``.

Pure Python over plain tuples, so that the parse, a researcher's figures by hand and the data
migration all sum the same way. The rules are SPEC 8's, applied to one document:

- a stated total (an observation with no dimension but the period) is one figure however many
  cells state it, never added to anything; totals and subtotals over a dimension (derived cells
  with dimensions) are never summed; base cells are summed per breakdown shape and per value;
- the document's own figure for a force and period is its stated total where it gives one, else
  the sum of one complete breakdown: the first table's, a one-way breakdown (in the campaign's
  order of dimensions) before a crosstab. It is kept twice: as read (``figure``) and for when a
  researcher chooses the breakdown over a stated total (``breakdown``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

TOTAL, SHAPE, PART, FIGURE, BREAKDOWN = "total", "shape", "part", "figure", "breakdown"


@dataclass(frozen=True, slots=True)
class Cell:
    force_id: int
    period: str
    table: int
    dimensions: dict[str, str]
    lower: int
    upper: int
    derived: bool


@dataclass(frozen=True, slots=True)
class Sum:
    """One ``DocumentFigure`` row: see its docstring for the kinds.

    For ``figure`` and ``breakdown`` rows, ``key`` says where the figure comes from ("total",
    or the shape summed, e.g. "age") and ``tables`` which tables; ``lower_max``/``upper_min``
    are the narrowest bounds of the stated totals, which differ from ``lower``/``upper`` when
    two totals disagree.
    """

    force_id: int
    period: str
    table: int
    kind: str
    dimension: str
    key: str
    lower: int
    upper: int
    lower_max: int | None = None
    upper_min: int | None = None
    tables: str = ""


def shape_of(dimensions: dict[str, str]) -> str:
    """The dimension names a figure is broken down by, sorted: "" for a period total."""
    return ",".join(sorted(dimensions))


def document_sums(cells: Iterable[Cell], order: list[str] | tuple[str, ...] = ()) -> list[Sum]:
    """Every ``DocumentFigure`` row of one document; ``order`` is the campaign's dimensions."""
    totals: dict[tuple, list[int]] = {}
    sums: dict[tuple, list[int]] = {}
    for c in cells:
        where = (c.force_id, c.period, c.table)
        if not c.dimensions:
            t = totals.get(where)
            if t is None:
                totals[where] = [c.lower, c.upper, c.lower, c.upper]
            else:
                t[0], t[1] = min(t[0], c.lower), max(t[1], c.upper)
                t[2], t[3] = max(t[2], c.lower), min(t[3], c.upper)
            continue
        if c.derived:
            continue  # a subtotal: its parts are counted, never it
        for key in [
            (*where, SHAPE, "", shape_of(c.dimensions)),
            *((*where, PART, d, v) for d, v in c.dimensions.items()),
        ]:
            s = sums.setdefault(key, [0, 0])
            s[0] += c.lower
            s[1] += c.upper
    rows = [
        Sum(*where, TOTAL, "", "", lowest, highest, lower_max, upper_min)
        for where, (lowest, highest, lower_max, upper_min) in totals.items()
    ] + [Sum(*key, lower, upper) for key, (lower, upper) in sums.items()]
    return rows + _figures(rows, list(order))


def _figures(rows: list[Sum], order: list[str]) -> list[Sum]:
    """The document's own figure per force and period, as read and as a breakdown only."""
    totals: dict[tuple[int, str], list[Sum]] = defaultdict(list)
    shapes: dict[tuple[int, str], list[Sum]] = defaultdict(list)
    for row in rows:
        if row.kind == TOTAL:
            totals[(row.force_id, row.period)].append(row)
        elif row.kind == SHAPE:
            shapes[(row.force_id, row.period)].append(row)
    figures = []
    for where in totals.keys() | shapes.keys():
        from_parts = _from_breakdown(shapes.get(where, []), order)
        stated = totals.get(where)
        if stated:
            figures.append(
                Sum(
                    force_id=where[0],
                    period=where[1],
                    table=0,
                    kind=FIGURE,
                    dimension="",
                    key=TOTAL,
                    lower=min(t.lower for t in stated),
                    upper=max(t.upper for t in stated),
                    lower_max=max(t.lower_max for t in stated),
                    upper_min=min(t.upper_min for t in stated),
                    tables=",".join(str(t.table) for t in sorted(stated, key=lambda t: t.table)),
                )
            )
        elif from_parts:
            figures.append(from_parts)
        if from_parts:
            figures.append(replace(from_parts, kind=BREAKDOWN))
    return figures


def _from_breakdown(shapes: list[Sum], order: list[str]) -> Sum | None:
    """The first table's breakdown summed: one-way (campaign order) before a crosstab."""
    if not shapes:
        return None
    first = min(s.table for s in shapes)
    in_first = [s for s in shapes if s.table == first]
    one_way = [s for s in in_first if "," not in s.key]
    if one_way:
        chosen = min(one_way, key=lambda s: order.index(s.key) if s.key in order else len(order))
    else:
        chosen = max(in_first, key=lambda s: s.key.count(","))
    return Sum(
        force_id=chosen.force_id,
        period=chosen.period,
        table=0,
        kind=FIGURE,
        dimension="",
        key=chosen.key,
        lower=chosen.lower,
        upper=chosen.upper,
        lower_max=chosen.lower,
        upper_min=chosen.upper,
        tables=str(first),
    )
