"""PDF: the tables and text of a text PDF through pdfplumber, each table a sheet named by its
page ("Page 2 table 1"), under the same ceilings as every other format.

pdfminer (beneath pdfplumber) inflates each stream whole and unbounded: a small PDF can hold a
stream that inflates to gigabytes. Its three expanding decoders (Flate, LZW, RunLength) are
therefore replaced, once, by bounded ones that share a budget per read
(``Limits.max_document_bytes``) and stop with ``UnreadableFile`` the moment it is spent.
"""

from __future__ import annotations

import contextvars
import io
import zlib
from collections.abc import Iterator
from types import SimpleNamespace

import pdfminer.pdftypes
import pdfplumber
from pdfminer.lzw import LZWDecoder
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.pdftypes import resolve1

from ..grid import Workbook
from .cells import RowProgress
from .document import Block, Table, cell_text, document_sheets
from .errors import UnreadableFile
from .limits import DEFAULT_LIMITS, Limits


def read_pdf(data: bytes, limits: Limits, progress: RowProgress) -> Workbook:
    token = _BUDGET.set(_Budget(limits.max_document_bytes))
    try:
        blocks = list(_read_blocks(data, limits, progress))
    except UnreadableFile:
        raise
    except Exception as exc:  # pdfplumber wraps pdfminer's errors, ours among them
        raise _reason(exc) from exc
    finally:
        _BUDGET.reset(token)
    if not any(isinstance(b, Table) or b.strip() for b in blocks):
        raise UnreadableFile(
            "scanned_pdf",
            "The PDF is a scanned image with no text in it; ask the force for the figures as a "
            "spreadsheet (xlsx or csv).",
        )
    return Workbook("pdf", document_sheets(blocks))


def _read_blocks(data: bytes, limits: Limits, progress: RowProgress) -> Iterator[Block]:
    # Pages past the limit are never laid out: asking for one more tells whether there is one.
    wanted = list(range(1, limits.max_pdf_pages + 2))
    with pdfplumber.open(io.BytesIO(data), pages=wanted) as pdf:
        declared = resolve1(resolve1(pdf.doc.catalog.get("Pages")) or {}).get("Count", 0)
        if not isinstance(declared, int) or declared > limits.max_pdf_pages:
            _too_many_pages(limits)
        if len(pdf.pages) > limits.max_pdf_pages:
            _too_many_pages(limits)
        for page in pdf.pages:
            yield from _page_blocks(page, progress)
            page.close()  # drop the page's layout before the next one is laid out


def _too_many_pages(limits: Limits) -> None:
    raise UnreadableFile(
        "too_large",
        f"The PDF has more than {limits.max_pdf_pages} pages, more than this service reads; "
        "ask the force for the figures as a spreadsheet.",
    )


def _page_blocks(page: pdfplumber.page.Page, progress: RowProgress) -> Iterator[Block]:
    """The page's lines of text outside its tables, and its tables, top to bottom. A page with
    no ruled table may still set one out in columns of words (``_unruled_tables``)."""
    found = [(table.bbox, table.extract()) for table in page.find_tables()]
    if not found:
        found = _unruled_tables(page.extract_words())
    boxes = [bbox for bbox, _ in found]
    placed: list[tuple[float, int, Block]] = []
    for line in page.extract_text_lines(return_chars=False):
        middle = (line["top"] + line["bottom"]) / 2
        if not any(top <= middle <= bottom for _, top, _, bottom in boxes):
            placed.append((line["top"], 1, line["text"]))
    for n, (bbox, cells) in enumerate(found, start=1):
        rows = [[cell_text(cell) for cell in row] for row in cells]
        progress.advance(len(rows))
        placed.append((bbox[1], 0, Table(f"Page {page.page_number} table {n}", rows)))
    for _, _, block in sorted(placed, key=lambda item: (item[0], item[1])):
        yield block


Box = tuple[float, float, float, float]  # x0, top, x1, bottom, in points


def _unruled_tables(words: list[dict]) -> list[tuple[Box, list[list[str | None]]]]:
    """Tables set out without rules: runs of two or more lines, each cut into cells where the
    space between two words is wider than a word space, most holding a figure. Cells are put
    in columns by where they lie across the page, so an empty cell stays a gap."""
    tables = []
    run: list[list[dict]] = []
    for line in [*_lines_of_cells(words), []]:
        if len(line) >= 2:
            run.append(line)
            continue
        figures = sum(any(_is_figure(c["text"]) for c in cells) for cells in run)
        if len(run) >= 2 and figures * 2 >= len(run):
            tables.append(_grid(run))
        run = []
    return tables


def _lines_of_cells(words: list[dict]) -> list[list[dict]]:
    """Words grouped into lines (by their middle), each line's words joined into cells."""
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: ((w["top"] + w["bottom"]) / 2, w["x0"])):
        middle = (word["top"] + word["bottom"]) / 2
        last = lines[-1][-1] if lines else None
        if last is not None and abs((last["top"] + last["bottom"]) / 2 - middle) <= 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    cut = []
    for line in lines:
        line.sort(key=lambda w: w["x0"])
        cells = [dict(line[0])]
        for word in line[1:]:
            height = word["bottom"] - word["top"]
            if word["x0"] - cells[-1]["x1"] > 0.6 * height:  # wider than a word space
                cells.append(dict(word))
            else:
                cells[-1]["text"] += " " + word["text"]
                cells[-1]["x1"] = word["x1"]
                cells[-1]["bottom"] = max(cells[-1]["bottom"], word["bottom"])
        cut.append(cells)
    return cut


def _is_figure(text: str) -> bool:
    return text.replace(",", "").isdigit()


def _grid(run: list[list[dict]]) -> tuple[Box, list[list[str | None]]]:
    """Cells into columns: a cell joins the column whose span it overlaps, else opens one."""
    spans: list[list[float]] = []
    for cell in sorted((c for cells in run for c in cells), key=lambda c: c["x0"]):
        span = next((s for s in spans if cell["x0"] <= s[1] and cell["x1"] >= s[0]), None)
        if span is None:
            spans.append([cell["x0"], cell["x1"]])
        else:
            span[0], span[1] = min(span[0], cell["x0"]), max(span[1], cell["x1"])
    spans.sort()
    rows: list[list[str | None]] = []
    for cells in run:
        row: list[str | None] = [None] * len(spans)
        for cell in cells:
            at = next(i for i, s in enumerate(spans) if cell["x0"] <= s[1] and cell["x1"] >= s[0])
            row[at] = cell["text"] if row[at] is None else f"{row[at]} {cell['text']}"
        rows.append(row)
    box = (
        min(c["x0"] for cells in run for c in cells),
        min(c["top"] for cells in run for c in cells),
        max(c["x1"] for cells in run for c in cells),
        max(c["bottom"] for cells in run for c in cells),
    )
    return box, rows


def _reason(exc: BaseException) -> UnreadableFile:
    """The failure a researcher reads, from pdfplumber's wrapped exception chain."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, UnreadableFile):
            return current
        if isinstance(current, PDFEncryptionError):
            return UnreadableFile(
                "encrypted",
                "The PDF is password-protected; ask the force for an unprotected copy or for "
                "the figures as a spreadsheet.",
            )
        pending += [current.__cause__, current.__context__]
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]
    return UnreadableFile("corrupt", f"The PDF is damaged and cannot be read ({exc}).")


# -- bounded decoders ------------------------------------------------------------------------


class _Budget:
    def __init__(self, remaining: int) -> None:
        self.remaining = remaining

    def spend(self, n: int) -> None:
        self.remaining -= n
        if self.remaining < 0:
            raise UnreadableFile(
                "zip_bomb",
                "The PDF holds compressed data that inflates far beyond any real response; "
                "the file was refused.",
            )


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("pdf_budget", default=None)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    # pdfminer used outside ``read_pdf`` gets a fresh budget per stream, still bounded.
    return budget if budget is not None else _Budget(DEFAULT_LIMITS.max_document_bytes)


def _inflate(data: bytes) -> bytes:
    """``zlib.decompress`` that inflates at most what the budget has left."""
    budget = _budget()
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, max(budget.remaining, 0) + 1)
    budget.spend(len(out))
    if not inflater.eof:
        raise zlib.error("incomplete or truncated stream")  # as zlib.decompress says it
    return out


def _lzw(data: bytes) -> bytes:
    budget = _budget()
    out = []
    for chunk in LZWDecoder(io.BytesIO(data)).run():
        budget.spend(len(chunk))
        out.append(chunk)
    return b"".join(out)


def _run_length(data: bytes) -> bytes:
    budget = _budget()
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        length = data[i]
        if length == 128:
            break
        if length < 128:
            piece = data[i + 1 : i + length + 2]
            i += length + 2
        else:
            piece = data[i + 1 : i + 2] * (257 - length)
            i += 2
        budget.spend(len(piece))
        out += piece
    return bytes(out)


pdfminer.pdftypes.zlib = SimpleNamespace(  # type: ignore[attr-defined]
    decompress=_inflate, decompressobj=zlib.decompressobj, error=zlib.error
)
pdfminer.pdftypes.lzwdecode = _lzw  # type: ignore[attr-defined]
pdfminer.pdftypes.rldecode = _run_length  # type: ignore[attr-defined]
