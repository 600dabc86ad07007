"""CSV: encoding, line ends and dialect found from the bytes; cells stay text for the
understanding layer, which reads tokens such as "1,234", "<5" or "*"."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import compress, islice, repeat

from charset_normalizer import from_bytes

from ..grid import Sheet, Workbook
from .cells import PROGRESS_EVERY, RowProgress, trim
from .errors import UnreadableFile
from .limits import Limits

SHEET_NAME = "CSV"
_SAMPLE = 64 * 1024
_CHUNK = 4 * 1024 * 1024
_DELIMITERS = ",;\t|"
# UTF-16 without a BOM: the share of characters whose high byte is zero, and at most how many
# zero low bytes (U+0100, U+0200... are rare in English text) a real UTF-16 text holds.
_UTF16_ZERO_SHARE = 0.6
_UTF16_STRAY_ZEROS = 0.05
# Encodings in which the delimiters and line ends are single bytes found in no other character.
_BYTE_COUNTABLE = frozenset({"utf-8", "utf-8-sig", "cp1252", "latin-1"})
# An empty field is an empty cell: "" -> None, any other text as it is (``get(v, v)``).
_NONE_FOR_EMPTY: dict[str, None] = {"": None}


def read_csv(data: bytes, limits: Limits, progress: RowProgress) -> Workbook:
    encoding = detect_encoding(data)
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    sample = _sample(data, encoding)
    delimiter, quotechar = detect_dialect(sample)
    if encoding in _BYTE_COUNTABLE and _within_limits(data, delimiter, limits):
        rows = _parse_bounded(text, delimiter, quotechar, limits, progress)
    else:
        rows = _parse(text, delimiter, quotechar, limits, progress)
    trim(rows)
    note = (
        f"CSV read as {encoding}, {_describe(delimiter)}-separated, {_line_ends(sample)} line ends."
    )
    return Workbook("csv", [Sheet(SHEET_NAME, rows)], [note])


def detect_encoding(data: bytes) -> str:
    """UTF-16 or UTF-8 by their BOM, else UTF-16 without a BOM by its zero bytes, else UTF-8 if
    every byte decodes, else cp1252 (what Windows Excel writes in the UK), else
    charset-normalizer's best guess."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    order = utf16_without_bom(data[:_SAMPLE])
    if order and _decodes(data, order):
        return order
    if data.isascii():  # valid UTF-8, proven in C at memory speed
        return "utf-8"
    for encoding in ("utf-8", "cp1252"):
        if _decodes(data, encoding):
            return encoding
    best = from_bytes(data[:_SAMPLE]).best()
    if best is not None and _decodes(data, best.encoding):
        return best.encoding
    return "latin-1"  # decodes any byte: better a visible mojibake than a refusal


def utf16_without_bom(sample: bytes) -> str | None:
    """ "utf-16-le" or "utf-16-be" when the bytes are UTF-16 text written without a BOM, else None.

    Text in UTF-16 is mostly characters below U+0100, each a zero byte beside its code: a zero in
    nearly every other byte, on one side only, is UTF-16 (Excel's "Unicode text" and other
    Windows exports); no UTF-8 or single-byte text has that pattern.
    """
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0 : 2 * pairs : 2], sample[1 : 2 * pairs : 2]
    zeros_even, zeros_odd = even.count(0), odd.count(0)
    if zeros_odd >= _UTF16_ZERO_SHARE * pairs and zeros_even <= _UTF16_STRAY_ZEROS * pairs:
        return "utf-16-le"
    if zeros_even >= _UTF16_ZERO_SHARE * pairs and zeros_odd <= _UTF16_STRAY_ZEROS * pairs:
        return "utf-16-be"
    return None


def _decodes(data: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        # Chunk by chunk, so a 100 MB file is checked without a second 100 MB copy.
        for start in range(0, len(data), _CHUNK):
            decoder.decode(data[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sample(data: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return decoder.decode(data[:_SAMPLE])


def detect_dialect(sample: str) -> tuple[str, str]:
    """(delimiter, quote char): csv.Sniffer on whole lines, else the likeliest delimiter."""
    cut = max(sample.rfind("\n"), sample.rfind("\r"))
    # The sniffer splits on "\n" only: old Mac files end their lines with a bare "\r".
    lines = (sample[:cut] if cut > 0 else sample).replace("\r\n", "\n").replace("\r", "\n")
    try:
        sniffed = csv.Sniffer().sniff(lines, delimiters=_DELIMITERS)
    except csv.Error:
        return _count_delimiter(lines), '"'
    quotechar = sniffed.quotechar if sniffed.quotechar in ("'", '"') else '"'
    return sniffed.delimiter, quotechar


def _count_delimiter(lines: str) -> str:
    """The delimiter found on the most lines (titles above a table have none): a single-column
    file falls back to comma."""
    rows = lines.splitlines()
    counts = {delimiter: sum(delimiter in row for row in rows) for delimiter in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


@contextmanager
def _field_limit(chars: int) -> Iterator[None]:
    # The limit is global to the csv module: set it for this read only.
    previous = csv.field_size_limit(chars)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _too_large(limits: Limits) -> UnreadableFile:
    return UnreadableFile(
        "field_too_large",
        f"The CSV holds a field or line over {limits.max_csv_field_chars:,} characters; it is "
        "not a table of figures (or its quotes are unbalanced).",
    )


def _lines(text: io.TextIOWrapper, limits: Limits) -> Iterator[str]:
    """Physical lines, each bounded: a 100 MB line fails at the limit, not after reading it."""
    while line := text.readline(limits.max_csv_field_chars + 1):
        if len(line) > limits.max_csv_field_chars:
            raise _too_large(limits)
        yield line


def _within_limits(data: bytes, delimiter: str, limits: Limits) -> bool:
    """Whether the bytes alone prove that no physical line is over the field limit and that
    the cells are not over ``max_cells`` (then the parse needs no check per line or row).

    For encodings in which the delimiter and line ends are single bytes that no other
    character contains: a line holds at most as many characters as bytes, and the fields of
    all rows number at most the delimiters plus the line ends plus one (quoted delimiters and
    line ends only make that more). Counted in C, chunk by chunk.
    """
    # Cut at line ends into pieces no longer than the field limit: no line is then longer, and
    # a stretch of that length without a line end is a line that may be (the careful parse).
    step = min(_CHUNK, limits.max_csv_field_chars)
    separators = (delimiter.encode(), b"\n", b"\r")
    cells = 0
    start = 0
    while start < len(data):
        end = len(data) if len(data) - start <= step else data.rfind(b"\n", start, start + step)
        if end <= start:
            return False
        cells += sum(data.count(separator, start, end) for separator in separators)
        start = end
    return cells + 1 <= limits.max_cells


def _parse_bounded(
    text: io.TextIOWrapper, delimiter: str, quotechar: str, limits: Limits, progress: RowProgress
) -> list[list[object]]:
    """``_parse`` of a text that ``_within_limits`` cleared: the csv module reads the lines
    itself, ``PROGRESS_EVERY`` rows at a time; the rows it gives are the grid's own."""
    rows: list[list[object]] = []
    with _field_limit(limits.max_csv_field_chars), _csv_errors(limits):
        reader = csv.reader(text, delimiter=delimiter, quotechar=quotechar)
        while batch := list(islice(reader, PROGRESS_EVERY)):
            # Only rows with an empty field are rewritten: found in C, none in a full table.
            for row in compress(batch, map(list.__contains__, batch, repeat(""))):
                _empty_to_none(row)
            rows += batch
            progress.advance(len(batch))
    return rows


def _empty_to_none(fields: list[str]) -> list[object]:
    """In place: the csv module's "" for an empty field becomes the grid's None."""
    fields[:] = map(_NONE_FOR_EMPTY.get, fields, fields)  # type: ignore[assignment]
    return fields  # type: ignore[return-value]


def _parse(
    text: io.TextIOWrapper, delimiter: str, quotechar: str, limits: Limits, progress: RowProgress
) -> list[list[object]]:
    rows: list[list[object]] = []
    cells = 0
    with _field_limit(limits.max_csv_field_chars), _csv_errors(limits):
        reader = csv.reader(_lines(text, limits), delimiter=delimiter, quotechar=quotechar)
        for fields in reader:
            rows.append(_empty_to_none(fields) if "" in fields else fields)  # type: ignore[arg-type]
            cells += len(fields)
            if cells > limits.max_cells:
                raise _too_many(len(rows), limits)
            if len(rows) % PROGRESS_EVERY == 0:
                progress.advance(PROGRESS_EVERY)
    progress.advance(len(rows) % PROGRESS_EVERY)
    return rows


@contextmanager
def _csv_errors(limits: Limits) -> Iterator[None]:
    try:
        yield
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise _too_large(limits) from exc
        raise UnreadableFile("corrupt", f"The CSV cannot be parsed ({exc}).") from exc


def _too_many(n_rows: int, limits: Limits) -> UnreadableFile:
    return UnreadableFile(
        "too_many_cells",
        f"The CSV holds over {limits.max_cells:,} cells in {n_rows:,} rows, more than this "
        "service reads; ask the force to trim it.",
    )


def _describe(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}.get(
        delimiter, repr(delimiter)
    )


def _line_ends(sample: str) -> str:
    crlf = sample.count("\r\n")
    counts = {"CRLF": crlf, "LF": sample.count("\n") - crlf, "CR": sample.count("\r") - crlf}
    return "/".join(name for name, n in counts.items() if n) or "no"
