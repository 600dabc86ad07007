"""Turning a reader's raw grid into the plain values of ``grid.Sheet``, cheaply."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..grid import MergedRange

PROGRESS_EVERY = 10_000

Progress = Callable[[int], None]


class RowProgress:
    """Reports rows read so far across all sheets, every ``PROGRESS_EVERY`` rows."""

    def __init__(self, callback: Progress | None) -> None:
        self._callback = callback
        self._done = 0
        self._next = PROGRESS_EVERY

    def advance(self, rows: int) -> None:
        self._done += rows
        if self._callback is not None and self._done >= self._next:
            self._callback(self._done)
            self._next = (self._done // PROGRESS_EVERY + 1) * PROGRESS_EVERY

    def finish(self) -> None:
        """The final count, once the whole file is read."""
        if self._callback is not None:
            self._callback(self._done)


def normalise_calamine(rows: list[list[object]], progress: RowProgress) -> None:
    """In place: "" (calamine's empty) becomes None, integral floats become int."""
    n_rows = len(rows)
    for start in range(0, n_rows, PROGRESS_EVERY):
        stop = min(start + PROGRESS_EVERY, n_rows)
        for i in range(start, stop):
            # One comprehension per row, no function call per cell: this loop is most of the
            # reader's cost over calamine on a large sheet.
            rows[i] = [
                None if v == "" else (int(v) if v.__class__ is float and v.is_integer() else v)  # type: ignore[attr-defined]
                for v in rows[i]
            ]
        progress.advance(stop - start)


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
