"""Dates that name periods: a column of dates in a table of counts, each the end of the period its
row counts ("Period: 31/03/2018", "12 months ending 30/06/2018", the ONS open-data shape).

A date there is not an event. Where the heading says "12 months ending", or the dates are month
ends under a heading that names years or a year apart, each names the twelve months up to it:
ending 31 March, the financial year that ends then (31/03/2018 = 2017-18, SPEC 4); ending 31
December, the calendar year; ending on any other day, a rolling year, a period of its own that is
never folded into another. Where the dates are month ends a month apart (or under a heading that
names months), or the first of each month, each names its month. Anything else (quarter ends with
no "12 months" in the heading, days) names no period we can say.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise

from .context import PERIOD_KIND_NAMES, Context, LabelKind, ParsedLabel
from .grid import cell_ref, column_letter, range_ref
from .labels import clean, financial_year, parse_date
from .tables import Column, ColumnKind, Layout
from .vocabulary import PERIOD, PeriodKind

_TWELVE_MONTHS = re.compile(
    r"\b(?:12|twelve)\s*months?\b|\byears?\s+(?:ending|ended|to)\b|\brolling\b|\bye\b"
)
_YEARS_HEADING = re.compile(r"\b(?:financial|fiscal|fy|annual|years?)\b")
_MONTHS_HEADING = re.compile(r"\bmonths?\b")
_SAMPLE = 400
_YEAR_APART = 360  # least days between the dates of a yearly series
_MONTH_APART = 31  # most days between the dates of a monthly series


class _Mode(StrEnum):
    YEARS = "twelve months ending on each date"
    MONTHS = "the month of each date"


@dataclass(slots=True)
class PeriodDates:
    """The period each body row of a table of counts is for, read from its date column."""

    column: int
    labels: dict[int, ParsedLabel]  # body row -> the period (or total) its date names
    # Rows for twelve months of another kind (rolling years) than the campaign's: left out, and
    # said so in a reason.
    skipped: set[int] = field(default_factory=set)


def _month_end(date: dt.date) -> bool:
    return (date + dt.timedelta(days=1)).day == 1


def _sampled_dates(layout: Layout, column: Column) -> list[dt.date]:
    rows = layout.body_rows
    step = max(len(rows) // _SAMPLE, 1)
    found = (parse_date(layout.sheet.value(r, column.index)) for r in rows[::step])
    return [d for d in found if d is not None]


def names_periods(layout: Layout, column: Column) -> bool:
    """Whether a date column holds period dates (month ends, or first days of months) rather
    than the dates of events, judged from a sample of its cells."""
    if column.kind is not ColumnKind.DATE:
        return False
    if _TWELVE_MONTHS.search(column.header_text):
        return True  # "12 months ending": any day may end one (the ONS data has 30/12/2017)
    dates = _sampled_dates(layout, column)
    return bool(dates) and (all(map(_month_end, dates)) or all(d.day == 1 for d in dates))


def _mode(column: Column, dates: list[dt.date]) -> _Mode | None:
    if _TWELVE_MONTHS.search(column.header_text):
        return _Mode.YEARS
    if all(d.day == 1 for d in dates):
        return _Mode.MONTHS
    if not all(map(_month_end, dates)):
        return None
    if _YEARS_HEADING.search(column.header_text):
        return _Mode.YEARS  # "Financial year: 31/03/2019", one date or several
    if _MONTHS_HEADING.search(column.header_text):
        return _Mode.MONTHS
    distinct = sorted(set(dates))
    gaps = {(b - a).days for a, b in pairwise(distinct)}
    if gaps and min(gaps) >= _YEAR_APART:
        return _Mode.YEARS
    if gaps and max(gaps) <= _MONTH_APART:
        return _Mode.MONTHS
    return None


def _period_end(layout: Layout, columns: list[Column]) -> Column | None:
    """Of the columns of period dates, the one that ends each row's period: with a start and an
    end ("12 months from" | "12 months to"), the column whose date is the later on every row."""
    if len(columns) < 2:
        return columns[0] if columns else None
    sheet = layout.sheet
    rows = layout.body_rows[:: max(len(layout.body_rows) // _SAMPLE, 1)]
    dates = {c.index: [parse_date(sheet.value(r, c.index)) for r in rows] for c in columns}

    def ends(column: Column) -> bool:
        return all(
            a is not None and (b is None or a >= b)
            for other in columns
            if other is not column
            for a, b in zip(dates[column.index], dates[other.index], strict=True)
        )

    return next((c for c in columns if ends(c)), columns[0])


def _twelve_months_to(date: dt.date) -> tuple[PeriodKind | None, str]:
    """The kind and canonical name of the twelve months ending on ``date``; kind None for a
    rolling year, which no campaign counts by."""
    if (date.month, date.day) == (3, 31):
        return PeriodKind.FINANCIAL_YEAR, financial_year(date.year - 1)
    if (date.month, date.day) == (12, 31):
        return PeriodKind.CALENDAR_YEAR, str(date.year)
    return None, ""


def read_period_dates(layout: Layout, ctx: Context) -> PeriodDates | None:
    """The periods of a table of counts whose period column holds dates, or None when it has no
    such column. Rows of another kind of twelve months are skipped with an informational reason;
    when no row is of the campaign's kind, a blocking reason says so and ``labels`` is empty."""
    candidates = [c for c in layout.columns_of(ColumnKind.DATE) if names_periods(layout, c)]
    column = _period_end(layout, candidates)
    if column is None:
        return None
    sheet = layout.sheet
    raw: dict[int, object] = {}
    current: object = None
    for r in layout.body_rows:
        value = sheet.value(r, column.index)
        if clean(value):
            current = value
        raw[r] = current  # a date written once over its group of rows applies to each
    dates = {r: d for r, v in raw.items() if (d := parse_date(v)) is not None}
    mode = _mode(column, list(dates.values()))
    if mode is None:
        return None
    result = PeriodDates(column.index, {})
    other: dict[int, dt.date] = {}  # rows for twelve months of another kind -> their end
    wanted = ctx.vocabulary.period_kind
    for r, value in raw.items():
        date = dates.get(r)
        if date is None:
            result.labels[r] = ctx.parse_label(PERIOD, value)  # "Total", or a label to report
        elif mode is _Mode.MONTHS:
            result.labels[r] = ctx.parse_label(PERIOD, date)
        else:
            kind, name = _twelve_months_to(date)
            if kind is wanted:
                result.labels[r] = ParsedLabel(LabelKind.VALUE, name)
            else:
                other[r] = date
    if other:
        _report_other_years(layout, column, ctx, other, read=bool(result.labels))
        result.skipped = set(other)
    return result


def _report_other_years(
    layout: Layout, column: Column, ctx: Context, other: dict[int, dt.date], *, read: bool
) -> None:
    ends = sorted(set(other.values()))
    shown = ", ".join(f"{d:%d/%m/%Y}" for d in ends[:6]) + (", …" if len(ends) > 6 else "")
    wanted = PERIOD_KIND_NAMES[ctx.vocabulary.period_kind]
    what = (
        f"{_named(column)} counts the twelve months ending on each date; the rows ending "
        f"{shown} count rolling years, not a {wanted}"
    )
    if read:
        ctx.reason(
            "rolling_years",
            f"{what}: they were left out, never folded into the periods read from the others.",
            layout.sheet.name,
            [cell_ref(r, column.index) for r in sorted(other)],
            blocking=False,
        )
        return
    ctx.reason(
        "rolling_years",
        f"{what}, and no row is for a {wanted}: the table was not read (never converted).",
        layout.sheet.name,
        range_ref(layout.body_rows[0], column.index, layout.last_row, column.index),
    )


def _named(column: Column) -> str:
    return f"Column {column_letter(column.index)} ('{column.header_text}')"
