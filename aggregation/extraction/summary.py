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
    ages: dict[str, Bounds] = field(default_factory=dict)
    offences: dict[str, Bounds] = field(default_factory=dict)

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
    """Per financial year: the total, and the age and offence breakdowns, as bounds."""
    by_period: dict[str, list[Observation]] = defaultdict(list)
    for o in result.observations:
        period = o.dimensions.get("period")
        if period is not None and "force" not in o.dimensions:
            by_period[period].append(o)
    return {period: _summarise_period(obs) for period, obs in sorted(by_period.items())}


def _summarise_period(observations: list[Observation]) -> PeriodSummary:
    def base(keys: set[str]) -> list[Observation]:
        return [o for o in observations if not o.derived and set(o.dimensions) == keys]

    summary = PeriodSummary()
    by_age = base({"period", "age"}) or base({"period", "age", "offence"})
    by_offence = base({"period", "offence"}) or base({"period", "age", "offence"})
    summary.ages = _sum_by(by_age, "age")
    summary.offences = _sum_by(by_offence, "offence")
    explicit = [o for o in observations if set(o.dimensions) == {"period"}]
    if explicit:
        summary.total = _bounds(explicit[0])
    elif summary.ages or summary.offences:
        parts = summary.ages or summary.offences
        summary.total = sum(parts.values(), ZERO)
    return summary
