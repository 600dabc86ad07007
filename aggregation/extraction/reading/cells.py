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
# Distinct values of one column kept as shared objects across chunks; past this the column is
# mostly unique (references, free text) and sharing saves nothing.
MAX_SHARED_VALUES = 10_000

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


class Normaliser:
    """calamine's rows into the grid's values: "" (its empty) becomes None, integral floats int.

    Column by column, each distinct value converted once and looked up per cell (C loops, no
    Python call per cell), so that equal values of a column are one object: a million rows of
    six offence names, two flags and a few thousand dates cost those objects, not a million.
    """

    def __init__(self) -> None:
        self._shared: list[dict[object, object]] = []

    def rows(self, raw: list[list[object]]) -> list[list[object]]:
        if not raw:
            return []
        width = len(raw[0])  # calamine's rows are all one width
        columns = [self._column(i, list(map(itemgetter(i), raw))) for i in range(width)]
        return list(map(list, zip(*columns, strict=True)))

    def _column(self, i: int, column: list[object]) -> list[object]:
        while len(self._shared) <= i:
            self._shared.append({})
        shared = self._shared[i]
        distinct = set(column)
        # True == 1 == 1.0 as dict keys: a column holding booleans is converted cell by cell,
        # and so is one of mostly distinct values (references), where sharing saves nothing.
        if len(distinct) > MAX_SHARED_VALUES or bool in set(map(type, distinct)):
            self._shared[i] = {}
            return [_plain(v) for v in column]
        for value in distinct.difference(shared):
            shared[value] = _plain(value)
        if len(shared) > MAX_SHARED_VALUES:
            self._shared[i] = {}
        return list(map(shared.__getitem__, column))


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
    # map(len) runs in C: on a calamine grid, already rectangular, this is all the work done.
    width = max(map(len, rows))
    if min(map(len, rows)) < width:
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
