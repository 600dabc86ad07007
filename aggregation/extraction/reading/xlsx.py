"""xlsx: vetted part by part (sizes, DTDs, macros, cell boxes) as it inflates, once, into a copy
that calamine reads (``package``): calamine never sees a byte of the original file."""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from ..grid import Sheet, Visibility, Workbook
from .archive import CHUNK, ChunkConsumer, inflate_all, open_zip, read_small_part
from .calamine import ChunkedWorkbook
from .cells import RowProgress
from .errors import UnreadableFile
from .limits import Limits
from .package import CHUNK_BYTES, SheetCopy, VettedPackage
from .sheetxml import ExactSheetScan, FastSheetScan

_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_UNIQUE_COUNT = re.compile(rb"""uniqueCount\s*=\s*["']\s*([0-9]+)""")


@dataclass(frozen=True, slots=True)
class _SheetEntry:
    name: str
    part: str  # "" when the archive lacks it
    kind: str  # the relationship type's last word: "worksheet", "chartsheet", ...
    visibility: Visibility


def read_xlsx(data: bytes, limits: Limits, progress: RowProgress) -> Workbook:
    archive = open_zip(data, limits)
    _refuse_macros(archive)
    targets = _relationship_targets(archive)
    entries, date1904 = _workbook_sheets(archive, targets)
    package = VettedPackage()
    try:
        copies, scans = _copy_parts(archive, targets, entries, package, limits)
        path = package.finish(date1904=date1904)
        sheets: list[Sheet] = []
        notes: list[str] = []
        with ChunkedWorkbook(path) as workbook:
            for entry in entries:
                if entry.kind in ("chartsheet", "dialogsheet"):
                    notes.append(f"Sheet {entry.name!r} is a chart or dialog sheet, without cells.")
                    continue
                if not entry.part:
                    raise UnreadableFile(
                        "corrupt", f"Sheet {entry.name!r} has no part in the archive."
                    )
                scan = scans[entry.part]
                sheet = workbook.sheet(
                    copies[entry.part].chunks, entry.name, entry.visibility, scan.markers, progress
                )
                sheet.indents = _filled(sheet, scan.indents)
                sheets.append(sheet)
        return Workbook("xlsx", sheets, notes)
    finally:
        package.close()


def _copy_parts(
    archive: zipfile.ZipFile,
    targets: dict[str, tuple[str, str]],
    entries: list[_SheetEntry],
    package: VettedPackage,
    limits: Limits,
) -> tuple[dict[str, SheetCopy], dict[str, FastSheetScan | ExactSheetScan]]:
    """Inflate every part once, under the caps; vet the sheets read and copy them, with the shared
    strings and styles, into ``package``. Returns each sheet part's copy and scan."""
    indent_styles = _indent_styles(archive, targets)
    names = set(archive.namelist())
    sheet_parts = {e.part for e in entries if e.part and e.kind == "worksheet"}
    copies = {part: SheetCopy(package, CHUNK_BYTES) for part in sheet_parts}
    fast = {part: FastSheetScan(indent_styles) for part in sheet_parts}
    consumers: dict[str, ChunkConsumer] = {
        part: _both(fast[part].feed, copies[part].feed) for part in sheet_parts
    }
    on_end: dict[str, Callable[[], None]] = {part: copies[part].finish for part in sheet_parts}
    strings_part = _shared_strings_part(targets)
    count = SharedStringsCount()
    if strings_part in names:
        if strings_part in sheet_parts:
            raise UnreadableFile(
                "corrupt", "The workbook's shared strings and a sheet share a part."
            )
        strings = package.copy_part("xl/sharedStrings.xml")
        consumers[strings_part] = _both(count.feed, strings.feed)
        on_end[strings_part] = strings.finish
    styles_part = _styles_part(targets)
    if styles_part in names and styles_part not in consumers:
        styles = package.copy_part("xl/styles.xml")
        consumers[styles_part] = styles.feed
        on_end[styles_part] = styles.finish
    inflate_all(archive, limits, consumers, on_end)
    count.check()
    scans: dict[str, FastSheetScan | ExactSheetScan] = {}
    for part in sheet_parts:
        scans[part] = _settle(archive, part, fast[part], limits)
        if scans[part] is not fast[part]:
            # Written unusually: copied again, whole, so that calamine places its cells as a
            # single sheet (the chunks already copied are never read).
            whole = SheetCopy(package, chunk_bytes=2**62)
            with archive.open(part) as stream:
                while chunk := stream.read(CHUNK):
                    whole.feed(chunk)
            whole.finish()
            copies[part] = whole
    return copies, scans


def _both(first: ChunkConsumer, second: ChunkConsumer) -> ChunkConsumer:
    def feed(chunk: bytes) -> None:
        first(chunk)
        second(chunk)

    return feed


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


_STATES = {"hidden": Visibility.HIDDEN, "veryHidden": Visibility.VERY_HIDDEN}
_MACRO_SHEETS = ("macrosheet", "xlmacrosheet", "xlintlmacrosheet")


def _workbook_sheets(
    archive: zipfile.ZipFile, targets: dict[str, tuple[str, str]]
) -> tuple[list[_SheetEntry], bool]:
    """The sheets in workbook order, and whether the workbook counts dates from 1904."""
    root = _parse_small_xml(archive, _WORKBOOK)
    if root is None:
        raise UnreadableFile("corrupt", "The workbook has no xl/workbook.xml part.")
    names = set(archive.namelist())
    entries = []
    date1904 = False
    for element in root.iter():
        local = _local(element.tag)
        if local == "workbookPr":
            date1904 = element.get("date1904", "").lower() in ("1", "true")
        if local != "sheet":
            continue
        rel_id = next((v for k, v in element.attrib.items() if _local(k) == "id"), "")
        part, rel_type = targets.get(rel_id, ("", ""))
        kind = rel_type.rpartition("/")[2].lower() or "worksheet"
        if kind in _MACRO_SHEETS:
            raise _macros()
        visibility = _STATES.get(element.get("state", ""), Visibility.VISIBLE)
        entries.append(
            _SheetEntry(element.get("name", ""), part if part in names else "", kind, visibility)
        )
    return entries, date1904


def _styles_part(targets: dict[str, tuple[str, str]]) -> str:
    return next(
        (path for path, kind in targets.values() if kind.endswith("/styles")), "xl/styles.xml"
    )


def _shared_strings_part(targets: dict[str, tuple[str, str]]) -> str:
    """The part calamine reads shared strings from: found by relationship type, not name."""
    return next(
        (path for path, kind in targets.values() if kind.endswith("/sharedStrings")),
        "xl/sharedStrings.xml",
    )


def _indent_styles(archive: zipfile.ZipFile, targets: dict[str, tuple[str, str]]) -> dict[int, int]:
    """Index in styles.xml ``cellXfs`` -> indent level, for the cell formats that indent."""
    root = _parse_small_xml(archive, _styles_part(targets))
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
