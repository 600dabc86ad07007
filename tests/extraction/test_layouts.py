"""The engine reads a known truth back from many layouts, spellings, formats and tokens, and
turns every doubt into a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregation.extraction.default_vocabulary import CATEGORIES, default_vocabulary
from aggregation.extraction.engine import extract, understand
from aggregation.extraction.grid import FormulaWithoutValue, Sheet, Workbook
from aggregation.extraction.result import ExtractionResult, Verdict
from aggregation.extraction.summary import summarise

from .builders import (
    AGE_SPELLINGS,
    COUNT_SPELLINGS,
    LAYOUTS,
    PERIOD_SPELLINGS,
    SINGLE_SHEET,
    SheetSpec,
    Spelling,
    Truth,
    offence_spelling,
    to_csv,
    to_xlsx,
)

PERIODS = ("2015-16", "2016-17", "2017-18", "2018-19")
AGES = ("0-10", "11", "12", "13", "14", "15", "16", "17", "unknown")
VOCABULARY = default_vocabulary(PERIODS)


def _truth(dimension: str, seed: int = 1) -> Truth:
    categories = AGES if dimension == "age" else CATEGORIES
    counts = {
        (p, c): (i * 7 + j * 3 + seed) % 13
        for i, p in enumerate(PERIODS)
        for j, c in enumerate(categories)
    }
    return Truth(dimension, PERIODS, categories, counts)


def _codes(result: ExtractionResult) -> set[str]:
    return {r.code for r in result.reasons}


def _assert_reads_back(result: ExtractionResult, truth: Truth) -> None:
    blocking = [r for r in result.reasons if r.blocking]
    assert result.verdict is Verdict.PARSED, blocking
    summary = summarise(result)
    for p in truth.periods:
        assert summary[p].total is not None and summary[p].total.value == truth.total(p), p
        found = summary[p].ages if truth.dimension == "age" else summary[p].offences
        for c in truth.categories:
            got = found.get(c)
            expected = truth.counts[(p, c)]
            assert (got.value if got else 0) == expected, (p, c)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dimension", ["age", "offence"])
def test_each_layout_reads_back_from_xlsx(layout: str, dimension: str) -> None:
    truth = _truth(dimension)
    category = (lambda c: c) if dimension == "age" else offence_spelling(1)
    sheets = LAYOUTS[layout](truth, Spelling(category=category))
    _assert_reads_back(extract(to_xlsx(sheets), VOCABULARY), truth)


@pytest.mark.parametrize("layout", sorted(SINGLE_SHEET))
@pytest.mark.parametrize(
    ("encoding", "newline"), [("utf-8", "\r\n"), ("utf-8-sig", "\n"), ("cp1252", "\r")]
)
def test_each_layout_reads_back_from_csv(layout: str, encoding: str, newline: str) -> None:
    truth = _truth("offence", seed=3)
    sheets = LAYOUTS[layout](truth, Spelling(category=offence_spelling(0)))
    _assert_reads_back(
        extract(to_csv(sheets, encoding=encoding, newline=newline), VOCABULARY), truth
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    dimension=st.sampled_from(["age", "offence"]),
    layout=st.sampled_from(sorted(LAYOUTS)),
    csv_format=st.booleans(),
)
def test_any_truth_in_any_layout_reads_back(
    data, dimension: str, layout: str, csv_format: bool
) -> None:
    periods = tuple(sorted(data.draw(st.sets(st.sampled_from(PERIODS), min_size=1, max_size=4))))
    pool = AGES if dimension == "age" else CATEGORIES
    chosen = data.draw(st.sets(st.sampled_from(pool), min_size=2))
    categories = tuple(c for c in pool if c in chosen)
    counts = {
        (p, c): data.draw(st.integers(0, 40 if layout.startswith("records") else 5000))
        for p in periods
        for c in categories
    }
    truth = Truth(dimension, periods, categories, counts)
    if dimension == "age":
        category = data.draw(st.sampled_from(AGE_SPELLINGS))
    else:
        category = offence_spelling(data.draw(st.integers(0, 2)))
    spelling = Spelling(
        period=data.draw(st.sampled_from(PERIOD_SPELLINGS)),
        category=category,
        count=data.draw(st.sampled_from(COUNT_SPELLINGS)),
    )
    sheets = LAYOUTS[layout](truth, spelling)
    as_csv = csv_format and layout != "sheet_per_year"
    source = to_csv(sheets) if as_csv else to_xlsx(sheets)
    _assert_reads_back(extract(source, default_vocabulary(periods)), truth)


# -- doubts become reasons -----------------------------------------------------------------------


def _sheet(rows: list[list[object]], name: str = "Sheet1", **kwargs: object) -> Workbook:
    return Workbook("xlsx", [Sheet(name, rows, **kwargs)])


def _figures(
    rows: list[list[object]], *dimensions: str, vocabulary=VOCABULARY
) -> tuple[ExtractionResult, dict[object, int | None]]:
    """One sheet understood, which must parse; its figures keyed by ``dimensions`` (the value
    itself for one dimension, a tuple for several; None where a figure lacks one)."""
    result = understand(_sheet(rows), vocabulary)
    assert result.verdict is Verdict.PARSED, result.reasons
    keys = [tuple(o.dimensions.get(d) for d in dimensions) for o in result.observations]
    return result, {
        (key[0] if len(key) == 1 else key): o.value
        for key, o in zip(keys, result.observations, strict=True)
    }


BASE = [
    ["Offence", "2017/18", "2018/19"],
    ["Rape", 4, 5],
    ["Sexual grooming", 6, 7],
    ["Total", 10, 12],
]


def test_a_total_that_disagrees_with_its_parts_needs_review() -> None:
    rows = [r[:] for r in BASE]
    rows[3][2] = 13
    result = understand(_sheet(rows), VOCABULARY)
    assert result.verdict is Verdict.NEEDS_REVIEW
    mismatch = [r for r in result.reasons if r.code == "total_mismatch"]
    assert mismatch and "C4" in mismatch[0].cells
    derived = [o for o in result.observations if o.derived]
    assert {o.value for o in derived} == {10, 13}  # kept, never added to the parts


def test_an_unknown_label_is_reported_with_its_cell_never_guessed() -> None:
    rows = [r[:] for r in BASE]
    rows.insert(3, ["Burglary", 1, 1])
    rows[4] = ["Total", 11, 13]
    result = understand(_sheet(rows), VOCABULARY)
    assert result.verdict is Verdict.NEEDS_REVIEW
    unknown = [r for r in result.reasons if r.code == "unknown_label"]
    assert [(r.label, r.cells) for r in unknown] == [("Burglary", "A4")]


def test_a_row_naming_two_offences_waits_for_a_researcher_who_is_told_which_two() -> None:
    rows = [r[:] for r in BASE]
    rows.insert(3, ["Rape / Sexual assault", 1, 1])
    rows[4] = ["Total", 11, 13]
    result = understand(_sheet(rows), VOCABULARY)
    assert result.verdict is Verdict.NEEDS_REVIEW
    (unknown,) = [r for r in result.reasons if r.code == "unknown_label"]
    assert unknown.cells == "A4"
    assert "could be Rape or Sexual assault" in unknown.message
    assert not any(o.cell in ("B4", "C4") for o in result.observations)  # not read as Rape


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (FormulaWithoutValue("SUM(B2:B3)"), "formula_without_value"),
        ("#REF!", "excel_error"),
    ],
)
def test_unknown_figures_are_reasons_never_zeros(token: object, code: str) -> None:
    rows = [r[:] for r in BASE]
    rows[1][1] = token
    result = understand(_sheet(rows), VOCABULARY)
    assert result.verdict is Verdict.NEEDS_REVIEW
    assert code in _codes(result)
    assert not [o for o in result.observations if o.cell == "B2"]


@pytest.mark.parametrize("token", ["..", "n/a"])
def test_a_part_given_as_not_available_is_never_zero_and_a_doubt_only_without_a_total(
    token: str,
) -> None:
    rows = [r[:] for r in BASE]
    rows[1][1] = token
    with_total = understand(_sheet(rows), VOCABULARY)
    (reason,) = [r for r in with_total.reasons if r.code == "not_available"]
    assert not reason.blocking and with_total.verdict is Verdict.PARSED
    assert not [o for o in with_total.observations if o.cell == "B2"]
    without_total = understand(_sheet([r[:] for r in rows[:3]]), VOCABULARY)
    (reason,) = [r for r in without_total.reasons if r.code == "not_available"]
    assert reason.blocking and without_total.verdict is Verdict.NEEDS_REVIEW
    assert not [o for o in without_total.observations if o.cell == "B2"]


def test_a_blank_cell_is_zero_only_when_its_total_confirms_it() -> None:
    rows = [r[:] for r in BASE]
    rows[1][1], rows[3][1] = None, 6
    confirmed = understand(_sheet(rows), VOCABULARY)
    assert confirmed.verdict is Verdict.PARSED
    assert [o.value for o in confirmed.observations if o.cell == "B2"] == [0]
    unconfirmed = understand(_sheet([r[:] for r in rows[:3]]), VOCABULARY)
    assert unconfirmed.verdict is Verdict.NEEDS_REVIEW and "blank_cells" in _codes(unconfirmed)


def test_suppressed_cells_are_ranges_and_the_total_is_checked_against_them() -> None:
    rows = [r[:] for r in BASE]
    rows[1][1] = "<5"
    result = understand(_sheet(rows), VOCABULARY)
    assert result.verdict is Verdict.PARSED
    (cell,) = [o for o in result.observations if o.cell == "B2"]
    assert (cell.value, cell.lower, cell.upper) == (None, 1, 4)
    rows[3][1] = 20  # 6 + (1..4) can never be 20
    assert "total_mismatch" in _codes(understand(_sheet(rows), VOCABULARY))


def test_percentage_and_revision_columns_are_not_figures() -> None:
    rows = [["Offence", "2018/19", "%", ""], ["Rape", 4, 0.4, "R"], ["Sexual grooming", 6, 0.6, ""]]
    result = understand(_sheet(rows), VOCABULARY)
    assert result.verdict is Verdict.PARSED
    assert {o.cell for o in result.observations} == {"B2", "B3"}
    assert "revision_flags" in _codes(result)


def test_hidden_sheets_are_said_to_exist_and_not_read() -> None:
    from aggregation.extraction.grid import Visibility

    book = Workbook(
        "xlsx",
        [
            Sheet("Data", [r[:] for r in BASE]),
            Sheet("Draft", [r[:] for r in BASE], visibility=Visibility.HIDDEN),
        ],
    )
    result = understand(book, VOCABULARY)
    assert result.verdict is Verdict.PARSED
    (hidden,) = [r for r in result.reasons if r.code == "hidden_sheet"]
    assert hidden.sheet == "Draft" and not hidden.blocking
    assert {o.sheet for o in result.observations} == {"Data"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            "We estimate that the cost of complying with your request would exceed the "
            "appropriate limit under section 12 of the Act.",
            "refused_s12",
        ),
        ("The information you requested is not held by this force.", "not_held"),
    ],
)
def test_refusal_letters_are_no_data(text: str, code: str) -> None:
    result = understand(_sheet([["Dear Requester,"], [text], ["Yours sincerely"]]), VOCABULARY)
    assert result.verdict is Verdict.NO_DATA
    assert code in _codes(result)


def test_a_sheet_of_prose_without_figures_needs_review() -> None:
    result = understand(_sheet([["Dear Requester,"], ["Please see attached."]]), VOCABULARY)
    assert result.verdict is Verdict.NEEDS_REVIEW and "no_tables" in _codes(result)


def _records(rows: list[list[object]]) -> Workbook:
    return _sheet(
        [
            [
                "Crime Ref",
                "Recorded Date",
                "Committed Date",
                "Offence",
                "Victim Age",
                "Online Flag",
            ],
            *rows,
        ]
    )


def _record(
    day: dt.date, age: object, flag: str = "Y", offence: str = "Sexual grooming"
) -> list[object]:
    return ["X1", day, day - dt.timedelta(days=400), offence, age, flag]


def _full_year_of_records(year: int, ages: list[object], flag: str = "Y") -> list[list[object]]:
    start = dt.date(year, 4, 1)
    return [
        _record(start + dt.timedelta(days=i * 364 // max(len(ages) - 1, 1)), a, flag)
        for i, a in enumerate(ages)
    ]


def test_records_count_by_recorded_date_and_exclude_out_of_scope_rows() -> None:
    rows = _full_year_of_records(2017, [13] * 30 + [14] * 10)
    rows += _full_year_of_records(2017, [15] * 5, flag="N") + _full_year_of_records(2017, [25] * 3)
    result = understand(_records(rows), default_vocabulary(("2017-18",)))
    summary = summarise(result)["2017-18"]
    assert summary.total.value == 40  # counted by recorded date: committed dates are a year earlier
    assert summary.ages["13"].value == 30 and summary.ages["14"].value == 10
    (scope,) = [r for r in result.reasons if r.code == "out_of_scope_rows"]
    assert (
        not scope.blocking
        and "3 with a victim aged 18" in scope.message
        and "5 without" in scope.message
    )
    assert result.verdict is Verdict.PARSED


def test_records_covering_part_of_a_year_need_review() -> None:
    rows = _full_year_of_records(2017, [13] * 40) + [
        _record(dt.date(2018, 4, 2 + i), 12) for i in range(20)
    ]
    result = understand(_records(rows), default_vocabulary(("2017-18", "2018-19")))
    assert result.verdict is Verdict.NEEDS_REVIEW
    partial = [r for r in result.reasons if r.code == "partial_period"]
    assert len(partial) == 1 and "2018-19" in partial[0].message


def test_records_with_year_of_birth_give_two_year_bands() -> None:
    header = ["Ref", "Date Recorded", "Offence", "Year of birth"]
    rows = [
        ["a", dt.date(2017, 4, 1) + dt.timedelta(days=i * 9), "Sexual grooming", 2004]
        for i in range(40)
    ]
    result = understand(_sheet([header, *rows]), default_vocabulary(("2017-18",)))
    summary = summarise(result)["2017-18"]
    assert set(summary.ages) <= {"12-13", "13-14"}
    assert summary.total.value == 40


def test_unreadable_bytes_fail_with_a_reason() -> None:
    result = extract(b"", VOCABULARY)
    assert result.verdict is Verdict.FAILED and result.reasons and result.reasons[0].code


def test_an_engine_fault_is_a_failed_verdict_not_an_exception(monkeypatch) -> None:
    import aggregation.extraction.engine as engine

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "understand", broken)
    result = engine.extract(to_xlsx([SheetSpec("S", [r[:] for r in BASE])]), VOCABULARY)
    assert result.verdict is Verdict.FAILED and result.reasons[0].code == "internal_error"


def _ages_sheet(merged: list, under: object = None) -> Workbook:
    rows: list[list[object]] = [["Online offences by age", None], ["Age", "2018-19"]]
    rows += [[age, 1] for age in range(18)] + [["Total", 18]]
    rows[0][1] = under
    return Workbook("xlsx", [Sheet("S", rows, merged)])


def test_a_merged_title_over_empty_cells_raises_no_doubt() -> None:
    from aggregation.extraction.grid import MergedRange

    result = understand(_ages_sheet([MergedRange(0, 0, 0, 1)]), default_vocabulary(("2018-19",)))
    assert result.verdict is Verdict.PARSED
    assert "hidden_by_merge" not in {r.code for r in result.reasons}


def test_a_value_under_a_merged_cell_is_flagged_with_its_cell() -> None:
    from aggregation.extraction.grid import MergedRange

    workbook = _ages_sheet([MergedRange(0, 0, 0, 1)], under=42)
    result = understand(workbook, default_vocabulary(("2018-19",)))
    (reason,) = [r for r in result.reasons if r.code == "hidden_by_merge"]
    assert (reason.sheet, reason.cells) == ("S", "B1")
    assert result.verdict is Verdict.NEEDS_REVIEW


def _ages_with_total(total: int) -> ExtractionResult:
    rows: list[list[object]] = [["Age", "2018-19"]]
    rows += [[age, 2] for age in range(10, 26)] + [["Total", total]]
    return understand(Workbook("xlsx", [Sheet("S", rows)]), default_vocabulary(("2018-19",)))


def _read(result: ExtractionResult) -> dict[tuple, int | None]:
    return {tuple(sorted(o.dimensions.items())): o.value for o in result.observations}


def test_it_leaves_out_adult_ages_and_a_total_that_counts_them() -> None:
    result = _ages_with_total(32)  # 16 ages of 2: the total counts adults too
    figures = _read(result)
    assert {dict(k).get("age") for k in figures} == {str(a) for a in range(10, 18)}
    (reason,) = [r for r in result.reasons if r.code == "ages_out_of_scope"]
    assert reason.cells.startswith("B10")  # age 18 is the ninth age row
    assert not reason.blocking
    assert result.verdict is Verdict.PARSED


def test_it_keeps_a_total_that_is_the_sum_of_the_asked_ages() -> None:
    figures = _read(_ages_with_total(16))
    assert figures[(("period", "2018-19"),)] == 16


def test_it_flags_a_total_that_fits_neither_with_nor_without_the_adults() -> None:
    result = _ages_with_total(20)
    (reason,) = [r for r in result.reasons if r.code == "total_includes_excluded"]
    assert (reason.sheet, reason.cells) == ("S", "B18")
    assert result.verdict is Verdict.NEEDS_REVIEW


def test_a_gender_table_beside_an_age_table_is_never_read_as_ages() -> None:
    rows: list[list[object]] = [
        ["Victims by age"],
        ["Age", "2018/19"],
        ["Under 10", 4],
        ["10-17", 6],
        ["Not known", 1],
        [],
        ["Victims by gender"],
        ["Gender", "2018/19"],
        ["Male", 3],
        ["Female", 7],
        ["Not known", 1],
    ]
    result = understand(Workbook("xlsx", [Sheet("S", rows)]), default_vocabulary(("2018-19",)))
    figures = _read(result)
    assert figures == {
        (("age", "0-9"), ("period", "2018-19")): 4,
        (("age", "10-17"), ("period", "2018-19")): 6,
        (("age", "unknown"), ("period", "2018-19")): 1,
    }
    (split,) = [r for r in result.reasons if r.code == "breakdown_not_asked"]
    assert (split.cells, split.blocking) == ("A8:B11", False)
    # "Victims by age" names whose age the offences are by (the campaign's subjects).
    assert result.verdict is Verdict.PARSED


def test_a_title_opening_with_another_noun_alone_is_read_as_a_doubt() -> None:
    rows: list[list[object]] = [["Incidents by age"], ["Age", "2018/19"], ["Under 10", 4]]
    result = understand(Workbook("xlsx", [Sheet("S", rows)]), default_vocabulary(("2018-19",)))
    assert list(_read(result).values()) == [4]
    (doubt,) = [r for r in result.reasons if r.code == "measure_unclear"]
    assert (doubt.cells, doubt.blocking) == ("A2:B3", True)


def test_columns_under_a_gender_band_are_left_out_of_the_ages() -> None:
    rows: list[list[object]] = [
        [None, "Age of victim", None, None, "Gender of victim", None],
        ["Year", "Under 10", "10-17", "Unknown", "Male", "Unknown"],
        ["2018/19", 4, 6, 1, 9, 2],
    ]
    result = understand(Workbook("xlsx", [Sheet("S", rows)]), default_vocabulary(("2018-19",)))
    assert {dict(k)["age"]: v for k, v in _read(result).items()} == {
        "0-9": 4,
        "10-17": 6,
        "unknown": 1,
    }
    (split,) = [r for r in result.reasons if r.code == "breakdown_not_asked"]
    assert split.cells == "E1,F1"


def test_a_title_naming_victims_beside_one_naming_offences_is_another_measure() -> None:
    rows: list[list[object]] = [
        ["Offences by age"],
        ["Age", "2018/19"],
        ["Under 10", 4],
        [],
        ["Victims by age"],
        ["Age", "2018/19"],
        ["Under 10", 3],
    ]
    result = understand(Workbook("xlsx", [Sheet("S", rows)]), default_vocabulary(("2018-19",)))
    assert list(_read(result).values()) == [4]
    (other,) = [r for r in result.reasons if r.code == "other_measure"]
    assert other.cells == "A6:B7"


def _regional(rows: list[list[object]]) -> ExtractionResult:
    from aggregation.extraction.vocabulary import ForceNames

    forces = [ForceNames(n.lower(), (n,)) for n in ("Kent", "Surrey", "Dorset", "Wiltshire")]
    vocabulary = default_vocabulary(("2018-19",), forces)
    return understand(Workbook("xlsx", [Sheet("S", rows)]), vocabulary)


def test_a_region_total_column_is_a_check_on_its_forces_not_a_force() -> None:
    result = _regional(
        [
            ["Year", "South East", None, None, "South West", None, None],
            [None, "Kent", "Surrey", "South East total", "Dorset", "Wiltshire", "South West total"],
            ["2018/19", 5, 7, 12, 3, 4, 7],
        ]
    )
    assert result.verdict is Verdict.PARSED
    assert {dict(k)["force"]: v for k, v in _read(result).items()} == {
        "kent": 5,
        "surrey": 7,
        "dorset": 3,
        "wiltshire": 4,
    }
    (checked,) = [r for r in result.reasons if r.code == "subtotal_columns"]
    assert checked.cells == "D2,G2"


def test_a_lone_region_total_after_its_forces_is_a_check_on_them() -> None:
    result = _regional([["Year", "Kent", "Surrey", "South East total"], ["2018/19", 5, 7, 12]])
    assert {dict(k).get("force") for k in _read(result)} == {"kent", "surrey"}
    (checked,) = [r for r in result.reasons if r.code == "subtotal_columns"]
    assert checked.cells == "D1" and result.verdict is Verdict.PARSED


def test_a_region_total_that_does_not_add_up_is_never_read_as_a_force() -> None:
    result = _regional([["Year", "Kent", "Surrey", "South East total"], ["2018/19", 5, 7, 13]])
    assert {dict(k).get("force") for k in _read(result)} == {"kent", "surrey"}
    (unknown,) = [r for r in result.reasons if r.code == "unknown_label"]
    assert unknown.cells == "D1" and result.verdict is Verdict.NEEDS_REVIEW


def test_a_total_over_forces_qualified_in_brackets_is_checked_then_left_out() -> None:
    result = _regional(
        [
            ["Force", "2018/19"],
            ["Kent", 5],
            ["Surrey", 7],
            ["Total (both regions)", 12],
        ]
    )
    # Checked against the forces, then left out: no force's figure.
    assert result.verdict is Verdict.PARSED
    assert (("period", "2018-19"),) not in _read(result)
    (checked,) = [r for r in result.reasons if r.code == "total_over_forces"]
    assert checked.cells == "B4"


def test_a_contents_page_listing_the_sheets_is_not_read() -> None:
    contents = Sheet("Contents", [["Sheet", "Rows"], ["Table 1", 8], ["Notes", 4]])
    table = Sheet("Table 1", [["Offence", "2018/19"], ["Rape", 5], ["Sexual grooming", 3]])
    notes = Sheet("Notes", [["1. Provisional figures."]])
    result = understand(
        Workbook("xlsx", [contents, table, notes]), default_vocabulary(("2018-19",))
    )
    assert result.verdict is Verdict.PARSED
    assert {o.sheet for o in result.observations} == {"Table 1"}
    (reason,) = [r for r in result.reasons if r.code == "contents"]
    assert (reason.sheet, reason.blocking) == ("Contents", False)


def test_a_summary_whose_rows_name_other_sheets_is_still_read() -> None:
    summary = Sheet("Summary", [["Offence", "2018/19"], ["Rape", 5], ["Sexual grooming", 3]])
    rape = Sheet("Rape", [["Age", "2018/19"], ["13", 5]])
    grooming = Sheet("Sexual grooming", [["Age", "2018/19"], ["14", 3]])
    result = understand(
        Workbook("xlsx", [summary, rape, grooming]), default_vocabulary(("2018-19",))
    )
    assert "Summary" in {o.sheet for o in result.observations}
    assert "contents" not in {r.code for r in result.reasons}


def test_a_bare_sub_total_row_is_a_check_on_its_group_never_the_period_total():
    sheet = [
        ["Offence", "2017/18", "2018/19"],
        ["Rape", None, None],
        ["    Rape of a female child under 16", 5, 6],
        ["    Rape of a male child under 16", 2, 1],
        ["Sub-total", 7, 7],
        ["Other sexual offences", None, None],
        ["    Sexual grooming", 3, 4],
        ["    Indecent images of children", 10, 20],
        ["Sub-total", 13, 24],
        ["TOTAL", 20, 31],
    ]
    result = understand(_sheet(sheet), default_vocabulary(("2017-18", "2018-19")))
    totals = {
        o.dimensions["period"]: o.value for o in result.observations if len(o.dimensions) == 1
    }
    assert totals == {"2017-18": 20, "2018-19": 31}
    assert result.verdict is Verdict.PARSED


@pytest.mark.parametrize(
    "genders",
    [["Male", "Female", "Other", "Not recorded"], ["M", "F", "Other / not stated"]],
)
def test_a_block_of_columns_by_gender_below_the_ages_is_reported_never_read_as_unknown_age(
    genders: list[str],
) -> None:
    sheet = [
        ["Age of victim"],
        ["Year", "Under 13", "13-17", "Age not recorded"],
        ["2017/18", 4, 6, 1],
        ["2018/19", 5, 7, 2],
        [],
        ["Gender of victim"],
        ["Year", *genders],
        ["2017/18", *[3, 7, 0, 1][: len(genders)]],
        ["2018/19", *[4, 8, 1, 1][: len(genders)]],
    ]
    result = understand(_sheet(sheet), default_vocabulary(("2017-18", "2018-19")))
    unknown = {
        o.dimensions["period"]: o.value
        for o in result.observations
        if o.dimensions.get("age") == "unknown"
    }
    assert unknown == {"2017-18": 1, "2018-19": 2}
    assert all(o.cell[0] in "BCD" and int(o.cell[1:]) <= 4 for o in result.observations)
    assert "breakdown_not_asked" in _codes(result)


@pytest.mark.parametrize(
    ("heading", "periods"),
    [
        ("Year ending 31 March", {"2016-17": 7, "2017-18": 9}),
        ("Financial year ending (31 March)", {"2016-17": 7, "2017-18": 9}),
    ],
)
def test_bare_years_under_a_heading_naming_their_end_day_are_those_twelve_months(
    heading: str, periods: dict[str, int]
):
    down = [[heading, "Count"], [2017, 7], [2018, 9]]
    across = [[heading], ["Offence", 2017, 2018], ["Rape", 7, 9]]
    for rows in (down, across):
        result = understand(_sheet(rows), default_vocabulary(("2016-17", "2017-18")))
        read = {o.dimensions["period"]: o.value for o in result.observations}
        assert read == periods, rows


def test_bare_years_under_a_heading_ending_in_june_are_rolling_years_never_read():
    rows = [["Year ending 30 June", "Count"], [2017, 7], [2018, 9]]
    result = understand(_sheet(rows), default_vocabulary(("2016-17", "2017-18")))
    assert result.observations == []
    assert result.verdict is not Verdict.PARSED


def test_labels_in_welsh_and_english_read_by_the_half_that_reads():
    rows = [
        ["Oed / Age", "2018/19"],
        ["Dan 13 / Under 13", 4],
        ["13 - 17", 6],
        ["Cyfanswm / Total", 10],
    ]
    result = understand(_sheet(rows), default_vocabulary(("2018-19",)))
    read = {o.dimensions.get("age", "total"): o.value for o in result.observations}
    assert read == {"0-12": 4, "13-17": 6, "total": 10}
    assert result.verdict is Verdict.PARSED


def test_a_label_whose_two_halves_read_differently_is_never_guessed():
    rows = [["Age", "2018/19"], ["Under 13 / 13-15", 4], ["16-17", 6]]
    result = understand(_sheet(rows), default_vocabulary(("2018-19",)))
    assert "unknown_label" in _codes(result)
    assert {o.dimensions.get("age") for o in result.observations} == {"16-17"}


def test_a_grand_total_row_of_a_long_table_leaves_its_other_labels_empty_and_is_no_doubt():
    rows = [
        ["Year", "Age", "Offences"],
        ["2017/18", "0-12", 5],
        ["2017/18", "13-17", 7],
        ["2018/19", "0-12", 4],
        ["2018/19", "13-17", 6],
        ["Grand Total", None, 22],
    ]
    result = understand(_sheet(rows), default_vocabulary(("2017-18", "2018-19")))
    assert result.verdict is Verdict.PARSED, result.reasons
    assert all("period" in o.dimensions for o in result.observations)
    assert sorted(o.value for o in result.observations) == [4, 5, 6, 7]


def test_months_under_a_year_ending_heading_are_rolling_years_and_march_gives_the_year():
    rows = [
        ["Year ending", "Age group", "Offences"],
        ["Dec 2017", "Under 13", 9],
        ["Dec 2017", "13-17", 8],
        ["Mar 2018", "Under 13", 4],
        ["Mar 2018", "13-17", 6],
    ]
    result = understand(_sheet(rows), default_vocabulary(("2017-18",)))
    read = {(o.dimensions["period"], o.dimensions["age"]): o.value for o in result.observations}
    assert read == {("2017-18", "0-12"): 4, ("2017-18", "13-17"): 6}
    assert "rolling_years" in _codes(result)


def test_a_period_beside_the_words_of_what_is_counted_reads_and_another_measure_is_left_out():
    rows = [
        ["Age band", "2017/18 No. of offences", "2017/18 No. of victims"],
        ["0-12", 5, 4],
        ["13-17", 7, 6],
    ]
    result = understand(_sheet(rows), default_vocabulary(("2017-18",)))
    read = {o.dimensions["age"]: o.value for o in result.observations}
    assert read == {"0-12": 5, "13-17": 7}
    (other,) = [r for r in result.reasons if r.code == "other_measure"]
    assert other.cells == "C1" and result.verdict is Verdict.PARSED


def test_dates_across_the_top_of_a_rolling_table_are_the_ends_of_twelve_months():
    rows = [
        ["Rolling 12-month totals, year ending on the date shown"],
        [],
        ["Offence", dt.date(2017, 12, 31), dt.date(2018, 3, 31)],
        ["Rape", 5, 6],
        ["Sexual assault", 7, 8],
    ]
    result = understand(_sheet(rows), default_vocabulary(("2017-18",)))
    read = {o.dimensions["offence"]: o.value for o in result.observations}
    assert read == {"Rape": 6, "Sexual assault": 8}
    assert {o.dimensions["period"] for o in result.observations} == {"2017-18"}
    assert "rolling_years" in _codes(result)


def test_dates_across_the_top_without_a_rolling_title_are_months_never_converted():
    rows = [["Offence", dt.date(2017, 12, 31), dt.date(2018, 3, 31)], ["Rape", 5, 6]]
    result = understand(_sheet(rows), default_vocabulary(("2017-18",)))
    assert result.observations == [] and "months" in _codes(result)


def test_a_database_exports_snake_case_headers_are_read_as_words() -> None:
    rows = [
        ["FY_END", "OFFENCE", "AGE_BAND", "CRIME_COUNT"],
        [dt.date(2018, 3, 31), "Rape", "13-15", 9],
        [dt.date(2018, 3, 31), "Sexual grooming", "13-15", 4],
        [dt.date(2019, 3, 31), "Rape", "13-15", 7],
    ]
    _, read = _figures(rows, "period", "offence")
    assert read == {
        ("2017-18", "Rape"): 9,
        ("2017-18", "Sexual grooming"): 4,
        ("2018-19", "Rape"): 7,
    }


def test_a_header_row_whose_corner_names_no_known_axis_still_heads_its_columns() -> None:
    # As a CSV gives it: every cell text; "13-15" would read as a suppressed range in a body.
    rows = [
        ["Blwyddyn ariannol", "Under 13", "13-15", "16-17", "Total"],
        ["2017/18", "39", "19", "9", "67"],
        ["2018/19", "62", "40", "53", "155"],
    ]
    _, read = _figures(rows, "period", "age")
    assert read[("2017-18", "13-15")] == 19 and read[("2018-19", None)] == 155


def test_twelve_months_given_from_and_to_are_named_by_their_end() -> None:
    rows = [["Offence", "12 months from", "12 months to", "Offences"]]
    for year in (2017, 2018):
        for start, count in ((dt.date(year, 1, 1), 30), (dt.date(year, 4, 1), year - 2000)):
            end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
            rows.append(["Rape", start, end, count])
    _, read = _figures(rows, "period")
    assert read == {"2017-18": 17, "2018-19": 18}  # never a rolling year's 30


def test_a_lone_count_that_looks_like_a_year_is_a_count() -> None:
    rows = [
        ["2015-16"],
        [None, "Rape", "Sexual assault"],
        ["Recorded offences", 1990, 0],
    ]
    _, read = _figures(rows, "offence", vocabulary=default_vocabulary(("2015-16",)))
    assert read == {"Rape": 1990, "Sexual assault": 0}


def test_a_block_of_shares_with_decimals_is_reported_never_read_nor_a_doubt() -> None:
    rows = [
        ["Number of crimes"],
        ["Age of victim", "2017/18", "2018/19"],
        ["Under 13", 41, 55],
        ["13-15", 36, 22],
        ["Total", 77, 77],
        [],
        ["% of annual total"],
        ["Age of victim", "2017/18", "2018/19"],
        ["Under 13", 53.2, 71.4],
        ["13-15", 46.8, 28.6],
        ["Total", 100, 100],
    ]
    result = understand(_sheet(rows), VOCABULARY)
    assert result.verdict is Verdict.PARSED, result.reasons
    assert "percentages" in _codes(result)
    assert {o.value for o in result.observations} == {41, 55, 36, 22, 77}


def test_a_blank_row_between_the_header_and_the_figures_keeps_each_column_its_year() -> None:
    rows = [
        ["Offences by year"],
        ["Offence", "2017/18 FY", "2018/19 FY"],
        [],
        ["Rape", 4, 5],
        ["Sexual grooming", 6, 7],
    ]
    _, read = _figures(rows, "period", "offence")
    assert read == {
        ("2017-18", "Rape"): 4,
        ("2018-19", "Rape"): 5,
        ("2017-18", "Sexual grooming"): 6,
        ("2018-19", "Sexual grooming"): 7,
    }


def test_a_contents_sheet_with_dates_is_never_a_record_list_whatever_its_headings() -> None:
    index = [
        ["Worksheet", "Description", "Date produced"],
        ["Data", "Online child sexual offences by offence, 2017/18", dt.date(2019, 5, 14)],
        ["Definitions", "Offence definitions and counting rules", dt.date(2018, 11, 2)],
    ]
    data = [["Offence", "2017/18"], ["Rape", 4], ["Sexual grooming", 6], ["Total", 10]]
    workbook = Workbook(
        "xlsx", [Sheet("Index", index), Sheet("Data", data), Sheet("Definitions", [["x"]])]
    )
    result = understand(workbook, default_vocabulary(("2017-18",)))
    assert result.verdict is Verdict.PARSED, result.reasons
    assert "contents" in _codes(result)
    assert {o.sheet for o in result.observations} == {"Data"}


def test_two_tables_side_by_side_are_read_apart_never_as_one() -> None:
    rows = [
        ["Victims by age", None, None, None, "Victims by gender"],
        ["Age of victim", "2017/18", "2018/19", None, "Gender", "2017/18", "2018/19"],
        ["Under 13", 19, 47, None, "Male", 15, 20],
        ["13-15", 41, 18, None, "Female", 87, 71],
    ]
    result, read = _figures(rows, "period", "age")
    assert read == {
        ("2017-18", "0-12"): 19,
        ("2018-19", "0-12"): 47,
        ("2017-18", "13-15"): 41,
        ("2018-19", "13-15"): 18,
    }
    assert "breakdown_not_asked" in _codes(result)


def test_a_column_of_figures_marked_provisional_is_a_column_of_figures() -> None:
    rows = [
        ["Key: 'p' provisional"],
        [],
        ["Offence", "2017/18", "2018/19"],
        ["Rape", 4, "24p"],
        ["Sexual grooming", 6, "17p"],
        ["Total", 10, "41p"],
    ]
    result = understand(_sheet(rows), VOCABULARY)
    assert result.verdict is Verdict.PARSED, result.reasons
    read = {
        (o.dimensions["period"], o.dimensions.get("offence")): o.value for o in result.observations
    }
    assert read[("2018-19", "Rape")] == 24 and read[("2018-19", None)] == 41


def test_an_outcome_column_beside_the_offences_is_another_measure() -> None:
    rows = [
        ["Financial year", "Recorded offences", "Victims", "Charged/summonsed"],
        ["2017/18", 99, 71, 11],
        ["2018/19", 150, 145, 11],
    ]
    result, read = _figures(rows, "period")
    assert read == {"2017-18": 99, "2018-19": 150}
    assert "other_measure" in _codes(result)


def test_all_victims_under_a_victims_by_age_title_is_their_total_not_another_measure() -> None:
    rows = [
        ["Table A - Victims by age group"],
        ["Age group", "2017/18", "2018/19"],
        ["Under 10", 30, 61],
        ["10-13", 28, 29],
        ["18-25", 2, 5],
        ["All victims", 60, 95],
    ]
    _, read = _figures(rows, "period", "age")
    assert read[("2017-18", "0-9")] == 30 and read[("2018-19", "10-13")] == 29
    assert ("2017-18", None) not in read  # all ages, adults among them: never the under-18s
