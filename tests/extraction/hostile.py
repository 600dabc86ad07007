"""Builders that render workbooks, good and hostile, at test time: no binary fixture is committed.

Each builder returns the file's bytes. The xlsx and ods builders write the XML by hand so that a
test controls every byte a hostile file could play with; ``openpyxl_workbook`` covers files as a
real writer makes them.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable

import openpyxl

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
MAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_MAIN_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"


# -- xlsx ----------------------------------------------------------------------------------


def sheet_xml(rows: str, before: str = "", after: str = "", prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        f'<worksheet xmlns="{MAIN_NS}">{before}<sheetData>{rows}</sheetData>{after}</worksheet>'
    )


def xlsx(
    sheets: Iterable[tuple[str, str] | tuple[str, str, str]],
    *,
    main_type: str = MAIN_TYPE,
    shared_strings: str | None = None,
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """A minimal xlsx package: (name, sheet XML[, state]) per sheet."""
    sheets = list(sheets)
    overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{main_type}"/>']
    workbook_sheets, rels, parts = [], [], {}
    for i, sheet in enumerate(sheets, start=1):
        name, xml = sheet[0], sheet[1]
        state = f' state="{sheet[2]}"' if len(sheet) == 3 else ""
        overrides.append(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
        )
        workbook_sheets.append(f'<sheet name="{name}" sheetId="{i}"{state} r:id="rId{i}"/>')
        rels.append(
            f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
        )
        parts[f"xl/worksheets/sheet{i}.xml"] = xml.encode()
    if shared_strings is not None:
        rels.append(
            f'<Relationship Id="rIdS" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
        )
        parts["xl/sharedStrings.xml"] = shared_strings.encode()
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>"
    )
    package = {
        "[Content_Types].xml": content_types.encode(),
        "_rels/.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            f"<sheets>{''.join(workbook_sheets)}</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{PKG_REL_NS}">{"".join(rels)}'
            "</Relationships>"
        ).encode(),
        **parts,
        **(extra or {}),
    }
    return zip_bytes(package)


def zip_bytes(parts: dict[str, bytes], *, stored: Iterable[str] = ()) -> bytes:
    buffer = io.BytesIO()
    stored = set(stored)
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            method = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)
    return buffer.getvalue()


def openpyxl_workbook(build: Callable[[openpyxl.Workbook], None]) -> bytes:
    """A workbook as openpyxl writes it, shaped by ``build``."""
    workbook = openpyxl.Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def cells_row(row: int, cells: str) -> str:
    return f'<row r="{row}">{cells}</row>'


# -- hostile ZIPs ------------------------------------------------------------------------------


def honest_zip_bomb(part: str = "xl/worksheets/sheet1.xml", size: int = 300 * 2**20) -> bytes:
    """A valid xlsx whose sheet part inflates to ``size`` bytes of zeros (and says so)."""
    base = xlsx([("S", sheet_xml(""))])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            if info.filename == part:
                entry = zipfile.ZipInfo(part)
                entry.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(entry, "w", force_zip64=True) as stream:
                    zeros = b"\0" * 2**20
                    for _ in range(size // 2**20):
                        stream.write(zeros)
            else:
                archive.writestr(info.filename, source.read(info.filename))
    return buffer.getvalue()


def lying_zip_bomb(size: int = 300 * 2**20, claimed: int = 1000) -> bytes:
    """An xlsx whose sheet part claims ``claimed`` bytes but inflates to ``size``."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    zeros = b"<" * 2**20
    compressed = b"".join(compressor.compress(zeros) for _ in range(size // 2**20))
    compressed += compressor.flush()
    parts = unzip(xlsx([("S", sheet_xml(""))]))
    return raw_zip(parts, lie={"xl/worksheets/sheet1.xml": (compressed, claimed)})


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def raw_zip(
    parts: dict[str, bytes], lie: dict[str, tuple[bytes, int]], duplicate: str | None = None
) -> bytes:
    """A ZIP written byte by byte, so that an entry may declare a size it does not have (``lie``:
    name -> (deflated payload, declared size)) or appear twice (``duplicate``)."""
    out = io.BytesIO()
    central = []
    entries = list({**parts, **{n: b"" for n in lie}}.items())
    if duplicate is not None:
        entries.append((duplicate, parts[duplicate]))
    for name, data in entries:
        if name in lie:
            payload, size = lie[name]
            crc = 0
        else:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            payload = compressor.compress(data) + compressor.flush()
            size, crc = len(data), zlib.crc32(data)
        encoded = name.encode()
        offset = out.tell()
        header = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(payload), size, len(encoded), 0
        )
        out.write(header + encoded + payload)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(payload),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), start, 0
        )
    )
    return out.getvalue()


# -- OLE2 and xls --------------------------------------------------------------------------

_FREE, _END, _FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_SECTOR = 512


def ole(streams: dict[str, bytes]) -> bytes:
    """A version-3 compound file holding ``streams`` (each padded past the 4096-byte mini-stream
    cutoff, so that everything lives in ordinary sectors). Up to 3 streams, about 60 KB."""
    assert len(streams) <= 3
    padded = {name: data.ljust(4096, b"\0") for name, data in streams.items()}
    fat = [_FAT_SECTOR, _END]  # sector 0: the FAT, sector 1: the directory
    starts, body = {}, b""
    for name, data in padded.items():
        n_sectors = -(-len(data) // _SECTOR)
        first = len(fat)
        starts[name] = first
        fat.extend(range(first + 1, first + n_sectors))
        fat.append(_END)
        body += data.ljust(n_sectors * _SECTOR, b"\0")
    assert len(fat) <= 128
    fat_sector = struct.pack("<128I", *(fat + [_FREE] * (128 - len(fat))))
    entries = [_dir_entry("Root Entry", 5, _END, 0, child=1 if padded else _FREE)]
    names = list(padded)
    for i, name in enumerate(names, start=1):
        right = i + 1 if i < len(names) else _FREE
        entries.append(_dir_entry(name, 2, starts[name], len(padded[name]), right=right))
    directory = b"".join(entries).ljust(_SECTOR, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<109I", 0, *([_FREE] * 108))
    )
    return header + fat_sector + directory + body


def _dir_entry(
    name: str, kind: int, start: int, size: int, *, child: int = _FREE, right: int = _FREE
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBBIII", len(encoded), kind, 1, _FREE, right, child)
        + b"\0" * 16
        + struct.pack("<IQQIII", 0, 0, 0, start, size, 0)
    )


def _record(kind: int, data: bytes) -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))


def xls_cell(row: int, col: int, value: object) -> bytes:
    """A BIFF8 cell record: float/int -> NUMBER, str -> LABEL, ("error", code) -> BOOLERR,
    ("formula-error", code) -> FORMULA with a cached error."""
    where = struct.pack("<HHH", row, col, 15)
    if isinstance(value, tuple) and value[0] == "error":
        return _record(0x0205, where + bytes([value[1], 1]))
    if isinstance(value, tuple) and value[0] == "formula-error":
        result = bytes([2, 0, value[1], 0, 0, 0]) + b"\xff\xff"
        formula = b"\x1e\x01\x00"  # ptgInt 1: the formula itself does not matter here
        return _record(0x0006, where + result + struct.pack("<HIH", 0, 0, 3) + formula)
    if isinstance(value, str):
        text = value.encode("latin-1")
        return _record(0x0204, where + struct.pack("<HB", len(text), 0) + text)
    return _record(0x0203, where + struct.pack("<d", float(value)))


def xls(
    sheets: list[tuple[str, list[bytes]]],
    *,
    merges: dict[int, list[tuple[int, int, int, int]]] | None = None,
    hidden: Iterable[int] = (),
    encrypted: bool = False,
) -> bytes:
    """A BIFF8 workbook: (name, cell records) per sheet, merges as (r0, r1, c0, c1) per sheet."""
    hidden = set(hidden)
    xf = _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    globals_head = _bof(0x0005) + (_record(0x002F, b"\0" * 6) if encrypted else b"")
    globals_head += xf * 16
    bound_sizes = [4 + 8 + len(name) for name, _ in sheets]
    offset = len(globals_head) + sum(bound_sizes) + 4
    bounds, bodies = b"", b""
    for index, (name, cells) in enumerate(sheets):
        body = _bof(0x0010) + b"".join(cells)
        for r0, r1, c0, c1 in (merges or {}).get(index, []):
            body += _record(0x00E5, struct.pack("<HHHHH", 1, r0, r1, c0, c1))
        body += _record(0x000A, b"")
        state = 1 if index in hidden else 0
        bounds += _record(
            0x0085,
            struct.pack("<IBBBB", offset + len(bodies), state, 0, len(name), 0) + name.encode(),
        )
        bodies += body
    stream = globals_head + bounds + _record(0x000A, b"") + bodies
    return ole({"Workbook": stream})


# -- ods -----------------------------------------------------------------------------------

ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)


def ods(
    tables: str, styles: str = "", extra: dict[str, bytes] | None = None, prolog: str = ""
) -> bytes:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<office:document-content {ODS_NS}>'
        f"<office:automatic-styles>{styles}</office:automatic-styles>"
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>'
    )
    parts = {
        "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
        "content.xml": content.encode(),
        "META-INF/manifest.xml": manifest.encode(),
        **(extra or {}),
    }
    return zip_bytes(parts, stored=["mimetype"])


# -- PDF and Word --------------------------------------------------------------------------


def pdf(
    pages: list[bytes],
    *,
    flate: bool = False,
    encrypt: bool = False,
    declared_pages: int | None = None,
) -> bytes:
    """A PDF written object by object: one content stream per page, Helvetica as /F1.

    ``flate`` deflates the content streams; ``encrypt`` adds a standard security handler whose
    password is not empty; ``declared_pages`` makes the page tree claim another count.
    """
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for content in pages:
        stream = zlib.compress(content) if flate else content
        extra = b" /Filter /FlateDecode" if flate else b""
        objects.append(
            b"<< /Length %d%s >>\nstream\n" % (len(stream), extra) + stream + b"\nendstream"
        )
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % content_id
        )
        kids.append(b"%d 0 R" % len(objects))
    count = len(kids) if declared_pages is None else declared_pages
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), count)
    trailer = b"/Root 1 0 R"
    if encrypt:
        objects.append(
            b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (b"ab" * 32, b"cd" * 32)
        )
        trailer += b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (len(objects), b"01" * 16, b"01" * 16)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(
        b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    )
    return out.getvalue()


def _pdf_text(x: float, y: float, text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"BT /F1 10 Tf %.1f %.1f Td (%s) Tj ET\n" % (x, y, escaped.encode("latin-1"))


def pdf_table_page(
    above: list[str], rows: list[list[str]], below: list[str] = (), *, ruled: bool = True
) -> bytes:
    """A page's content: lines of text, a table ruled on every side of every cell (or set out
    in columns without a rule), more text."""
    content = b""
    y = 800.0
    for line in above:
        content += _pdf_text(50, y, line)
        y -= 16
    top, height, widths = y - 6, 18.0, [190.0] + [70.0] * (max(map(len, rows)) - 1)
    lefts = [50.0]
    for width in widths:
        lefts.append(lefts[-1] + width)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            content += _pdf_text(lefts[c] + 4, top - height * (r + 1) + 5, text)
    bottom = top - height * len(rows)
    for r in range(len(rows) + 1 if ruled else 0):
        content += b"%.1f %.1f m %.1f %.1f l S\n" % (
            lefts[0],
            top - height * r,
            lefts[-1],
            top - height * r,
        )
    for left in lefts if ruled else ():
        content += b"%.1f %.1f m %.1f %.1f l S\n" % (left, top, left, bottom)
    y = bottom - 20
    for line in below:
        content += _pdf_text(50, y, line)
        y -= 16
    return content


def pdf_text_page(lines: list[str]) -> bytes:
    return b"".join(_pdf_text(50, 800 - 16 * i, line) for i, line in enumerate(lines))


def pdf_stream_bomb(size: int = 300 * 2**20) -> bytes:
    """A one-page PDF whose content stream deflates ``size`` bytes of spaces to a few hundred KB."""
    compressor = zlib.compressobj(9)
    spaces = b" " * 2**20
    payload = b"".join(compressor.compress(spaces) for _ in range(size // 2**20))
    payload += compressor.flush()
    data = pdf([b"PLACEHOLDER"])
    return data.replace(
        b"<< /Length 11 >>\nstream\nPLACEHOLDER",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(payload) + payload,
    )


def docx(build: Callable[[object], None]) -> bytes:
    """A Word document as python-docx writes it, shaped by ``build`` (given the Document)."""
    import docx as python_docx

    document = python_docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# A force's answer in a PDF or a Word file: offences by age of victim in 2018/19, with its total.
AGES_2018_19 = [["Age of victim", "2018/19"], ["Under 13", "4"], ["13-15", "6"], ["Total", "10"]]


def pdf_answer(rows: list[list[str]] = AGES_2018_19) -> bytes:
    """One page: the force's name and a title above a ruled table of ``rows``."""
    return pdf([pdf_table_page(["Kent Police", "Offences recorded 2018/19"], rows)])


def docx_answer(rows: list[list[str]] = AGES_2018_19) -> bytes:
    """A title paragraph, then a Word table of ``rows``."""

    def build(document) -> None:
        document.add_paragraph("Offences recorded 2018/19")
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = text

    return docx(build)


def replace_part(data: bytes, part: str, content: bytes) -> bytes:
    parts = unzip(data)
    parts[part] = content
    return zip_bytes(parts)


def bomb_in_part(data: bytes, part: str, size: int = 300 * 2**20) -> bytes:
    """The package with ``part`` replaced by ``size`` bytes of zeros, deflated (and declared)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as archive:
        for info in source.infolist():
            if info.filename != part:
                archive.writestr(info.filename, source.read(info.filename))
                continue
            entry = zipfile.ZipInfo(part)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w", force_zip64=True) as stream:
                zeros = b"\0" * 2**20
                for _ in range(size // 2**20):
                    stream.write(zeros)
    return buffer.getvalue()
