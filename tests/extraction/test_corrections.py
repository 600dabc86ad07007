"""A researcher's readings: labels mapped for the whole campaign (``LabelMap``) and one
document's corrections (``Hint``), applied by the engine on every read."""

from __future__ import annotations

from dataclasses import replace

from aggregation.extraction.default_vocabulary import default_vocabulary
from aggregation.extraction.engine import understand
from aggregation.extraction.grid import Sheet, Workbook
from aggregation.extraction.result import ExtractionResult, Verdict
from aggregation.extraction.vocabulary import Hint, HintKind, LabelMap

PERIODS = ("2017-18", "2018-19")


def _read(rows: list[list[object]], *, mappings=(), hints=()) -> ExtractionResult:
    vocabulary = replace(default_vocabulary(PERIODS), mappings=tuple(mappings))
    return understand(Workbook("xlsx", [Sheet("S", rows)]), vocabulary, hints)


def _figures(result: ExtractionResult) -> dict[tuple, int | None]:
    return {tuple(sorted(o.dimensions.items())): o.value for o in result.observations}


def _codes(result: ExtractionResult) -> set[str]:
    return {r.code for r in result.reasons if r.blocking}


OFFENCES = [
    ["Offence", "Year two", "2018/19"],
    ["Rape", 4, 5],
    ["Sexual grooming", 2, 3],
]


def test_a_period_spelling_mapped_once_is_read() -> None:
    before = _read(OFFENCES)
    (unknown,) = [r for r in before.reasons if r.code == "unknown_label"]
    assert (unknown.dimension, unknown.label, unknown.cells) == ("period", "Year two", "B1")
    assert (("offence", "Rape"), ("period", "2017-18")) not in _figures(before)
    mapped = _read(OFFENCES, mappings=[LabelMap("period", "YEAR  TWO", "2017-18")])
    assert _figures(mapped)[(("offence", "Rape"), ("period", "2017-18"))] == 4
    assert mapped.verdict is Verdict.PARSED


def test_an_age_spelling_mapped_once_is_read() -> None:
    rows = [["Age", "2018/19"], ["Pre-teen", 3], ["Teenager", 7]]
    assert {r.label for r in _read(rows).reasons if r.code == "unknown_label"} >= {"Pre-teen"}
    mapped = _read(
        rows, mappings=[LabelMap("age", "pre-teen", "0-12"), LabelMap("age", "Teenager", "13-17")]
    )
    assert _figures(mapped) == {
        (("age", "0-12"), ("period", "2018-19")): 3,
        (("age", "13-17"), ("period", "2018-19")): 7,
    }


def test_a_label_mapped_as_not_part_of_the_request_leaves_its_row_and_the_total_out() -> None:
    rows = [*OFFENCES, ["Burglary", 10, 10], ["Total", 16, 18]]
    result = _read(
        rows,
        mappings=[
            LabelMap("period", "Year two", "2017-18"),
            LabelMap("offence", "Burglary", ""),
        ],
    )
    figures = _figures(result)
    assert not [k for k in figures if ("offence", "Burglary") in k]
    assert (("period", "2017-18"),) not in figures, "the total counts burglary too"
    assert result.verdict is Verdict.PARSED
    assert "ignored_labels" in {r.code for r in result.reasons}


def test_a_total_of_the_asked_rows_alone_is_kept_beside_an_ignored_row() -> None:
    rows = [["Offence", "2018/19"], ["Rape", 5], ["Sexual grooming", 3], ["Total", 8]]
    rows.insert(3, ["Burglary", 10])
    result = _read(rows, mappings=[LabelMap("offence", "Burglary", "")])
    assert _figures(result)[(("period", "2018-19"),)] == 8


def test_a_row_marked_as_a_total_is_derived_not_a_part() -> None:
    rows = [["Offence", "2018/19"], ["Rape", 5], ["Sexual grooming", 3], ["All of the above", 8]]
    hinted = _read(rows, hints=[Hint("S", HintKind.TOTAL, row=3)])
    assert _figures(hinted)[(("period", "2018-19"),)] == 8
    assert hinted.verdict is Verdict.PARSED


def test_rows_and_columns_marked_not_data_or_another_measure_are_not_read() -> None:
    rows = [
        ["Offence", "2017/18", "2018/19", "Rank"],
        ["Rape", 5, 6, 1],
        ["Victims", 4, 4, 2],
        ["Sexual grooming", 3, 2, 3],
    ]
    hints = [Hint("S", HintKind.OTHER_MEASURE, row=2), Hint("S", HintKind.NOT_DATA, column=3)]
    result = _read(rows, hints=hints)
    assert _figures(result) == {
        (("offence", "Rape"), ("period", "2017-18")): 5,
        (("offence", "Rape"), ("period", "2018-19")): 6,
        (("offence", "Sexual grooming"), ("period", "2017-18")): 3,
        (("offence", "Sexual grooming"), ("period", "2018-19")): 2,
    }
    assert result.verdict is Verdict.PARSED


def test_a_subtotal_row_is_a_check_never_a_figure() -> None:
    rows = [
        ["Offence", "2018/19"],
        ["Rape", 5],
        ["Sexual grooming", 3],
        ["Contact offences", 8],
    ]
    result = _read(rows, hints=[Hint("S", HintKind.SUBTOTAL, row=3)])
    assert sum(v for v in _figures(result).values() if v) == 8


def test_a_table_given_its_period_by_a_researcher_is_read_for_it() -> None:
    rows = [["Figures for the year ending this spring"], ["Offence", "Count"], ["Rape", 5]]
    assert "no_period" in _codes(_read(rows))
    result = _read(rows, hints=[Hint("S", HintKind.PERIOD, row=1, period="2018-19")])
    assert _figures(result) == {(("offence", "Rape"), ("period", "2018-19")): 5}


def test_a_record_list_leaves_out_rows_under_an_ignored_label() -> None:
    import datetime as dt

    rows: list[list[object]] = [["Date recorded", "Offence", "Victim age"]]
    rows += [[dt.date(2018, 6, 1), "Rape", 13], [dt.date(2018, 7, 1), "Burglary", 12]]
    rows += [[dt.date(2018, 8, 1), "Sexual grooming", 14]]
    before = _read(rows)
    assert {r.label for r in before.reasons if r.code == "unknown_label"} == {"Burglary"}
    result = _read(rows, mappings=[LabelMap("offence", "burglary", "")])
    assert _figures(result)[(("period", "2018-19"),)] == 2
    assert "unknown_label" not in {r.code for r in result.reasons}
    (excluded,) = [r for r in result.reasons if r.code == "out_of_scope_rows"]
    assert "1 under labels mapped as not part of the request" in excluded.message
