"""ods: content.xml parsed as it inflates (expat, no DTD), because calamine neither reports an ODS
file's merged cells nor its errors, and expands repeated cells without a ceiling.

Rows and cells repeated with ``number-*-repeated`` are expanded only when they hold something:
LibreOffice pads every sheet with a row repeated a million times, which must cost nothing.
"""

from __future__ import annotations

import datetime as dt
import re

from ..grid import ExcelError, FormulaWithoutValue, Sheet, Visibility, Workbook
from .archive import inflate_all, open_zip, read_small_part
from .cells import RowProgress, clip_merges, trim
from .errors import UnreadableFile
from .formulas import compute_formulas
from .limits import Limits
from .xmlstream import XmlStream

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0}"
_CELLS = (_TABLE + "table-cell", _TABLE + "covered-table-cell")
_NUMERIC = ("float", "percentage", "currency")
# A cell's left margin, as LibreOffice writes an indent: one level is 10 points (Excel's indent 1
# becomes 0.353cm).
_MARGIN = re.compile(r"([0-9]{1,6}(?:\.[0-9]{1,6})?)\s*(cm|mm|in|pt|pc|px)$")
_POINTS = {"cm": 72 / 2.54, "mm": 72 / 25.4, "in": 72.0, "pt": 1.0, "pc": 12.0, "px": 0.75}
_POINTS_PER_LEVEL = 10.0
_DURATION = re.compile(r"-?PT?(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$")


def read_ods(data: bytes, limits: Limits, progress: RowProgress) -> Workbook:
    archive = open_zip(data, limits)
    names = archive.namelist()
    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
        raise UnreadableFile(
            "macros",
            "The spreadsheet contains macros, which are refused for safety; "
            "ask the force to save it without them or as .csv.",
        )
    if b"encryption-data" in (read_small_part(archive, "META-INF/manifest.xml") or b""):
        raise UnreadableFile(
            "encrypted",
            "The spreadsheet is password-protected; ask the force for an unprotected copy.",
        )
    if "content.xml" not in names:
        raise UnreadableFile("corrupt", "The ods file has no content.xml part.")
    content = OdsContent(limits, progress)
    inflate_all(archive, limits, {"content.xml": content.feed})
    content.finish()
    return Workbook("ods", content.sheets)


class _Cell:
    __slots__ = ("attrs", "paragraphs", "text")

    def __init__(self, attrs: dict[str, str]) -> None:
        self.attrs = attrs
        self.paragraphs: list[str] = []
        self.text: list[str] = []


class OdsContent(XmlStream):
    """Streaming reader of content.xml into sheets."""

    what = "The ods content"

    def __init__(self, limits: Limits, progress: RowProgress) -> None:
        super().__init__(namespaces=True)
        self.sheets: list[Sheet] = []
        self._limits = limits
        self._progress = progress
        self._hidden_styles: set[str] = set()
        self._indent_styles: dict[str, int] = {}
        self._indents: dict[tuple[int, int], int] = {}
        self._row_indents: list[tuple[int, int]] = []
        self._style: str | None = None
        self._table_depth = 0
        self._table: dict[str, str] = {}
        self._rows: list[list[object]] = []
        self._merged: list[tuple[int, int, int, int]] = []
        self._blank_rows = 0
        self._width = 0
        self._row: list[object] | None = None
        self._row_repeat = 1
        self._blank_cols = 0
        self._formulas: list[tuple[int, int]] = []
        self._row_formulas: list[int] = []
        self._cell: _Cell | None = None
        self._in_paragraph = 0
        self._in_annotation = 0

    # -- elements -------------------------------------------------------------------------

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if name == _TABLE + "table":
            self._table_depth += 1
            if self._table_depth == 1:
                self._begin_table(attrs)
        elif self._table_depth != 1:
            self._start_style(name, attrs)
        elif name == _TABLE + "table-row":
            self._row = []
            self._row_repeat = _count(attrs.get(_TABLE + "number-rows-repeated"))
            self._blank_cols = 0
            self._row_formulas = []
            self._row_indents = []
        elif name in _CELLS and self._row is not None:
            self._cell = _Cell(attrs)
        elif self._cell is not None:
            self._start_in_cell(name, attrs)

    def _start_style(self, name: str, attrs: dict[str, str]) -> None:
        if name == _STYLE + "style":
            self._style = attrs.get(_STYLE + "name")
        elif (
            name == _STYLE + "table-properties"
            and self._style is not None
            and attrs.get(_TABLE + "display") == "false"
        ):
            self._hidden_styles.add(self._style)
        elif name == _STYLE + "paragraph-properties" and self._style is not None:
            level = _indent_level(attrs.get(_FO + "margin-left", ""))
            if level:
                self._indent_styles[self._style] = level

    def _start_in_cell(self, name: str, attrs: dict[str, str]) -> None:
        if name == _OFFICE + "annotation":
            self._in_annotation += 1
        elif self._in_annotation:
            return
        elif name == _TEXT + "p":
            self._in_paragraph += 1
        elif name == _TEXT + "s":
            self._text(" " * _count(attrs.get(_TEXT + "c")))
        elif name == _TEXT + "tab":
            self._text("\t")
        elif name == _TEXT + "line-break":
            self._text("\n")

    def _text(self, data: str) -> None:
        if self._cell is not None and self._in_paragraph and not self._in_annotation:
            self._cell.text.append(data)

    def _end(self, name: str) -> None:
        if name == _TABLE + "table":
            if self._table_depth == 1:
                self._end_table()
            self._table_depth -= 1
        elif self._table_depth != 1:
            return
        elif name in _CELLS and self._cell is not None:
            self._end_cell(self._cell)
            self._cell = None
        elif name == _TABLE + "table-row" and self._row is not None:
            self._end_row(self._row)
            self._row = None
        elif self._cell is not None:
            self._end_in_cell(name)

    def _end_in_cell(self, name: str) -> None:
        if name == _OFFICE + "annotation":
            self._in_annotation -= 1
        elif name == _TEXT + "p" and not self._in_annotation and self._cell is not None:
            self._in_paragraph -= 1
            self._cell.paragraphs.append("".join(self._cell.text))
            self._cell.text = []

    # -- tables, rows, cells ----------------------------------------------------------------

    def _begin_table(self, attrs: dict[str, str]) -> None:
        self._table = attrs
        self._rows = []
        self._merged = []
        self._formulas = []
        self._indents = {}
        self._blank_rows = 0
        self._width = 0

    def _end_table(self) -> None:
        rows = self._rows
        for (row, col), value in compute_formulas(rows, self._formulas).items():
            rows[row][col] = value
        trim(rows)
        hidden = self._table.get(_TABLE + "style-name") in self._hidden_styles
        visibility = Visibility.HIDDEN if hidden else Visibility.VISIBLE
        name = self._table.get(_TABLE + "name", f"Sheet{len(self.sheets) + 1}")
        merged = clip_merges(self._merged, rows)
        self.sheets.append(Sheet(name, rows, merged, visibility, self._indents))

    def _end_cell(self, cell: _Cell) -> None:
        row = self._row
        assert row is not None  # cells are only opened inside a row
        attrs = cell.attrs
        repeat = _count(attrs.get(_TABLE + "number-columns-repeated"))
        value = _value(attrs, cell.paragraphs)
        spans = (
            _count(attrs.get(_TABLE + "number-rows-spanned")),
            _count(attrs.get(_TABLE + "number-columns-spanned")),
        )
        if spans != (1, 1):
            top, left = len(self._rows) + self._blank_rows, len(row) + self._blank_cols
            self._merged.append((top, left, top + spans[0] - 1, left + spans[1] - 1))
        if value is None:
            self._blank_cols += repeat
            return
        self._check_box(len(row) + self._blank_cols + repeat)
        row.extend([None] * self._blank_cols)
        if isinstance(value, FormulaWithoutValue):
            self._row_formulas.extend(range(len(row), len(row) + repeat))
        level = self._indent_styles.get(attrs.get(_TABLE + "style-name", ""), 0)
        if level:
            self._row_indents.extend((col, level) for col in range(len(row), len(row) + repeat))
        row.extend([value] * repeat)
        self._blank_cols = 0

    def _end_row(self, row: list[object]) -> None:
        if not row:
            self._blank_rows += self._row_repeat
            return
        self._check_box(len(row), extra_rows=self._blank_rows + self._row_repeat)
        self._width = max(self._width, len(row))
        self._rows.extend([] for _ in range(self._blank_rows))
        first = len(self._rows)
        self._formulas.extend(
            (first + k, col) for k in range(self._row_repeat) for col in self._row_formulas
        )
        for k in range(self._row_repeat):
            self._indents.update(((first + k, col), level) for col, level in self._row_indents)
        self._rows.append(row)
        self._rows.extend(list(row) for _ in range(self._row_repeat - 1))
        self._progress.advance(self._blank_rows + self._row_repeat)
        self._blank_rows = 0

    def _check_box(self, width: int, extra_rows: int = 1) -> None:
        n_rows = len(self._rows) + self._blank_rows + extra_rows
        if n_rows * max(width, self._width) > self._limits.max_cells:
            raise UnreadableFile(
                "too_many_cells",
                f"A sheet spans more than the {self._limits.max_cells:,} cells this service "
                "reads; ask the force to trim it.",
            )


def _indent_level(margin: str) -> int:
    found = _MARGIN.match(margin.strip())
    if not found:
        return 0
    return round(float(found.group(1)) * _POINTS[found.group(2)] / _POINTS_PER_LEVEL)


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() and int(value) > 0 else 1


def _value(attrs: dict[str, str], paragraphs: list[str]) -> object:
    kind = attrs.get(_OFFICE + "value-type")
    text = "\n".join(paragraphs)
    if attrs.get(_CALCEXT + "value-type") == "error":
        return ExcelError(text or "#ERROR")
    if kind is None:
        formula = attrs.get(_TABLE + "formula")
        if formula is not None:
            return FormulaWithoutValue(formula)
        return text or None
    if kind in _NUMERIC:
        return _number(attrs.get(_OFFICE + "value"), text)
    if kind == "date":
        return _date(attrs.get(_OFFICE + "date-value", ""), text)
    if kind == "time":
        return _duration(attrs.get(_OFFICE + "time-value", ""), text)
    if kind == "boolean":
        return attrs.get(_OFFICE + "boolean-value") == "true"
    return attrs.get(_OFFICE + "string-value", text) or None


def _number(raw: str | None, text: str) -> object:
    try:
        number = float(raw) if raw is not None else float("nan")
    except ValueError:
        return text or None
    if number != number:  # NaN: no usable value attribute, keep what the cell shows
        return text or None
    return int(number) if number.is_integer() else number


def _date(raw: str, text: str) -> object:
    try:
        if "T" in raw:
            stamp = dt.datetime.fromisoformat(raw)
            return stamp.date() if stamp.time() == dt.time() else stamp
        return dt.date.fromisoformat(raw)
    except ValueError:
        return text or raw or None


def _duration(raw: str, text: str) -> object:
    found = _DURATION.match(raw)
    if not found or not any(found.groups()):
        return text or raw or None
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in found.groups())
    span = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if dt.timedelta(0) <= span < dt.timedelta(days=1):
        return (dt.datetime.min + span).time()
    return span
