"""Documents (PDF, Word) as grids: one sheet per table, titled by the lines right above it, and
the text of a document without tables as one sheet of prose rows.

A force that answers in a letter puts the table's title in the sentence above it ("Offences
recorded 2018/19") and its legend in the lines below ("* fewer than five"): both stay beside the
table, as single-cell rows, so that the engine reads them as it reads a spreadsheet's titles and
notes. A letter without a table (a refusal, "not held") reaches the engine as prose rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..grid import Sheet
from .cells import clip_merges, trim

TEXT_SHEET = "Text"
# Lines kept above a table as its title, and below it as its notes.
TITLE_LINES = 3
NOTE_LINES = 10


@dataclass(slots=True)
class Table:
    name: str  # as a researcher finds it: "Page 2 table 1", "Table 1"
    rows: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # inclusive, 0-based


Block = str | Table  # a line of text, or a table, in reading order


def document_sheets(blocks: Iterable[Block]) -> list[Sheet]:
    """Sheets for a document read as ``blocks``; see the module docstring."""
    items = list(blocks)
    tables = [i for i, item in enumerate(items) if isinstance(item, Table)]
    if not tables:
        lines = [[line] for line in items if isinstance(line, str) and line.strip()]
        return [Sheet(TEXT_SHEET, lines)] if lines else []
    sheets = []
    for n, at in enumerate(tables):
        previous = tables[n - 1] if n else -1
        following = tables[n + 1] if n + 1 < len(tables) else len(items)
        above = _lines(items[previous + 1 : at])
        below = _lines(items[at + 1 : following])
        if n + 1 < len(tables):  # the lines right above the next table are its title
            below = below[: max(len(below) - TITLE_LINES, 0)]
        title = above[-TITLE_LINES:]
        sheets.append(_sheet(items[at], title, below[:NOTE_LINES]))  # type: ignore[arg-type]
    return sheets


def _lines(items: list[Block]) -> list[str]:
    return [item for item in items if isinstance(item, str) and item.strip()]


def _sheet(table: Table, title: list[str], notes: list[str]) -> Sheet:
    rows: list[list[object]] = [[line] for line in title]
    rows += [list(row) for row in table.rows]
    rows += [[line] for line in notes]
    offset = len(title)
    trim(rows)
    merged = clip_merges(
        ((r0 + offset, c0, r1 + offset, c1) for r0, c0, r1, c1 in table.merged), rows
    )
    return Sheet(table.name, rows, merged)


def cell_text(text: str | None) -> str | None:
    """A cell's text as the grid holds it: line ends kept, trailing blanks gone, "" is empty.
    Leading spaces stay: they may be how a hierarchy indents its children."""
    if text is None:
        return None
    text = text.rstrip()
    return text if text.strip() else None
