"""The one interface every reader produces: a workbook of sheets, each a grid of cell values.

Values are plain Python so that large sheets stay cheap: ``None`` for empty, ``str``, ``int``,
``float``, ``bool``, ``datetime.date``/``datetime.datetime``, or one of the three markers below.
Rows and columns are 0-based here; ``cell_ref`` turns them into the A1 references researchers see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class ExcelError:
    """An error value cached in the cell, e.g. ``#REF!`` or ``#N/A``."""

    code: str


@dataclass(frozen=True, slots=True)
class FormulaWithoutValue:
    """A formula whose result was never cached: its value is unknown, never zero."""

    formula: str = ""


@dataclass(frozen=True, slots=True)
class ComputedFormula:
    """A formula saved without a value whose result is computed here from its parts: a sum or
    difference of plain numbers in the same sheet (``reading.formulas`` says which qualify)."""

    value: int | float
    formula: str


class Visibility(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"
    VERY_HIDDEN = "very_hidden"


@dataclass(frozen=True, slots=True)
class MergedRange:
    """Inclusive 0-based bounds of a merged block; its value sits in the top-left cell."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass(slots=True)
class Sheet:
    name: str
    rows: list[list[object]]
    merged: list[MergedRange] = field(default_factory=list)
    visibility: Visibility = Visibility.VISIBLE
    # (row, col) -> indent level of a cell that holds something and is indented by its format
    # (xlsx Alignment(indent=N), an ods left margin): how hierarchies mark their children.
    indents: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def value(self, row: int, col: int) -> object:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None


@dataclass(slots=True)
class Workbook:
    # "xlsx", "xls", "ods", "csv", "pdf" or "docx": decided by the bytes, not the name
    format: str
    sheets: list[Sheet]
    notes: list[str] = field(default_factory=list)  # reader remarks, e.g. the CSV encoding found


def column_letter(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    return f"{column_letter(col)}{row + 1}"


def range_ref(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    start, end = cell_ref(first_row, first_col), cell_ref(last_row, last_col)
    return start if start == end else f"{start}:{end}"
