"""Hostile and broken files through the real upload path and a real worker.

Each spreadsheet-shaped file is kept and ends failed or needs review with its reason, in bounded
time; each file that is no spreadsheet at all is refused at upload with its reason. The worker
keeps serving, and its pool processes stay within a stated memory bound under a per-child limit.
The builders are the extraction tests' (tests/extraction/hostile.py and test_reading.py).
"""

from __future__ import annotations

import gzip
import random
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import psutil
import pytest
from django.core.exceptions import ValidationError
from openpyxl.utils import get_column_letter

from aggregation import demo, services
from aggregation.models import Observation
from requests_app.models import Document, DocumentStatus
from tests.conftest import wait_until
from tests.extraction import hostile as h
from tests.extraction.test_reading import (
    _EXTERNAL,
    _LAUGHS,
    _external_entity_in_workbook_part,
    _far_cell,
)
from tests.factories import sent_request
from tests.test_worker import big_record_list

MB = 2**20
# The per-child limit the worker runs with (kB), instead of the production 1 GB: a pool process
# that has grown past it is replaced after its task. A pool process holding Django and the engine
# peaks near 150 MB on the small files; reading the 400,000-row record list takes it well past.
CHILD_MEMORY_LIMIT_KB = 200 * 1024
# What a pool process may reach at its peak while the corpus runs; the files inflate to far more.
PEAK_RSS_BOUND_MB = 600
# Every parse in the corpus must end within this many seconds (the limit travels in the message).
PARSE_SECONDS = 30
CORPUS_SECONDS = 90


# -- the corpus ------------------------------------------------------------------------------


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def one_sheet(rows: str, **kwargs: str) -> bytes:
    return h.xlsx([("Response", h.sheet_xml(rows, **kwargs))])


def entity_bomb_in_a_sheet() -> bytes:
    return one_sheet(h.cells_row(1, inline("A1", "&lol9;")), prolog=_LAUGHS)


def external_entity_in_shared_strings() -> bytes:
    return h.xlsx(
        [("S", h.sheet_xml(""))], shared_strings=_EXTERNAL + "<sst><si><t>&x;</t></si></sst>"
    )


def entity_bomb_in_ods_content() -> bytes:
    table = (
        '<table:table table:name="S"><table:table-row><table:table-cell office:value-type="string">'
        "<text:p>&lol9;</text:p></table:table-cell></table:table-row></table:table>"
    )
    return h.ods(table, prolog=_LAUGHS)


def entry_declaring_2_gb() -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    payload = compressor.compress(b"<x/>") + compressor.flush()
    parts = h.unzip(one_sheet(""))
    return h.raw_zip(parts, lie={"xl/worksheets/sheet1.xml": (payload, 2**31 - 1)})


def zip_of_20000_entries() -> bytes:
    extra = {f"xl/media/image{i}.png": b"" for i in range(20_000)}
    return h.xlsx([("S", h.sheet_xml(h.cells_row(1, '<c r="A1"><v>1</v></c>')))], extra=extra)


def duplicate_sheet_part() -> bytes:
    parts = h.unzip(one_sheet(""))
    return h.raw_zip(parts, lie={}, duplicate="xl/worksheets/sheet1.xml")


def sheet_that_is_not_xml() -> bytes:
    return h.xlsx([("S", "Figures attached \x01 <<<< &&& not XML at all")])


def sheet_part_missing() -> bytes:
    parts = h.unzip(one_sheet(""))
    del parts["xl/worksheets/sheet1.xml"]
    return h.zip_bytes(parts)


def sheet_with_invalid_utf8() -> bytes:
    parts = h.unzip(one_sheet(""))
    parts["xl/worksheets/sheet1.xml"] = (
        (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{h.MAIN_NS}"><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>'
        ).encode()
        + b"\xff\xfe\xc0"
        + b"</t></is></c></row></sheetData></worksheet>"
    )
    return h.zip_bytes(parts)


def shared_strings_lying_about_their_count() -> bytes:
    strings = f'<sst xmlns="{h.MAIN_NS}" count="1" uniqueCount="4000000000"><si><t>x</t></si></sst>'
    return h.xlsx(
        [("S", h.sheet_xml(h.cells_row(1, '<c r="A1" t="s"><v>0</v></c>')))],
        shared_strings=strings,
    )


def shared_string_index_out_of_range() -> bytes:
    strings = f'<sst xmlns="{h.MAIN_NS}" count="1" uniqueCount="1"><si><t>x</t></si></sst>'
    return h.xlsx(
        [("S", h.sheet_xml(h.cells_row(1, '<c r="A1" t="s"><v>99999999</v></c>')))],
        shared_strings=strings,
    )


def xlsx_cut_in_half() -> bytes:
    whole = h.openpyxl_workbook(
        lambda wb: [wb.active.append([f"r{i}", i, 2 * i]) for i in range(2000)]
    )
    return whole[: len(whole) // 2]


def xls_cut_mid_stream() -> bytes:
    whole = h.xls([("S", [h.xls_cell(r, c, r * c) for r in range(40) for c in range(5)])])
    return whole[: len(whole) * 2 // 3]


def xls_of_noise() -> bytes:
    return h.ole({"Workbook": random.Random(5).randbytes(8000)})


def single_cell_repeated_over_the_whole_ods() -> bytes:
    table = (
        '<table:table table:name="S"><table:table-row table:number-rows-repeated="1048576">'
        '<table:table-cell table:number-columns-repeated="16384" office:value-type="float" '
        'office:value="1"/></table:table-row></table:table>'
    )
    return h.ods(table)


def ods_with_macros() -> bytes:
    table = (
        '<table:table table:name="S"><table:table-row><table:table-cell office:value-type="float" '
        'office:value="1"/></table:table-row></table:table>'
    )
    return h.ods(table, extra={"Basic/Standard/Module1.xml": b"<m/>"})


def csv_with_a_20_mb_field() -> bytes:
    return b"Age,2018-19\n13," + b"9" * (20 * MB) + b"\n"


def csv_of_13_million_empty_cells() -> bytes:
    return (b"," * 1999 + b"\r\n") * 6500


def high_byte_noise() -> bytes:
    """Not refused at upload (no control characters): it reads as cp1252 text, with no table."""
    rng = random.Random(3)
    return bytes(rng.randrange(0x80, 0x100) for _ in range(200_000))


def cover_letter_only() -> bytes:
    lines = [
        "Freedom of Information Request 2018/0123",
        "Dear Requester,",
        "Thank you for your request for information.",
        "Please find attached the information you asked for.",
        "Yours sincerely, Information Compliance Unit",
    ]
    return h.openpyxl_workbook(lambda wb: [wb.active.append([line]) for line in lines])


def every_sheet_hidden() -> bytes:
    table = h.cells_row(1, inline("A1", "Age of victim") + inline("B1", "2018-19")) + h.cells_row(
        2, inline("A2", "13") + '<c r="B2"><v>5</v></c>'
    )
    return h.xlsx(
        [
            ("Data", h.sheet_xml(table), "hidden"),
            ("Lookup", h.sheet_xml(h.cells_row(1, '<c r="A1"><v>1</v></c>')), "veryHidden"),
        ]
    )


def formulas_without_cached_values() -> bytes:
    head = h.cells_row(
        1, inline("A1", "Age of victim") + inline("B1", "2017-18") + inline("C1", "2018-19")
    )
    body = "".join(
        h.cells_row(
            r, inline(f"A{r}", str(age)) + f'<c r="B{r}"><f>1+1</f></c><c r="C{r}"><f>2+2</f></c>'
        )
        for r, age in enumerate(range(10, 16), start=2)
    )
    return one_sheet(head + body)


def figures_under_nested_merged_cells() -> bytes:
    """A table of ages 0-17 under 2,000 merges, each containing the last: A1:B2, A1:C3, ...

    Overlapping merges are invalid; a spreadsheet program shows the merged area as the one cell
    A1, so the figures under it are not what a reader of the file sees.
    """
    head = h.cells_row(1, inline("A1", "Age of victim") + inline("B1", "2018-19"))
    body = "".join(
        h.cells_row(r, inline(f"A{r}", str(r - 2)) + f'<c r="B{r}"><v>{r}</v></c>')
        for r in range(2, 20)
    )
    merges = "".join(
        f'<mergeCell ref="A1:{get_column_letter(k + 1)}{k + 1}"/>' for k in range(1, 2001)
    )
    return one_sheet(head + body, after=f'<mergeCells count="2000">{merges}</mergeCells>')


def xml_nested_200000_deep() -> bytes:
    return one_sheet(
        h.cells_row(1, '<c r="A1"><v>1</v></c>'), after="<a>" * 200_000 + "</a>" * 200_000
    )


def dimension_claiming_the_whole_sheet() -> bytes:
    return one_sheet(
        h.cells_row(1, '<c r="A1"><v>7</v></c>'), before='<dimension ref="A1:XFD1048576"/>'
    )


def workbook_part_missing() -> bytes:
    parts = h.unzip(one_sheet(""))
    del parts["xl/workbook.xml"]
    return h.zip_bytes(parts)


@dataclass(frozen=True)
class Hostile:
    name: str  # as the sender named it
    build: Callable[[], bytes]
    status: str
    code: str  # the engine's reason code, kept in Document.result


FAILED, REVIEW = DocumentStatus.FAILED, DocumentStatus.NEEDS_REVIEW

CORPUS = [
    Hostile("entity-bomb.xlsx", entity_bomb_in_a_sheet, FAILED, "xml_entities"),
    Hostile("external-entity.xlsx", external_entity_in_shared_strings, FAILED, "xml_entities"),
    Hostile("workbook-entity.xlsx", _external_entity_in_workbook_part, FAILED, "xml_entities"),
    Hostile("entity-bomb.ods", entity_bomb_in_ods_content, FAILED, "xml_entities"),
    Hostile("zip-bomb.xlsx", h.honest_zip_bomb, FAILED, "zip_bomb"),
    Hostile("lying-zip-bomb.xlsx", h.lying_zip_bomb, FAILED, "zip_bomb"),
    Hostile("declares-2gb.xlsx", entry_declaring_2_gb, FAILED, "zip_bomb"),
    Hostile("20000-entries.xlsx", zip_of_20000_entries, FAILED, "zip_bomb"),
    Hostile("duplicate-part.xlsx", duplicate_sheet_part, FAILED, "corrupt"),
    Hostile("sheet-not-xml.xlsx", sheet_that_is_not_xml, FAILED, "corrupt"),
    Hostile("sheet-missing.xlsx", sheet_part_missing, FAILED, "corrupt"),
    Hostile("invalid-utf8.xlsx", sheet_with_invalid_utf8, FAILED, "corrupt"),
    Hostile("strings-count-lie.xlsx", shared_strings_lying_about_their_count, FAILED, "corrupt"),
    Hostile("string-out-of-range.xlsx", shared_string_index_out_of_range, FAILED, "corrupt"),
    Hostile("cut-in-half.xlsx", xlsx_cut_in_half, FAILED, "truncated"),
    Hostile("cut-mid-stream.xls", xls_cut_mid_stream, FAILED, "corrupt"),
    Hostile("noise-stream.xls", xls_of_noise, FAILED, "truncated"),
    Hostile(
        "protected.xlsx",
        lambda: h.ole({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"x"}),
        FAILED,
        "encrypted",
    ),
    Hostile(
        "protected.xls",
        lambda: h.xls([("S", [h.xls_cell(0, 0, 1)])], encrypted=True),
        FAILED,
        "encrypted",
    ),
    Hostile(
        "macros.xlsx",
        lambda: h.xlsx([("S", h.sheet_xml(""))], extra={"xl/vbaProject.bin": b"\0" * 100}),
        FAILED,
        "macros",
    ),
    Hostile("macros.ods", ods_with_macros, FAILED, "macros"),
    Hostile("far-corner.xlsx", _far_cell, FAILED, "too_many_cells"),
    Hostile(
        "far-corner.xls",
        lambda: h.xls([("S", [h.xls_cell(0, 0, 1), h.xls_cell(65535, 255, 2)])]),
        FAILED,
        "too_many_cells",
    ),
    Hostile("repeated.ods", single_cell_repeated_over_the_whole_ods, FAILED, "too_many_cells"),
    Hostile("long-field.csv", csv_with_a_20_mb_field, FAILED, "field_too_large"),
    # Not hostile, only heavy (20 MB): its reading grows the pool process past the memory limit.
    Hostile("400000-records.csv", big_record_list, REVIEW, "partial_period"),
    Hostile("separators.csv", csv_of_13_million_empty_cells, FAILED, "too_many_cells"),
    Hostile("empty.csv", lambda: b"", FAILED, "empty_file"),
    Hostile("blank.xlsx", lambda: b"\xef\xbb\xbf\r\n   \r\n", FAILED, "empty_file"),
    Hostile("noise.csv", high_byte_noise, REVIEW, "no_tables"),
    Hostile("cover-letter.xlsx", cover_letter_only, REVIEW, "no_tables"),
    Hostile("all-hidden.xlsx", every_sheet_hidden, REVIEW, "no_tables"),
    Hostile("formulas.xlsx", formulas_without_cached_values, REVIEW, "formula_without_value"),
    Hostile("deep-xml.xlsx", xml_nested_200000_deep, REVIEW, "no_tables"),
    # Documents are accepted at upload (PDF, Word) and fail in the parse with their reason.
    Hostile("letter.xlsx", lambda: h.zip_bytes({"word/document.xml": b"<w/>"}), FAILED, "corrupt"),
    Hostile("scan.xls", lambda: b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", FAILED, "corrupt"),
    Hostile("scanned.pdf", lambda: h.pdf([b"0 0 m 100 100 l S\n"]), FAILED, "scanned_pdf"),
    Hostile(
        "protected.pdf", lambda: h.pdf([h.pdf_text_page(["x"])], encrypt=True), FAILED, "encrypted"
    ),
    Hostile("stream-bomb.pdf", h.pdf_stream_bomb, FAILED, "zip_bomb"),
    Hostile(
        "zip-bomb.docx",
        lambda: h.bomb_in_part(h.docx(lambda d: d.add_paragraph("x")), "word/document.xml"),
        FAILED,
        "zip_bomb",
    ),
    Hostile("huge-dimension.xlsx", dimension_claiming_the_whole_sheet, REVIEW, "no_tables"),
]

# Not spreadsheets at all, whatever their names say: refused at upload, nothing kept or queued.
REFUSED = [
    (
        "chart.xlsx",
        lambda: b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + random.Random(1).randbytes(4000),
        "binary data",
    ),
    ("figures.csv", lambda: gzip.compress(b"Age,2018-19\n13,4\n" * 1000), "binary data"),
    ("utf16.bin", lambda: bytes(range(1, 32)) * 2000, "binary data"),
    ("noise.csv", lambda: random.Random(9).randbytes(100_000), "binary data"),
    ("no-workbook.xlsx", lambda: workbook_part_missing(), "ZIP archive"),
    ("letter.doc", lambda: h.ole({"WordDocument": b"x"}), "Word 97-2003 document"),
    ("table.xls", lambda: b"<html><table><tr><td>1</td></tr></table></html>", "web page"),
    ("huge-field.csv", lambda: b"a,b\n1," + b"x" * (100 * MB) + b"\n", "MB limit"),
]


# -- the tests -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "build", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_file_that_is_no_spreadsheet_is_refused_at_upload_with_its_reason(
    researcher, name, build, reason
):
    request = sent_request(researcher, force="kent")
    with pytest.raises(ValidationError) as caught:
        services.document_upload(request=request, name=name, content=build(), by=None)
    message = caught.value.message_dict["file"][0]
    assert name in message
    assert reason in message
    assert not Document.objects.exists()  # nothing kept, so nothing queued


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "build", "file_format", "sheet"),
    [
        ("response.pdf", h.pdf_answer, "pdf", "Page 1 table 1"),
        ("response.docx", h.docx_answer, "docx", "Table 1"),
    ],
)
def test_a_pdf_or_word_response_is_accepted_at_upload_and_read_to_figures(
    researcher, on_commit_at_once, name, build, file_format, sheet
):
    request = sent_request(researcher, force="kent")
    document, created = services.document_upload(
        request=request, name=name, content=build(), by=None
    )
    assert created and document.format == file_format
    document.refresh_from_db()
    assert document.status == DocumentStatus.PARSED, document.status_reason
    figures = {
        (o.period, o.dimensions.get("age")): o.value
        for o in Observation.objects.filter(document=document)
    }
    assert figures[("2018-19", "0-12")] == 4 and figures[("2018-19", "13-15")] == 6
    assert {o.sheet for o in Observation.objects.filter(document=document)} == {sheet}


@pytest.mark.django_db
def test_a_table_hidden_under_nested_merged_cells_ends_in_review(researcher, on_commit_at_once):
    request = sent_request(researcher, force="kent")
    started = time.monotonic()
    document, _ = services.document_upload(  # parsed in-process: tasks run eagerly here
        request=request,
        name="nested-merges.xlsx",
        content=figures_under_nested_merged_cells(),
        by=None,
    )
    assert time.monotonic() - started < 10
    document.refresh_from_db()
    assert document.status == DocumentStatus.NEEDS_REVIEW, document.result.get("reasons")
    assert "hidden_by_merge" in {r["code"] for r in document.result["reasons"]}


def peak_rss_kb(pid: int) -> int:
    """The process's own high-water mark (Linux), so that a peak between two samples counts."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class PoolMemory:
    """Samples the worker's pool processes while it runs: which ones, and each one's peak RSS."""

    def __init__(self, worker_pid: int) -> None:
        self.worker = psutil.Process(worker_pid)
        self.peaks_kb: dict[int, int] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            for child in self.worker.children():
                try:
                    peak = max(child.memory_info().rss // 1024, peak_rss_kb(child.pid))
                except (psutil.Error, OSError):
                    continue  # replaced between listing and reading
                self.peaks_kb[child.pid] = max(self.peaks_kb.get(child.pid, 0), peak)
            time.sleep(0.02)

    def __enter__(self) -> PoolMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return max(self.peaks_kb.values()) / 1024


IN_FLIGHT = (DocumentStatus.QUEUED, DocumentStatus.PARSING)


@pytest.mark.worker(env={"WORKER_MAX_MEMORY_KB": str(CHILD_MEMORY_LIMIT_KB)})
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_hostile_file_ends_failed_or_in_review_with_its_reason_and_the_worker_serves_on(
    celery_worker_process, researcher, settings
):
    settings.PARSE_TIME_LIMIT_SECONDS = PARSE_SECONDS
    worker = celery_worker_process
    request = sent_request(researcher, force="kent")
    files = {item.name: item.build() for item in CORPUS}
    with PoolMemory(worker.proc.pid) as memory:
        started = time.monotonic()
        documents = {
            name: services.document_upload(request=request, name=name, content=content, by=None)[0]
            for name, content in files.items()
        }
        ids = [d.pk for d in documents.values()]
        wait_until(
            lambda: not Document.objects.filter(pk__in=ids, status__in=IN_FLIGHT).exists(),
            timeout=CORPUS_SECONDS,
        )
        corpus_seconds = time.monotonic() - started
        # The same worker process goes on serving: a good file still parses.
        good_file = demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", ["2018-19"]))
        good, _ = services.document_upload(
            request=request, name="kent.xlsx", content=good_file, by=None
        )
        wait_until(lambda: Document.objects.get(pk=good.pk).status not in IN_FLIGHT, timeout=60)

    wrong = []
    for item in CORPUS:
        document = Document.objects.get(pk=documents[item.name].pk)
        codes = [reason["code"] for reason in document.result.get("reasons", [])]
        if (document.status, document.attempts) != (item.status, 1) or item.code not in codes:
            wrong.append(f"{item.name}: {document.status} after {document.attempts}, {codes}")
        elif not document.status_reason.strip():
            wrong.append(f"{item.name}: {document.status} without a reason")
    assert not wrong, "\n".join(wrong)
    failed = [documents[i.name].pk for i in CORPUS if i.status == FAILED]
    assert not Observation.objects.filter(document__in=failed).exists()
    assert corpus_seconds < CORPUS_SECONDS

    assert Document.objects.get(pk=good.pk).status == DocumentStatus.PARSED
    assert worker.proc.poll() is None
    # Memory stayed bounded, and the per-child limit is in force: the pool process that grew past
    # it was replaced by a fresh one, which served the rest.
    peaks_mb = {pid: kb // 1024 for pid, kb in memory.peaks_kb.items()}
    assert max(peaks_mb.values()) < PEAK_RSS_BOUND_MB, peaks_mb
    grown = [pid for pid, kb in memory.peaks_kb.items() if kb > CHILD_MEMORY_LIMIT_KB]
    assert grown, f"no pool process grew past the limit: {peaks_mb}"
    assert not any(psutil.pid_exists(pid) for pid in grown), f"not replaced: {peaks_mb}"
    assert len(peaks_mb) > len(grown), peaks_mb
    print(f"corpus {corpus_seconds:.1f}s, pool peaks (MB)", peaks_mb)
