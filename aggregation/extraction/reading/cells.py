"""Turning a reader's raw grid into the plain values of ``grid.Sheet``, cheaply."""

from __future__ import annotations

import os
import resource
from collections.abc import Callable, Iterable, Mapping
from operator import itemgetter

from ..grid import MergedRange
from .errors import UnreadableFile
from .limits import DEFAULT_LIMITS, MB, Limits

PROGRESS_EVERY = 10_000

Progress = Callable[[int], None]


def memory_in_use() -> int:
    """This process's resident memory in bytes (its peak where /proc is not there)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class RowProgress:
    """Reports rows read so far across all sheets, every ``PROGRESS_EVERY`` rows, and holds the
    read to ``Limits.max_memory_mb``: checked at the same moments, against the memory the process
    held when the read began."""

    def __init__(self, callback: Progress | None, limits: Limits = DEFAULT_LIMITS) -> None:
        self._callback = callback
        self._done = 0
        self._next = PROGRESS_EVERY
        self._ceiling = memory_in_use() + limits.max_memory_mb * MB
        self._limits = limits

    def advance(self, rows: int) -> None:
        self._done += rows
        if self._done >= self._next:
            self.check_memory()
            if self._callback is not None:
                self._callback(self._done)
            self._next = (self._done // PROGRESS_EVERY + 1) * PROGRESS_EVERY

    def advance_rows(self, rows: int) -> None:
        """Many rows at once, reported as if read ``PROGRESS_EVERY`` at a time."""
        for start in range(0, rows, PROGRESS_EVERY):
            self.advance(min(PROGRESS_EVERY, rows - start))

    def check_memory(self) -> None:
        if memory_in_use() > self._ceiling:
            raise UnreadableFile(
                "too_large",
                f"Reading the file needs more than the {self._limits.max_memory_mb:,} MB of "
                f"memory this service allows (after {self._done:,} rows); ask the force to split "
                "it, e.g. one file per year, or to send only the columns asked for.",
            )

    def finish(self) -> None:
        """The final count, once the whole file is read."""
        if self._callback is not None:
            self._callback(self._done)


def _plain(value: object) -> object:
    if value.__class__ is float and value.is_integer():  # type: ignore[attr-defined]
        return int(value)  # type: ignore[call-overload]
    return None if value == "" else value


def plain_rows(raw: list[list[object]]) -> list[list[object]]:
    """calamine's rows made the grid's values, in place: "" (its empty) becomes None, integral
    floats int. Returns ``raw``.

    Column by column, each distinct value is converted once and put back by a dict lookup per
    cell, so that equal values of a column become one object: a million rows of six offence
    names, two flags and a few thousand dates cost those objects per chunk, not a million. A
    column of distinct values needing no change (references) is left alone.
    """
    if not raw:
        return raw
    # calamine's rows are all one width.
    for col in range(len(raw[0])):
        distinct = set(map(itemgetter(col), raw))
        if (True in distinct or False in distinct) and bool in set(
            map(type, map(itemgetter(col), raw))
        ):
            # True == 1 == 1.0 as set members and dict keys: such a column cell by cell. A
            # column without a value equal to True or False has no boolean.
            for row in raw:
                row[col] = _plain(row[col])
            continue
        shared = _shared(distinct, len(raw))
        if shared is None:
            continue
        get = shared.__getitem__
        for row in raw:
            row[col] = get(row[col])
    return raw


def _shared(distinct: set[object], n_cells: int) -> dict[object, object] | None:
    """Each distinct value of a column to the one object every cell equal to it becomes; None
    when nothing needs changing and little would be shared."""
    types = set(map(type, distinct))
    if float not in types and "" not in distinct and len(distinct) > n_cells // 2:
        return None
    shared = dict(zip(distinct, distinct, strict=True))
    if float in types:
        for value in distinct:
            if value.__class__ is float and value.is_integer():  # type: ignore[attr-defined]
                shared[value] = int(value)  # type: ignore[call-overload]
    if "" in shared:
        shared[""] = None
    return shared


def place(rows: list[list[object]], values: Mapping[tuple[int, int], object]) -> None:
    """Put values at (row, col), growing the grid where needed."""
    for (row, col), value in values.items():
        while len(rows) <= row:
            rows.append([])
        cells = rows[row]
        if len(cells) <= col:
            cells.extend([None] * (col + 1 - len(cells)))
        cells[col] = value


def trim(rows: list[list[object]]) -> None:
    """In place: pad every row to one width, so that ``rows[r][c]`` is valid for every c below
    ``Sheet.n_cols``, and drop trailing empty rows and columns."""
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    if not rows:
        return
    # map(len) runs in C: on a grid already rectangular, this one pass is all the work done.
    widths = set(map(len, rows))
    width = max(widths)
    if len(widths) > 1:
        for cells in rows:
            cells.extend([None] * (width - len(cells)))
    while width and all(cells[-1] is None for cells in rows):
        for cells in rows:
            cells.pop()
        width -= 1


def clip_merges(
    ranges: Iterable[tuple[int, int, int, int]], rows: list[list[object]]
) -> list[MergedRange]:
    """Merged ranges cut to the grid: a merge may claim A1:XFD1048576, the grid never does."""
    n_rows = len(rows)
    n_cols = max(map(len, rows), default=0)
    merged = []
    for first_row, first_col, last_row, last_col in ranges:
        if first_row >= n_rows or first_col >= n_cols or last_row < first_row:
            continue
        if (last_row, last_col) == (first_row, first_col) or last_col < first_col:
            continue
        merged.append(
            MergedRange(first_row, first_col, min(last_row, n_rows - 1), min(last_col, n_cols - 1))
        )
    return merged
