"""Decide the format from the bytes: names and extensions are whatever the sender typed."""

from __future__ import annotations

import io
import struct
import zipfile

from xlrd.compdoc import CompDoc, CompDocError

from .archive import zip_archive
from .csvfile import utf16_without_bom
from .errors import UnreadableFile

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Readers accept the PDF header anywhere in the first kilobyte (some mail gateways prepend bytes).
_PDF_MAGIC = b"%PDF-"
_PDF_HEADER_WITHIN = 1024
_TEXT_SAMPLE = 64 * 1024
# Share of control characters above which "text" is really binary.
_MAX_CONTROL_SHARE = 0.01
_ALLOWED_CONTROLS = frozenset(b"\t\n\r\f\x1a")


def sniff(data: bytes) -> str:
    """Return "xlsx", "ods", "xls", "csv", "pdf" or "docx", or raise ``UnreadableFile``."""
    if _blank(data[:_TEXT_SAMPLE]) and _blank(data):
        raise UnreadableFile("empty_file", "The file is empty.")
    if data.startswith(ZIP_MAGIC) or data.startswith(b"PK\x05\x06"):
        return _sniff_zip(data)
    if data.startswith(OLE_MAGIC):
        return _sniff_ole(data)
    if _PDF_MAGIC in data[:_PDF_HEADER_WITHIN]:
        return "pdf"
    return _sniff_text(data)


def _blank(data: bytes) -> bool:
    return not data.strip(b" \t\r\n\xef\xbb\xbf\xff\xfe\x00")


def _unknown(what: str) -> UnreadableFile:
    return UnreadableFile(
        "unknown_format",
        f"The file is {what}; ask the force for the figures as xlsx, xls, ods or csv "
        "(or a text PDF or Word document).",
    )


def _sniff_zip(data: bytes) -> str:
    names = set(zip_archive(data).namelist())
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            raise _unknown("an Excel binary workbook (xlsb), which cannot be read safely")
        return "xlsx"
    if "mimetype" in names and _ods_mimetype(data):
        return "ods"
    if "word/document.xml" in names:
        return "docx"
    raise _unknown("a ZIP archive that is not a spreadsheet")


def _ods_mimetype(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("mimetype") as stream:
        return stream.read(len(ODS_MIMETYPE) + 16).strip() == ODS_MIMETYPE


def ole_stream_names(data: bytes) -> set[str]:
    """Names of the streams in an OLE2 container; the container's damage as ``UnreadableFile``."""
    if len(data) < 512:
        raise UnreadableFile("truncated", "The file is a cut-off Office document.")
    try:
        document = CompDoc(data, logfile=io.StringIO())
    except (CompDocError, IndexError, ValueError, MemoryError, struct.error) as exc:
        # OLE files are whole multiples of their sector size; a remainder means it was cut off.
        code = "truncated" if (len(data) - 512) % 512 else "corrupt"
        raise UnreadableFile(code, "The Office document is damaged and cannot be read.") from exc
    return {node.name for node in document.dirlist}


def _sniff_ole(data: bytes) -> str:
    names = ole_stream_names(data)
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        # Excel and Word save a password-protected file as an encrypted package inside an OLE
        # container.
        raise UnreadableFile(
            "encrypted",
            "The file is password-protected; ask the force for an unprotected copy.",
        )
    if "Workbook" in names or "Book" in names:
        return "xls"
    if "WordDocument" in names:
        raise _unknown("a Word 97-2003 document (.doc), which cannot be read safely")
    raise _unknown("an Office document that is not a spreadsheet")


def _sniff_text(data: bytes) -> str:
    sample = data[:_TEXT_SAMPLE]
    if sample.startswith(_UTF16_BOMS):
        return "csv"
    if b"\x00" in sample:
        order = utf16_without_bom(sample)
        if order is None:
            raise _unknown("binary data of an unknown kind")
        # Judged as text once decoded: a zero byte beside each character is not binary.
        sample = sample[: len(sample) // 2 * 2].decode(order, "replace").encode("utf-8", "replace")
    controls = sum(sample.count(bytes([c])) for c in range(32) if c not in _ALLOWED_CONTROLS)
    if controls > _MAX_CONTROL_SHARE * len(sample):
        raise _unknown("binary data of an unknown kind")
    head = sample.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype", b"<table", b"<?xml", b"<meta")):
        # Web systems often save an HTML table or SpreadsheetML as ".xls": it is not a grid we read.
        raise _unknown("a web page or XML document, not a spreadsheet")
    return "csv"
