"""xlsx: vetted part by part (sizes, DTDs, macros, cell boxes) before calamine reads the values."""

from __future__ import annotations

import posixpath
import re
import zipfile
from xml.etree.ElementTree import Element

import python_calamine
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from ..grid import Sheet, Workbook
from .archive import CHUNK, inflate_all, open_zip, read_small_part
from .calamine import open_workbook, read_sheet
from .cells import RowProgress
from .errors import UnreadableFile
from .limits import Limits
from .sheetxml import ExactSheetScan, FastSheetScan

_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*["']\s*([0-9]+)""")


def read_xlsx(data: bytes, limits: Limits, progress: RowProgress) -> Workbook:
    archive = open_zip(data, limits)
    _refuse_macros(archive)
    targets = _relationship_targets(archive)
    parts = _sheet_parts(archive, targets)
    # Every worksheet part is vetted, referenced or not: should calamine resolve a sheet's target
    # differently from us, it still finds only vetted parts.
    sheet_parts = {part for part, _ in parts if part} | {
        name
        for name in archive.namelist()
        if name.startswith("xl/worksheets/") and name.endswith(".xml")
    }
    indent_styles = _indent_styles(archive, targets)
    scans = {part: FastSheetScan(indent_styles) for part in sheet_parts}
    # Checked wherever calamine might look: the part the relationships name, and the usual path.
    strings = {
        part: SharedStringsCount()
        for part in (_shared_strings_part(targets), "xl/sharedStrings.xml")
        if part in archive.namelist()
    }
    if strings.keys() & scans.keys():
        raise UnreadableFile("corrupt", "The workbook's shared strings and a sheet share a part.")
    consumers = {part: scan.feed for part, scan in scans.items()}
    consumers.update((part, count.feed) for part, count in strings.items())
    inflate_all(archive, limits, consumers)
    for count in strings.values():
        count.check()
    boxes = {part: _settle(archive, part, scan, limits) for part, scan in scans.items()}

    workbook = open_workbook(data)
    # calamine lists sheets in workbook.xml order, as ``parts`` does: a sheet whose cells were not
    # vetted must never reach calamine, so any disagreement is a refusal.
    if [m.name for m in workbook.sheets_metadata] != [name for _, name in parts]:
        raise UnreadableFile("corrupt", "The workbook's sheet list is inconsistent.")
    sheets: list[Sheet] = []
    notes: list[str] = []
    for index, (metadata, (part, _)) in enumerate(
        zip(workbook.sheets_metadata, parts, strict=True)
    ):
        if metadata.typ == python_calamine.SheetTypeEnum.MacroSheet:
            raise _macros()
        if metadata.typ != python_calamine.SheetTypeEnum.WorkSheet:
            notes.append(f"Sheet {metadata.name!r} is a chart or dialog sheet, without cells.")
            continue
        if not part:
            raise UnreadableFile("corrupt", f"Sheet {metadata.name!r} has no part in the archive.")
        sheet = read_sheet(workbook, index, boxes[part].markers, progress)
        sheet.indents = _filled(sheet, boxes[part].indents)
        sheets.append(sheet)
    return Workbook("xlsx", sheets, notes)


def _macros() -> UnreadableFile:
    return UnreadableFile(
        "macros",
        "The workbook contains macros, which are refused for safety; "
        "ask the force to save it as a plain .xlsx or .csv.",
    )


def _refuse_macros(archive: zipfile.ZipFile) -> None:
    for name in archive.namelist():
        lowered = name.lower()
        if lowered.endswith("vbaproject.bin") or lowered.startswith("xl/macrosheets/"):
            raise _macros()
    types = read_small_part(archive, "[Content_Types].xml") or b""
    # xlsm and xltm declare a macro-enabled main part even when the macros live elsewhere.
    if b"macroenabled" in types.lower():
        raise _macros()


def _parse_small_xml(archive: zipfile.ZipFile, name: str) -> Element | None:
    data = read_small_part(archive, name)
    if data is None:
        return None
    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise UnreadableFile(
            "xml_entities", f"Part {name} declares XML entities (a known attack); refused."
        ) from exc
    except ParseError as exc:
        raise UnreadableFile("corrupt", f"Part {name} is not valid XML ({exc}).") from exc


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _relationship_targets(archive: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """Relationship id -> (part, relationship type) for the workbook's internal parts."""
    root = _parse_small_xml(archive, _WORKBOOK_RELS)
    targets = {}
    for rel in root.iter() if root is not None else ():
        if _local(rel.tag) == "Relationship" and rel.get("TargetMode") != "External":
            target = rel.get("Target", "")
            path = target[1:] if target.startswith("/") else posixpath.join("xl", target)
            targets[rel.get("Id", "")] = (posixpath.normpath(path), rel.get("Type", ""))
    return targets


def _sheet_parts(
    archive: zipfile.ZipFile, targets: dict[str, tuple[str, str]]
) -> list[tuple[str, str]]:
    """(part, sheet name) in workbook order; the part is "" when the archive lacks it."""
    root = _parse_small_xml(archive, _WORKBOOK)
    if root is None:
        raise UnreadableFile("corrupt", "The workbook has no xl/workbook.xml part.")
    names = set(archive.namelist())
    parts = []
    for sheet in root.iter():
        if _local(sheet.tag) != "sheet":
            continue
        rel_id = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), "")
        part = targets.get(rel_id, ("", ""))[0]
        parts.append((part if part in names else "", sheet.get("name", "")))
    return parts


def _shared_strings_part(targets: dict[str, tuple[str, str]]) -> str:
    """The part calamine reads shared strings from: found by relationship type, not name."""
    return next(
        (path for path, kind in targets.values() if kind.endswith("/sharedStrings")),
        "xl/sharedStrings.xml",
    )


def _indent_styles(archive: zipfile.ZipFile, targets: dict[str, tuple[str, str]]) -> dict[int, int]:
    """Index in styles.xml ``cellXfs`` -> indent level, for the cell formats that indent."""
    part = next(
        (path for path, kind in targets.values() if kind.endswith("/styles")), "xl/styles.xml"
    )
    root = _parse_small_xml(archive, part)
    if root is None:
        return {}
    cell_formats = next((e for e in root.iter() if _local(e.tag) == "cellXfs"), None)
    if cell_formats is None:
        return {}
    levels = {}
    for index, xf in enumerate(e for e in cell_formats if _local(e.tag) == "xf"):
        for alignment in xf:
            indent = alignment.get("indent", "") if _local(alignment.tag) == "alignment" else ""
            if indent.isdigit() and int(indent) > 0:
                levels[index] = int(indent)
    return levels


def _filled(sheet: Sheet, indents: dict[tuple[int, int], int]) -> dict[tuple[int, int], int]:
    """The indents of cells that hold something: a styled empty cell indents nothing."""
    return {at: level for at, level in indents.items() if sheet.value(*at) is not None}


class SharedStringsCount:
    """calamine reserves memory for the ``uniqueCount`` the shared strings part declares (4e9
    aborts the process): the declaration must not exceed the strings actually there."""

    def __init__(self) -> None:
        self.declared: int | None = None
        self.found = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        if self.declared is None:
            found = _UNIQUE_COUNT.search(chunk, 0, 4096)
            self.declared = int(found.group(1)) if found else 0
        # Occurrences straddling the previous chunk lie wholly in its last 2 bytes + our first 2.
        seam = self._tail + chunk[:2]
        for tag in (b"<si", b":si"):
            self.found += chunk.count(tag) + seam.count(tag)
        self._tail = chunk[-2:]

    def check(self) -> None:
        if self.declared and self.declared > self.found + 1:
            raise UnreadableFile(
                "corrupt",
                f"The shared strings table claims {self.declared:,} strings but holds "
                f"{self.found:,}; the file is damaged or crafted.",
            )


def _settle(
    archive: zipfile.ZipFile, part: str, fast: FastSheetScan, limits: Limits
) -> FastSheetScan | ExactSheetScan:
    """The scan to trust for a part: the fast one when it applies, else an exact parse."""
    fast.finish()
    if fast.usual and fast.n_cells_box <= limits.max_cells:
        return fast
    exact = ExactSheetScan(fast.indent_styles)
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK):
            exact.feed(chunk)
    exact.finish()
    if exact.n_cells_box > limits.max_cells:
        raise UnreadableFile(
            "too_many_cells",
            f"A sheet spans {exact.max_row + 1:,} rows by {exact.max_col + 1:,} columns, more "
            f"than the {limits.max_cells:,} cells this service reads; ask the force to trim it.",
        )
    return exact
