"""A document's observations summed per table and period: the rows of ``DocumentFigure``.

Pure Python over plain tuples, so that the parse, a researcher's figures by hand and the data
migration all sum the same way. The rules are SPEC 8's: a stated total (an observation with no
dimension but the period) is one figure however many cells state it, never added to anything;
totals and subtotals over a dimension (derived cells with dimensions) are never summed; base
cells are summed per breakdown shape and per dimension value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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
    """One ``DocumentFigure`` row: see its docstring for the kinds."""

    force_id: int
    period: str
    table: int
    kind: str  # "total", "shape" or "part"
    dimension: str
    key: str
    lower: int
    upper: int
    lower_max: int | None = None
    upper_min: int | None = None


def shape_of(dimensions: dict[str, str]) -> str:
    """The dimension names a figure is broken down by, sorted: "" for a period total."""
    return ",".join(sorted(dimensions))


def document_sums(cells: Iterable[Cell]) -> list[Sum]:
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
            (*where, "shape", "", shape_of(c.dimensions)),
            *((*where, "part", d, v) for d, v in c.dimensions.items()),
        ]:
            s = sums.setdefault(key, [0, 0])
            s[0] += c.lower
            s[1] += c.upper
    return [
        Sum(*where, "total", "", "", lowest, highest, lower_max, upper_min)
        for where, (lowest, highest, lower_max, upper_min) in totals.items()
    ] + [Sum(*key, lower, upper) for key, (lower, upper) in sums.items()]
