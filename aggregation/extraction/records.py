"""Counting a record list (one row per crime) by the campaign's period of the recorded date.

The rows are read in blocks of ``_BLOCK`` rows, column by column: every distinct date, age,
category and flag is parsed once and cached, and a block is tallied by ``Counter`` over tuples
of parsed values, so no Python code runs per row and column and memory holds one block's columns,
never the whole list's. Rows outside the request's scope (victim 18 or over, flag not set, no
individual victim) are excluded and counted in a reason; a period the file's dates cover only in
part is flagged.

A victim's age comes from an age column, or from a date or year of birth taken at the committed
(offence) date when the list has one (SPEC 6): victims report years later, and a child at the
offence may be an adult when it is recorded. A year of birth leaves two possible ages; where they
fall either side of the request's limit (17 or 18) the row may or may not count, so the figures
become ranges: the lower bound leaves such rows out, the upper counts them. Never a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import itemgetter
from typing import NamedTuple

from .context import IGNORED_PREFIX, Context, Figure, LabelKind
from .grid import column_letter, range_ref
from .headers import Role
from .labels import (
    UNKNOWN_AGE,
    clean,
    parse_age,
    parse_date,
    period_bounds,
    period_of,
    periods_between,
)
from .period_dates import names_periods
from .result import Table, TableKind
from .tables import Column, ColumnKind, Layout
from .values import CellValue, ValueKind
from .vocabulary import PERIOD, PeriodKind

_FLAG_YES = frozenset({"y", "yes", "1", "true", "x", "flagged", "✓", "✔"})
_FLAG_NO = frozenset({"n", "no", "0", "false", "", "not flagged", "none", "-", "nil"})
# A flag cell that names what it flags ("Online", "Cyber-enabled", "Internet related") says yes;
# the same words negated ("Not online", "Non-cyber") say no.
_FLAG_WORDS = re.compile(r"\b(?:online|cyber|internet|digital|web|flag|flagged|enabled|related)\b")
_FLAG_NEGATED = re.compile(r"^(?:not|non|no)\b")
# Said in a victim's own cell (gender, age, victim name or type): the crime has no individual
# victim. Only those cells are read: an offence description may say "society" and still have one.
_NO_VICTIM = re.compile(
    r"\b(?:regina|no (?:individual |identifiable |identified |named |specific )?victims?"
    r"|victimless|society|the state|crown)\b"
)
_VICTIM_HEADING = re.compile(
    r"\b(?:victims?|gender|sex|ages?|aged|birth|dob|yob|complainant|injured party)\b"
)
_RECORDED_WORDS = ("recorded", "reported", "created", "crime date", "notified")
_OTHER_DATE_WORDS = ("committed", "occurred", "offence date", "incident", "from", "to", "birth")
_COMMITTED = re.compile(r"\b(?:committed|occurred|occurrence|offen[cs]e|incident|happened)\b")
_EARLIEST = re.compile(r"\b(?:from|start|first|earliest)\b")
# A date heading about the document, not a crime: a contents or cover sheet's "Last updated".
_DOCUMENT_DATE = re.compile(
    r"\b(?:updated?|published|publication|modified|released?|issued|next update|last)\b"
)
# A column of figures whose heading says it counts: "Number of offences", "Count", "No.".
_COUNT_WORDS = re.compile(
    r"\b(?:numbers?|counts?|no|totals?|sum|frequency|volume|figures?|tally|how many)\b"
)
# Roles that a record list is counted by or filtered on: a list without one is no record list.
_COUNTABLE = frozenset({Role.CATEGORY, Role.AGE, Role.BIRTH, Role.FLAG})
# Numeric columns of a record list that are not figures: ages, births, 1/0 flags, references.
_NOT_FIGURES = frozenset({Role.AGE, Role.BIRTH, Role.FLAG, Role.OTHER})
_MIN_TOLERANCE_DAYS = 14
_TOLERANCE_GAPS = 10  # a gap of 10 average gaps between records happens by chance e^-10 of times
_BLOCK = 50_000  # rows tallied at a time: memory holds one block's columns
_MAX_CACHED = 100_000  # distinct values cached per column (dates with times are all distinct)
_ADULT = "adult"
_NO_VICTIM_CLASS = "no_victim"


class _Maybe(NamedTuple):
    """An age either side of the request's limit ("17-18" from a year of birth): the row may or
    may not count. ``age`` is the part within the limit ("17"), its age if it counts."""

    age: str


@dataclass(slots=True)
class _Columns:
    date: Column | None  # the recorded date: the period counted by
    period: Column | None  # a column of periods, when there is no date
    age: Column | None
    birth: Column | None
    committed: Column | None  # the committed (offence) date, at which a birth gives the age
    categories: dict[str, Column]  # campaign dimension -> the column that holds it
    flag: Column | None
    victim: list[Column]  # cells that may say there is no individual victim ("Regina Offence")


def _event_dates(layout: Layout) -> list[Column]:
    """Date columns that can date a crime: not a date of birth, not a document's date."""
    return [
        c
        for c in layout.columns_of(ColumnKind.DATE)
        if c.role is not Role.BIRTH and not _DOCUMENT_DATE.search(c.header_text)
    ]


def looks_like_records(layout: Layout) -> bool:
    """One row per crime: a date of the crime, something the campaign counts by or filters on
    (a category, an age or birth, a flag), and no column of counts.

    A table with a column of counts ("Number of offences"), or whose dates end periods (month
    ends beside figures: "31/03/2018 | Rape | 24"), is a table of counts, summed, never counted
    row by row; a contents sheet with a "Last updated" date is no record list.
    """
    # A column of ages ("Age", holding 13, 15...) is a record's fact; a column headed by an age
    # band ("Aged 0 to 12") holds counts.
    figures = [
        c
        for c in layout.columns_of(ColumnKind.VALUE)
        if c.role not in _NOT_FIGURES or any(parse_age(h) for h in c.headers if h is not None)
    ]
    if any(c.role is Role.MEASURE or _COUNT_WORDS.search(c.header_text) for c in figures):
        return False
    roles = {c.role for c in layout.columns}
    events = _event_dates(layout)
    if events:
        if figures and any(names_periods(layout, c) for c in events):
            return False
        return bool(roles & _COUNTABLE)
    # A list without dates: a year, an age and a category per row and nothing to add up.
    return (
        not figures
        and Role.CATEGORY in roles
        and len(layout.body_rows) >= 2
        and (Role.AGE in roles or Role.BIRTH in roles)
    )


def read_records(layout: Layout, ctx: Context) -> None:
    sheet = layout.sheet
    columns = _find_columns(layout, ctx)
    source = columns.date or columns.period
    first_col = min(c.index for c in layout.columns)
    last_col = max(c.index for c in layout.columns)
    cells = range_ref(layout.first_row, first_col, layout.last_row, last_col)
    if source is None:
        ctx.reason(
            "no_period",
            "This record list has no recorded-date or period column to count by.",
            sheet.name,
            cells,
        )
        return
    used = [
        c
        for c in (
            source,
            columns.age,
            columns.birth,
            columns.committed,
            *columns.categories.values(),
            columns.flag,
        )
        if c
    ]
    table = len(ctx.tables)
    ctx.tables.append(
        Table(sheet.name, cells, TableKind.RECORDS, layout.titles[-1] if layout.titles else "")
    )
    counted_from = range_ref(
        layout.body_rows[0], min(c.index for c in used), layout.last_row, max(c.index for c in used)
    )
    tally = _Reader(layout, columns, source, ctx).tally()
    _report(tally, layout, columns, ctx, table, counted_from)


# ---------------------------------------------------------------------------------------------
# Choosing the columns


def _find_columns(layout: Layout, ctx: Context) -> _Columns:
    events = _event_dates(layout)
    date = _recorded_date(events, layout, ctx)
    by_role = {role: [c for c in layout.columns if c.role is role] for role in Role}
    period = next((c for c in by_role[Role.PERIOD] if c.kind is ColumnKind.LABEL), None)
    age = next((c for c in by_role[Role.AGE]), None)
    birth = next((c for c in by_role[Role.BIRTH]), None) if age is None else None
    committed = _committed_date(events, date) if birth else None
    categories = {}
    for name in ctx.categories:
        named = [
            c for c in by_role[Role.CATEGORY] if c.dimension == name and c.kind is ColumnKind.LABEL
        ]
        best = max(named, key=lambda c: _matched_share(layout, c, ctx, name), default=None)
        if best is not None:
            categories[name] = best
    flag = next((c for c in by_role[Role.FLAG] if c.kind is not ColumnKind.DATE), None)
    victim = [
        c
        for c in layout.columns
        if c.kind is not ColumnKind.DATE
        and (c.role in (Role.AGE, Role.BIRTH) or _VICTIM_HEADING.search(c.header_text))
    ]
    return _Columns(
        date, period if date is None else None, age, birth, committed, categories, flag, victim
    )


def _recorded_date(dates: list[Column], layout: Layout, ctx: Context) -> Column | None:
    """The recorded date, which the request counts by, over the committed date."""
    if len(dates) <= 1:
        return dates[0] if dates else None
    recorded = [c for c in dates if any(w in c.header_text for w in _RECORDED_WORDS)]
    if len(recorded) == 1:
        return recorded[0]
    others = [c for c in dates if not any(w in c.header_text for w in _OTHER_DATE_WORDS)]
    chosen = (recorded or others or dates)[0]
    ctx.reason(
        "ambiguous_date_column",
        f"Several date columns and none plainly the recorded date; counted by column "
        f"{column_letter(chosen.index)} ('{chosen.header_text}').",
        layout.sheet.name,
        range_ref(layout.first_row, chosen.index, layout.last_row, chosen.index),
    )
    return chosen


def _committed_date(dates: list[Column], recorded: Column | None) -> Column | None:
    """The date the offence was committed ("Committed Date Time", "Date of offence"); of a
    "from" and a "to", the earliest, when the victim was youngest."""
    committed = [
        c
        for c in dates
        if c is not recorded
        and (_COMMITTED.search(c.header_text) or _EARLIEST.search(c.header_text))
    ]
    return next((c for c in committed if _EARLIEST.search(c.header_text)), None) or next(
        iter(committed), None
    )


def _matched_share(layout: Layout, column: Column, ctx: Context, dimension: str) -> float:
    sample = layout.body_rows[:200]
    matcher = ctx.categories[dimension]
    hits = sum(matcher.match(layout.sheet.value(r, column.index)).term is not None for r in sample)
    return hits / max(len(sample), 1)


# ---------------------------------------------------------------------------------------------
# The pass over the rows


@dataclass(slots=True)
class _Tally:
    # (period, age, category terms in the order of ``_Columns.categories``) -> rows in scope
    counts: Counter[tuple[str, str, tuple[str, ...]]] = field(default_factory=Counter)
    # The same for rows that may or may not be in scope (an age either side of the limit), by
    # the age they would have if they count.
    maybe: Counter[tuple[str, str, tuple[str, ...]]] = field(default_factory=Counter)
    age_unknown: Counter[str] = field(default_factory=Counter)  # in scope but for the age
    adults: Counter[str] = field(default_factory=Counter)
    flag_not_set: Counter[str] = field(default_factory=Counter)
    no_victim: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)  # labels mapped as not asked
    unreadable_periods: list[int] = field(default_factory=list)
    unclear_flags: list[int] = field(default_factory=list)
    unknown_labels: dict[tuple[str, str], int] = field(default_factory=dict)  # -> first row
    # Rows with a birth but no committed date: their age was taken at the recorded date.
    aged_at_recorded: list[int] = field(default_factory=list)
    birth_kinds: set[str] = field(default_factory=set)  # "date" and/or "year" of birth seen
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    rows: int = 0


class _Cached:
    """``parse`` applied once per distinct value, then looked up per row. The cache is emptied
    when it outgrows ``_MAX_CACHED`` values, so that a column of distinct values (dates with
    times) costs no more memory than a block."""

    __slots__ = ("cache", "parse")

    def __init__(self, parse: Callable[[object], object]) -> None:
        self.parse = parse
        self.cache: dict[object, object] = {}

    def __call__(self, values: list[object]) -> list[object]:
        cache = self.cache
        if len(cache) > _MAX_CACHED:
            cache.clear()
        try:  # a later block usually finds every value cached: one pass, no set made
            return list(map(cache.__getitem__, values))
        except KeyError:
            for value in set(values).difference(cache):
                cache[value] = self.parse(value)
            return list(map(cache.__getitem__, values))


def _columns_of(rows: list[list[object]], block: list[int]) -> Callable[[Column], list[object]]:
    """A reader of one column's values down a block of body rows (short rows read as empty)."""
    first, last = block[0], block[-1]
    run = rows[first : last + 1] if last - first + 1 == len(block) else None
    shortest = min(map(len, run)) if run else 0

    def column(c: Column) -> list[object]:
        if run is not None and c.index < shortest:  # one unbroken run of rows: pick in C
            return list(map(itemgetter(c.index), run))
        return [rows[r][c.index] if c.index < len(rows[r]) else None for r in block]

    return column


def _parse_birth(value: object) -> dt.date | int | None:
    """A date of birth, or a year of birth (1900 to 2100), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        year = int(value) if float(value).is_integer() else None
    else:
        date = parse_date(value)
        if date is not None:
            return date
        text = clean(value)
        year = int(text) if text.isdigit() else None
    return year if year is not None and 1900 <= year <= 2100 else None


def _years_between(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _age_band(birth: dt.date | int, first: dt.date, last: dt.date) -> str | None:
    """The ages a victim born on ``birth`` (or in that year) may have had between two dates, as
    an age label ("13", "12-13"); None when the birth comes after them."""
    if isinstance(birth, dt.date):
        youngest, oldest = _years_between(birth, first), _years_between(birth, last)
    else:  # a year of birth: the birthday may or may not have passed
        youngest, oldest = first.year - birth - 1, last.year - birth
    if oldest < 0:
        return None
    youngest = max(youngest, 0)
    return str(oldest) if youngest == oldest else f"{youngest}-{oldest}"


def _age_class(value: object, max_age: int | None) -> str | _Maybe:
    """ "13", "unknown", "adult" when the age lies wholly above the request's scope, or a
    ``_Maybe`` when it lies either side of the limit."""
    age = parse_age(value)
    if age is None or age.lower is None:
        return UNKNOWN_AGE
    if max_age is None:
        return age.canonical
    if age.lower > max_age:
        return _ADULT
    if age.upper is None or age.upper > max_age:
        return _Maybe(str(max_age) if age.lower == max_age else f"{age.lower}-{max_age}")
    return age.canonical


def _flag(value: object) -> bool | None:
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, int | float):
        return {1: True, 0: False}.get(int(value)) if float(value).is_integer() else None
    text = clean(value)
    if text in _FLAG_YES:
        return True
    if text in _FLAG_NO or (_FLAG_NEGATED.search(text) and _FLAG_WORDS.search(text)):
        return False
    return True if _FLAG_WORDS.search(text) else None


def _says_no_victim(value: object) -> bool:
    return isinstance(value, str) and _NO_VICTIM.search(value.lower()) is not None


def _term(dimension: str, value: object, ctx: Context) -> str:
    """The term a row's label maps to, "" when none; a researcher's mapping first."""
    if not value:
        return ""
    parsed = ctx.parse_label(dimension, value)
    return parsed.value if parsed.kind in (LabelKind.VALUE, LabelKind.IGNORED) else ""


def _period_of(value: object, dated: bool, kind: PeriodKind, ctx: Context) -> str | None:
    """A row's period: from its date when the list has a date column, else from its label."""
    if dated:
        return period_of(value, kind) if value else None  # type: ignore[arg-type]
    parsed = ctx.parse_label(PERIOD, value)
    return parsed.value if parsed.kind is LabelKind.VALUE else None


class _Reader:
    """Reads a record list block by block into one ``_Tally``."""

    def __init__(self, layout: Layout, columns: _Columns, source: Column, ctx: Context) -> None:
        self.layout, self.columns, self.source, self.ctx = layout, columns, source, ctx
        self.rows = layout.sheet.rows
        vocabulary = ctx.vocabulary
        self.max_age = vocabulary.scope.max_age
        self.kind = vocabulary.period_kind
        self.use_flag = vocabulary.scope.require_flag
        # The parsers close over locals, never over ``self``: a reader in a reference cycle
        # would keep the whole grid alive until the cyclic collector walks it.
        dated, kind, max_age = columns.date is not None, self.kind, self.max_age
        self.dates = _Cached(parse_date)
        self.periods = _Cached(lambda v: _period_of(v, dated, kind, ctx))
        self.date_periods = _Cached(lambda v: _period_of(parse_date(v), dated, kind, ctx))
        self.ages = _Cached(lambda v: _age_class(v, max_age))
        self.births = _Cached(_parse_birth)
        self.aged: dict[tuple[object, ...], str | _Maybe] = {}
        self.flags = _Cached(_flag)
        self.no_victim = _Cached(_says_no_victim)
        self.terms = {
            name: _Cached(lambda v, name=name: _term(name, v, ctx)) for name in columns.categories
        }
        self.merged = _merged_over(layout, columns.age.index if columns.age else -1)

    def tally(self) -> _Tally:
        body = self.layout.body_rows
        tally = _Tally(rows=len(body))
        for start in range(0, len(body), _BLOCK):
            self._read(body[start : start + _BLOCK], tally)
        return tally

    def _read(self, block: list[int], tally: _Tally) -> None:
        columns = self.columns
        column = _columns_of(self.rows, block)
        raw_dates = column(columns.date) if columns.date else None
        # A date's period straight from its cell (one cache); the dates themselves, cell by
        # cell, only where a birth needs them.
        periods = self.date_periods(raw_dates) if raw_dates else self.periods(column(self.source))
        dates = self.dates(raw_dates) if raw_dates and columns.birth else None
        ages = self._ages(block, column, dates, periods, tally)
        flags = self.flags(column(columns.flag)) if columns.flag and self.use_flag else None
        if flags is None:
            flags = [True] * len(block)
        raw_labels = {name: column(c) for name, c in columns.categories.items()}
        terms = [self.terms[name](raw) for name, raw in raw_labels.items()]
        self._mark_no_victim(block, column, ages)
        # The usual list has one category column: its terms as they are, no 1-tuple per row.
        single = len(terms) == 1
        categories = (
            terms[0] if single else zip(*terms, strict=True) if terms else repeat((), len(block))
        )
        for (period, age, category, flag), n in Counter(
            zip(periods, ages, categories, flags, strict=True)
        ).items():
            category = (category,) if single else category
            _tally_group(tally, period, age, category, flag, n)  # type: ignore[arg-type]
        _locate_problems(tally, block, periods, flags, ages, terms, raw_labels)
        distinct = self.dates(list(set(raw_dates))) if raw_dates else ()
        known: list[dt.date] = [d for d in distinct if isinstance(d, dt.date)]
        if known:
            low, high = min(known), max(known)
            tally.first_date = min(low, tally.first_date or low)
            tally.last_date = max(high, tally.last_date or high)

    def _ages(
        self,
        block: list[int],
        column: Callable[[Column], list[object]],
        dates: list[object] | None,
        periods: list[object],
        tally: _Tally,
    ) -> list[object]:
        columns = self.columns
        if columns.age:
            return self.ages(column(columns.age))
        if not columns.birth:
            return [UNKNOWN_AGE] * len(block)
        births = self.births(column(columns.birth))
        tally.birth_kinds.update(
            "date" if isinstance(b, dt.date) else "year" for b in set(births) if b is not None
        )
        committed = self.dates(column(columns.committed)) if columns.committed else None
        ages: list[object] = []
        for i, birth in enumerate(births):
            first = last = committed[i] if committed else None
            if first is None and dates is not None:
                first = last = dates[i]
                if committed is not None and birth is not None:
                    tally.aged_at_recorded.append(block[i])
            if first is None and periods[i] is not None:
                first, last = period_bounds(periods[i], self.kind)  # type: ignore[arg-type]
            ages.append(self._aged(birth, first, last))  # type: ignore[arg-type]
        return ages

    def _aged(
        self, birth: dt.date | int | None, first: dt.date | None, last: dt.date | None
    ) -> str | _Maybe:
        if birth is None or first is None or last is None:
            return UNKNOWN_AGE
        # A year of birth gives the same ages on every day of a year: key by the years only.
        key = (birth, first, last) if isinstance(birth, dt.date) else (birth, first.year, last.year)
        aged = self.aged.get(key)
        if aged is None:
            if len(self.aged) > _MAX_CACHED:
                self.aged.clear()
            band = _age_band(birth, first, last)
            aged = self.aged[key] = _age_class(band, self.max_age) if band else UNKNOWN_AGE
        return aged

    def _mark_no_victim(
        self, block: list[int], column: Callable[[Column], list[object]], ages: list[object]
    ) -> None:
        """Rows with no age whose victim cells say there is no individual victim ("Regina
        Offence", perhaps merged over the age cell) are not unknown-age victims: mark them
        apart."""
        if UNKNOWN_AGE not in ages:
            return
        says = [self.no_victim(column(c)) for c in self.columns.victim]
        merged = self.merged
        for i, age in enumerate(ages):
            if age == UNKNOWN_AGE and (block[i] in merged or any(s[i] for s in says)):
                ages[i] = _NO_VICTIM_CLASS


def _tally_group(
    tally: _Tally,
    period: str | None,
    age: str | _Maybe,
    category: tuple[str, ...],
    flag: bool | None,
    n: int,
) -> None:
    if period is None or flag is None:
        return  # unreadable date or unclear flag: located and reported by ``_locate_problems``
    if not flag:
        tally.flag_not_set[period] += n
    elif any(c.startswith(IGNORED_PREFIX) for c in category):
        tally.ignored[period] += n
    elif isinstance(age, _Maybe):
        tally.maybe[(period, age.age, category)] += n
    elif age == _ADULT:
        tally.adults[period] += n
    elif age == _NO_VICTIM_CLASS:
        tally.no_victim[period] += n
    else:
        if age == UNKNOWN_AGE:
            tally.age_unknown[period] += n
        tally.counts[(period, age, category)] += n


def _locate_problems(
    tally: _Tally,
    block: list[int],
    periods: list[object],
    flags: list[object],
    ages: list[object],
    terms: list[list[object]],
    raw_labels: dict[str, list[object]],
) -> None:
    """Row numbers for the reasons: only walked when a problem exists."""
    if None in periods:
        tally.unreadable_periods += [block[i] for i, p in enumerate(periods) if p is None]
    if None in flags:
        tally.unclear_flags += [
            block[i] for i, f in enumerate(flags) if f is None and periods[i] is not None
        ]
    for found, (name, raw) in zip(terms, raw_labels.items(), strict=True):
        if "" not in found:
            continue
        for i, term in enumerate(found):
            in_scope = flags[i] and periods[i] is not None and ages[i] not in _EXCLUDED_AGES
            if term == "" and in_scope and raw[i] is not None:
                tally.unknown_labels.setdefault((name, str(raw[i]).strip()), block[i])


_EXCLUDED_AGES = frozenset({_ADULT, _NO_VICTIM_CLASS})


def _merged_over(layout: Layout, col: int) -> set[int]:
    """Rows whose age cell is covered by a block merged from another column ("Regina Offence"
    written across gender and age): such rows have no individual victim."""
    if col < 0:
        return set()
    return {
        r
        for m in layout.sheet.merged
        if m.first_col < col <= m.last_col
        for r in range(m.first_row, m.last_row + 1)
    }


# ---------------------------------------------------------------------------------------------
# Figures and reasons


def _report(
    tally: _Tally, layout: Layout, columns: _Columns, ctx: Context, table: int, cells: str
) -> None:
    sheet = layout.sheet.name
    adults_present = bool(tally.adults) or bool(tally.maybe)
    unknown_excluded = adults_present and bool(tally.age_unknown)
    partial = _partial_periods(tally, ctx, sheet, cells)
    # Per period, and per one-way breakdown (dimension, period, value): rows certainly in
    # scope (lower) and rows that may be (upper).
    lower: Counter[str] = Counter()
    upper: Counter[str] = Counter()
    parts_lower: Counter[tuple[str, str, str]] = Counter()
    parts_upper: Counter[tuple[str, str, str]] = Counter()
    age = ctx.age if columns.age or columns.birth else None
    names = list(columns.categories)

    def count(
        by_period: Counter[str],
        parts: Counter[tuple[str, str, str]],
        groups: Iterable[tuple[tuple[str, str, tuple[str, ...]], int]],
    ) -> None:
        for (period, age_value, category), n in groups:
            if unknown_excluded and age_value == UNKNOWN_AGE:
                continue
            by_period[period] += n
            if age:
                parts[(age, period, age_value)] += n
            for name, term in zip(names, category, strict=True):
                if term:
                    parts[(name, period, term)] += n

    count(lower, parts_lower, tally.counts.items())
    count(upper, parts_upper, chain(tally.counts.items(), tally.maybe.items()))
    breakdowns = frozenset(name for name, _, _ in parts_upper)

    def add(dims: dict[str, str], low: int, high: int, over: frozenset[str]) -> None:
        note = "partial period" if dims[PERIOD] in partial else ""
        if low == high:
            value = CellValue(ValueKind.EXACT, low, low, high, str(low), note)
        else:
            value = CellValue(ValueKind.RANGE, None, low, high, f"{low}-{high}", note)
        ctx.figures.append(
            Figure(dims, value, sheet, layout.first_row, 0, table, over, cells=cells)
        )

    for period in _periods_covered(tally, ctx):
        upper.setdefault(period, 0)  # a period the list covers with no row in scope: zero
    for period, n in sorted(upper.items()):
        add({PERIOD: period}, lower[period], n, breakdowns)
    for (name, period, value), n in sorted(parts_upper.items()):
        add({PERIOD: period, name: value}, parts_lower[(name, period, value)], n, frozenset())
    for name in names:
        for by_period, parts in ((lower, parts_lower), (upper, parts_upper)):
            counted = sum(n for (dim, _, _), n in parts.items() if dim == name)
            if counted and counted != sum(by_period.values()):
                ctx.incomplete.add((table, name))
    _report_ages(tally, layout, columns, ctx, cells)
    _report_exclusions(tally, ctx, sheet, cells, unknown_excluded)
    _report_problems(tally, layout, columns, ctx, table)


def _periods_covered(tally: _Tally, ctx: Context) -> list[str]:
    if tally.first_date is None or tally.last_date is None:
        return []
    return periods_between(tally.first_date, tally.last_date, ctx.vocabulary.period_kind)


def _partial_periods(tally: _Tally, ctx: Context, sheet: str, cells: str) -> set[str]:
    """Periods at either end of the file's dates that the dates do not reach across.

    Records are sparse, so "not reached" allows for chance: the first record of a year may
    come late by up to ten average gaps between records (two weeks at least) before the year
    is called partial.
    """
    first, last = tally.first_date, tally.last_date
    if first is None or last is None:
        return set()
    # The average gap between records, estimated over at least a year so that a handful of
    # rows never looks like dense data that stops short.
    gap = max((last - first).days, 365) / max(tally.rows - 1, 1)
    tolerance = dt.timedelta(days=max(_MIN_TOLERANCE_DAYS, _TOLERANCE_GAPS * gap))
    partial: dict[str, str] = {}
    kind = ctx.vocabulary.period_kind
    start_period, end_period = period_of(first, kind), period_of(last, kind)
    if first - period_bounds(start_period, kind)[0] > tolerance:
        partial[start_period] = f"starts on {first:%d/%m/%Y}"
    if period_bounds(end_period, kind)[1] - last > tolerance:
        ends = f"ends on {last:%d/%m/%Y}"
        partial[end_period] = f"{partial[end_period]} and {ends}" if end_period in partial else ends
    asked = set(ctx.vocabulary.periods)
    for period, how in sorted(partial.items()):
        ctx.reason(
            "partial_period",
            f"The file's recorded dates cover {period} only in part (the list {how}); "
            f"its count for {period} is not for the whole period.",
            sheet,
            cells,
            blocking=not asked or period in asked,
        )
    return set(partial)


def _named(column: Column) -> str:
    return f"column {column_letter(column.index)} ('{column.header_text}')"


def _report_ages(
    tally: _Tally, layout: Layout, columns: _Columns, ctx: Context, cells: str
) -> None:
    """Which date a birth was taken at, and the rows that lacked it."""
    if columns.birth is None:
        return
    birth = " or ".join(f"{kind} of birth" for kind in sorted(tally.birth_kinds)) or "birth"
    if columns.committed:
        at = f"the committed date in {_named(columns.committed)}"
    elif columns.date:
        at = f"the recorded date in {_named(columns.date)} (the list gives no committed date)"
    else:
        at = "the start and end of each row's period (the list gives no dates)"
    counted = f"the recorded date in {_named(columns.date)}" if columns.date else "their period"
    ctx.reason(
        "age_at_date",
        f"Victim ages were worked out from the {birth} in {_named(columns.birth)} at {at}; "
        f"rows count in the period of {counted}.",
        layout.sheet.name,
        cells,
        blocking=False,
    )
    if tally.aged_at_recorded and columns.committed and columns.date:
        n = len(tally.aged_at_recorded)
        ctx.reason(
            "age_at_recorded_date",
            f"{n} {'row gives' if n == 1 else 'rows give'} a {birth} but no committed date: "
            "the age was taken at the recorded date, which may be later than the offence (a "
            "child then may be an adult by the time it was recorded).",
            layout.sheet.name,
            [f"{column_letter(columns.committed.index)}{r + 1}" for r in tally.aged_at_recorded],
        )


def _report_exclusions(
    tally: _Tally, ctx: Context, sheet: str, cells: str, unknown_excluded: bool
) -> None:
    parts = []
    max_age = ctx.vocabulary.scope.max_age
    if tally.adults:
        parts.append(
            f"{sum(tally.adults.values())} with a victim aged {(max_age or 0) + 1} or over"
        )
    if tally.flag_not_set:
        parts.append(f"{sum(tally.flag_not_set.values())} without the flag the request asks for")
    if tally.no_victim:
        parts.append(f"{sum(tally.no_victim.values())} with no individual victim (e.g. Regina)")
    if tally.ignored:
        parts.append(
            f"{sum(tally.ignored.values())} under labels mapped as not part of the request"
        )
    if parts:
        per_period = _per_period(
            tally.adults + tally.flag_not_set + tally.no_victim + tally.ignored
        )
        ctx.reason(
            "out_of_scope_rows",
            "Rows outside the request were not counted: " + "; ".join(parts) + f" ({per_period}).",
            sheet,
            cells,
            blocking=False,
        )
    if unknown_excluded:
        ctx.reason(
            "age_unknown_rows",
            f"{sum(tally.age_unknown.values())} rows have no victim age "
            f"({_per_period(tally.age_unknown)}); the list includes adults, so these may or "
            "may not be children and were not counted.",
            sheet,
            cells,
        )
    if tally.maybe:
        maybe: Counter[str] = Counter()
        for (period, _, _), n in tally.maybe.items():
            maybe[period] += n
        limit = (max_age or 0) + 1
        ctx.reason(
            "age_ambiguous_rows",
            f"{sum(maybe.values())} rows give an age that may be either side of {limit} "
            f"(aged {limit - 1} or {limit}, as a year of birth leaves it; {_per_period(maybe)}): "
            "the figures they touch are ranges, from leaving them out (lower) to counting "
            "them (upper).",
            sheet,
            cells,
            blocking=False,
        )


def _per_period(counter: Counter[str]) -> str:
    return ", ".join(f"{p}: {n}" for p, n in sorted(counter.items()))


def _report_problems(
    tally: _Tally, layout: Layout, columns: _Columns, ctx: Context, table: int
) -> None:
    sheet = layout.sheet.name
    source = columns.date or columns.period
    if tally.unreadable_periods and source:
        what = "readable date" if columns.date else "readable period of the campaign's kind"
        ctx.reason(
            "unreadable_date",
            f"{len(tally.unreadable_periods)} rows have no {what} in {_named(source)} and "
            "were not counted.",
            sheet,
            [f"{column_letter(source.index)}{r + 1}" for r in tally.unreadable_periods],
        )
    if tally.unclear_flags and columns.flag:
        ctx.reason(
            "unclear_flag",
            f"{len(tally.unclear_flags)} rows have a flag value that is neither yes nor no; "
            "they were not counted.",
            sheet,
            [f"{column_letter(columns.flag.index)}{r + 1}" for r in tally.unclear_flags],
        )
    for (name, label), r in sorted(tally.unknown_labels.items()):
        ctx.incomplete.add((table, name))
        ctx.reason(
            "unknown_label",
            f"'{label}' {ctx.unmatched(name, label)}; its rows count in the totals but not "
            f"in the {name} breakdown.",
            sheet,
            f"{column_letter(columns.categories[name].index)}{r + 1}",
            label=label,
            dimension=name,
        )
    if columns.flag is None and ctx.vocabulary.scope.require_flag:
        ctx.reason(
            "no_flag_column",
            "This record list has no online-flag column: all its rows were taken to be in scope.",
            sheet,
            range_ref(layout.first_row, 0, layout.first_row, max(c.index for c in layout.columns)),
            blocking=False,
        )
