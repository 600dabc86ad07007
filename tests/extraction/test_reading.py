"""The reading layer: every format read into the same grid, every hostile file refused cleanly.

No Django needed: run with ``pytest -p no:django tests/extraction/test_reading.py``.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import random
import re
import resource
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Alignment

from aggregation.extraction.grid import (
    ComputedFormula,
    ExcelError,
    FormulaWithoutValue,
    MergedRange,
    Visibility,
    Workbook,
)
from aggregation.extraction.reading import Limits, UnreadableFile, read_workbook
from aggregation.extraction.values import ValueKind, parse_value

from . import hostile as h

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SECONDS = 5.0
BOMB_MEMORY_MB = 150


def refused(source: object, code: str, **kwargs: object) -> UnreadableFile:
    """Assert the file is refused with ``code`` within a few seconds; return the refusal."""
    start = time.perf_counter()
    with pytest.raises(UnreadableFile) as caught:
        read_workbook(source, **kwargs)  # type: ignore[arg-type]
    assert time.perf_counter() - start < SECONDS
    assert caught.value.code == code, caught.value.message
    assert caught.value.message.endswith(".")
    return caught.value


def _child(conn: object, build: Callable[[], bytes]) -> None:
    data = build()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        read_workbook(data)
        code = ""
    except UnreadableFile as exc:
        code = exc.code
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send((code, (after - before) / 1024))  # type: ignore[attr-defined]


def refused_in_bounded_memory(build: Callable[[], bytes], code: str) -> None:
    """Read in a forked child so that its peak RSS is its own: the peak grows by little."""
    parent, child = multiprocessing.get_context("fork").Pipe()
    process = multiprocessing.get_context("fork").Process(target=_child, args=(child, build))
    process.start()
    process.join(60)
    assert process.exitcode == 0, "the reader crashed the process"
    got, grown_mb = parent.recv()
    assert got == code
    assert grown_mb < BOMB_MEMORY_MB, f"peak memory grew by {grown_mb:.0f} MB"


def only_sheet(workbook: Workbook) -> list[list[object]]:
    assert len(workbook.sheets) == 1
    return workbook.sheets[0].rows


# -- xlsx ------------------------------------------------------------------------------------


def _styled_workbook(workbook: object) -> None:
    sheet = workbook.active  # type: ignore[attr-defined]
    sheet.title = "Response"
    sheet["A1"] = "Online child sexual offences"
    sheet.merge_cells("B3:D3")
    sheet["B3"] = "Financial year"
    sheet.append([])
    sheet["A4"], sheet["B4"], sheet["C4"], sheet["D4"] = "Age", "2018/19", 12.5, 7
    sheet["A5"], sheet["B5"] = dt.date(2018, 4, 1), dt.datetime(2019, 3, 31, 14, 30)
    sheet["C5"], sheet["D5"] = "=SUM(C4:D4)", True
    hidden = workbook.create_sheet("Draft")  # type: ignore[attr-defined]
    hidden.sheet_state = "hidden"
    hidden["A1"] = 1
    secret = workbook.create_sheet("Lookup")  # type: ignore[attr-defined]
    secret.sheet_state = "veryHidden"
    secret["A1"] = "x"


def test_it_reads_an_xlsx_as_openpyxl_writes_it() -> None:
    workbook = read_workbook(h.openpyxl_workbook(_styled_workbook))
    assert workbook.format == "xlsx"
    response, draft, lookup = workbook.sheets
    assert response.rows == [
        ["Online child sexual offences", None, None, None],
        [None, None, None, None],
        [None, "Financial year", None, None],
        ["Age", "2018/19", 12.5, 7],
        [
            dt.date(2018, 4, 1),
            dt.datetime(2019, 3, 31, 14, 30),
            ComputedFormula(19.5, "=SUM(C4:D4)"),  # saved without a value: computed
            True,
        ],
    ]
    assert response.merged == [MergedRange(2, 1, 2, 3)]
    assert [s.visibility for s in workbook.sheets] == [
        Visibility.VISIBLE,
        Visibility.HIDDEN,
        Visibility.VERY_HIDDEN,
    ]
    assert (draft.rows, lookup.rows) == ([[1]], [["x"]])


def _indented_hierarchy(workbook: object) -> None:
    sheet = workbook.active  # type: ignore[attr-defined]
    for row in (["Offence", "2018-19"], ["Rape - total", 5], ["Rape of a female", 3]):
        sheet.append(row)
    sheet.append(["   Rape of a male (spaces)", 2])
    sheet["A3"].alignment = Alignment(indent=2)
    sheet["B3"].alignment = Alignment(indent=1)
    sheet["C3"].alignment = Alignment(indent=3)  # an empty cell: indents nothing
    sheet["A4"].alignment = Alignment(horizontal="left")  # aligned, not indented


def test_it_reads_the_indent_of_each_xlsx_cell() -> None:
    sheet = read_workbook(h.openpyxl_workbook(_indented_hierarchy)).sheets[0]
    assert sheet.indents == {(2, 0): 2, (2, 1): 1}
    assert sheet.rows[3][0] == "   Rape of a male (spaces)"  # leading spaces kept


def test_it_reads_indents_from_a_sheet_read_the_slow_way() -> None:
    styles = (
        f'<styleSheet xmlns="{h.MAIN_NS}"><cellXfs count="2"><xf/>'
        '<xf applyAlignment="1"><alignment indent="4"/></xf></cellXfs></styleSheet>'
    )
    prefixed = (
        f'<x:worksheet xmlns:x="{h.MAIN_NS}"><x:sheetData><x:row r="1">'
        '<x:c r="A1" s="1" t="inlineStr"><x:is><x:t>Child</x:t></x:is></x:c>'
        '<x:c r="B1"><x:v>5</x:v></x:c></x:row></x:sheetData></x:worksheet>'
    )
    data = h.xlsx([("S", prefixed)], extra={"xl/styles.xml": styles.encode()})
    assert read_workbook(data).sheets[0].indents == {(0, 0): 4}


def test_it_reads_integral_numbers_as_int_and_others_as_float() -> None:
    rows = h.cells_row(1, '<c r="A1"><v>42</v></c><c r="B1"><v>4.5</v></c><c r="C1"><v>1E3</v></c>')
    assert only_sheet(read_workbook(h.xlsx([("S", h.sheet_xml(rows))]))) == [[42, 4.5, 1000]]
    assert type(only_sheet(read_workbook(h.xlsx([("S", h.sheet_xml(rows))])))[0][0]) is int


def test_it_reads_excel_errors_and_formulas_without_cached_values() -> None:
    cells = (
        '<c r="A1" t="e"><v>#REF!</v></c>'
        '<c r="B1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        '<c r="C1"><f>SUM(A2:A9)</f></c>'
        '<c r="D1"><f>A1&amp;"x"</f><v></v></c>'
        '<c r="E1" t="str"><f>""</f><v></v></c>'
        '<c r="F1"><f>2+2</f><v>4</v></c>'
        '<c r="G1" t="e"><v>#N/A</v></c>'
    )
    rows = only_sheet(read_workbook(h.xlsx([("S", h.sheet_xml(h.cells_row(1, cells)))])))
    assert rows == [
        [
            ExcelError("#REF!"),
            ExcelError("#DIV/0!"),
            FormulaWithoutValue("SUM(A2:A9)"),
            FormulaWithoutValue('A1&"x"'),
            None,  # a formula whose cached result is the empty string is a blank
            4,
            ExcelError("#N/A"),
        ]
    ]


def test_it_marks_a_formula_without_value_even_as_the_last_cell_of_the_sheet() -> None:
    rows = h.cells_row(1, '<c r="A1"><v>1</v></c>') + h.cells_row(3, '<c r="C3"><f>A1*2</f></c>')
    assert only_sheet(read_workbook(h.xlsx([("S", h.sheet_xml(rows))]))) == [
        [1, None, None],
        [None, None, None],
        [None, None, FormulaWithoutValue("A1*2")],
    ]


def _formula_sheet(formulas: dict[str, str], values: dict[str, str] | None = None) -> list:
    """A sheet with numbers in B1:B4 (B3 blank), "*" in C1, and the given formulas in column D
    onwards, each saved without a value; returns its rows."""
    cells = {
        "B1": '<c r="B1"><v>10</v></c>',
        "B2": '<c r="B2"><v>5</v></c>',
        "B4": '<c r="B4"><v>2.5</v></c>',
        "C1": '<c r="C1" t="inlineStr"><is><t>*</t></is></c>',
        **{
            ref: f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'
            for ref, v in (values or {}).items()
        },
        **{
            ref: f'<c r="{ref}"><f>{f.replace("&", "&amp;")}</f></c>' for ref, f in formulas.items()
        },
    }
    by_row: dict[int, str] = {}
    for ref in sorted(cells, key=lambda r: (int(r[1:]), r[0])):
        by_row[int(ref[1:])] = by_row.get(int(ref[1:]), "") + cells[ref]
    xml = h.sheet_xml("".join(h.cells_row(r, c) for r, c in sorted(by_row.items())))
    return only_sheet(read_workbook(h.xlsx([("S", xml)])))


def test_it_computes_a_sum_saved_without_a_value_from_its_plain_number_parts() -> None:
    rows = _formula_sheet(
        {"D1": "SUM(B1:B2)", "E1": "SUM($B$1:B4)", "F1": "B1+B2-3", "G1": "D1+SUM(B1,B2)"}
    )
    assert rows[0][3:7] == [
        ComputedFormula(15, "=SUM(B1:B2)"),
        ComputedFormula(17.5, "=SUM($B$1:B4)"),  # the blank B3 counts as zero, as in Excel
        ComputedFormula(12, "=B1+B2-3"),
        ComputedFormula(30, "=D1+SUM(B1,B2)"),  # a computed formula is itself a plain part
    ]
    assert type(rows[0][3].value) is int


def test_it_computes_a_subtotal_sum_only_over_plain_numbers() -> None:
    rows = _formula_sheet({"D1": "SUBTOTAL(9,B1:B2)", "D2": "SUBTOTAL(9, B1:B2, D1:D1)"})
    assert rows[0][3] == ComputedFormula(15, "=SUBTOTAL(9,B1:B2)")
    # D1 is itself a subtotal, which SUBTOTAL leaves out: not knowable without reading it.
    assert rows[1][3] == FormulaWithoutValue("SUBTOTAL(9, B1:B2, D1:D1)")


@pytest.mark.parametrize(
    "formula",
    [
        "[1]Sheet1!B4",  # another workbook
        "SUM([1]Sheet1!B2:B4)",
        "Sheet2!B1+B2",  # another sheet
        "SUM(B1:C1)",  # a part is the marker "*": the total is not knowable
        "AVERAGE(B1:B2)",  # another function
        "B1*2",  # another operator
        "B1+1.5",  # a non-integer constant
        "D1",  # a cycle
        "SUBTOTAL(1,B1:B2)",  # an average
        "SUBTOTAL(109,B1:B2)",  # leaves out hidden rows, which this reading does not know
        "SUBTOTAL(9,B1,B2)",  # references only, never cells one by one
        "SUM(B3,B7:B9)",  # only blank parts: nothing the force counted
        "1+1",  # constants only
        "SUM(B1:B2",  # broken
    ],
)
def test_it_leaves_a_formula_it_cannot_compute_unknown_never_zero(formula: str) -> None:
    rows = _formula_sheet({"D1": formula})
    assert rows[0][3] == FormulaWithoutValue(formula)


def test_it_leaves_a_sum_over_an_unknown_formula_unknown() -> None:
    rows = _formula_sheet({"D1": "[1]Sheet1!B4", "D2": "SUM(D1,B1)", "D3": "D4+1", "D4": "D3+1"})
    assert [rows[r][3] for r in range(4)] == [
        FormulaWithoutValue("[1]Sheet1!B4"),
        FormulaWithoutValue("SUM(D1,B1)"),
        FormulaWithoutValue("D4+1"),
        FormulaWithoutValue("D3+1"),
    ]


def test_it_reads_an_ods_indent_from_the_cell_style_margin() -> None:
    styles = (
        '<style:style style:name="ce1" style:family="table-cell">'
        '<style:paragraph-properties fo:margin-left="0.706cm"/></style:style>'
    )
    table = (
        '<table:table table:name="S"><table:table-row>'
        '<table:table-cell table:style-name="ce1" office:value-type="string">'
        "<text:p>Child</text:p></table:table-cell>"
        '<table:table-cell table:style-name="ce1"/>'
        "</table:table-row><table:table-row>"
        '<table:table-cell office:value-type="string"><text:p><text:s text:c="2"/>Spaced'
        "</text:p></table:table-cell></table:table-row></table:table>"
    )
    sheet = read_workbook(h.ods(table, styles)).sheets[0]
    assert sheet.indents == {(0, 0): 2}
    assert sheet.rows[1][0] == "  Spaced"


def test_it_computes_an_ods_sum_saved_without_a_value() -> None:
    table = (
        '<table:table table:name="S"><table:table-row>'
        '<table:table-cell office:value-type="float" office:value="4"/>'
        '<table:table-cell office:value-type="float" office:value="6"/>'
        '<table:table-cell table:formula="of:=SUM([.A1:.B1])"/>'
        '<table:table-cell table:formula="of:=[.A1]+[$Other.B1]"/>'
        "</table:table-row></table:table>"
    )
    assert only_sheet(read_workbook(h.ods(table))) == [
        [4, 6, ComputedFormula(10, "=SUM([.A1:.B1])"), FormulaWithoutValue("of:=[.A1]+[$Other.B1]")]
    ]


def test_a_computed_formula_is_read_as_an_exact_figure_that_says_where_it_came_from() -> None:
    cell = parse_value(ComputedFormula(137, "=SUM(B2:B5)"))
    assert (cell.kind, cell.value, cell.lower, cell.upper) == (ValueKind.EXACT, 137, 137, 137)
    assert cell.note == "computed from its parts: =SUM(B2:B5) was saved without a value"


def test_it_keeps_a1_positions_when_data_starts_late() -> None:
    rows = h.cells_row(3, '<c r="C3" t="inlineStr"><is><t>Total</t></is></c>')
    grid = only_sheet(read_workbook(h.xlsx([("S", h.sheet_xml(rows))])))
    assert grid == [[None, None, None], [None, None, None], [None, None, "Total"]]


def test_it_reads_cells_written_without_references_or_with_a_namespace_prefix() -> None:
    no_refs = '<row><c><v>1</v></c><c><v>2</v></c></row><row r="3"><c t="e"><v>#N/A</v></c></row>'
    prefixed = (
        f'<x:worksheet xmlns:x="{h.MAIN_NS}"><x:sheetData><x:row r="1">'
        '<x:c r="B1"><x:v>5</x:v></x:c><x:c r="C1"><x:f>B1*2</x:f></x:c>'
        "</x:row></x:sheetData></x:worksheet>"
    )
    workbook = read_workbook(h.xlsx([("A", h.sheet_xml(no_refs)), ("B", prefixed)]))
    assert workbook.sheets[0].rows == [[1, 2], [None, None], [ExcelError("#N/A"), None]]
    assert workbook.sheets[1].rows == [[None, 5, FormulaWithoutValue("B1*2")]]


def test_it_reads_cells_in_any_order() -> None:
    cells = "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for r, c in [(5, "B"), (1, "A"), (3, "C")])
    grid = only_sheet(read_workbook(h.xlsx([("S", h.sheet_xml(h.cells_row(1, cells)))])))
    assert (len(grid), grid[0][0], grid[2][2], grid[4][1]) == (5, 1, 3, 5)


def test_it_ignores_the_dimension_a_sheet_claims() -> None:
    xml = h.sheet_xml(
        h.cells_row(1, '<c r="A1"><v>1</v></c>'), before='<dimension ref="A1:XFD1048576"/>'
    )
    start = time.perf_counter()
    assert only_sheet(read_workbook(h.xlsx([("S", xml)]))) == [[1]]
    assert time.perf_counter() - start < 1


def test_it_reads_a_sheet_styled_down_to_the_last_row_without_a_huge_grid() -> None:
    rows = h.cells_row(1, '<c r="A1"><v>1</v></c>') + h.cells_row(
        1048576, '<c r="XFD1048576" s="1"/>'
    )
    assert only_sheet(read_workbook(h.xlsx([("S", h.sheet_xml(rows))]))) == [[1]]


def test_it_clips_a_merge_that_claims_the_whole_sheet() -> None:
    xml = h.sheet_xml(
        h.cells_row(1, '<c r="A1"><v>1</v></c><c r="B1"><v>2</v></c>'),
        after='<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>',
    )
    assert read_workbook(h.xlsx([("S", xml)])).sheets[0].merged == [MergedRange(0, 0, 0, 1)]


def test_it_reports_progress_now_and_then_not_per_row() -> None:
    rows = "".join(h.cells_row(r, f'<c r="A{r}"><v>{r}</v></c>') for r in range(1, 25_001))
    calls: list[int] = []
    read_workbook(h.xlsx([("S", h.sheet_xml(rows))]), progress=calls.append)
    assert calls == [10_000, 20_000, 25_000]  # every 10,000 rows, then the final count


# -- xls -------------------------------------------------------------------------------------


def test_it_reads_an_xls_with_merges_visibility_and_errors() -> None:
    cells = [
        h.xls_cell(0, 0, "Financial year"),
        h.xls_cell(1, 0, "2018-19"),
        h.xls_cell(1, 1, 12),
        h.xls_cell(1, 2, 2.5),
        h.xls_cell(2, 1, ("error", 0x17)),
        h.xls_cell(2, 2, ("formula-error", 0x07)),
    ]
    data = h.xls(
        [("Data", cells), ("Old", [h.xls_cell(0, 0, "x")])], merges={0: [(0, 0, 0, 2)]}, hidden=[1]
    )
    workbook = read_workbook(data)
    assert workbook.format == "xls"
    assert workbook.sheets[0].rows == [
        ["Financial year", None, None],
        ["2018-19", 12, 2.5],
        [None, ExcelError("#REF!"), ExcelError("#DIV/0!")],
    ]
    assert workbook.sheets[0].merged == [MergedRange(0, 0, 0, 2)]
    assert workbook.sheets[1].visibility == Visibility.HIDDEN


# -- ods -------------------------------------------------------------------------------------

_ODS_TABLE = (
    '<table:table table:name="Response">'
    "<table:table-row>"
    '<table:table-cell table:number-columns-spanned="2" office:value-type="string">'
    '<text:p>Online <text:s text:c="2"/>offences</text:p>'
    "<office:annotation><text:p>a comment, not the value</text:p></office:annotation>"
    "</table:table-cell><table:covered-table-cell/></table:table-row>"
    '<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>'
    "<table:table-row>"
    '<table:table-cell office:value-type="float" office:value="12">'
    "<text:p>12</text:p></table:table-cell>"
    '<table:table-cell table:number-columns-repeated="2" office:value-type="percentage" '
    'office:value="0.25"/>'
    '<table:table-cell office:value-type="date" office:date-value="2018-04-01"/>'
    '<table:table-cell office:value-type="boolean" office:boolean-value="true"/>'
    '<table:table-cell table:formula="of:=[.A1]*2"/>'
    '<table:table-cell table:formula="of:=1/0" office:value-type="string" '
    'calcext:value-type="error">'
    "<text:p>#DIV/0!</text:p></table:table-cell>"
    '<table:table-cell table:number-columns-repeated="1000"/>'
    "</table:table-row>"
    '<table:table-row table:number-rows-repeated="1048571">'
    '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
    "</table:table>"
    '<table:table table:name="Draft" table:style-name="ta2"><table:table-row>'
    '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
    "</table:table-row></table:table>"
)
_ODS_STYLES = (
    '<style:style style:name="ta2" style:family="table">'
    '<style:table-properties table:display="false"/></style:style>'
)


def test_it_reads_an_ods_with_spans_repeats_hidden_tables_and_markers() -> None:
    start = time.perf_counter()
    workbook = read_workbook(h.ods(_ODS_TABLE, _ODS_STYLES))
    assert time.perf_counter() - start < 1  # the million padding rows cost nothing
    response, draft = workbook.sheets
    assert workbook.format == "ods"
    assert response.rows[:3] == [["Online   offences"] + [None] * 6, [None] * 7, [None] * 7]
    assert response.rows[3:] == [
        [
            12,
            0.25,
            0.25,
            dt.date(2018, 4, 1),
            True,
            FormulaWithoutValue("of:=[.A1]*2"),
            ExcelError("#DIV/0!"),
        ],
    ]
    assert response.merged == [MergedRange(0, 0, 0, 1)]
    assert (response.visibility, draft.visibility) == (Visibility.VISIBLE, Visibility.HIDDEN)


# -- csv -------------------------------------------------------------------------------------

_CSV_ROWS = [
    ["Age of victim", "FY 2015/16", "Café note"],
    ["0-10", "1,234", "<5"],
    ["Unknown", "", "*"],
]


def _csv(delimiter: str, line_end: str, encoding: str) -> bytes:
    def field(value: str) -> str:
        return f'"{value}"' if delimiter in value else value

    lines = [delimiter.join(field(v) for v in row) for row in _CSV_ROWS]
    return (line_end.join(lines) + line_end).encode(encoding)


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le", "utf-16-be"]
)
@pytest.mark.parametrize("line_end", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_it_reads_csv_in_every_encoding_line_end_and_dialect(
    encoding: str, line_end: str, delimiter: str
) -> None:
    workbook = read_workbook(_csv(delimiter, line_end, encoding))
    assert workbook.format == "csv"
    assert only_sheet(workbook) == [[v or None for v in row] for row in _CSV_ROWS]
    assert workbook.notes and "CSV read as" in workbook.notes[0]


def test_it_reads_excel_unicode_text_without_a_bom_as_utf16() -> None:
    # Excel's "Unicode text": tab-separated UTF-16 LE; saved through other tools, without the BOM.
    text = "Offence\tFY 2018/19\r\nSexual grooming – online\t12\r\nTotal\t12\r\n"
    for encoding in ("utf-16-le", "utf-16-be"):
        workbook = read_workbook(text.encode(encoding))
        assert only_sheet(workbook) == [
            ["Offence", "FY 2018/19"],
            ["Sexual grooming – online", "12"],
            ["Total", "12"],
        ]
        assert workbook.notes[0].startswith(f"CSV read as {encoding}, tab-separated")


def test_it_finds_the_tab_delimiter_below_title_lines_without_one() -> None:
    text = "Online offences – under 18\r\nGwent Police\r\n\r\nOffence\t2015/16\r\nRape\t5\r\n"
    rows = only_sheet(read_workbook(text.encode("utf-16")))
    assert rows[3:] == [["Offence", "2015/16"], ["Rape", "5"]]


def test_it_still_rejects_binary_data_with_zero_bytes_in_every_other_place() -> None:
    # 16-bit integers below 256: zero high bytes like UTF-16, but decoded they are control codes.
    data = bytes(b for n in random.Random(4).choices(range(32), k=50_000) for b in (n, 0))
    refused(data, "unknown_format")


def test_it_keeps_leading_spaces_in_xls_and_csv_labels() -> None:
    xls = h.xls([("S", [h.xls_cell(0, 0, "  Child"), h.xls_cell(0, 1, 3)])])
    assert only_sheet(read_workbook(xls)) == [["  Child", 3]]
    assert only_sheet(read_workbook(b"Offence,Count\n  Child,3\n"))[1] == ["  Child", "3"]


def test_it_keeps_csv_cells_as_text_and_quoted_line_breaks_inside_cells() -> None:
    data = b'Offence,Count\r\n"Sexual grooming\r\n(s.15)", 045 \r\n'
    assert only_sheet(read_workbook(data)) == [
        ["Offence", "Count"],
        ["Sexual grooming\r\n(s.15)", " 045 "],
    ]


def test_it_reads_a_single_column_csv() -> None:
    assert only_sheet(read_workbook(b"Total\n12\n")) == [["Total"], ["12"]]


def test_it_pads_ragged_csv_rows_to_one_width() -> None:
    assert only_sheet(read_workbook(b"Title\n\na,b,c\n")) == [
        ["Title", None, None],
        [None, None, None],
        ["a", "b", "c"],
    ]


# -- pdf and docx ----------------------------------------------------------------------------

_ABOVE = ["Merseyside Police", "Dear Requester,", "Offences recorded 2018/19", "by age of victim"]
_TABLE = [["Age", "Offences"], ["Under 13", "1,234"], ["13-15", "*"], ["Total", "1,240"]]
_BELOW = ["* fewer than five", "Yours sincerely"]


def _expected_table_sheet(title: list[str], table: list[list[str]], notes: list[str]) -> list:
    width = max(map(len, table))
    pad = [None] * (width - 1)
    return [[line, *pad] for line in title] + table + [[line, *pad] for line in notes]


def test_it_reads_each_pdf_table_as_a_sheet_under_the_lines_above_it() -> None:
    pages = [
        h.pdf_text_page(["Dear Requester,", "Please find below the figures."]),
        h.pdf_table_page(_ABOVE, _TABLE, _BELOW),
    ]
    for flate in (False, True):
        workbook = read_workbook(h.pdf(pages, flate=flate))
        assert workbook.format == "pdf"
        (sheet,) = workbook.sheets
        assert sheet.name == "Page 2 table 1"
        # The three lines right above are the title; the ones below are notes (the legend).
        assert sheet.rows == _expected_table_sheet(_ABOVE[-3:], _TABLE, _BELOW)


def test_it_reads_a_pdf_table_set_out_in_columns_without_rules() -> None:
    table = [
        ["Offence", "2017/18", "2018/19"],
        ["Sexual activity involving a child", "6", "33"],
        ["Sexual grooming", "", "12"],  # an empty cell stays a gap in its own column
        ["Total", "6", "45"],
    ]
    above = ["Leicestershire Police", "Offences by year"]
    workbook = read_workbook(
        h.pdf([h.pdf_table_page(above, table, ["Source: Niche"], ruled=False)])
    )
    (sheet,) = workbook.sheets
    assert sheet.name == "Page 1 table 1"
    expected = [[None if v == "" else v for v in row] for row in table]
    assert sheet.rows == _expected_table_sheet(above, expected, ["Source: Niche"])


def test_a_pdf_letter_whose_lines_hold_no_figures_is_never_a_table() -> None:
    lines = ["Dear Requester,", "Thank you for your request of 3 May.", "Yours sincerely"]
    workbook = read_workbook(h.pdf([h.pdf_table_page([], [[line] for line in lines], ruled=False)]))
    assert [s.name for s in workbook.sheets] == ["Text"]


def test_it_reads_two_tables_on_one_pdf_page_each_with_its_own_title() -> None:
    first = h.pdf_table_page(["Offences 2017/18"], [["Age", "N"], ["13", "4"]])
    second = h.pdf_table_page(["Offences 2018/19"], [["Age", "N"], ["13", "7"]])
    # The second table drawn 200 points lower on the same page.
    lowered = second.replace(b" Td", b" Td").decode("latin-1")
    lowered = re.sub(
        r"(-?\d+\.\d) (-?\d+\.\d)( Td| m| l)",
        lambda m: f"{m[1]} {float(m[2]) - 200:.1f}{m[3]}",
        lowered,
    ).encode("latin-1")
    workbook = read_workbook(h.pdf([first + lowered]))
    assert [(s.name, s.rows[0][0], s.rows[-1]) for s in workbook.sheets] == [
        ("Page 1 table 1", "Offences 2017/18", ["13", "4"]),
        ("Page 1 table 2", "Offences 2018/19", ["13", "7"]),
    ]


def test_it_reads_a_pdf_letter_without_a_table_as_prose_rows() -> None:
    lines = ["Dear Requester,", "The information you asked for is not held by this force."]
    workbook = read_workbook(h.pdf([h.pdf_text_page(lines)]))
    assert [(s.name, s.rows) for s in workbook.sheets] == [("Text", [[line] for line in lines])]


def test_it_rejects_a_scanned_pdf_with_no_text_saying_so() -> None:
    refusal = refused(h.pdf([b"0 0 m 100 100 l S\n"]), "scanned_pdf")
    assert "scanned" in refusal.message and "spreadsheet" in refusal.message


def test_it_rejects_an_encrypted_pdf() -> None:
    refused(h.pdf([h.pdf_text_page(["x"])], encrypt=True), "encrypted")


@pytest.mark.parametrize(
    "build",
    [
        lambda: h.pdf([h.pdf_text_page(["x"])], declared_pages=1_000_000),
        lambda: h.pdf([h.pdf_text_page(["x"])] * 400, declared_pages=1),
    ],
)
def test_it_rejects_a_pdf_with_a_huge_page_count_without_laying_it_out(
    build: Callable[[], bytes],
) -> None:
    refused(build(), "too_large")


def test_it_rejects_a_pdf_stream_that_inflates_like_a_zip_bomb() -> None:
    refused(h.pdf_stream_bomb(), "zip_bomb")
    refused_in_bounded_memory(h.pdf_stream_bomb, "zip_bomb")


def _word_response(document: object) -> None:
    for line in _ABOVE:
        document.add_paragraph(line)  # type: ignore[attr-defined]
    table = document.add_table(rows=len(_TABLE), cols=2)  # type: ignore[attr-defined]
    for r, row in enumerate(_TABLE):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    for line in _BELOW:
        document.add_paragraph(line)  # type: ignore[attr-defined]


def test_it_reads_each_word_table_as_a_sheet_under_the_lines_above_it() -> None:
    workbook = read_workbook(h.docx(_word_response))
    assert workbook.format == "docx"
    assert [(s.name, s.rows) for s in workbook.sheets] == [
        ("Table 1", _expected_table_sheet(_ABOVE[-3:], _TABLE, _BELOW))
    ]


def _merged_word_table(document: object) -> None:
    document.add_paragraph("Offences by year")  # type: ignore[attr-defined]
    table = document.add_table(rows=4, cols=3)  # type: ignore[attr-defined]
    table.cell(0, 1).merge(table.cell(0, 2)).text = "2018/19"
    table.cell(1, 0).merge(table.cell(2, 0)).text = "Rape"
    for r, c, text in [(1, 1, "Female"), (1, 2, "3"), (2, 1, "Male"), (2, 2, "1")]:
        table.cell(r, c).text = text
    table.cell(3, 0).text = "  Spaced child"


def test_it_reads_merged_word_cells_once_with_their_merged_range() -> None:
    (sheet,) = read_workbook(h.docx(_merged_word_table)).sheets
    assert sheet.rows == [
        ["Offences by year", None, None],
        [None, "2018/19", None],
        ["Rape", "Female", "3"],
        [None, "Male", "1"],
        ["  Spaced child", None, None],
    ]
    assert sorted(sheet.merged, key=lambda m: m.first_row) == [
        MergedRange(1, 1, 1, 2),
        MergedRange(2, 0, 3, 0),
    ]


def test_it_reads_a_word_letter_without_a_table_as_prose_rows() -> None:
    def letter(document: object) -> None:
        document.add_paragraph("Dear Requester,")  # type: ignore[attr-defined]
        document.add_paragraph("We neither confirm nor deny that we hold it.")  # type: ignore[attr-defined]

    assert [(s.name, s.rows) for s in read_workbook(h.docx(letter)).sheets] == [
        ("Text", [["Dear Requester,"], ["We neither confirm nor deny that we hold it."]])
    ]


def test_it_rejects_a_macro_enabled_word_document() -> None:
    data = h.docx(_word_response)
    types = h.unzip(data)["[Content_Types].xml"].replace(
        b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
    )
    refused(h.replace_part(data, "[Content_Types].xml", types), "macros")
    parts = h.unzip(data)
    parts["word/vbaProject.bin"] = b"\0" * 100
    refused(h.zip_bytes(parts), "macros")


def test_it_rejects_a_zip_bomb_inside_a_word_document() -> None:
    refused(h.bomb_in_part(h.docx(_word_response), "word/document.xml"), "zip_bomb")
    refused_in_bounded_memory(
        lambda: h.bomb_in_part(h.docx(_word_response), "word/styles.xml"), "zip_bomb"
    )


def test_it_rejects_xml_entities_in_a_word_document() -> None:
    data = h.docx(_word_response)
    document = h.unzip(data)["word/document.xml"]
    start = document.index(b"?>") + 2
    hostile = document[:start] + _LAUGHS.encode() + document[start:]
    refused(h.replace_part(data, "word/document.xml", hostile), "xml_entities")


def test_it_rejects_a_word_document_with_more_cells_than_it_reads() -> None:
    def big(document: object) -> None:
        document.add_table(rows=30, cols=10)  # type: ignore[attr-defined]

    refused(h.docx(big), "too_large", limits=Limits(max_document_cells=200))


# -- the format comes from the bytes ---------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "suffix", "expected"),
    [
        (
            lambda: h.xlsx([("S", h.sheet_xml(h.cells_row(1, '<c r="A1"><v>1</v></c>')))]),
            ".csv",
            "xlsx",
        ),
        (lambda: b"a,b\n1,2\n", ".xlsx", "csv"),
        (lambda: h.ods(_ODS_TABLE), ".xls", "ods"),
        (lambda: h.xls([("S", [h.xls_cell(0, 0, 1)])]), ".xlsx", "xls"),
        (lambda: h.pdf([h.pdf_table_page([], [["a", "b"], ["1", "2"]])]), ".xls", "pdf"),
        (lambda: h.docx(lambda d: d.add_table(rows=1, cols=2)), ".pdf", "docx"),
    ],
)
def test_it_decides_the_format_by_bytes_not_name(
    tmp_path: Path, build: Callable[[], bytes], suffix: str, expected: str
) -> None:
    path = tmp_path / f"response{suffix}"
    path.write_bytes(build())
    assert read_workbook(path).format == expected
    assert read_workbook(str(path)).format == expected


# -- safety ----------------------------------------------------------------------------------


def test_it_rejects_an_empty_file(tmp_path: Path) -> None:
    refused(b"", "empty_file")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    refused(tmp_path / "empty.xlsx", "empty_file")
    refused(b"\xef\xbb\xbf\r\n  \r\n", "empty_file")


def test_it_rejects_binary_garbage() -> None:
    refused(random.Random(7).randbytes(100_000), "unknown_format")


@pytest.mark.parametrize(
    "data",
    [b"<html><table><tr><td>1</td></tr></table></html>", h.ole({"WordDocument": b"x"})],
)
def test_it_rejects_other_kinds_of_documents(data: bytes) -> None:
    refused(data, "unknown_format")


@pytest.mark.parametrize(
    "data", [h.zip_bytes({"word/document.xml": b"<w/>"}), b"%PDF-1.7\n...", b"%PDF-1.4\n" * 40]
)
def test_it_rejects_a_damaged_pdf_or_word_document_as_damaged(data: bytes) -> None:
    refused(data, "corrupt")


def test_it_rejects_a_truncated_xlsx_and_xls() -> None:
    whole = h.openpyxl_workbook(_styled_workbook)
    refused(whole[: len(whole) // 2], "truncated")
    xls = h.xls([("S", [h.xls_cell(0, 0, 1)])])
    refused(xls[:700], "truncated")


def test_it_rejects_a_password_protected_workbook_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "protected.xlsx"
    path.write_bytes(h.ole({"EncryptionInfo": b"\x04\x00\x04\x00", "EncryptedPackage": b"x"}))
    refused(path, "encrypted")
    refused(h.xls([("S", [h.xls_cell(0, 0, 1)])], encrypted=True), "encrypted")


@pytest.mark.parametrize(
    "data",
    [
        h.xlsx([("S", h.sheet_xml(""))], extra={"xl/vbaProject.bin": b"\0" * 100}),
        h.xlsx([("S", h.sheet_xml(""))], main_type=h.MACRO_MAIN_TYPE),
        h.xlsx([("S", h.sheet_xml(""))], extra={"xl/macrosheets/sheet1.xml": b"<xm/>"}),
        h.ods(_ODS_TABLE, extra={"Basic/Standard/Module1.xml": b"<m/>"}),
    ],
)
def test_it_rejects_a_workbook_with_macros(data: bytes) -> None:
    refused(data, "macros")


_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


_EXTERNAL = '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


def _external_entity_in_workbook_part() -> bytes:
    data = h.xlsx([("S", h.sheet_xml(""))])
    parts = h.unzip(data)
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b'<?xml version="1.0"?>', b'<?xml version="1.0"?>' + _EXTERNAL.encode()
    )
    return h.zip_bytes(parts)


@pytest.mark.parametrize(
    "build",
    [
        lambda: h.xlsx(
            [
                (
                    "S",
                    h.sheet_xml(
                        h.cells_row(1, '<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c>'),
                        prolog=_LAUGHS,
                    ),
                )
            ]
        ),
        lambda: h.xlsx(
            [("S", h.sheet_xml(""))], shared_strings=_EXTERNAL + "<sst><si><t>&x;</t></si></sst>"
        ),
        _external_entity_in_workbook_part,
        lambda: h.ods(_ODS_TABLE, prolog=_EXTERNAL),
    ],
)
def test_it_rejects_xml_entities(build: Callable[[], bytes]) -> None:
    refused(build(), "xml_entities")


def test_it_rejects_a_zip_bomb_by_its_declared_size() -> None:
    refused_in_bounded_memory(h.honest_zip_bomb, "zip_bomb")


def test_it_rejects_a_zip_bomb_that_lies_about_its_size() -> None:
    data = h.lying_zip_bomb()
    refused(data, "zip_bomb")
    refused_in_bounded_memory(h.lying_zip_bomb, "zip_bomb")


def test_it_rejects_a_zip_with_duplicate_parts() -> None:
    data = h.xlsx([("S", h.sheet_xml(""))])
    parts = h.unzip(data)
    refused(h.raw_zip(parts, lie={}, duplicate="xl/worksheets/sheet1.xml"), "corrupt")


def _far_cell() -> bytes:
    rows = h.cells_row(1, '<c r="A1"><v>1</v></c>') + h.cells_row(
        1048576, '<c r="XFD1048576"><v>2</v></c>'
    )
    return h.xlsx([("S", h.sheet_xml(rows))])


def _far_cell_hidden_by_a_prefix() -> bytes:
    xml = (
        f'<x:worksheet xmlns:x="{h.MAIN_NS}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c>'
        '</x:row><x:row r="1048576"><x:c r="XFD1048576"><x:v>2</x:v></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    return h.xlsx([("S", xml)])


def _far_rows_without_references() -> bytes:
    rows = '<row r="1"><c><v>1</v><f>x</f></c></row>' + h.cells_row(1048576, "<c><v>1</v></c>" * 20)
    return h.xlsx([("S", h.sheet_xml(rows))])


@pytest.mark.parametrize(
    "build", [_far_cell, _far_cell_hidden_by_a_prefix, _far_rows_without_references]
)
def test_it_rejects_a_single_cell_at_the_far_corner_without_allocating_the_grid(
    build: Callable[[], bytes],
) -> None:
    refused(build(), "too_many_cells")
    refused_in_bounded_memory(build, "too_many_cells")


def test_it_rejects_a_shared_strings_table_that_lies_about_its_count() -> None:
    strings = f'<sst xmlns="{h.MAIN_NS}" count="1" uniqueCount="4000000000"><si><t>x</t></si></sst>'
    rows = h.cells_row(1, '<c r="A1" t="s"><v>0</v></c>')
    refused(h.xlsx([("S", h.sheet_xml(rows))], shared_strings=strings), "corrupt")


def test_it_reads_shared_strings() -> None:
    strings = (
        f'<sst xmlns="{h.MAIN_NS}" count="2" uniqueCount="2">'
        "<si><t>Rape</t></si><si><t>Total</t></si></sst>"
    )
    rows = h.cells_row(1, '<c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>')
    assert only_sheet(
        read_workbook(h.xlsx([("S", h.sheet_xml(rows))], shared_strings=strings))
    ) == [["Rape", "Total"]]


def test_it_rejects_an_xls_cell_at_the_far_corner() -> None:
    data = h.xls([("S", [h.xls_cell(0, 0, 1), h.xls_cell(65535, 255, 2)])])
    refused(data, "too_many_cells")


def test_it_rejects_an_ods_cell_repeated_across_the_whole_sheet() -> None:
    table = (
        '<table:table table:name="S"><table:table-row table:number-rows-repeated="1048576">'
        '<table:table-cell table:number-columns-repeated="16384" office:value-type="float" '
        'office:value="1"/></table:table-row></table:table>'
    )
    refused(h.ods(table), "too_many_cells")


def _huge_csv_field() -> bytes:
    return b"a,b\n1," + b"x" * (100 * 2**20) + b"\n"


def test_it_rejects_a_100_mb_csv_field() -> None:
    refused(_huge_csv_field(), "field_too_large", limits=Limits(max_file_bytes=200 * 2**20))


def test_it_rejects_a_100_mb_csv_field_in_bounded_memory() -> None:
    refused_in_bounded_memory(_huge_csv_field, "too_large")  # over the default 100 MB file cap
    big = Limits(max_file_bytes=200 * 2**20)
    parent, child = multiprocessing.get_context("fork").Pipe()

    def run(conn: object) -> None:
        data = _huge_csv_field()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            read_workbook(data, limits=big)
        except UnreadableFile as exc:
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            conn.send((exc.code, (after - before) / 1024))  # type: ignore[attr-defined]

    process = multiprocessing.get_context("fork").Process(target=run, args=(child,))
    process.start()
    process.join(60)
    code, grown_mb = parent.recv()
    assert (code, grown_mb < BOMB_MEMORY_MB) == ("field_too_large", True)


def test_it_rejects_a_csv_with_more_cells_than_the_limit() -> None:
    refused(b"a,b\n" * 1000, "too_many_cells", limits=Limits(max_cells=500))


def test_it_rejects_a_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" * 1000)
    refused(path, "too_large", limits=Limits(max_file_bytes=100))


def test_it_rejects_a_missing_file(tmp_path: Path) -> None:
    refused(tmp_path / "nowhere.xlsx", "corrupt")


_VALID = {
    "xlsx": lambda: h.openpyxl_workbook(_styled_workbook),
    "xls": lambda: h.xls(
        [("S", [h.xls_cell(0, 0, "a"), h.xls_cell(1, 1, 2), h.xls_cell(2, 0, ("error", 7))])]
    ),
    "ods": lambda: h.ods(_ODS_TABLE, _ODS_STYLES),
    "csv": lambda: _csv(";", "\r\n", "cp1252"),
    "pdf": lambda: h.pdf([h.pdf_table_page(["Offences 2018/19"], [["Age", "N"], ["13", "4"]])]),
    "docx": lambda: h.docx(_word_response),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(_VALID)),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=8),
)
def test_it_never_lets_another_exception_escape(
    kind: str, cut: float, flips: list[tuple[float, int]]
) -> None:
    data = bytearray(_VALID[kind]())
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    data = data[: max(1, int(len(data) * cut))] if cut < 1 else data
    start = time.perf_counter()
    try:
        assert isinstance(read_workbook(bytes(data)), Workbook)
    except UnreadableFile as exc:
        assert exc.code and exc.message
    assert time.perf_counter() - start < SECONDS


# -- the shared sample files -------------------------------------------------------------------

_SHARED_FILES = sorted(
    path
    for folder in ("samples/campaign", "samples/traps", "real")
    for path in (SHARED / folder).glob("*")
    if path.suffix in (".xlsx", ".xls", ".ods", ".csv")
)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent (a fresh clone)")
@pytest.mark.parametrize("path", _SHARED_FILES, ids=lambda p: p.name)
def test_it_reads_every_shared_sample(path: Path) -> None:
    workbook = read_workbook(path)
    assert workbook.format == path.suffix[1:]
    assert workbook.sheets and all(sheet.rows for sheet in workbook.sheets)


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent (a fresh clone)")
def test_it_reads_the_real_btp_file_and_its_csv_export_alike() -> None:
    xlsx = read_workbook(SHARED / "real" / "FOI Response 076-17 Data.xlsx").sheets[0]
    csv = read_workbook(SHARED / "real" / "FOIResponse076-17Data.csv")
    assert xlsx.n_rows == csv.sheets[0].n_rows == 4294
    assert xlsx.rows[0] == csv.sheets[0].rows[0]
    assert xlsx.merged and "CR line ends" in csv.notes[0]


def _two_sheets_named_alike() -> bytes:
    far = h.cells_row(1048576, '<c r="XFD1048576"><v>2</v></c>')
    return h.xlsx(
        [("S", h.sheet_xml(far)), ("S", h.sheet_xml(h.cells_row(1, '<c r="A1"><v>1</v></c>')))]
    )


def _shared_strings_pointing_at_a_sheet() -> bytes:
    parts = h.unzip(h.xlsx([("S", h.sheet_xml(""))], shared_strings="<sst/>"))
    rels = parts["xl/_rels/workbook.xml.rels"]
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        b"sharedStrings.xml", b"worksheets/sheet1.xml"
    )
    return h.zip_bytes(parts)


@pytest.mark.parametrize(
    ("build", "code"),
    [(_two_sheets_named_alike, "too_many_cells"), (_shared_strings_pointing_at_a_sheet, "corrupt")],
)
def test_it_rejects_a_package_that_would_let_a_sheet_skip_the_checks(
    build: Callable[[], bytes], code: str
) -> None:
    refused(build(), code)


# -- size and memory ---------------------------------------------------------------------------


def _long_sheet() -> bytes:
    rows = "".join(
        h.cells_row(
            r,
            f'<c r="A{r}" t="inlineStr"><is><t>Offence {r % 7}</t></is></c>'
            f'<c r="B{r}"><v>{r}</v></c>'
            + (f'<c r="C{r}" t="e"><v>#N/A</v></c>' if r % 50 == 0 else ""),
        )
        for r in range(1, 2001)
    )
    rows += h.cells_row(2001, '<c r="B2001"><f>SUM(B1:B2000)</f></c>')
    after = '<mergeCells count="1"><mergeCell ref="A1990:A1992"/></mergeCells>'
    return h.xlsx([("Long", h.sheet_xml(rows, after=after))])


def test_it_reads_a_sheet_cut_into_chunks_exactly_as_a_whole_one(monkeypatch) -> None:
    from aggregation.extraction.reading import xlsx

    whole = read_workbook(_long_sheet()).sheets[0]
    monkeypatch.setattr(xlsx, "CHUNK_BYTES", 4096)  # about 60 rows a chunk
    chunked = read_workbook(_long_sheet()).sheets[0]
    assert chunked.rows == whole.rows
    assert chunked.merged == whole.merged == [MergedRange(1989, 0, 1991, 0)]
    assert chunked.rows[-1][1] == ComputedFormula(2001000, "=SUM(B1:B2000)")
    assert chunked.rows[49][2] == ExcelError("#N/A")
    assert chunked.rows[0][0] is chunked.rows[7][0]  # one object for a repeated label


def test_it_parses_at_most_two_chunks_at_once_however_long_the_sheet(monkeypatch) -> None:
    import threading

    from aggregation.extraction.reading import calamine, xlsx

    monkeypatch.setattr(xlsx, "CHUNK_BYTES", 4096)
    lock, running, most, parsed = threading.Lock(), [0], [0], []
    parse = calamine.ChunkedWorkbook._parse

    def counted(self, index, name):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            return parse(self, index, name)
        finally:
            with lock:
                running[0] -= 1
                parsed.append(index)

    monkeypatch.setattr(calamine.ChunkedWorkbook, "_parse", counted)
    sheet = read_workbook(_long_sheet()).sheets[0]
    assert sheet.n_rows == 2001
    assert sorted(parsed) == list(range(len(parsed))) and len(parsed) > 10
    assert most[0] <= calamine.ChunkedWorkbook.PARSERS


def test_it_stops_a_read_that_needs_more_memory_than_its_ceiling() -> None:
    data = b"".join(b"%d,%d,row %d\n" % (i, i * 7, i) for i in range(400_000))
    refusal = refused(data, "too_large", limits=Limits(max_memory_mb=10))
    assert "memory" in refusal.message and "ask the force" in refusal.message
