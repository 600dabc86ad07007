"""Ceilings that keep a hostile or absurd file from costing more than seconds and bounded memory."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    max_file_bytes: int = 100 * MB
    # Inflated size of one ZIP part and of all parts together, counted while inflating: the sizes
    # a ZIP declares are checked too, but a bomb can lie about them. A bomb is told by its ratio
    # (below); these ceilings only bound an honest file: a 1,000,000-row record list's sheet XML
    # is about 300 MB.
    max_part_bytes: int = 1024 * MB
    max_total_bytes: int = 1536 * MB
    max_zip_entries: int = 10_000
    # Real sheet XML deflates 10-30x; deflate cannot exceed ~1030x. The ratio is only judged once a
    # part has inflated past ``ratio_floor_bytes``, because tiny parts compress absurdly well.
    max_compression_ratio: float = 200.0
    ratio_floor_bytes: int = 4 * MB
    # Bounding box of the cells that hold something, per sheet: what the readers allocate (a
    # 1,000,000-row list of 12 columns; an xls sheet's whole 65,536 x 256 grid is beyond it).
    max_cells: int = 12_000_000
    # One CSV field (and one physical CSV line): a real cell is never near this.
    max_csv_field_chars: int = 1 * MB
    # Documents (PDF, Word) are parsed whole by their libraries, far slower per cell than a
    # sheet: the Word document part and every PDF stream decoded, in total, and the table cells
    # of a Word document and the pages of a PDF. A letter with tables is far below each.
    max_document_bytes: int = 64 * MB
    max_document_cells: int = 200_000
    max_pdf_pages: int = 300
    # Memory a read may add to the process, checked every 10,000 rows: an honest 1,000,000-row
    # record list needs about 250 MB; a sheet of millions of bare numbers is stopped here.
    max_memory_mb: int = 600


DEFAULT_LIMITS = Limits()
