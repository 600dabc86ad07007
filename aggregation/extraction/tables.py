"""Finding tables on a sheet: titles, header rows, label columns, value columns, notes.

A sheet is cut into blocks at blank rows; each block is read top to bottom as titles (rows of one
prose cell), header rows, then body rows, ending at a prose row (a note or the next question's
title). Columns are then classified from a sample of their body cells, so that a 200,000-row
record list costs no more here than a ten-row table.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import compress, pairwise, repeat
from operator import sub

from .grid import Sheet
from .headers import HeaderReader, Role
from .labels import clean, parse_age, parse_date, parse_period, parse_total
from .values import FIGURE_KINDS, UNKNOWN_FIGURE_KINDS, ValueKind, parse_value

_FIGURE_LIKE = FIGURE_KINDS | UNKNOWN_FIGURE_KINDS
# A figure with a mark beside it: "17~", "6^", "24p", "44 (r)" (the legend says what it means).
_MARKED_NUMBER = re.compile(
    r"^\s*\d[\d,]*\s*(?:[^\w\s]{1,2}|[a-z]|[(\[][a-z0-9]{1,2}[)\]])\s*$", re.IGNORECASE
)
_MAX_HEADER_ROWS = 4
_SAMPLE_ROWS = 400  # body rows inspected to classify a column
_PROSE_WORDS = 7  # a single cell with this many words is prose, not a label
_PROSE_STARTS = (
    "note",
    "notes",
    "source",
    "question",
    "q1",
    "q2",
    "q3",
    "q4",
    "q5",
    "table",
    "data ",
    "figures",
    "please",
    "*",
    "†",
    "(",
    "[",
    "freedom of information",
    "foi",
    "request",
    "the ",
    "this ",
    "these ",
)


class ColumnKind(StrEnum):
    LABEL = "label"  # its body cells name a dimension value (period, age, offence, force)
    VALUE = "value"  # its body cells are figures
    DATE = "date"  # its body cells are dates: a record list
    PERCENT = "percent"  # a percentage beside the counts: ignored
    REVISION = "revision"  # "R" flags: ignored, noted
    TEXT = "text"  # text we do not count by: references, genders, free text


@dataclass(slots=True)
class Column:
    index: int
    kind: ColumnKind
    headers: list[object]  # one per header row, merged and spanned values filled in
    role: Role | None  # what the header names, if anything
    dimension: str | None = None  # the campaign dimension the header names (age or category)

    @property
    def header_text(self) -> str:
        return " ".join(clean(h) for h in self.headers if clean(h))


@dataclass(slots=True)
class Layout:
    """Where one table sits on its sheet and what its rows and columns are."""

    sheet: Sheet
    titles: list[str]
    header_rows: list[int]
    body_rows: list[int]
    columns: list[Column] = field(default_factory=list)

    @property
    def first_row(self) -> int:
        return (self.header_rows or self.body_rows)[0]

    @property
    def last_row(self) -> int:
        return self.body_rows[-1]

    def columns_of(self, kind: ColumnKind) -> list[Column]:
        return [c for c in self.columns if c.kind is kind]


@dataclass(slots=True)
class SheetScan:
    layouts: list[Layout]
    prose: list[str]  # every title and note line, for suppression notes and refusals


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def filled_columns(row: list[object]) -> list[int]:
    return [i for i, v in enumerate(row) if v is not None and v != "" and not _is_empty(v)]


def _is_prose(value: object) -> bool:
    """A line of text that is a title, reference line or note, not a label in a table."""
    if not isinstance(value, str):
        return False
    text = clean(value)
    if len(text.split()) >= _PROSE_WORDS or text.endswith(":") or len(text) > 60:
        return True
    return text.startswith(_PROSE_STARTS) and parse_total(text) is None


class _Filled:
    """Filled column indices per row, computed only for rows that need them: inside a table's
    body a row with two or more values is a body row, which ``list.count`` tells in C."""

    def __init__(self, rows: list[list[object]]) -> None:
        self._rows = rows
        self._cache: dict[int, list[int]] = {}

    def __getitem__(self, r: int) -> list[int]:
        cols = self._cache.get(r)
        if cols is None:
            cols = self._cache[r] = filled_columns(self._rows[r])
        return cols


def scan_sheet(sheet: Sheet, headings: HeaderReader) -> SheetScan:
    rows = sheet.rows
    filled = _Filled(rows)
    layouts: list[Layout] = []
    prose: list[str] = []
    titles: list[str] = []
    header: list[int] = []
    body: list[int] = []

    def close() -> None:
        nonlocal header, body
        if body:
            layout = Layout(sheet, list(titles), header, body)
            _classify_columns(layout, filled, headings)
            for part in _side_by_side(layout):
                _settle_headers(part, headings)
                layouts.append(part)
            titles.clear()
        header, body = [], []

    sparse = _sparse_rows(rows)
    is_sparse = set(sparse)
    r = -1
    while r + 1 < len(rows):
        r += 1
        row = rows[r]
        if body and r not in is_sparse:
            # The fast path through a long body: two values make a body row, and every row up
            # to the next one with fewer than two joins the body at once.
            end = sparse[bisect_right(sparse, r)] if sparse and sparse[-1] > r else len(rows)
            body.extend(range(r, end))
            r = end - 1
            continue
        cols = filled[r]
        if not cols:
            if body:
                close()
            elif header and not _body_follows(rows, filled, r, header, headings):
                # A header with no body is more likely a line of prose that looked like a
                # header: keep it as a title.
                titles.extend(_row_text(rows[r2], filled[r2]) for r2 in header)
                header = []
            continue
        if len(cols) == 1 and _single_cell_ends_table(row[cols[0]], body, header):
            close()
            text = str(row[cols[0]]).strip()
            prose.append(text)
            titles.append(text)
            continue
        above = (filled[header[-1]][0], rows[header[-1]][filled[header[-1]][0]]) if header else None
        if (
            not body
            and len(header) < _MAX_HEADER_ROWS
            and _is_header_like(row, cols, above, headings)
        ):
            header.append(r)
            continue
        if not body and len(header) == _MAX_HEADER_ROWS:
            # Too many header-like rows: the first ones were titles written across cells.
            titles.append(_row_text(rows[header[0]], filled[header[0]]))
            header.pop(0)
        body.append(r)
    close()
    return SheetScan(layouts, prose)


def _body_follows(
    rows: list[list[object]], filled: _Filled, blank: int, header: list[int], headings: HeaderReader
) -> bool:
    """Whether the next filled row after a blank one under ``header`` is a body row of it: a
    blank line left between a table's headings and its figures."""
    last = header[-1]
    if len(filled[last]) < 2:
        return False
    after = next((r for r in range(blank + 1, min(blank + 3, len(rows))) if filled[r]), None)
    if after is None or len(filled[after]) < 2:
        return False
    above = (filled[last][0], rows[last][filled[last][0]])
    return not _is_header_like(rows[after], filled[after], above, headings)


def _sparse_rows(rows: list[list[object]]) -> list[int]:
    """Indices, ascending, of the rows holding fewer than two values other than None and "",
    counted in C (a 200,000-row body costs no Python step per row)."""
    filled = map(
        sub,
        map(sub, map(len, rows), map(list.count, rows, repeat(None))),
        map(list.count, rows, repeat("")),
    )
    return list(compress(range(len(rows)), map((2).__gt__, filled)))


def _row_text(row: list[object], cols: list[int]) -> str:
    return " ".join(str(row[c]).strip() for c in cols)


def _single_cell_ends_table(value: object, body: list[int], header: list[int]) -> bool:
    """A row with one filled cell: prose (title or note) unless it is a label inside a table."""
    if _is_prose(value):
        return True
    # Before any header, a short line ("2018/19", "Dorset Police") is still a title.
    return not body and not header


def _is_date(value: object) -> bool:
    """A date in a cell, not a heading that spans dates ("1 Apr 2018 to 31 Mar 2019")."""
    if parse_date(value) is None:
        return False
    return not isinstance(value, str) or parse_period(value) is None


def _is_header_like(
    row: list[object], cols: list[int], above: tuple[int, object] | None, headings: HeaderReader
) -> bool:
    """Headers name things; bodies hold figures beside a label.

    ``above`` is the first filled cell (column, value) of the header row above, if any.
    """
    first = row[cols[0]]
    rest = [row[c] for c in cols[1:]]
    if above is None and cols[0] > 0:
        return True  # a first row with an empty label cell heads the columns below it
    # Under a header row that also left the label cell empty: a second level of headings
    # ("0-10", "11", "12" under each year), if every cell reads as a label.
    below_blank_label = above is not None and cols[0] > 0 and above[0] == cols[0]
    if (
        below_blank_label
        and not headings.is_axis_name(above[1])  # type: ignore[index]
        and all(parse_age(row[c]) or parse_period(row[c]) or parse_total(row[c]) for c in cols)
    ):
        return True
    # Under a header row, a row that leaves the label column empty and names a value in every
    # other cell ("0-12", "13-15", "Total" under each year's merged band): a second level of
    # headings. Its cells are words, never figures, though "13-15" would read as a range; most
    # name a known value, and a spelling no vocabulary knows among them ("Mxd/multiple") is
    # still a heading, for a researcher to map.
    if above is not None and cols[0] > 0 and all(isinstance(row[c], str) for c in cols):
        known = sum(headings.label_like(row[c]) for c in cols)
        words = all(
            headings.label_like(row[c]) or parse_value(row[c]).kind not in _FIGURE_LIKE
            for c in cols
        )
        if words and known * 2 > len(cols):
            return True
    # A table's first row whose label cell names no axis we know ("Blwyddyn ariannol", a Welsh
    # "Financial year") and whose other cells are words naming values ("Under 13", "13-15",
    # "Total"), none a plain figure: headings, though "13-15" would read as a range.
    if above is None and rest and all(isinstance(v, str) for v in rest):
        known = sum(headings.label_like(v) for v in rest)
        plain = any(parse_value(v).kind is ValueKind.EXACT for v in rest)
        if not plain and known * 2 > len(rest):
            return True
    if any(_is_date(row[c]) for c in cols):
        # Headings are never dates ("1 Apr 2018 to 31 Mar 2019" is a period), but for dates
        # across the top under an axis name ("Offence | 30/06/2015 | 30/09/2015"): the ends of
        # the periods the columns count.
        return (
            headings.is_axis_name(first)
            and len(rest) >= 2
            and all(_is_date(v) for v in rest)
            and len(set(map(str, rest))) == len(rest)
        )
    if any(isinstance(v, float) and not v.is_integer() for v in rest):
        return False  # a number with decimals (a share, a rate) is a figure, never a heading
    values = [parse_value(v) for v in rest]
    figures = [cv for cv in values if cv.kind in _FIGURE_LIKE]
    if not figures:
        return True
    numbers = [cv.value for cv in figures]
    label_is_axis_name = headings.is_axis_name(first)
    if label_is_axis_name:
        return True  # "Age | 0 | 1 | 2 ..." or "Year | 2015 | 2016": a body row names a value
    if len(numbers) < 2 or any(n is None for n in numbers):
        return False
    if all(1990 <= n <= 2100 for n in numbers) and len(set(numbers)) == len(numbers):
        return True  # years across the top
    # A lower header row of ages under a blank label cell: 0, 1, 2, ... counting up.
    first_is_number = parse_value(first).kind is ValueKind.EXACT
    counting_up = numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    return cols[0] > 0 and first_is_number and len(numbers) >= 3 and counting_up


# ---------------------------------------------------------------------------------------------
# Columns


def _sample(rows: list[int]) -> list[int]:
    if len(rows) <= _SAMPLE_ROWS:
        return rows
    step = len(rows) / _SAMPLE_ROWS
    return [rows[int(i * step)] for i in range(_SAMPLE_ROWS)]


def _classify_columns(layout: Layout, filled: _Filled, headings: HeaderReader) -> None:
    sheet = layout.sheet
    used = sorted({c for r in layout.header_rows + _sample(layout.body_rows) for c in filled[r]})
    merged = _merge_lookup(sheet, layout.header_rows)
    sample = _sample(layout.body_rows)
    seen_value = False
    for c in used:
        headers = [_header_value(sheet, r, c, merged) for r in layout.header_rows]
        heading = next((h for h in map(headings.read, reversed(headers)) if h), None)
        role = heading.role if heading else None
        kind = _column_kind([sheet.value(r, c) for r in sample], headers, role, seen_value)
        seen_value = seen_value or kind is ColumnKind.VALUE
        dimension = heading.dimension if heading else None
        layout.columns.append(Column(c, kind, headers, role, dimension))


def _side_by_side(layout: Layout) -> list[Layout]:
    """Tables set side by side on the same rows ("Victims by age" | gap | "Victims by
    gender"): parted at a column empty in every row of them, where the columns right of it
    start with labels of their own and both sides hold figures. Otherwise the table itself."""
    columns = layout.columns
    rows = layout.header_rows + layout.body_rows
    cuts = [
        i
        for i in range(1, len(columns))
        if columns[i].index - columns[i - 1].index > 1
        and columns[i].kind is ColumnKind.LABEL
        and any(c.kind is ColumnKind.VALUE for c in columns[:i])
        and all(_is_empty(layout.sheet.value(r, columns[i].index - 1)) for r in rows)
    ]
    if not cuts:
        return [layout]
    parts = [columns[a:b] for a, b in pairwise([0, *cuts, len(columns)])]
    if not all(any(c.kind is ColumnKind.VALUE for c in part) for part in parts):
        return [layout]
    return [
        Layout(layout.sheet, list(layout.titles), layout.header_rows, layout.body_rows, part)
        for part in parts
    ]


def _settle_headers(layout: Layout, headings: HeaderReader) -> None:
    _fill_spanning_headers(layout)
    for column in layout.columns:
        # Under a band of shares ("Percentages" over "Incidents | Children"): shares, whatever
        # the lower headings name.
        if column.index > 0 and any(
            (h := headings.read(v)) and h.role is Role.PERCENT for v in column.headers[:-1]
        ):
            column.role, column.kind = Role.PERCENT, ColumnKind.PERCENT


def _merge_lookup(sheet: Sheet, header_rows: list[int]) -> dict[tuple[int, int], tuple[int, int]]:
    """Header cells covered by a merged block -> its top-left cell, which holds the value."""
    if not header_rows:
        return {}
    top, bottom = header_rows[0], header_rows[-1]
    lookup: dict[tuple[int, int], tuple[int, int]] = {}
    for m in sheet.merged:
        if m.last_row < top or m.first_row > bottom:
            continue
        for r in range(max(m.first_row, top), min(m.last_row, bottom) + 1):
            for c in range(m.first_col, m.last_col + 1):
                lookup[(r, c)] = (m.first_row, m.first_col)
    return lookup


def _header_value(
    sheet: Sheet, r: int, c: int, merged: dict[tuple[int, int], tuple[int, int]]
) -> object:
    value = sheet.value(r, c)
    if _is_empty(value) and (r, c) in merged:
        value = sheet.value(*merged[(r, c)])
    return None if _is_empty(value) else value


def _fill_spanning_headers(layout: Layout) -> None:
    """An upper header cell written once over several value columns ("2018/19" over its ages)
    applies to each of them, merged or not; the bottom header row is never filled."""
    values = layout.columns_of(ColumnKind.VALUE)
    for level in range(len(layout.header_rows) - 1):
        current: object = None
        for column in values:
            if column.headers[level] is not None:
                current = column.headers[level]
            elif current is not None:
                column.headers[level] = current


def _column_kind(
    cells: list[object], headers: list[object], role: Role | None, seen_value: bool
) -> ColumnKind:
    present = [v for v in cells if not _is_empty(v)]
    if not present:
        return ColumnKind.TEXT
    if role is Role.PERCENT:
        return ColumnKind.PERCENT
    kinds = [parse_value(v).kind for v in present]
    n = len(present)
    if (
        sum(parse_date(v) is not None and not isinstance(v, int | float) for v in present)
        >= 0.8 * n
    ):
        return ColumnKind.DATE
    if all(k is ValueKind.PERCENT for k in kinds):
        return ColumnKind.PERCENT
    if all(k is ValueKind.REVISION for k in kinds):
        return ColumnKind.REVISION
    # "17~", "6^": a figure with a mark the file's legend explains (read later, with it).
    figures = sum(
        k in _FIGURE_LIKE or (k is ValueKind.TEXT and bool(_MARKED_NUMBER.match(str(v))))
        for k, v in zip(kinds, present, strict=True)
    )
    if figures >= 0.6 * n:
        if not seen_value and _numbers_are_labels(present, headers, role):
            return ColumnKind.LABEL
        return ColumnKind.VALUE
    return ColumnKind.LABEL


def _numbers_are_labels(present: list[object], headers: list[object], role: Role | None) -> bool:
    """Numbers that name rows rather than count them: ages under an "Age" heading, years
    under a "Year" heading (or in the first column, counting up one by one)."""
    header_is_value = any(
        parse_period(h) or parse_total(h) or parse_age(h) for h in headers if h is not None
    )
    if header_is_value:
        return False
    if role is Role.AGE:
        # Ages, totals, and words: a spelling no vocabulary knows ("Thirteen to fifteen")
        # among "10-12" and "16-17" is still a label, for a researcher to map.
        return all(
            parse_age(v) is not None
            or parse_total(v) is not None
            or parse_value(v).kind is ValueKind.TEXT
            for v in present
        )
    if role is Role.PERIOD and all(parse_period(v) or parse_total(v) for v in present):
        return True
    if role in {Role.PERIOD, None}:
        numbers = [parse_value(v).value for v in present]
        if all(n is not None and 1990 <= n <= 2100 for n in numbers):
            # Counting up one by one takes two years at least: a lone 1990 is a count.
            return role is Role.PERIOD or (
                len(numbers) >= 2 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
            )
    return False
