"""Counting a record list (one row per crime) by the campaign's period of the recorded date.

The count is one pass over the rows with every distinct date, age, category and flag parsed once
and cached: a 200,000-row list costs a few dictionary look-ups per row. Rows outside the
request's scope (victim 18 or over, flag not set, no individual victim) are excluded and
counted in a reason; a period the file's dates cover only in part is flagged.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from .context import Context, Figure
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
from .result import Table, TableKind
from .tables import Column, ColumnKind, Layout
from .values import CellValue, ValueKind
from .vocabulary import PERIOD

_FLAG_YES = frozenset({"y", "yes", "1", "true", "x", "online", "cyber", "flagged", "✓", "✔"})
_FLAG_NO = frozenset({"n", "no", "0", "false", "", "not flagged", "none"})
_NO_VICTIM = ("regina", "no individual victim", "no victim", "society", "the state", "crown")
_RECORDED_WORDS = ("recorded", "reported", "created", "crime date", "notified")
_OTHER_DATE_WORDS = ("committed", "occurred", "offence date", "incident", "from", "to", "birth")
_MIN_TOLERANCE_DAYS = 14
_TOLERANCE_GAPS = 10  # a gap of 10 average gaps between records happens by chance e^-10 of times


@dataclass(slots=True)
class _Columns:
    date: Column | None
    period: Column | None  # a column of periods, when there is no date
    age: Column | None
    birth: Column | None
    categories: dict[str, Column]  # campaign dimension -> the column that holds it
    flag: Column | None


def looks_like_records(layout: Layout) -> bool:
    """One row per crime: a date column, and no column of counts beside it."""
    has_date = bool(layout.columns_of(ColumnKind.DATE))
    roles = {c.role for c in layout.columns}
    # A column of ages ("Age", holding 13, 15...) is a record's fact; a column headed by an age
    # band ("Aged 0 to 12") holds counts.
    counts = [
        c
        for c in layout.columns_of(ColumnKind.VALUE)
        if c.role is not Role.AGE or any(parse_age(h) for h in c.headers if h is not None)
    ]
    if has_date and not any(c.role is Role.MEASURE for c in counts):
        return True
    # A list without dates: a year, an age and a category per row and nothing to add up.
    return (
        not counts
        and Role.CATEGORY in roles
        and len(layout.body_rows) >= 2
        and (Role.AGE in roles or Role.BIRTH in roles)
    )


def read_records(layout: Layout, ctx: Context) -> None:
    sheet = layout.sheet
    columns = _find_columns(layout, ctx)
    source = columns.date or columns.period
    used = [
        c
        for c in (source, columns.age, columns.birth, *columns.categories.values(), columns.flag)
        if c
    ]
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
    table = len(ctx.tables)
    ctx.tables.append(
        Table(sheet.name, cells, TableKind.RECORDS, layout.titles[-1] if layout.titles else "")
    )
    counted_from = range_ref(
        layout.body_rows[0], min(c.index for c in used), layout.last_row, max(c.index for c in used)
    )
    tally = _count(layout, columns, ctx)
    _report(tally, layout, columns, ctx, table, counted_from)


# ---------------------------------------------------------------------------------------------
# Choosing the columns


def _find_columns(layout: Layout, ctx: Context) -> _Columns:
    dates = layout.columns_of(ColumnKind.DATE)
    date = _recorded_date(dates, layout, ctx)
    by_role = {role: [c for c in layout.columns if c.role is role] for role in Role}
    period = next((c for c in by_role[Role.PERIOD] if c.kind is ColumnKind.LABEL), None)
    age = next((c for c in by_role[Role.AGE]), None)
    birth = next((c for c in by_role[Role.BIRTH]), None) if age is None else None
    categories = {}
    for name in ctx.categories:
        named = [
            c for c in by_role[Role.CATEGORY] if c.dimension == name and c.kind is ColumnKind.LABEL
        ]
        best = max(named, key=lambda c: _matched_share(layout, c, ctx, name), default=None)
        if best is not None:
            categories[name] = best
    flag = next((c for c in by_role[Role.FLAG] if c.kind is not ColumnKind.DATE), None)
    return _Columns(date, period if date is None else None, age, birth, categories, flag)


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
    counts: Counter[tuple[str, str, tuple[str, ...]]]
    age_unknown: Counter[str]  # period -> rows in scope but for an unknown age
    adults: Counter[str]
    flag_not_set: Counter[str]
    no_victim: Counter[str]
    unreadable_dates: list[int]
    unclear_flags: list[int]
    unknown_labels: dict[tuple[str, str], int]  # (dimension, label) -> first row
    ambiguous_ages: Counter[str]  # year of birth puts the victim either side of 18
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    rows: int = 0


def _column(rows: list[list[object]], body: list[int], col: int) -> list[object]:
    """One column's values down the body rows (short rows read as empty)."""
    if col < 0:
        return [None] * len(body)
    first, last = body[0], body[-1]
    if last - first + 1 == len(body):  # one unbroken run of rows: slice, then pick in C
        block = rows[first : last + 1]
        if min(map(len, block)) > col:
            return list(map(itemgetter(col), block))
    return [rows[r][col] if col < len(rows[r]) else None for r in body]


def _classify(values: list[object], parse: Callable[[object], object]) -> list[object]:
    """``parse`` applied once per distinct value, then looked up per row."""
    cache = {value: parse(value) for value in set(values)}
    return list(map(cache.__getitem__, values))


def _count(layout: Layout, columns: _Columns, ctx: Context) -> _Tally:
    """Column by column: every distinct raw value is parsed once, and rows are then tallied by
    ``Counter`` over tuples of parsed values, so no Python code runs per row and column."""
    rows, body = layout.sheet.rows, layout.body_rows
    max_age = ctx.vocabulary.scope.max_age
    kind = ctx.vocabulary.period_kind
    use_flag = columns.flag is not None and ctx.vocabulary.scope.require_flag
    by_date = columns.date is not None
    source = (columns.date or columns.period).index  # type: ignore[union-attr]
    raw_dates = _column(rows, body, source)

    if by_date:
        dates = _classify(raw_dates, parse_date)
        periods = _classify(dates, lambda d: period_of(d, kind) if d else None)  # type: ignore[arg-type]
    else:
        dates = [None] * len(body)
        periods = _classify(raw_dates, lambda v: ctx.parse_label(PERIOD, v).value or None)
    if columns.age:
        ages = _classify(_column(rows, body, columns.age.index), lambda v: _age_class(v, max_age))
    elif columns.birth:
        births = _column(rows, body, columns.birth.index)
        ages = [
            _age_from_birth(b, d, p, kind, max_age) if p else UNKNOWN_AGE  # type: ignore[arg-type]
            for b, d, p in zip(births, dates, periods, strict=True)
        ]
    else:
        ages = [UNKNOWN_AGE] * len(body)
    flags = (
        _classify(_column(rows, body, columns.flag.index), _flag)
        if use_flag
        else [True] * len(body)
    )
    raw_labels = {
        name: _column(rows, body, column.index) for name, column in columns.categories.items()
    }
    terms = [
        _classify(raw, lambda v, m=ctx.categories[name]: m.match(v).term or "" if v else "")
        for name, raw in raw_labels.items()
    ]
    categories = list(zip(*terms, strict=True)) if terms else [()] * len(body)

    _mark_no_victim(layout, columns, ages)
    tally = _Tally(
        Counter(), Counter(), Counter(), Counter(), Counter(), [], [], {}, Counter(), rows=len(body)
    )
    for (period, age, category, flag), n in Counter(
        zip(periods, ages, categories, flags, strict=True)
    ).items():
        _tally_group(tally, period, age, category, flag, n)  # type: ignore[arg-type]
    _locate_problems(tally, body, periods, flags, ages, categories, raw_labels)
    known = [d for d in set(dates) if d is not None]
    tally.first_date, tally.last_date = (min(known), max(known)) if known else (None, None)
    return tally


_NO_VICTIM_CLASS = "no_victim"


def _mark_no_victim(layout: Layout, columns: _Columns, ages: list[object]) -> None:
    """Rows with no age that name no individual victim ("Regina Offence", perhaps merged over
    the age cell) are not unknown-age victims: mark them apart."""
    merged = _merged_over(layout, columns.age.index if columns.age else -1)
    rows, body = layout.sheet.rows, layout.body_rows
    for i, age in enumerate(ages):
        if age == UNKNOWN_AGE and (body[i] in merged or _no_victim(rows[body[i]])):
            ages[i] = _NO_VICTIM_CLASS


def _tally_group(
    tally: _Tally,
    period: str | None,
    age: str,
    category: tuple[str, ...],
    flag: bool | None,
    n: int,
) -> None:
    if period is None or flag is None:
        return  # unreadable date or unclear flag: located and reported by ``_locate_problems``
    if not flag:
        tally.flag_not_set[period] += n
    elif age == "adult":
        tally.adults[period] += n
    elif age == "ambiguous":
        tally.ambiguous_ages[period] += n
    elif age == _NO_VICTIM_CLASS:
        tally.no_victim[period] += n
    else:
        if age == UNKNOWN_AGE:
            tally.age_unknown[period] += n
        tally.counts[(period, age, category)] += n


def _locate_problems(
    tally: _Tally,
    body: list[int],
    periods: list[object],
    flags: list[object],
    ages: list[object],
    categories: list[tuple[str, ...]],
    raw_labels: dict[str, list[object]],
) -> None:
    """Row numbers for the reasons: only walked when a problem exists."""
    if None in periods:
        tally.unreadable_dates = [body[i] for i, p in enumerate(periods) if p is None]
    if None in flags:
        tally.unclear_flags = [
            body[i] for i, f in enumerate(flags) if f is None and periods[i] is not None
        ]
    for position, (name, raw) in enumerate(raw_labels.items()):
        for i, category in enumerate(categories):
            in_scope = flags[i] and periods[i] is not None and ages[i] not in _EXCLUDED_AGES
            if category[position] == "" and in_scope and raw[i] is not None:
                tally.unknown_labels.setdefault((name, str(raw[i]).strip()), body[i])


_EXCLUDED_AGES = frozenset({"adult", "ambiguous", _NO_VICTIM_CLASS})


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


def _no_victim(row: list[object]) -> bool:
    for value in row:
        if isinstance(value, str):
            text = value.lower()
            if any(word in text for word in _NO_VICTIM):
                return True
    return False


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
    if text in _FLAG_NO:
        return False
    return None


def _age_class(value: object, max_age: int | None) -> str:
    """ "13", "unknown", or "adult" when the age lies wholly above the request's scope."""
    age = parse_age(value)
    if age is None or age.lower is None:
        return UNKNOWN_AGE
    if max_age is not None and age.lower > max_age:
        return "adult"
    if max_age is not None and (age.upper is None or age.upper > max_age):
        return "ambiguous"
    return age.canonical


def _age_from_birth(
    value: object, date: dt.date | None, period: str, kind, max_age: int | None
) -> str:
    """Age at the recorded date from a date of birth (exact) or a year of birth (one of two)."""
    birth = parse_date(value) if not isinstance(value, int | float) else None
    reference = date or period_bounds(period, kind)[0]
    if birth is not None:
        years = (
            reference.year
            - birth.year
            - ((reference.month, reference.day) < (birth.month, birth.day))
        )
        return _age_class(years, max_age)
    year = value if isinstance(value, int | float) else clean(value)
    try:
        born = int(float(year))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return UNKNOWN_AGE
    if not 1900 <= born <= reference.year:
        return UNKNOWN_AGE
    older = reference.year - born  # birthday already passed this year
    return _age_class(f"{older - 1}-{older}" if older > 0 else "0", max_age)


# ---------------------------------------------------------------------------------------------
# Figures and reasons


def _report(
    tally: _Tally, layout: Layout, columns: _Columns, ctx: Context, table: int, cells: str
) -> None:
    sheet = layout.sheet.name
    adults_present = bool(tally.adults) or bool(tally.ambiguous_ages)
    unknown_excluded = adults_present and bool(tally.age_unknown)
    partial = _partial_periods(tally, ctx, sheet, cells)
    by_period: Counter[str] = Counter()
    # One-way breakdowns: (dimension, period, value) -> rows.
    parts: Counter[tuple[str, str, str]] = Counter()
    age = ctx.age if columns.age or columns.birth else None
    names = list(columns.categories)
    for (period, age_value, category), n in tally.counts.items():
        if unknown_excluded and age_value == UNKNOWN_AGE:
            continue
        by_period[period] += n
        if age:
            parts[(age, period, age_value)] += n
        for name, term in zip(names, category, strict=True):
            if term:
                parts[(name, period, term)] += n
    breakdowns = frozenset(name for name, _, _ in parts)

    def add(dims: dict[str, str], n: int, over: frozenset[str]) -> None:
        note = "partial period" if dims[PERIOD] in partial else ""
        value = CellValue(ValueKind.EXACT, n, n, n, str(n), note)
        ctx.figures.append(
            Figure(dims, value, sheet, layout.first_row, 0, table, over, cells=cells)
        )

    for period in _periods_covered(tally, ctx):
        by_period.setdefault(period, 0)  # a period the list covers with no row in scope: zero
    for period, n in sorted(by_period.items()):
        add({PERIOD: period}, n, breakdowns)
    for (name, period, value), n in sorted(parts.items()):
        add({PERIOD: period, name: value}, n, frozenset())
    for name in names:
        counted = sum(n for (dim, _, _), n in parts.items() if dim == name)
        if counted and counted != sum(by_period.values()):
            ctx.incomplete.add((table, name))
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
    if parts:
        per_period = _per_period(tally.adults + tally.flag_not_set + tally.no_victim)
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
    if tally.ambiguous_ages:
        ctx.reason(
            "age_ambiguous_rows",
            f"{sum(tally.ambiguous_ages.values())} rows give an age that may be either side of "
            f"{(max_age or 0) + 1} ({_per_period(tally.ambiguous_ages)}); they were not counted.",
            sheet,
            cells,
        )


def _per_period(counter: Counter[str]) -> str:
    return ", ".join(f"{p}: {n}" for p, n in sorted(counter.items()))


def _report_problems(
    tally: _Tally, layout: Layout, columns: _Columns, ctx: Context, table: int
) -> None:
    sheet = layout.sheet.name
    if tally.unreadable_dates and columns.date:
        col = (columns.date or columns.period).index  # type: ignore[union-attr]
        ctx.reason(
            "unreadable_date",
            f"{len(tally.unreadable_dates)} rows have no readable date and were not counted.",
            sheet,
            [f"{column_letter(col)}{r + 1}" for r in tally.unreadable_dates],
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
            f"'{label}' does not match any {name} in the campaign's vocabulary; its rows "
            f"count in the totals but not in the {name} breakdown.",
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
