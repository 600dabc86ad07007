"""What calamine does not say about an xlsx sheet, found in its XML as it streams past.

calamine turns an error cell and a formula without a cached value into an empty string, and it
allocates one slot per cell of the box spanned by the cells it finds: a lone value at XFD1048576
asks for half a terabyte and aborts the process. So every sheet part is scanned first for
- the bounding box of its cells (``max_row``/``max_col``, 0-based),
- the cells calamine would blank: ``markers`` maps (row, col) to ``ExcelError`` or
  ``FormulaWithoutValue``,
- the cells whose style indents them: ``indents`` maps (row, col) to the level, given the
  indenting styles (``indent_styles``: index in styles.xml cellXfs -> level).

``FastSheetScan`` relies on the layout every known writer emits (``<c r="A1" ...>``, no namespace
prefix). A chunk in which one RE2 pass (linear, a DFA: no backtracking at every cell as Python's
``re`` does) finds nothing notable - no formula, error, indented cell, unusual or prefixed cell,
nor a cell beyond the box seen so far - is done with; only a chunk where it finds something is
scanned in full with the searches below. Anything else, or a box too large to read, goes
to ``ExactSheetScan``: a real XML parse that places cells the way calamine does and counts only
cells holding something.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape  # xml.sax.saxutils' pulls in urllib and email: 40 ms a process

import re2

from ..grid import ExcelError, FormulaWithoutValue, column_letter
from .xmlstream import XmlStream

Marker = ExcelError | FormulaWithoutValue

_CELL = b'<c r="'
# A cell not written as <c r="...": other attribute order or no reference (see ``_beyond``)...
_UNUSUAL_CELL = rb'<c(?:[\t\n\r>/]| (?!r="))'
# ... or a namespace prefix: searched apart, because a pattern starting with "<c" is found by a
# fast literal scan and one with alternatives of different starts is several times slower.
_PREFIXED_CELL = re.compile(rb":c[\s>/]")
_FORMULA = re.compile(rb"<f[ >/]")
_ERROR_TYPE = re.compile(rb' t="e"')
_REF = re.compile(rb'<c r="([A-Za-z]+)([0-9]+)"')
_TYPE_ATTR = re.compile(rb'\st="([^"]*)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_FORMULA_TEXT = re.compile(rb"<f(?:\s[^>]*)?>([^<]*)</f>")
# Past this many new maxima in one chunk the cells are far out of order: count them all instead.
_MAX_RAISES = 64
_OVERLAP = 64
# The same cells, written for RE2 (no look-ahead; ``\s`` spelled out as Python's bytes ``\s``):
# a cell that is not <c r="...", a prefixed cell, a formula, an error.
_UNUSUAL_CELL_RE2 = rb'<c(?:[\t\n\r>/]| (?:[^r]|r[^=]|r=[^"]|r=?\z|\z))'
_NOTABLE = rb':c[ \t\n\r\f\v>/]|<f[ >/]| t="e"|' + _UNUSUAL_CELL_RE2
_WHITESPACE = rb"[ \t\n\r\f\v]"


def _re2_options() -> re2.Options:
    options = re2.Options()
    # Bytes as bytes: in its default UTF-8 mode RE2 lets "[^r]" miss an invalid UTF-8 byte.
    options.encoding = re2.Options.Encoding.LATIN1
    options.never_capture = True
    return options


def column_index(letters: str) -> int:
    index = 0
    for char in letters.upper():
        index = index * 26 + ord(char) - 64
    return index - 1


def _greater_letters(col: int) -> bytes:
    """Regex for column letters after ``col``, either case: after C, [D-Zd-z] or 2+ letters."""
    if col < 0:
        return rb"[A-Za-z]+"
    letters = column_letter(col)
    options = [rb"[A-Za-z]{%d,}" % (len(letters) + 1)]
    for i, char in enumerate(letters):
        if char == "Z":
            continue
        prefix = "".join(f"[{c}{c.lower()}]" for c in letters[:i])
        nxt = chr(ord(char) + 1)
        rest = len(letters) - i - 1
        options.append(f"{prefix}[{nxt}-Z{nxt.lower()}-z][A-Za-z]{{{rest}}}".encode())
    return b"(?:" + b"|".join(options) + b")"


def _greater_number(value: int) -> bytes:
    """Regex for decimal numbers above ``value`` (leading zeros over-match, which is harmless)."""
    digits = str(value)
    options = [rb"[0-9]{%d,}" % (len(digits) + 1)]
    for i, char in enumerate(digits):
        if char != "9":
            options.append(
                f"{digits[:i]}[{int(char) + 1}-9][0-9]{{{len(digits) - i - 1}}}".encode()
            )
    return b"(?:" + b"|".join(options) + b")"


@lru_cache(maxsize=256)
def _beyond(max_row: int, max_col: int) -> re.Pattern[bytes]:
    """An unusual cell, or a cell reference outside the box seen so far (a later column or a
    later row, group ``past``): one pass over the chunk finds either."""
    col_past = _greater_letters(max_col) + b"[0-9]"
    row_past = rb"[A-Za-z]+" + _greater_number(max_row + 1) + b'"'
    return re.compile(_UNUSUAL_CELL + rb'|<c r="(?P<past>' + col_past + b"|" + row_past + b")")


@lru_cache(maxsize=256)
def _notable(max_row: int, max_col: int, indent_styles: bytes) -> re2._Regexp:
    """Anything in a chunk that the full scan would act on, given the box so far: what
    ``_beyond`` finds, a prefixed cell, a formula, an error, a cell styled with one of
    ``indent_styles`` ("|"-joined indices; b"" for none). It may find more (a style attribute
    outside a cell): the full scan then decides, so it never finds less."""
    col_past = _greater_letters(max_col) + b"[0-9]"
    row_past = rb"[A-Za-z]+" + _greater_number(max_row + 1) + b'"'
    pattern = _NOTABLE + b'|<c r="(?:' + col_past + b"|" + row_past + b")"
    if indent_styles:
        pattern += b"|" + _WHITESPACE + b's="(?:' + indent_styles + b')"'
    return re2.compile(pattern, _re2_options())


def _indented_cell(styles: dict[int, int]) -> re.Pattern[bytes] | None:
    """A cell whose style attribute names one of ``styles``, in the usual layout."""
    if not styles:
        return None
    names = b"|".join(str(index).encode() for index in sorted(styles))
    return re.compile(rb'<c r="([A-Za-z]+)([0-9]+)"[^>]*?\ss="(' + names + rb')"')


class FastSheetScan:
    """Streaming scan of a sheet part written the usual way; ``usual`` turns False otherwise."""

    def __init__(self, indent_styles: dict[int, int] | None = None) -> None:
        self.usual = True
        self.max_row = -1
        self.max_col = -1
        self.markers: dict[tuple[int, int], Marker] = {}
        self.indents: dict[tuple[int, int], int] = {}
        self.indent_styles = indent_styles or {}
        self._indented = _indented_cell(self.indent_styles)
        self._indent_names = b"|".join(str(index).encode() for index in sorted(self.indent_styles))
        self._carry = b""

    def feed(self, chunk: bytes) -> None:
        if not self.usual:
            return
        buffer = self._carry + chunk
        # Cut before the last cell start so that every cell is scanned whole, in one piece.
        cut = buffer.rfind(b"<c ")
        if cut < 0:
            cut = max(len(buffer) - _OVERLAP, 0)
        self._carry = buffer[cut:]
        self._scan(buffer[:cut])

    def finish(self) -> None:
        if self.usual:
            self._scan(self._carry)
        self._carry = b""

    @property
    def n_cells_box(self) -> int:
        return (self.max_row + 1) * (self.max_col + 1)

    def _scan(self, data: bytes) -> None:
        if not data:
            return
        last = data.rfind(_CELL)
        if last >= 0:
            # As ``_raise_box`` starts: the box grows to the last cell's row first.
            ref = _REF.match(data, last)
            if ref:
                self.max_row = max(self.max_row, int(ref.group(2)) - 1)
            if _notable(self.max_row, self.max_col, self._indent_names).search(data) is None:
                return
        if _PREFIXED_CELL.search(data):
            self.usual = False
            return
        self._raise_box(data)
        if not self.usual:
            return
        # Regex searches, not ``in``: on "<" dense XML they run about twice as fast.
        if _FORMULA.search(data):
            self._mark_formulas(data)
        if _ERROR_TYPE.search(data):
            self._mark_errors(data)
        if self._indented is not None:
            for letters, digits, style in self._indented.findall(data):
                level = self.indent_styles[int(style)]
                self.indents[int(digits) - 1, column_index(letters.decode())] = level

    def _raise_box(self, data: bytes) -> None:
        last = data.rfind(_CELL)
        if last < 0:
            self.usual = re.search(_UNUSUAL_CELL, data) is None
            return
        # Rows come in order in real files: starting from the last cell's row, a single search
        # usually proves no cell lies beyond.
        ref = _REF.match(data, last)
        if ref:
            self.max_row = max(self.max_row, int(ref.group(2)) - 1)
        pos = 0
        for _ in range(_MAX_RAISES):
            found = _beyond(self.max_row, self.max_col).search(data, pos)
            if found is None:
                return
            if found.group("past") is None:
                self.usual = False
                return
            ref = _REF.match(data, found.start())
            if ref is None:  # a reference calamine itself rejects; it will fail there
                pos = found.start() + 1
                continue
            self.max_col = max(self.max_col, column_index(ref.group(1).decode()))
            self.max_row = max(self.max_row, int(ref.group(2)) - 1)
            pos = found.start() + 1
        if _beyond(self.max_row, self.max_col).search(data, pos) is None:
            return
        # Cells far out of order: a plain pass over every reference of the chunk.
        if re.search(_UNUSUAL_CELL, data):
            self.usual = False
            return
        for letters, digits in _REF.findall(data, pos):
            self.max_col = max(self.max_col, column_index(letters.decode()))
            self.max_row = max(self.max_row, int(digits) - 1)

    def _cell_at(self, data: bytes, pos: int) -> tuple[int, int, bytes, bytes] | None:
        """The cell around ``pos``: its position, opening tag and content."""
        start = data.rfind(_CELL, 0, pos)
        ref = _REF.match(data, start) if start >= 0 else None
        if ref is None:
            return None
        tag_end = data.find(b">", start)
        end = data.find(b"</c>", tag_end)
        end = len(data) if end < 0 else end
        row, col = int(ref.group(2)) - 1, column_index(ref.group(1).decode())
        return row, col, data[start : tag_end + 1], data[tag_end + 1 : end]

    def _mark_formulas(self, data: bytes) -> None:
        for found in _FORMULA.finditer(data):
            cell = self._cell_at(data, found.start())
            if cell is None:
                continue
            row, col, tag, content = cell
            marker = _marker(_attr_type(tag), content)
            if marker is not None:
                self.markers[row, col] = marker

    def _mark_errors(self, data: bytes) -> None:
        for found in _ERROR_TYPE.finditer(data):
            cell = self._cell_at(data, found.start())
            if cell is None:
                continue
            row, col, tag, content = cell
            if _ERROR_TYPE.search(tag):
                marker = _marker("e", content)
                if marker is not None:
                    self.markers[row, col] = marker


def _attr_type(tag: bytes) -> str:
    found = _TYPE_ATTR.search(tag)
    return found.group(1).decode() if found else ""


def _marker(cell_type: str, content: bytes) -> Marker | None:
    value = _VALUE.search(content)
    cached = unescape(value.group(1).decode("utf-8", "replace")) if value else ""
    return marker_for(cell_type, cached, value is not None, _formula_text(content))


def _formula_text(content: bytes) -> str | None:
    if b"<f" not in content:
        return None
    found = _FORMULA_TEXT.search(content)
    return unescape(found.group(1).decode("utf-8", "replace")) if found else ""


def marker_for(cell_type: str, cached: str, has_value: bool, formula: str | None) -> Marker | None:
    """What the cell really holds when calamine shows it blank; None when calamine is right."""
    if cell_type == "e" and cached:
        return ExcelError(cached)
    if formula is None:
        return None
    # A formula whose cached result is the empty string (t="str", <v></v>) is a real blank.
    if cached or (cell_type == "str" and has_value):
        return None
    return FormulaWithoutValue(formula)


class ExactSheetScan(XmlStream):
    """A real (expat) parse of a sheet part: cells placed as calamine places them, the box
    counting only cells that hold a value or a formula."""

    what = "A sheet of the workbook"

    def __init__(self, indent_styles: dict[int, int] | None = None) -> None:
        super().__init__()
        self.max_row = -1
        self.max_col = -1
        self.markers: dict[tuple[int, int], Marker] = {}
        self.indents: dict[tuple[int, int], int] = {}
        self.indent_styles = indent_styles or {}
        self._row = -1
        self._col = -1
        self._cell: dict[str, str] | None = None
        self._texts: dict[str, list[str]] = {}
        self._collect: list[str] | None = None

    @property
    def n_cells_box(self) -> int:
        return (self.max_row + 1) * (self.max_col + 1)

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if local == "row":
            row = attrs.get("r", "")
            self._row = int(row) - 1 if row.isdigit() else self._row + 1
            self._col = -1
        elif local == "c":
            self._start_cell(attrs)
        elif self._cell is not None and local in ("v", "f", "is"):
            self._collect = self._texts.setdefault(local, [])

    def _start_cell(self, attrs: dict[str, str]) -> None:
        ref = re.fullmatch(r"([A-Za-z]+)([0-9]+)", attrs.get("r", ""))
        if ref:
            self._row, self._col = int(ref.group(2)) - 1, column_index(ref.group(1))
        else:
            self._col += 1
        self._cell = attrs
        self._texts = {}

    def _text(self, data: str) -> None:
        if self._collect is not None:
            self._collect.append(data)

    def _end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if local in ("v", "f", "is"):
            self._collect = None
        elif local == "c" and self._cell is not None:
            self._end_cell(self._cell)
            self._cell = None

    def _end_cell(self, attrs: dict[str, str]) -> None:
        texts = self._texts
        value = "".join(texts.get("v", ()))
        formula = "".join(texts["f"]) if "f" in texts else None
        if not (value or "is" in texts or formula is not None):
            return
        self.max_row = max(self.max_row, self._row)
        self.max_col = max(self.max_col, self._col)
        marker = marker_for(attrs.get("t", ""), value, "v" in texts, formula)
        if marker is not None:
            self.markers[self._row, self._col] = marker
        style = attrs.get("s", "")
        if style.isdigit() and int(style) in self.indent_styles:
            self.indents[self._row, self._col] = self.indent_styles[int(style)]
