"""Counting a record list (one row per crime) by financial year of the recorded date.

The count is one pass over the rows with every distinct date, age, offence and flag parsed once
and cached: a 200,000-row list costs a few dictionary look-ups per row. Rows outside the
request's scope (victim 18 or over, flag not set, no individual victim) are excluded and
counted in a reason; a financial year the file's dates cover only in part is flagged.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from .context import AGE, OFFENCE, PERIOD, Context, Figure
from .grid import column_letter, range_ref
from .labels import (
    UNKNOWN_AGE,
    Role,
    clean,
    financial_year,
    financial_year_bounds,
    financial_year_of,
    parse_age,
    parse_date,
)
from .result import Table, TableKind
from .tables import Column, ColumnKind, Layout
from .values import CellValue, ValueKind

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
    period: Column | None  # a financial-year column, when there is no date
    age: Column | None
    birth: Column | None
    offence: Column | None
    flag: Column | None


def looks_like_records(layout: Layout) -> bool:
    """One row per crime: a date column, and no column of counts beside it."""
    has_date = bool(layout.columns_of(ColumnKind.DATE))
    roles = {c.role for c in layout.columns}
    counts = [c for c in layout.columns_of(ColumnKind.VALUE) if c.role is not Role.AGE]
    if has_date and not any(c.role is Role.MEASURE for c in counts):
        return True
    # A list without dates: a year, an age and an offence per row and nothing to add up.
    return (
        not counts
        and Role.OFFENCE in roles
        and len(layout.body_rows) >= 2
        and (Role.AGE in roles or Role.BIRTH in roles)
    )


def read_records(layout: Layout, ctx: Context) -> None:
    sheet = layout.sheet
    columns = _find_columns(layout, ctx)
    source = columns.date or columns.period
    used = [c for c in (source, columns.age, columns.birth, columns.offence, columns.flag) if c]
    first_col = min(c.index for c in layout.columns)
    last_col = max(c.index for c in layout.columns)
    cells = range_ref(layout.first_row, first_col, layout.last_row, last_col)
    if source is None:
        ctx.reason(
            "no_period",
            "This record list has no recorded-date or financial-year column to count by.",
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
    offences = [c for c in by_role[Role.OFFENCE] if c.kind is ColumnKind.LABEL]
    offence = max(offences, key=lambda c: _matched_share(layout, c, ctx), default=None)
    flag = next((c for c in by_role[Role.FLAG] if c.kind is not ColumnKind.DATE), None)
    return _Columns(date, period if date is None else None, age, birth, offence, flag)


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


def _matched_share(layout: Layout, column: Column, ctx: Context) -> float:
    sample = layout.body_rows[:200]
    hits = sum(
        ctx.offences.match(layout.sheet.value(r, column.index)).term is not None for r in sample
    )
    return hits / max(len(sample), 1)


# ---------------------------------------------------------------------------------------------
# The pass over the rows


@dataclass(slots=True)
class _Tally:
    counts: Counter[tuple[str, str, str]]  # (period, age, offence) -> rows in scope
    age_unknown: Counter[str]  # period -> rows in scope but for an unknown age
    adults: Counter[str]
    flag_not_set: Counter[str]
    no_victim: Counter[str]
    unreadable_dates: list[int]
    unclear_flags: list[int]
    unknown_offences: dict[str, int]  # label -> first row
    ambiguous_ages: Counter[str]  # year of birth puts the victim either side of 18
    first_date: dt.date | None
    last_date: dt.date | None
    rows: int


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
    use_flag = columns.flag is not None and ctx.vocabulary.scope.require_flag
    by_date = columns.date is not None
    source = (columns.date or columns.period).index  # type: ignore[union-attr]
    raw_dates = _column(rows, body, source)

    if by_date:
        dates = _classify(raw_dates, parse_date)
        periods = _classify(dates, lambda d: financial_year_of(d) if d else None)  # type: ignore[arg-type]
    else:
        dates = [None] * len(body)
        periods = _classify(raw_dates, lambda v: ctx.parse_label(PERIOD, v).value or None)
    if columns.age:
        ages = _classify(_column(rows, body, columns.age.index), lambda v: _age_class(v, max_age))
    elif columns.birth:
        births = _column(rows, body, columns.birth.index)
        ages = [
            _age_from_birth(b, d, p, max_age) if p else UNKNOWN_AGE  # type: ignore[arg-type]
            for b, d, p in zip(births, dates, periods, strict=True)
        ]
    else:
        ages = [UNKNOWN_AGE] * len(body)
    flags = (
        _classify(_column(rows, body, columns.flag.index), _flag)
        if use_flag
        else [True] * len(body)
    )
    offence_raw = _column(rows, body, columns.offence.index if columns.offence else -1)
    offences = _classify(
        offence_raw, lambda v: ctx.offences.match(v).term or "" if v is not None else ""
    )

    _mark_no_victim(layout, columns, ages)
    tally = _Tally(
        Counter(),
        Counter(),
        Counter(),
        Counter(),
        Counter(),
        [],
        [],
        {},
        Counter(),
        None,
        None,
        len(body),
    )
    for (period, age, offence, flag), n in Counter(
        zip(periods, ages, offences, flags, strict=True)
    ).items():
        _tally_group(tally, period, age, offence, flag, n)  # type: ignore[arg-type]
    _locate_problems(tally, body, periods, flags, ages, offences, offence_raw)
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
    tally: _Tally, period: str | None, age: str, offence: str, flag: bool | None, n: int
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
        tally.counts[(period, age, offence)] += n


def _locate_problems(
    tally: _Tally,
    body: list[int],
    periods: list[object],
    flags: list[object],
    ages: list[object],
    offences: list[object],
    offence_raw: list[object],
) -> None:
    """Row numbers for the reasons: only walked when a problem exists."""
    if None in periods:
        tally.unreadable_dates = [body[i] for i, p in enumerate(periods) if p is None]
    if None in flags:
        tally.unclear_flags = [
            body[i] for i, f in enumerate(flags) if f is None and periods[i] is not None
        ]
    if "" in offences:
        for i, offence in enumerate(offences):
            in_scope = flags[i] and periods[i] is not None and ages[i] not in _EXCLUDED_AGES
            if offence == "" and in_scope and offence_raw[i] is not None:
                tally.unknown_offences.setdefault(str(offence_raw[i]).strip(), body[i])


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


def _age_from_birth(value: object, date: dt.date | None, period: str, max_age: int | None) -> str:
    """Age at the recorded date from a date of birth (exact) or a year of birth (one of two)."""
    birth = parse_date(value) if not isinstance(value, int | float) else None
    reference = date or financial_year_bounds(period)[0]
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
    by_age: Counter[tuple[str, str]] = Counter()
    by_offence: Counter[tuple[str, str]] = Counter()
    for (period, age, offence), n in tally.counts.items():
        if unknown_excluded and age == UNKNOWN_AGE:
            continue
        by_period[period] += n
        if columns.age or columns.birth:
            by_age[(period, age)] += n
        if offence:
            by_offence[(period, offence)] += n

    def add(dims: dict[str, str], n: int, derived: bool) -> None:
        note = "partial period" if dims[PERIOD] in partial else ""
        value = CellValue(ValueKind.EXACT, n, n, n, str(n), note)
        over = frozenset({AGE, OFFENCE}) if derived else frozenset()
        ctx.figures.append(
            Figure(dims, value, sheet, layout.first_row, 0, table, over, cells=cells)
        )

    for period in _periods_covered(tally):
        by_period.setdefault(period, 0)  # a year the list covers with no row in scope: zero
    breakdowns = bool(by_age) or bool(by_offence)
    for period, n in sorted(by_period.items()):
        add({PERIOD: period}, n, derived=breakdowns)
    for (period, age), n in sorted(by_age.items()):
        add({PERIOD: period, AGE: age}, n, derived=False)
    for (period, offence), n in sorted(by_offence.items()):
        add({PERIOD: period, OFFENCE: offence}, n, derived=False)
    if len(by_offence) and sum(by_offence.values()) != sum(by_period.values()):
        ctx.incomplete.add((table, OFFENCE))
    _report_exclusions(tally, ctx, sheet, cells, unknown_excluded)
    _report_problems(tally, layout, columns, ctx, table)


def _periods_covered(tally: _Tally) -> list[str]:
    if tally.first_date is None or tally.last_date is None:
        return []
    first = int(financial_year_of(tally.first_date)[:4])
    last = int(financial_year_of(tally.last_date)[:4])
    return [financial_year(year) for year in range(first, last + 1)]


def _partial_periods(tally: _Tally, ctx: Context, sheet: str, cells: str) -> set[str]:
    """Financial years at either end of the file's dates that the dates do not reach across.

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
    start_fy, end_fy = financial_year_of(first), financial_year_of(last)
    fy_start, _ = financial_year_bounds(start_fy)
    if first - fy_start > tolerance:
        partial[start_fy] = f"starts on {first:%d/%m/%Y}"
    _, fy_end = financial_year_bounds(end_fy)
    if fy_end - last > tolerance:
        ends = f"ends on {last:%d/%m/%Y}"
        partial[end_fy] = f"{partial[end_fy]} and {ends}" if end_fy in partial else ends
    asked = set(ctx.vocabulary.periods)
    for period, how in sorted(partial.items()):
        ctx.reason(
            "partial_period",
            f"The file's recorded dates cover {period} only in part (the list {how}); "
            f"its count for {period} is not a full year.",
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
        parts.append(f"{sum(tally.flag_not_set.values())} without the online flag")
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
    if columns.offence:
        for label, r in sorted(tally.unknown_offences.items()):
            ctx.incomplete.add((table, OFFENCE))
            ctx.reason(
                "unknown_label",
                f"'{label}' does not match any offence in the campaign's vocabulary; its rows "
                "count in the totals but not in the offence breakdown.",
                sheet,
                f"{column_letter(columns.offence.index)}{r + 1}",
                label=label,
            )
    if columns.flag is None:
        ctx.reason(
            "no_flag_column",
            "This record list has no online-flag column: all its rows were taken to be in scope.",
            sheet,
            range_ref(layout.first_row, 0, layout.first_row, max(c.index for c in layout.columns)),
            blocking=False,
        )
