"""Values, merges and visibility through python-calamine, for the formats it reads (xlsx, xls),
once the caller has made sure no sheet can make it allocate an absurd grid."""

from __future__ import annotations

import io
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from itertools import islice

import python_calamine

from ..grid import FormulaWithoutValue, Sheet, Visibility
from ..interrupts import reraise_if_interrupt
from .cells import RowProgress, clip_merges, place, plain_rows, trim
from .errors import UnreadableFile
from .formulas import compute_formulas

# calamine's enum members are not hashable: map them by name.
_VISIBILITY = {
    "Visible": Visibility.VISIBLE,
    "Hidden": Visibility.HIDDEN,
    "VeryHidden": Visibility.VERY_HIDDEN,
}


def is_panic(exc: BaseException) -> bool:
    """A Rust panic inside calamine surfaces as pyo3's PanicException, a BaseException."""
    return type(exc).__name__ == "PanicException"


def open_workbook(source: bytes | str) -> python_calamine.CalamineWorkbook:
    """The workbook from bytes, or from the path of a vetted copy (read part by part)."""
    try:
        return python_calamine.load_workbook(
            io.BytesIO(source) if isinstance(source, bytes) else source
        )
    except python_calamine.PasswordError as exc:
        raise UnreadableFile(
            "encrypted",
            "The workbook is password-protected; ask the force for an unprotected copy.",
        ) from exc
    except BaseException as exc:  # calamine's own errors, builtin ones, and panics
        reraise_if_interrupt(exc)
        if not (isinstance(exc, Exception) or is_panic(exc)):
            raise
        raise UnreadableFile("corrupt", f"The workbook cannot be read ({exc}).") from exc


def read_sheet(
    workbook: python_calamine.CalamineWorkbook,
    index: int,
    markers: Mapping[tuple[int, int], object],
    progress: RowProgress,
) -> Sheet:
    """One sheet, values normalised, calamine's blanks replaced by ``markers``."""
    metadata = workbook.sheets_metadata[index]
    visibility = _VISIBILITY[_member_name(metadata.visible)]
    return _sheet(
        _parsed_in_turn(workbook, [index], metadata.name),
        metadata.name,
        visibility,
        markers,
        progress,
    )


class ChunkedWorkbook:
    """The vetted copy of an xlsx (``package``), whose large sheets are cut into chunk sheets.

    calamine parses with the GIL released: a sheet of several chunks is parsed ``PARSERS``
    chunks at a time on their own threads (each with its own handle on the copy), while this
    thread turns the chunks already parsed into plain rows. At most ``PARSERS`` chunks are in
    calamine's hands at once, so memory stays that of ``PARSERS`` chunks, whatever the rows.
    Use as a context manager: leaving it waits for any parse still running.
    """

    PARSERS = 2

    def __init__(self, path: str) -> None:
        self.path = path
        self.workbook = open_workbook(path)
        self._pool: ThreadPoolExecutor | None = None
        self._local = threading.local()

    def __enter__(self) -> ChunkedWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def sheet(
        self,
        indices: list[int],
        name: str,
        visibility: Visibility,
        markers: Mapping[tuple[int, int], object],
        progress: RowProgress,
    ) -> Sheet:
        """One original sheet from its chunk sheets ``indices``, each holding some of its rows
        at their own positions; values normalised, calamine's blanks replaced by ``markers``."""
        if len(indices) == 1:
            chunks = _parsed_in_turn(self.workbook, indices, name)
        else:
            chunks = self._parsed_ahead(indices, name)
        return _sheet(chunks, name, visibility, markers, progress)

    def _parsed_ahead(self, indices: list[int], name: str) -> Iterator[_Chunk]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.PARSERS, thread_name_prefix="calamine")
        pool = self._pool
        following = iter(indices)
        pending = deque(pool.submit(self._parse, i, name) for i in islice(following, self.PARSERS))
        try:
            while pending:
                yield pending.popleft().result()  # held by no name here: freed once laid
                # Only once this chunk is consumed: PARSERS chunks in flight, never more.
                if (index := next(following, None)) is not None:
                    pending.append(pool.submit(self._parse, index, name))
        finally:
            for future in pending:
                future.cancel()

    def _parse(self, index: int, name: str) -> _Chunk:
        workbook = getattr(self._local, "workbook", None)
        if workbook is None:  # one handle per thread: a calamine workbook is not shared
            workbook = self._local.workbook = open_workbook(self.path)
        return _parse(workbook, index, name)


# A parsed chunk: its first cell, its rows as calamine gives them, its merged ranges.
_Chunk = tuple[tuple[int, int] | None, list[list[object]], list[tuple[int, int, int, int]]]


def _parsed_in_turn(
    workbook: python_calamine.CalamineWorkbook, indices: list[int], name: str
) -> Iterator[_Chunk]:
    for index in indices:
        yield _parse(workbook, index, name)


def _parse(workbook: python_calamine.CalamineWorkbook, index: int, name: str) -> _Chunk:
    try:
        sheet = workbook.get_sheet_by_index(index)
        start = sheet.start
        raw: list[list[object]] = sheet.to_python() if start else []  # type: ignore[assignment]
        ranges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []]
    except BaseException as exc:
        reraise_if_interrupt(exc)
        if not (isinstance(exc, Exception) or is_panic(exc)):
            raise
        raise UnreadableFile("corrupt", f"Sheet {name!r} cannot be read ({exc}).") from exc
    return start, raw, ranges


def _sheet(
    chunks: Iterator[_Chunk],
    name: str,
    visibility: Visibility,
    markers: Mapping[tuple[int, int], object],
    progress: RowProgress,
) -> Sheet:
    rows: list[list[object]] = []
    ranges: list[tuple[int, int, int, int]] = []
    for start, raw, merged in chunks:
        ranges += merged
        chunk = plain_rows(raw)
        progress.advance_rows(len(chunk))
        if start:
            _lay(rows, chunk, start)
    place(rows, markers)
    formulas = [at for at, marker in markers.items() if isinstance(marker, FormulaWithoutValue)]
    if formulas:
        place(rows, compute_formulas(rows, formulas))
    trim(rows)
    return Sheet(name, rows, clip_merges(ranges, rows), visibility)


def _lay(rows: list[list[object]], chunk: list[list[object]], start: tuple[int, int]) -> None:
    """Put ``chunk``, whose first cell is at ``start``, into ``rows``."""
    first_row, first_col = start
    if first_col:
        chunk = [[None] * first_col + row for row in chunk]
    if first_row >= len(rows):
        rows.extend([] for _ in range(first_row - len(rows)))
        rows.extend(chunk)
        return
    # Rows written out of order across chunks: cell by cell, as ``place`` does.
    place(
        rows,
        {
            (first_row + r, c): value
            for r, row in enumerate(chunk)
            for c, value in enumerate(row)
            if value is not None
        },
    )


def _member_name(member: object) -> str:
    return str(member).rpartition(".")[2]
