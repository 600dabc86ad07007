"""Values, merges and visibility through python-calamine, for the formats it reads (xlsx, xls),
once the caller has made sure no sheet can make it allocate an absurd grid."""

from __future__ import annotations

import io
from collections.abc import Mapping

import python_calamine

from ..grid import FormulaWithoutValue, Sheet, Visibility
from ..interrupts import reraise_if_interrupt
from .cells import RowProgress, clip_merges, normalise_calamine, place, trim
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


def open_workbook(data: bytes) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.load_workbook(io.BytesIO(data))
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
    try:
        sheet = workbook.get_sheet_by_index(index)
        # skip_empty_area=False keeps positions from A1, so cell references stay true.
        rows: list[list[object]] = sheet.to_python(skip_empty_area=False)  # type: ignore[assignment]
        ranges = sheet.merged_cell_ranges or []
    except BaseException as exc:
        reraise_if_interrupt(exc)
        if not (isinstance(exc, Exception) or is_panic(exc)):
            raise
        raise UnreadableFile("corrupt", f"Sheet {metadata.name!r} cannot be read ({exc}).") from exc
    del sheet
    normalise_calamine(rows, progress)
    place(rows, markers)
    formulas = [at for at, marker in markers.items() if isinstance(marker, FormulaWithoutValue)]
    if formulas:
        place(rows, compute_formulas(rows, formulas))
    trim(rows)
    merged = clip_merges(((r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges), rows)
    return Sheet(metadata.name, rows, merged, _VISIBILITY[_member_name(metadata.visible)])


def _member_name(member: object) -> str:
    return str(member).rpartition(".")[2]
