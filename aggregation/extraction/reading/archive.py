"""ZIP containers (xlsx, ods) opened defensively: every part inflated under a streaming cap,
every XML part refused if it carries a DTD, before any third-party reader touches the file."""

from __future__ import annotations

import copy
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator

from isal import isal_zlib
from isal.isal_zlib import error as IsalError

from .errors import UnreadableFile
from .limits import MB, Limits

CHUNK = 4 * MB
SMALL_PART_BYTES = 16 * MB
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# A DTD is how entity bombs and external entities get in; no spreadsheet part needs one.
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_DTD_OVERLAP = 16
# Excel and LibreOffice write UTF-8 only; a UTF-16 part would hide a DTD from the byte scan.
_UTF16_STARTS = (b"\xfe\xff", b"\xff\xfe", b"<\x00", b"\x00<")

ChunkConsumer = Callable[[bytes], None]


def zip_archive(data: bytes) -> zipfile.ZipFile:
    """The archive, or a clear failure when it is cut off."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        # The central directory sits at the end of a ZIP: a cut-off file loses it first.
        raise UnreadableFile(
            "truncated",
            "The file is an incomplete ZIP archive (cut off during upload or e-mail?); "
            "ask the force to send it again.",
        ) from exc


def open_zip(data: bytes, limits: Limits) -> zipfile.ZipFile:
    """Open the archive and check what its central directory declares."""
    archive = zip_archive(data)
    _check_declared(archive.infolist(), limits)
    return archive


def _check_declared(entries: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(entries) > limits.max_zip_entries:
        raise _bomb(f"it holds {len(entries):,} parts")
    names = [entry.filename for entry in entries]
    if len(set(names)) != len(names):
        # Two readers may pick different copies of a duplicated part: refuse the ambiguity.
        raise UnreadableFile("corrupt", "The workbook archive contains duplicate parts.")
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise UnreadableFile(
            "encrypted",
            "The workbook is password-protected; ask the force for an unprotected copy.",
        )
    total = 0
    for entry in entries:
        if entry.file_size > limits.max_part_bytes:
            raise _bomb(f"part {entry.filename} would inflate to {entry.file_size:,} bytes")
        total += entry.file_size
        if _ratio_exceeded(entry.file_size, entry.compress_size, limits):
            raise _bomb(f"part {entry.filename} claims a {_ratio(entry):.0f}x compression ratio")
    if total > limits.max_total_bytes:
        raise _bomb(f"its parts would inflate to {total:,} bytes")


def _ratio(entry: zipfile.ZipInfo) -> float:
    return entry.file_size / max(entry.compress_size, 1)


def _ratio_exceeded(inflated: int, compressed: int, limits: Limits) -> bool:
    return inflated > limits.ratio_floor_bytes and inflated > limits.max_compression_ratio * max(
        compressed, 1
    )


def _bomb(detail: str) -> UnreadableFile:
    return UnreadableFile(
        "zip_bomb",
        f"The file was refused as a possible zip bomb: {detail}, far beyond any real response.",
    )


def inflate_all(
    archive: zipfile.ZipFile,
    limits: Limits,
    consumers: dict[str, ChunkConsumer] | None = None,
    on_end: dict[str, Callable[[], None]] | None = None,
) -> None:
    """Inflate every part under the caps, scan XML parts for a DTD, and stream the parts named in
    ``consumers`` to them chunk by chunk (nothing is kept in memory here); ``on_end[part]`` is
    called once that part has inflated whole."""
    consumers = consumers or {}
    on_end = on_end or {}
    total = 0
    for entry in archive.infolist():
        if entry.is_dir():
            continue
        total = _inflate_entry(archive, entry, limits, total, consumers.get(entry.filename))
        if entry.filename in on_end:
            on_end[entry.filename]()


def _inflate_entry(
    archive: zipfile.ZipFile,
    entry: zipfile.ZipInfo,
    limits: Limits,
    total: int,
    consumer: ChunkConsumer | None,
) -> int:
    is_xml = entry.filename.lower().endswith(_XML_SUFFIXES)
    inflated = 0
    head = tail = b""
    try:
        for chunk in _inflated(archive, entry, limits):
            inflated += len(chunk)
            total += len(chunk)
            _check_inflated(entry, inflated, total, limits)
            if is_xml:
                if len(head) < 2:
                    head = (head + chunk)[:2]
                    _check_utf8(head, entry)
                _check_no_dtd(tail + chunk, entry.filename)
                tail = (tail + chunk)[-_DTD_OVERLAP:]
            if consumer is not None:
                consumer(chunk)
        if inflated > entry.file_size:
            raise _bomb(f"part {entry.filename} inflates beyond the size it declares")
    except UnreadableFile:
        raise
    except (EOFError, zlib.error, IsalError) as exc:
        raise UnreadableFile(
            "truncated", f"Part {entry.filename} of the workbook is cut off or damaged."
        ) from exc
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        raise UnreadableFile(
            "corrupt", f"Part {entry.filename} of the workbook cannot be read ({exc})."
        ) from exc
    return total


def _check_utf8(head: bytes, entry: zipfile.ZipInfo) -> None:
    if head.startswith(_UTF16_STARTS):
        raise UnreadableFile("corrupt", f"Part {entry.filename} is not UTF-8 XML as Excel writes.")


def _inflated(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: Limits) -> Iterator[bytes]:
    """The part's bytes, at most ``CHUNK`` at a time, until its compressed data ends (not at
    the size it declares: a part that lies about its size inflates for real, under the
    caller's counters, and is caught). Deflated parts inflate through ISA-L (about twice
    zlib's speed) with their CRC checked as zipfile checks it; other methods through zipfile.
    """
    if entry.compress_type != zipfile.ZIP_DEFLATED:
        # zipfile stops at the declared size: lifted to the cap.
        probe = copy.copy(entry)
        probe.file_size = limits.max_part_bytes + 2 * CHUNK
        with archive.open(probe) as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
        return
    data = _compressed_data(archive, entry)
    inflater = isal_zlib.decompressobj(-15)
    crc = 0
    pos = 0
    while not inflater.eof:
        if inflater.unconsumed_tail:
            pending = len(inflater.unconsumed_tail)
            chunk = inflater.decompress(inflater.unconsumed_tail, CHUNK)
            stuck = not chunk and len(inflater.unconsumed_tail) == pending
        elif pos < len(data):
            chunk = inflater.decompress(data[pos : pos + CHUNK], CHUNK)
            pos += CHUNK
            stuck = False
        else:
            chunk = inflater.decompress(b"", CHUNK)  # output held back inside the inflater
            stuck = not chunk
        if stuck:
            raise EOFError("Compressed file ended before the end-of-stream marker was reached")
        if chunk:
            crc = isal_zlib.crc32(chunk, crc)
            yield chunk
    if crc != entry.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {entry.filename!r}")


# A ZIP local file header (APPNOTE 4.3.7): signature, versions, flags, method, time, date, CRC,
# sizes, name length, extra field length.
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"


def _compressed_data(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> memoryview:
    """The part's compressed bytes (a view, no copy), after the checks zipfile makes of its
    local header before it reads them."""
    if entry.flag_bits & 0x20:
        raise NotImplementedError("compressed patched data (flag bit 5)")
    if entry.flag_bits & 0x40:
        raise NotImplementedError("strong encryption (flag bit 6)")
    # zip_archive's BytesIO still shares the file's bytes: getvalue() hands them over without
    # a copy (getbuffer() would copy them all first).
    buffer = memoryview(archive.fp.getvalue())  # type: ignore[union-attr]
    start = entry.header_offset
    header = buffer[start : start + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size:
        raise zipfile.BadZipFile("Truncated file header")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile("Bad magic number for file header")
    name_length, extra_length = fields[10], fields[11]
    name_start = start + _LOCAL_HEADER.size
    raw_name = bytes(buffer[name_start : name_start + name_length])
    name = raw_name.decode("utf-8" if fields[3] & 0x800 else "cp437")
    if name != entry.orig_filename:
        raise zipfile.BadZipFile(
            f"File name in directory {entry.orig_filename!r} and header {raw_name!r} differ."
        )
    data_start = name_start + name_length + extra_length
    return buffer[data_start : data_start + entry.compress_size]


def _check_inflated(entry: zipfile.ZipInfo, inflated: int, total: int, limits: Limits) -> None:
    if inflated > limits.max_part_bytes or total > limits.max_total_bytes:
        raise _bomb(f"part {entry.filename} inflates beyond {limits.max_part_bytes:,} bytes")
    if _ratio_exceeded(inflated, entry.compress_size, limits):
        raise _bomb(f"part {entry.filename} inflates more than {limits.max_compression_ratio:.0f}x")


def _check_no_dtd(data: bytes, part: str) -> None:
    if _DTD.search(data):
        raise UnreadableFile(
            "xml_entities",
            f"Part {part} declares XML entities or a DTD (a known attack); the file was refused.",
        )


def read_small_part(archive: zipfile.ZipFile, name: str) -> bytes | None:
    """A metadata part (workbook.xml, rels, manifest) read whole, or None when absent."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > SMALL_PART_BYTES:
        raise UnreadableFile(
            "corrupt", f"Part {name} is implausibly large ({info.file_size:,} bytes)."
        )
    try:
        with archive.open(info) as stream:
            # zipfile never returns more than the declared size, checked above.
            return stream.read()
    except (EOFError, zlib.error, zipfile.BadZipFile, NotImplementedError, OSError) as exc:
        raise UnreadableFile("corrupt", f"Part {name} of the file cannot be read ({exc}).") from exc
