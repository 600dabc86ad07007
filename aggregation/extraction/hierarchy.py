"""Hierarchies of row labels: groups, their subtotals and the grand total, found from the layout
and confirmed by the figures.

Forces nest offences: a group heading or a group total ("Rape", "Total rape", "Rape - total"),
its members indented beneath it (by leading spaces or the cell's indent), further groups, and a
grand total ("All offences") that may come first or last. A row is a subtotal when its figures
are the sum of the rows it heads or closes; only the rows that are nobody's subtotal are parts,
so a subtotal is never added to its own members (SPEC 8).

``find_subtotals`` looks at one label column of one table and says, for each row that is a
subtotal, which rows it sums: by indentation (the rows indented beneath it), by a total-like
label (the rows since the previous heading or subtotal, or every top-level row for a grand
total), and it keeps a reading only when every column adds up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .labels import clean, parse_total
from .values import FIGURE_KINDS, CellValue, parse_value


@dataclass(frozen=True, slots=True)
class Subtotal:
    row: int
    members: tuple[int, ...]  # the rows it sums (leaves or smaller subtotals)
    grand: bool  # sums every top-level row of the table


@dataclass(frozen=True, slots=True)
class _Row:
    index: int
    level: int
    label: str
    values: tuple[CellValue | None, ...]  # per value column; None: blank
    total_like: bool
    grand_like: bool

    @property
    def heading(self) -> bool:
        """A label with no figure beside it: a group heading."""
        return all(v is None for v in self.values)


def _level(raw: object, indent: int) -> int:
    spaces = len(raw) - len(raw.lstrip(" \u00a0\t")) if isinstance(raw, str) else 0
    return max(indent * 2, spaces)


def _rows(
    rows: list[int],
    label: Callable[[int], object],
    indent: Callable[[int], int],
    values: Callable[[int], list[object]],
) -> list[_Row]:
    out = []
    for r in rows:
        raw = label(r)
        parsed = [parse_value(v) for v in values(r)]
        cells = tuple(
            v if v.kind in FIGURE_KINDS else None for v in parsed
        )  # text, markers: not figures
        total = parse_total(raw)
        text = clean(raw)
        out.append(
            _Row(
                r,
                _level(raw, indent(r)),
                text,
                cells,
                total_like=total is not None,
                grand_like=total is not None
                and not total.partial
                and (not total.group or text.startswith("all ")),
            )
        )
    return out


def _adds_up(total: _Row, members: list[_Row]) -> bool:
    """Every column where the total has a figure is the sum of its members' (ranges overlap)."""
    if not members:
        return False
    checked = 0
    for col, cell in enumerate(total.values):
        if cell is None:
            continue
        parts = [m.values[col] for m in members]
        lower = sum(p.lower for p in parts if p is not None)
        upper = sum(p.upper for p in parts if p is not None)
        if not (cell.lower <= upper and lower <= cell.upper):
            return False
        checked += 1
    return checked > 0


def _indented_under(rows: list[_Row], i: int) -> list[_Row]:
    """The rows indented beneath row i, until one at its level or shallower."""
    run = []
    for row in rows[i + 1 :]:
        if row.level <= rows[i].level:
            break
        run.append(row)
    return run


def _direct(run: list[_Row], subtotals: dict[int, Subtotal]) -> list[_Row]:
    """Of a run of rows, those a total sums directly: rows not inside a smaller subtotal."""
    inside = {m for s in subtotals.values() for m in _all_members(s, subtotals)}
    return [r for r in run if r.index not in inside and not r.heading]


def _all_members(subtotal: Subtotal, subtotals: dict[int, Subtotal]) -> set[int]:
    found = set(subtotal.members)
    for m in subtotal.members:
        if m in subtotals:
            found |= _all_members(subtotals[m], subtotals)
    return found


def find_subtotals(
    rows: list[int],
    label: Callable[[int], object],
    indent: Callable[[int], int],
    values: Callable[[int], list[object]],
) -> dict[int, Subtotal]:
    """The subtotal rows of one label column (row index -> what it sums), each confirmed by
    the figures; {} for a flat list. Rows are a table's body rows in order; ``label``,
    ``indent`` and ``values`` read a row's label, its cell indent and its value cells."""
    table = _rows(rows, label, indent, values)
    levels = {row.level for row in table}
    if len(levels) == 1 and not any(r.total_like for r in table[:-1]):
        # A flat list, perhaps closed by one total. One named for a group ("South West total"
        # after its forces) sums that group: confirmed by the figures, it is the group's.
        last = table[-1] if table else None
        if last is None or not last.total_like or last.grand_like:
            return {}
        members = [r for r in table[:-1] if not r.heading]
        if not _adds_up(last, members):
            return {}
        return {last.index: Subtotal(last.index, tuple(m.index for m in members), False)}
    found: dict[int, Subtotal] = {}
    # Deepest groups first, so that an outer total sums its groups' subtotals, not their rows.
    order = sorted(range(len(table)), key=lambda i: -table[i].level)
    for i in order:
        row = table[i]
        if row.heading or row.grand_like:
            continue
        under = _indented_under(table, i)
        if under:
            members = _direct(under, found)
            if _adds_up(row, members):
                found[row.index] = Subtotal(row.index, tuple(m.index for m in members), False)
                continue
        if row.total_like:
            members = _direct(_block_above(table, i, found), found)
            if _adds_up(row, members):
                found[row.index] = Subtotal(row.index, tuple(m.index for m in members), False)
    for row in table:
        if row.grand_like and not row.heading:
            top = [r for r in table if r.index != row.index and not r.grand_like]
            members = _direct(top, found)
            if _adds_up(row, members):
                found[row.index] = Subtotal(row.index, tuple(m.index for m in members), True)
    return found


def _block_above(table: list[_Row], i: int, found: dict[int, Subtotal]) -> list[_Row]:
    """The rows a "Total X" row closes: back to the previous heading or subtotal."""
    block = []
    for row in reversed(table[:i]):
        if row.heading or row.index in found or row.total_like:
            break
        block.append(row)
    return list(reversed(block))
