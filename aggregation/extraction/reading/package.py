"""The vetted copy of an xlsx that calamine reads: only the parts it needs, stored uncompressed in
a temporary file as they inflate (each part inflated once, by us, under the caps), with a large
sheet cut at row boundaries into several sheets of at most ``CHUNK_BYTES`` of XML each.

calamine holds a whole sheet in memory (about 80 bytes a cell, twice over while it builds it):
read a chunk at a time, a million-row sheet costs one chunk's worth of calamine memory, not the
whole sheet's. Chunks keep their cells' own references, so every cell keeps its position.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import IO

from .errors import UnreadableFile

# Sheet XML per chunk: about 27,000 rows of a five-column record list. Two chunks are parsed at
# once (``calamine.ChunkedWorkbook``): together they hold what one chunk of twice the size did.
CHUNK_BYTES = 4 * 2**20
_SHEET_DATA = b"<sheetData>"
_ROW_END = b"</row>"
_ROOT = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?worksheet)\b[^>]*>")
_PREFIX_LIMIT = 4 * 2**20
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"


@dataclass
class _Entry:
    name: str
    stream: IO[bytes]


@dataclass
class SheetCopy:
    """One original sheet part, copied as one or more chunk sheets (their indices in the copy)."""

    package: VettedPackage
    chunk_bytes: int
    chunks: list[int] = field(default_factory=list)
    _head: bytes = b""  # bytes before <sheetData> is found
    _reopen: bytes = b""  # what opens a later chunk: the root's start tag and <sheetData>
    _close: bytes = b""  # what closes a chunk cut short
    _pending: bytes = b""
    _written: int = 0
    _splitting: bool | None = None  # None until the start of <sheetData> is seen

    def feed(self, chunk: bytes) -> None:
        if not self.chunks:
            self.chunks.append(self.package.open_sheet())
        if self._splitting is None:
            self._head += chunk
            start = self._head.find(_SHEET_DATA)
            root = _ROOT.search(self._head, 0, max(start, 0))
            if start >= 0 and root is not None:
                self._splitting = True
                self._reopen = root.group(0) + _SHEET_DATA
                self._close = b"</sheetData></" + root.group(1) + b">"
            elif len(self._head) > _PREFIX_LIMIT or b"<sheetData/>" in self._head:
                self._splitting = False  # an unusual or empty sheet: copied whole
            else:
                return
            chunk, self._head = self._head, b""
        if not self._splitting:
            self.package.write(chunk)
            return
        self._pending += chunk
        # A piece fed may hold several chunks' worth: cut as often as it allows.
        while self._written + len(self._pending) >= self.chunk_bytes:
            room = max(self.chunk_bytes - self._written, 0)
            cut = self._pending.rfind(_ROW_END, 0, room) if room else -1
            if cut < 0:
                cut = self._pending.find(_ROW_END)  # a row longer than the room left
            if cut < 0:
                break
            cut += len(_ROW_END)
            self.package.write(self._pending[:cut] + self._close)
            self._pending = self._pending[cut:]
            self.chunks.append(self.package.open_sheet())
            self._written = 0
            self._write(self._reopen)
        self._write(self._pending)
        self._pending = b""

    def _write(self, data: bytes) -> None:
        self.package.write(data)
        self._written += len(data)

    def finish(self) -> None:
        if not self.chunks:
            self.chunks.append(self.package.open_sheet())
        self.package.write(self._head + self._pending)
        self._head = self._pending = b""
        self.package.close_entry()


class VettedPackage:
    """A STORED zip written part by part into a temporary file, then handed to calamine by path."""

    def __init__(self) -> None:
        self.file = tempfile.NamedTemporaryFile(prefix="foitrack-", suffix=".xlsx")  # noqa: SIM115
        self.zip = zipfile.ZipFile(self.file, "w", zipfile.ZIP_STORED, allowZip64=True)
        self.n_sheets = 0
        self.strings = False
        self.styles = False
        self._entry: _Entry | None = None

    def open_sheet(self) -> int:
        self.n_sheets += 1
        self._open(f"xl/worksheets/sheet{self.n_sheets}.xml")
        return self.n_sheets - 1

    def copy_part(self, name: str) -> PartCopy:
        """A copy of shared strings ("xl/sharedStrings.xml") or styles ("xl/styles.xml")."""
        if name == "xl/sharedStrings.xml":
            self.strings = True
        else:
            self.styles = True
        return PartCopy(self, name)

    def _open(self, name: str) -> None:
        self.close_entry()
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_STORED
        self._entry = _Entry(name, self.zip.open(info, "w", force_zip64=True))

    def write(self, data: bytes) -> None:
        if self._entry is None:
            raise UnreadableFile("corrupt", "The workbook's parts are interleaved.")
        self._entry.stream.write(data)

    def close_entry(self) -> None:
        if self._entry is not None:
            self._entry.stream.close()
            self._entry = None

    def finish(self, *, date1904: bool) -> str:
        """Write the workbook parts and close the archive; returns its path."""
        self.close_entry()
        sheets = "".join(
            f'<sheet name="s{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, self.n_sheets + 1)
        )
        properties = '<workbookPr date1904="1"/>' if date1904 else ""
        self.zip.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN_NS}" '
            f'xmlns:r="{_REL_NS}">{properties}<sheets>{sheets}</sheets></workbook>',
        )
        rels = [
            (f"rId{i}", "worksheet", f"worksheets/sheet{i}.xml")
            for i in range(1, self.n_sheets + 1)
        ]
        overrides = [("/xl/workbook.xml", _MAIN_TYPE)] + [
            (f"/xl/worksheets/sheet{i}.xml", _SHEET_TYPE) for i in range(1, self.n_sheets + 1)
        ]
        if self.strings:
            rels.append(("rIdS", "sharedStrings", "sharedStrings.xml"))
            overrides.append(("/xl/sharedStrings.xml", _STRINGS_TYPE))
        if self.styles:
            rels.append(("rIdT", "styles", "styles.xml"))
            overrides.append(("/xl/styles.xml", _STYLES_TYPE))
        self.zip.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL_NS}">'
            + "".join(
                f'<Relationship Id="{i}" Type="{_REL_NS}/{kind}" Target="{target}"/>'
                for i, kind, target in rels
            )
            + "</Relationships>",
        )
        self.zip.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        self.zip.writestr(
            "[Content_Types].xml",
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{_TYPES_NS}">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(
                f'<Override PartName="{p}" ContentType="{t}"/>'  # our own names: nothing to escape
                for p, t in overrides
            )
            + "</Types>",
        )
        self.zip.close()
        self.file.flush()
        return self.file.name

    def close(self) -> None:
        """Remove the temporary file (also when reading failed half-way)."""
        try:
            self.close_entry()
            self.zip.close()
        except (OSError, ValueError):
            pass
        self.file.close()


@dataclass
class PartCopy:
    package: VettedPackage
    name: str
    _open: bool = False

    def feed(self, chunk: bytes) -> None:
        if not self._open:
            self.package._open(self.name)
            self._open = True
        self.package.write(chunk)

    def finish(self) -> None:
        if not self._open:
            self.package._open(self.name)
        self.package.close_entry()
