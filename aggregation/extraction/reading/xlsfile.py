"""Legacy xls (BIFF5/BIFF8): a walk over the cell records first, for what calamine hides or
would overspend on, then calamine for the values.

The walk finds each sheet's bounding box (calamine allocates it whole: a cell at IV65536 costs
half a gigabyte), the error cells calamine shows blank, and an encrypted workbook (FILEPASS).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from xlrd.compdoc import CompDoc, CompDocError

from ..grid import ExcelError, Workbook
from .calamine import open_workbook, read_sheet
from .cells import RowProgress
from .errors import UnreadableFile
from .limits import Limits

_BOF, _EOF, _FILEPASS, _BOUNDSHEET = 0x0809, 0x000A, 0x002F, 0x0085
_BOF_OLD = (0x0009, 0x0209, 0x0409)
_NUMBER, _RK, _LABELSST, _LABEL, _RSTRING = 0x0203, 0x027E, 0x00FD, 0x0204, 0x00D6
_MULRK, _BOOLERR, _FORMULA = 0x00BD, 0x0205, 0x0006
_SINGLE_VALUE = frozenset({_NUMBER, _RK, _LABELSST, _LABEL, _RSTRING})
ERROR_CODES = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}
_HEADER = struct.Struct("<HH")
_CELL = struct.Struct("<HH")


@dataclass(slots=True)
class SheetRecords:
    max_row: int = -1
    max_col: int = -1
    cells: int = 0
    markers: dict[tuple[int, int], ExcelError] = field(default_factory=dict)

    def add(self, row: int, col: int) -> None:
        self.cells += 1
        if row > self.max_row:
            self.max_row = row
        if col > self.max_col:
            self.max_col = col

    @property
    def n_cells_box(self) -> int:
        return (self.max_row + 1) * (self.max_col + 1)


def read_xls(data: bytes, limits: Limits, progress: RowProgress) -> Workbook:
    stream = _workbook_stream(data)
    offsets = _sheet_offsets(stream)
    scans = [_walk_sheet(stream, offset, limits) for offset in offsets]
    workbook = open_workbook(data)
    if len(workbook.sheets_metadata) != len(scans):
        raise UnreadableFile("corrupt", "The workbook's sheet list is inconsistent.")
    sheets = [
        read_sheet(workbook, index, scan.markers, progress) for index, scan in enumerate(scans)
    ]
    return Workbook("xls", sheets)


def _workbook_stream(data: bytes) -> bytes:
    try:
        document = CompDoc(data, logfile=io.StringIO())
        for name in ("Workbook", "Book"):
            stream, base, size = document.locate_named_stream(name)
            if stream is not None:
                return bytes(stream[base : base + size])
    except (CompDocError, IndexError, ValueError, struct.error) as exc:
        raise UnreadableFile("corrupt", "The xls file is damaged and cannot be read.") from exc
    raise UnreadableFile("corrupt", "The xls file holds no workbook.")


def _records(stream: bytes, pos: int) -> Iterator[tuple[int, int, int]]:
    """(record type, data start, data end) from ``pos`` on."""
    while pos + 4 <= len(stream):
        kind, length = _HEADER.unpack_from(stream, pos)
        start = pos + 4
        pos = start + length
        if pos > len(stream):
            raise UnreadableFile("truncated", "The xls file is cut off part-way through a record.")
        yield kind, start, pos


def _sheet_offsets(stream: bytes) -> list[int]:
    offsets = []
    for kind, start, end in _records(stream, 0):
        if kind == _FILEPASS:
            raise UnreadableFile(
                "encrypted",
                "The workbook is password-protected; ask the force for an unprotected copy.",
            )
        if kind == _BOUNDSHEET and end - start >= 4:
            offsets.append(struct.unpack_from("<I", stream, start)[0])
        elif kind == _EOF:
            break
    return offsets


def _walk_sheet(stream: bytes, offset: int, limits: Limits) -> SheetRecords:
    """Cells of one sheet substream; embedded charts nest their own BOF/EOF."""
    scan = SheetRecords()
    depth = 0
    for kind, start, end in _records(stream, offset):
        if kind == _BOF or kind in _BOF_OLD:
            depth += 1
        elif kind == _EOF:
            depth -= 1
            if depth <= 0:
                break
        elif depth == 1 and end - start >= 4:
            _cell_record(stream, kind, start, end, scan)
            if scan.cells > limits.max_cells or scan.n_cells_box > limits.max_cells:
                raise UnreadableFile(
                    "too_many_cells",
                    f"A sheet spans more than the {limits.max_cells:,} cells this service "
                    "reads; ask the force to trim it.",
                )
    return scan


def _cell_record(stream: bytes, kind: int, start: int, end: int, scan: SheetRecords) -> None:
    if kind in _SINGLE_VALUE:
        scan.add(*_CELL.unpack_from(stream, start))
    elif kind == _MULRK and end - start >= 6:
        row, first = _CELL.unpack_from(stream, start)
        scan.add(row, first)
        scan.add(row, struct.unpack_from("<H", stream, end - 2)[0])
    elif kind == _BOOLERR and end - start >= 8:
        row, col = _CELL.unpack_from(stream, start)
        scan.add(row, col)
        if stream[start + 7]:
            scan.markers[row, col] = _error(stream[start + 6])
    elif kind == _FORMULA and end - start >= 14:
        row, col = _CELL.unpack_from(stream, start)
        scan.add(row, col)
        result = stream[start + 6 : start + 14]
        # A formula result of type 2 flagged by 0xFFFF in its last two bytes is an error code.
        if result[6:8] == b"\xff\xff" and result[0] == 2:
            scan.markers[row, col] = _error(result[2])


def _error(code: int) -> ExcelError:
    return ExcelError(ERROR_CODES.get(code, "#ERROR"))
