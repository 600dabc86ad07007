"""State shared while one document is understood: the vocabulary's matchers, the file's
legend (what its markers mean), the reasons found so far and the figures read so far."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from .headers import HeaderReader
from .labels import (
    UNKNOWN_AGE,
    CategoryMatcher,
    ForceMatcher,
    PeriodLabel,
    clean,
    is_catch_all,
    parse_age,
    parse_period,
    parse_total,
    period_ending_under,
)
from .measures import COUNTED_NOUNS, MeasureKind, MeasureReader
from .result import Reason, Table
from .values import DEFAULT_LEGEND, CellValue, Legend
from .vocabulary import (
    FORCE,
    PERIOD,
    DimensionKind,
    Hint,
    HintKind,
    LabelMap,
    PeriodKind,
    Vocabulary,
)

_MAX_CELLS_IN_REASON = 25
# Words that may follow "Total" without naming a group: "Total sexual offences".
# A total over these names no group: "Total offences", "Total fatalities", "Overall".
_GENERIC_GROUP_WORDS = frozenset({"sexual", "overall"}) | COUNTED_NOUNS


class LabelKind(StrEnum):
    VALUE = "value"  # a dimension value, e.g. "2018-19"
    TOTAL = "total"  # a total over the dimension; ``value`` set for a group subtotal
    OTHER_PERIOD = "other_period"  # a period of another kind than the campaign's: never converted
    # A subtotal of a group whose members fall in several values ("Other offences - total"):
    # a check on its members, never a figure of its own.
    SUBTOTAL = "subtotal"
    # A row or column of another measure than the campaign's ("Victims" beside "Offences").
    OTHER_MEASURE = "other_measure"
    # A label a researcher mapped to "not part of this request": its figures are read aside
    # (``Figure.excluded``), so that a total including them is recognised, then left out.
    IGNORED = "ignored"
    NOT_DATA = "not_data"  # a row or column a researcher says holds no figures at all
    UNKNOWN = "unknown"


# The value an ignored label's figures carry, so that they stay apart and are recognised.
IGNORED_PREFIX = "\x00ignored:"


# Words that say what a column counts, never which period: "No. of offences", "Number recorded".
_COUNTING_WORDS = COUNTED_NOUNS | {"no", "no.", "number", "of", "count", "recorded", "total"}
_WORDS = re.compile(r"[^\s]+")


# Two spellings of one label side by side, in English and Welsh: a slash with spaces round it.
_BILINGUAL = re.compile(r"\s+/\s+")


@dataclass(frozen=True, slots=True)
class ParsedLabel:
    kind: LabelKind
    value: str = ""
    period_kind: PeriodKind | None = None  # for OTHER_PERIOD: which kind it is


# How periods of each kind are named in reasons.
PERIOD_KIND_NAMES = {
    PeriodKind.FINANCIAL_YEAR: "financial year (April to March)",
    PeriodKind.CALENDAR_YEAR: "calendar year",
    PeriodKind.MONTH: "month",
    PeriodKind.ROLLING_YEAR: "rolling 12 months ending in another month than March",
}


@dataclass(slots=True)
class Figure:
    """One figure read from a cell, before it becomes an Observation."""

    dims: dict[str, str]
    cell: CellValue
    sheet: str
    row: int
    col: int
    table: int
    over: frozenset[str] = frozenset()  # dimensions this figure totals over: derived if any
    blank: bool = False  # an empty cell among figures: zero only if a total confirms it
    cells: str = ""  # provenance when not a single cell (record lists count a column range)

    @property
    def derived(self) -> bool:
        return bool(self.over)

    @property
    def excluded(self) -> bool:
        """Under a label a researcher mapped to "not part of this request"."""
        return any(v.startswith(IGNORED_PREFIX) for v in self.dims.values())


class Hints:
    """A researcher's corrections of one document's reading, looked up by sheet and row or
    column (``vocabulary.Hint``)."""

    def __init__(self, hints: tuple[Hint, ...] | list[Hint]) -> None:
        self.rows: dict[tuple[str, int], HintKind] = {}
        self.columns: dict[tuple[str, int], HintKind] = {}
        self.periods: list[Hint] = []
        for hint in hints:
            if hint.kind is HintKind.PERIOD:
                self.periods.append(hint)
            elif hint.column is not None:
                self.columns[(hint.sheet, hint.column)] = hint.kind
            elif hint.row is not None:
                self.rows[(hint.sheet, hint.row)] = hint.kind

    def __bool__(self) -> bool:
        return bool(self.rows or self.columns or self.periods)

    def period(self, sheet: str, first_row: int, last_row: int) -> str:
        """The period a researcher gave the table spanning these rows, or ""."""
        for hint in self.periods:
            if hint.sheet == sheet and (hint.row is None or first_row <= hint.row <= last_row):
                return hint.period
        return ""


# A researcher's hint as the label it stands for.
HINTED_LABELS = {
    HintKind.TOTAL: ParsedLabel(LabelKind.TOTAL),
    HintKind.SUBTOTAL: ParsedLabel(LabelKind.SUBTOTAL),
    HintKind.NOT_DATA: ParsedLabel(LabelKind.NOT_DATA),
    HintKind.OTHER_MEASURE: ParsedLabel(LabelKind.OTHER_MEASURE),
}


@dataclass(slots=True)
class Context:
    vocabulary: Vocabulary
    legend: Legend = DEFAULT_LEGEND
    reasons: list[Reason] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    # Cells the force gives as not available ("..", "n/a", or as its legend says).
    unavailable: list[Figure] = field(default_factory=list)
    # (table index, dimension) pairs whose breakdown is incomplete (an unknown label): their
    # parts cannot be checked against a total.
    incomplete: set[tuple[int, str]] = field(default_factory=set)
    # Whether some table in the file is titled by the campaign's own measure: then a table
    # titled by another noun ("Victims by age") counts that other thing.
    ours_titled: bool = False
    # The workbook's sheet names, cleaned: a table listing them is a contents page.
    sheet_names: frozenset[str] = frozenset()
    hints: Hints = field(default_factory=lambda: Hints(()))
    headers: HeaderReader = field(init=False)
    measures: MeasureReader = field(init=False)
    categories: dict[str, CategoryMatcher] = field(init=False)
    forces: ForceMatcher = field(init=False)
    # Every dimension a row or column of labels may run along: the period, the campaign's own
    # dimensions, and the force (national tables list several).
    axes: tuple[str, ...] = field(init=False)
    _kinds: dict[str, DimensionKind] = field(init=False)
    _label_cache: dict[tuple[str, object], ParsedLabel] = field(init=False)
    _mapped: dict[tuple[str, str], LabelMap] = field(init=False)

    def __post_init__(self) -> None:
        vocabulary = self.vocabulary
        self._mapped = {(m.dimension, clean(m.label)): m for m in vocabulary.mappings}
        self.categories = {
            d.name: CategoryMatcher(vocabulary, d.name)
            for d in vocabulary.of_kind(DimensionKind.CATEGORY)
        }
        self.headers = HeaderReader(vocabulary, terms=self._is_term)
        self.measures = MeasureReader(vocabulary.measure)
        self.forces = ForceMatcher(vocabulary.forces)
        own = tuple(d.name for d in vocabulary.dimensions if d.kind is not DimensionKind.FORCE)
        self.axes = (PERIOD, *own, FORCE)
        self._kinds = {d.name: d.kind for d in vocabulary.dimensions} | {FORCE: DimensionKind.FORCE}
        self._label_cache = {}

    def _is_term(self, value: object) -> bool:
        return any(m.match(value).term for m in self.categories.values())

    @property
    def age(self) -> str | None:
        """The campaign's age dimension, if it has one."""
        return self.headers.age_dimension

    def reason(
        self,
        code: str,
        message: str,
        sheet: str = "",
        cells: str | list[str] = "",
        *,
        blocking: bool = True,
        label: str = "",
        dimension: str = "",
    ) -> None:
        if isinstance(cells, list):
            shown = cells[:_MAX_CELLS_IN_REASON]
            cells = ",".join(shown) + (",…" if len(cells) > len(shown) else "")
        self.reasons.append(Reason(code, message, sheet, cells, blocking, label, dimension))

    def other_periods(self, found: list[ParsedLabel], what: str, sheet: str, cells: str) -> None:
        """Periods of another kind than the campaign's: flagged, never converted (SPEC 4).

        The reason's code names the kind found: ``calendar_years``, ``financial_years``,
        ``months``.
        """
        kinds = sorted({p.period_kind for p in found if p.period_kind})
        values = sorted({p.value for p in found})
        named = " or ".join(PERIOD_KIND_NAMES[k] for k in kinds)
        wanted = PERIOD_KIND_NAMES[self.vocabulary.period_kind]
        self.reason(
            f"{kinds[0]}s" if kinds else "other_periods",
            f"{what} by {named} ({', '.join(values[:6])}), not by {wanted} as the campaign asks; "
            "it was not converted.",
            sheet,
            cells,
        )

    def parse_label(self, dimension: str, value: object) -> ParsedLabel:
        key = (dimension, value)
        parsed = self._label_cache.get(key)
        if parsed is None:
            parsed = self._label_cache[key] = self._parse_label(dimension, value)
        return parsed

    def _parse_label(self, dimension: str, value: object) -> ParsedLabel:
        mapped = self._mapped.get((dimension, clean(value))) if self._mapped else None
        if mapped is not None:  # a researcher's reading comes first
            if mapped.ignores:
                return ParsedLabel(LabelKind.IGNORED, f"{IGNORED_PREFIX}{clean(value)}")
            return ParsedLabel(LabelKind.VALUE, mapped.value)
        direct = self._parse_value_label(dimension, value)
        if direct.kind is not LabelKind.UNKNOWN:
            return direct
        if isinstance(value, str) and (bilingual := self._one_language(dimension, value)):
            return bilingual
        if dimension == PERIOD and isinstance(value, str):
            # "2015/16 No. of offences": a period beside the words of what is counted (the
            # columns of another measure are set aside before any period is read).
            words = _WORDS.findall(clean(value))
            rest = " ".join(w for w in words if w not in _COUNTING_WORDS)
            counted = " ".join(w for w in words if w in _COUNTING_WORDS)
            if (
                counted
                and self.measures.read(counted) is MeasureKind.OURS
                and (period := parse_period(rest)) is not None
            ):
                return self._period_label(period)
        total = parse_total(value)
        if total is None:
            return direct
        if not total.group or set(total.group.split()) <= _GENERIC_GROUP_WORDS:
            # A bare "Sub-total" sums some group: a check on its parts, never the whole.
            return ParsedLabel(LabelKind.SUBTOTAL if total.partial else LabelKind.TOTAL)
        group = self._parse_value_label(dimension, total.group)
        if group.kind is LabelKind.VALUE:
            return ParsedLabel(LabelKind.TOTAL, group.value)
        return ParsedLabel(LabelKind.UNKNOWN)

    def _one_language(self, dimension: str, value: str) -> ParsedLabel | None:
        """A label in two languages ("Dan 13 / Under 13", "Cyfanswm / Total", as Welsh forces
        write them): the one half that reads, when the other reads as nothing at all. A half
        that is a catch-all word ("Other / not stated") is English, not another language."""
        halves = _BILINGUAL.split(value)
        if len(halves) != 2:
            return None
        read = [self._parse_label(dimension, half) for half in halves]
        known = [p for p in read if p.kind is not LabelKind.UNKNOWN]
        unread = [h for h, p in zip(halves, read, strict=True) if p.kind is LabelKind.UNKNOWN]
        if len(known) != 1 or any(is_catch_all(h) for h in unread):
            return None
        return known[0]

    def unmatched(self, dimension: str, label: str) -> str:
        """Why a label reads as no term of ``dimension``, for a reason's message: it names
        several ("could be Rape or Sexual assault"), or none."""
        matcher = self.categories.get(dimension)
        candidates = matcher.match(label).ambiguous if matcher is not None else ()
        if len(candidates) > 1:
            named = ", ".join(candidates[:-1]) + f" or {candidates[-1]}"
            return f"could be {named} (it names more than one {dimension})"
        return f"does not match any {dimension} in the campaign's vocabulary"

    def parse_period_under(self, heading: object, value: object) -> ParsedLabel | None:
        """A bare year under a heading naming the day its twelve months end ("Year ending 31
        March" over 2016), or None when the heading names no such day."""
        period = period_ending_under(heading, value)
        return None if period is None else self._period_label(period)

    def _period_label(self, period: PeriodLabel | None) -> ParsedLabel:
        if period is None:
            return ParsedLabel(LabelKind.UNKNOWN)
        if period.kind is self.vocabulary.period_kind:
            return ParsedLabel(LabelKind.VALUE, period.canonical)
        return ParsedLabel(LabelKind.OTHER_PERIOD, period.canonical, period.kind)

    def _parse_value_label(self, dimension: str, value: object) -> ParsedLabel:
        if dimension == PERIOD:
            return self._period_label(parse_period(value))
        kind = self._kinds.get(dimension)
        if kind is DimensionKind.AGE:
            age = parse_age(value)
            return (
                ParsedLabel(LabelKind.VALUE, age.canonical)
                if age
                else ParsedLabel(LabelKind.UNKNOWN)
            )
        if kind is DimensionKind.CATEGORY:
            if isinstance(value, int | float):
                return ParsedLabel(LabelKind.UNKNOWN)
            term = self.categories[dimension].match(value).term
            return ParsedLabel(LabelKind.VALUE, term) if term else ParsedLabel(LabelKind.UNKNOWN)
        if kind is DimensionKind.FORCE:
            slug = self.forces.match(value)
            return ParsedLabel(LabelKind.VALUE, slug) if slug else ParsedLabel(LabelKind.UNKNOWN)
        return ParsedLabel(LabelKind.UNKNOWN)

    def resolve_axis(
        self, labels: list[object], hint: str | None, *, foreign: bool = False
    ) -> str | None:
        """Which dimension a row or column of labels runs along: the one that reads most of them.

        The heading's hint ("Victim age") breaks ties and names the axis when no label reads,
        so that its labels are reported as unknown rather than ignored. Under a heading that
        names a dimension the campaign does not ask about (``foreign``: "Gender" in an age
        campaign) a few catch-all labels ("Not known", "Other") never make the axis one of ours.
        """
        present = [v for v in labels if clean(v)]
        if not present:
            return None
        # A catch-all ("Other", "Not recorded") fits every dimension: evidence for none, unless
        # the labels are nothing else.
        telling = [v for v in present if not is_catch_all(clean(v))] or present
        best, best_score = None, 0
        for dimension in self.axes:
            if dimension == FORCE and self.forces.empty:
                continue
            score = sum(
                self.parse_label(dimension, v).kind in (LabelKind.VALUE, LabelKind.OTHER_PERIOD)
                for v in telling
            )
            if score > best_score or (score == best_score and score and dimension == hint):
                best, best_score = dimension, score
        # Under a foreign heading most labels must read: "Male, Female, Not recorded" is not an
        # age axis for its one catch-all.
        if foreign and best_score * 2 <= len(telling):
            best = None
        if best is None or best_score * 3 < len(telling):
            # Too few labels read for the axis to be trusted: fall back on the heading, whose
            # unreadable labels then become reasons.
            if hint in self.axes:
                return hint
            return None if foreign else best
        return best


def is_unknown_age(value: str) -> bool:
    return value == UNKNOWN_AGE
