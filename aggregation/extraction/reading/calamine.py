"""Values, merges and visibility through python-calamine, for the formats it reads (xlsx, xls),
once the caller has made sure no sheet can make it allocate an absurd grid."""

from __future__ import annotations

import io
from collections.abc import Mapping

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
    return read_chunks(workbook, [index], metadata.name, visibility, markers, progress)


def read_chunks(
    workbook: python_calamine.CalamineWorkbook,
    indices: list[int],
    name: str,
    visibility: Visibility,
    markers: Mapping[tuple[int, int], object],
    progress: RowProgress,
) -> Sheet:
    """One sheet from the workbook's sheets ``indices``, each holding some of its rows at their
    own positions; values normalised, calamine's blanks replaced by ``markers``."""
    rows: list[list[object]] = []
    ranges: list[tuple[int, int, int, int]] = []
    for index in indices:
        try:
            sheet = workbook.get_sheet_by_index(index)
            start = sheet.start
            raw: list[list[object]] = sheet.to_python() if start else []  # type: ignore[assignment]
            ranges += [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []]
        except BaseException as exc:
            reraise_if_interrupt(exc)
            if not (isinstance(exc, Exception) or is_panic(exc)):
                raise
            raise UnreadableFile("corrupt", f"Sheet {name!r} cannot be read ({exc}).") from exc
        del sheet  # calamine's copy of these rows goes before the next chunk is read
        chunk = plain_rows(raw)
        del raw
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
