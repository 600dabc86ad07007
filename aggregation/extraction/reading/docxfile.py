"""Word (.docx): its tables and text through python-docx, once the package has been vetted as
every ZIP container is (sizes, ratios, DTDs) and its document part found small enough to parse.

Merged cells are read as a spreadsheet writes them: the value in the first cell of the block and
a ``MergedRange`` over it, never the value copied into every cell it spans (python-docx's
``Table.rows[i].cells`` repeats it).
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.oxml.table import CT_Tbl, CT_Tc
from docx.oxml.text.paragraph import CT_P
from lxml import etree

from ..grid import Workbook
from .archive import inflate_all, open_zip, read_small_part
from .cells import RowProgress
from .document import Block, Table, cell_text, document_sheets
from .errors import UnreadableFile
from .limits import Limits

_DOCUMENT = "word/document.xml"
_CELL_TAGS = (b"<w:tc>", b"<w:tc ")


def read_docx(data: bytes, limits: Limits, progress: RowProgress) -> Workbook:
    archive = open_zip(data, limits)
    _refuse_macros(archive)
    size = _DocumentSize(limits)
    inflate_all(archive, limits, {_DOCUMENT: size.feed})
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, etree.LxmlError) as exc:
        raise UnreadableFile("corrupt", f"The Word document cannot be read ({exc}).") from exc
    body = document.element.body
    sheets = document_sheets(_blocks(body, progress))
    return Workbook("docx", sheets)


def _refuse_macros(archive: zipfile.ZipFile) -> None:
    types = (read_small_part(archive, "[Content_Types].xml") or b"").lower()
    names = [name.lower() for name in archive.namelist()]
    if b"macroenabled" in types or any(name.endswith("vbaproject.bin") for name in names):
        raise UnreadableFile(
            "macros",
            "The Word document contains macros, which are refused for safety; "
            "ask the force to save it as a plain .docx or send the figures as a spreadsheet.",
        )
    if _DOCUMENT not in archive.namelist():
        raise UnreadableFile("corrupt", "The Word document has no word/document.xml part.")


class _DocumentSize:
    """The document part is parsed whole (lxml): its size and its cells are bounded first."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.size = 0
        self.cells = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        seam = self._tail + chunk[:6]
        self.cells += sum(chunk.count(tag) + seam.count(tag) for tag in _CELL_TAGS)
        self._tail = chunk[-6:]
        if (
            self.size > self.limits.max_document_bytes
            or self.cells > self.limits.max_document_cells
        ):
            raise UnreadableFile(
                "too_large",
                "The Word document is too large to read here; ask the force for the figures "
                "as a spreadsheet.",
            )


def _blocks(body: etree._Element, progress: RowProgress) -> list[Block]:
    """Paragraph lines and tables in reading order (content controls opened)."""
    blocks: list[Block] = []
    count = 0
    for element in body.iterchildren():
        if isinstance(element, CT_P):
            blocks.extend(element.text.splitlines() or [""])
        elif isinstance(element, CT_Tbl):
            count += 1
            table = _table(element, f"Table {count}")
            progress.advance(len(table.rows))
            blocks.append(table)
        elif element.tag == qn("w:sdt"):
            content = element.find(qn("w:sdtContent"))
            if content is not None:
                blocks.extend(_blocks(content, progress))
    return blocks


def _table(tbl: CT_Tbl, name: str) -> Table:
    rows: list[list[object]] = []
    merged: list[tuple[int, int, int, int]] = []
    # Column -> [first row, first col, last row, last col] of a vertical merge still open.
    open_runs: dict[int, list[int]] = {}
    for r, tr in enumerate(tbl.tr_lst):
        row: list[object] = [None] * tr.grid_before
        continued = set()
        for tc in tr.tc_lst:
            col, span = len(row), max(tc.grid_span, 1)
            row.extend([None] * span)
            if tc.vMerge == "continue" and col in open_runs:
                open_runs[col][2] = r
                continued.add(col)
                continue
            _close(open_runs.pop(col, None), merged)
            row[col] = cell_text(_text(tc))
            if tc.vMerge == "restart":
                open_runs[col] = [r, col, r, col + span - 1]
                continued.add(col)
            elif span > 1:
                merged.append((r, col, r, col + span - 1))
        for col in [c for c in open_runs if c not in continued]:
            _close(open_runs.pop(col), merged)
        rows.append(row)
    for run in open_runs.values():
        _close(run, merged)
    return Table(name, rows, merged)


def _close(run: list[int] | None, merged: list[tuple[int, int, int, int]]) -> None:
    if run is not None and (run[2] > run[0] or run[3] > run[1]):
        merged.append((run[0], run[1], run[2], run[3]))


def _text(tc: CT_Tc) -> str:
    # A nested table's text is part of the cell's: paragraphs of every depth, in order.
    return "\n".join(p.text for p in tc.iter(qn("w:p")))
