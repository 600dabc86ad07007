"""One document's figures per period, rolled up by the rules of SPEC 8: a period's figure is its
explicit total where the file gave one, else the sum of one complete breakdown; totals are never
added to their parts; suppressed cells make ranges.

Within one table, base (non-derived) observations with the same dimensions are disjoint parts
(two offence rows that map to the same category) and add up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .labels import parse_age
from .result import ExtractionResult, Observation
from .vocabulary import FORCE, PERIOD

_AT_OR_UNDER = 10


@dataclass(frozen=True, slots=True)
class Bounds:
    lower: int
    upper: int

    @property
    def value(self) -> int | None:
        return self.lower if self.lower == self.upper else None

    def __add__(self, other: Bounds) -> Bounds:
        return Bounds(self.lower + other.lower, self.upper + other.upper)


ZERO = Bounds(0, 0)


@dataclass(slots=True)
class PeriodSummary:
    total: Bounds | None = None
    breakdowns: dict[str, dict[str, Bounds]] = field(default_factory=dict)  # dimension -> value

    @property
    def ages(self) -> dict[str, Bounds]:
        return self.breakdowns.get("age", {})

    @property
    def offences(self) -> dict[str, Bounds]:
        return self.breakdowns.get("offence", {})

    @property
    def at_or_under_10(self) -> Bounds | None:
        """Victims aged 10 and under: single ages and bands that lie wholly within 0-10."""
        if not self.ages:
            return None
        total = ZERO
        for age, bounds in self.ages.items():
            parsed = parse_age(age)
            if parsed and parsed.upper is not None and parsed.upper <= _AT_OR_UNDER:
                total = total + bounds
        return total


def _bounds(o: Observation) -> Bounds:
    return Bounds(o.lower, o.upper)


def _sum_by(observations: list[Observation], dimension: str) -> dict[str, Bounds]:
    sums: dict[str, Bounds] = defaultdict(lambda: ZERO)
    for o in observations:
        sums[o.dimensions[dimension]] = sums[o.dimensions[dimension]] + _bounds(o)
    return dict(sums)


def summarise(result: ExtractionResult) -> dict[str, PeriodSummary]:
    """Per period: the total, and a breakdown per dimension, as bounds."""
    by_period: dict[str, list[Observation]] = defaultdict(list)
    for o in result.observations:
        period = o.dimensions.get(PERIOD)
        if period is not None and FORCE not in o.dimensions:
            by_period[period].append(o)
    return {period: _summarise_period(obs) for period, obs in sorted(by_period.items())}


def _summarise_period(observations: list[Observation]) -> PeriodSummary:
    """The first table's one-way breakdown per dimension, else a crosstab's; the explicit total,
    else the sum of the first one-way breakdown."""
    base = [o for o in observations if not o.derived and len(o.dimensions) > 1]
    dimensions = sorted({d for o in base for d in o.dimensions if d != PERIOD})
    summary = PeriodSummary()
    for dimension in dimensions:
        one_way = [o for o in base if set(o.dimensions) == {PERIOD, dimension}]
        crossed = [o for o in base if dimension in o.dimensions]
        chosen = one_way or crossed
        first = min(o.table for o in chosen)
        summary.breakdowns[dimension] = _sum_by([o for o in chosen if o.table == first], dimension)
    explicit = [o for o in observations if set(o.dimensions) == {PERIOD}]
    if explicit:
        summary.total = _bounds(explicit[0])
    elif base:
        one_way = [o for o in base if len(o.dimensions) == 2]
        pool = one_way or base
        first = min(o.table for o in pool)
        parts = [o for o in pool if o.table == first]
        if one_way:  # one table may hold two one-way breakdowns (ages, then offences): one
            dimension = min(d for o in parts for d in o.dimensions if d != PERIOD)
            parts = [o for o in parts if dimension in o.dimensions]
        summary.total = sum((_bounds(o) for o in parts), ZERO)
    return summary
