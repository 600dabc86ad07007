"""Real published tables (``../shared/real``, README there): every figure the engine reads is
the one a careful reader takes from the file (``truth-more.json``), on the right row, column,
measure and period, whether the file ends parsed or needs review."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from aggregation.extraction.campaign_templates import AGE, TEMPLATES
from aggregation.extraction.engine import extract
from aggregation.extraction.grid import column_letter
from aggregation.extraction.labels import parse_age
from aggregation.extraction.reading import read_workbook
from aggregation.extraction.result import ExtractionResult, Observation
from aggregation.extraction.vocabulary import (
    Dimension,
    DimensionKind,
    Measure,
    Scope,
    Term,
    Vocabulary,
)
from aggregation.selectors import campaign_vocabulary, force_names

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real"
NCA = REAL / "nca-missing-persons-table-b2-2019-20.xlsx"
IOPC = REAL / "iopc-deaths-time-series-2019-20.ods"
ONS = REAL / "ons-recorded-crime-pfa-avon-sexual-robbery.csv"

pytestmark = [
    pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real is absent"),
    pytest.mark.django_db,
]


def _truth() -> dict:
    return json.loads((REAL / "truth-more.json").read_text())


def _vocabulary(template: str, periods: tuple[str, ...], **changes: object) -> Vocabulary:
    return replace(TEMPLATES[template].vocabulary(periods, force_names()), **changes)


def _column(observation: Observation) -> str:
    return observation.cell.rstrip("0123456789")


def _row(observation: Observation) -> int:
    return int(observation.cell[len(_column(observation)) :])


def _financial_years(first: int, last: int) -> tuple[str, ...]:
    return tuple(f"{y}-{(y + 1) % 100:02d}" for y in range(first, last + 1))


# --- NCA missing persons, table B2: forces in column B, nations in column A -----------------


@pytest.fixture(scope="module")
def nca(django_db_setup, django_db_blocker) -> ExtractionResult:
    with django_db_blocker.unblock():
        return extract(NCA, _vocabulary("children-missing", ("2019-20",)))


def test_nca_children_incidents_are_each_forces_own(nca: ExtractionResult) -> None:
    read = {
        (o.dimensions["force"], o.dimensions["age"]): o.value
        for o in nca.observations
        if o.dimensions.get("period") == "2019-20" and "age" in o.dimensions
    }
    incidents = _truth()[NCA.name]["incidents"]
    assert read[("avon-and-somerset", "0-17")] == incidents["avon-and-somerset"]["children"]
    assert read[("wiltshire", "0-17")] == incidents["wiltshire"]["children"]
    # Northern Ireland and Scotland sit in column A below Wiltshire: their own, never Wiltshire's.
    assert read[("psni", "0-17")] == incidents["northern-ireland"]["children"]
    assert read[("police-scotland", "0-17")] == incidents["scotland"]["children"]
    assert {_row(o) for o in nca.observations if o.dimensions["force"] == "wiltshire"} == {48}


def test_nca_reads_only_incident_counts_never_individuals_or_percentages(
    nca: ExtractionResult,
) -> None:
    # Incidents are columns C to F; individuals H to K; the percentages block M to U.
    assert {_column(o) for o in nca.observations} <= {"C", "D", "E", "F"}
    assert all(o.value is not None for o in nca.observations), "an 'x' read as suppressed"
    assert 6 not in {_row(o) for o in nca.observations}, "England and Wales is no force"
    codes = {r.code: r for r in nca.reasons}
    assert "H4" in codes["other_measure"].cells  # individuals: reported, not read
    assert codes["unknown_label"].cells == "B45"  # 'Warwickshire and West Mercia': two forces


# --- IOPC deaths time series: fatalities beside incidents, revised marks, many tables ---------


@pytest.fixture(scope="module")
def iopc(django_db_setup, django_db_blocker) -> ExtractionResult:
    with django_db_blocker.unblock():
        forces = force_names()
    vocabulary = Vocabulary(
        periods=_financial_years(2004, 2019),
        dimensions=(AGE,),
        forces=forces,
        measure=Measure("deaths", ("fatalities", "fatality", "deaths")),
        scope=Scope(max_age=17, require_flag=False),
    )
    return extract(IOPC, vocabulary)


def _figure(result: ExtractionResult, sheet: str, **dimensions: str) -> Observation:
    (found,) = [o for o in result.observations if o.sheet == sheet and o.dimensions == dimensions]
    return found


def test_iopc_under_18_fatalities_revised_marks_included(iopc: ExtractionResult) -> None:
    truth = _truth()[IOPC.name]["Other_contact Table 5.3, age group 'Under 18', fatalities"]
    for period, value in truth.items():
        assert _figure(iopc, "Other_contact", age="0-17", period=period).value == value
    # 2017-18 is written '6~': revised, as the file's own note under the table says.
    assert _figure(iopc, "Other_contact", age="0-17", period="2017-18").cell == "O49"


def test_iopc_fatalities_are_read_and_incidents_never(iopc: ExtractionResult) -> None:
    truth = _truth()[IOPC.name]
    assert (
        _figure(iopc, "RTI", period="2004-05").value
        == truth["RTI Table 1.1, 2004-05"]["fatalities"]
    )
    assert (
        _figure(iopc, "Custody", period="2018-19").value
        == truth["Custody Table 3.1, 2018-19"]["fatalities"]
    )
    # Incidents sit in column C of RTI 1.1 and column D of Custody 3.1, rows 13 to 29.
    incidents = {("RTI", "C"), ("Custody", "D")}
    assert not [
        o for o in iopc.observations if (o.sheet, _column(o)) in incidents and _row(o) <= 29
    ]
    assert not [r for r in iopc.reasons if r.code == "total_mismatch" and "incident" in r.message]


def test_iopc_every_age_figure_sits_on_a_row_labelled_by_an_age(iopc: ExtractionResult) -> None:
    sheets = {s.name: s for s in read_workbook(IOPC).sheets}
    for o in iopc.observations:
        if "age" in o.dimensions:
            label = sheets[o.sheet].value(_row(o) - 1, 0)
            assert parse_age(label) is not None, (o.sheet, o.cell, label)


def test_iopc_a_lone_revision_mark_is_no_suppressed_count(iopc: ExtractionResult) -> None:
    assert not [o for o in iopc.observations if (o.sheet, o.cell) == ("Custody", "C27")]
    assert all(o.lower == o.upper for o in iopc.observations)
    (mark,) = [r for r in iopc.reasons if r.code == "unreadable_value" and r.cells == "C27"]
    assert mark.sheet == "Custody"


def test_iopc_counts_nothing_as_the_default_campaigns_offences() -> None:
    result = extract(IOPC, campaign_vocabulary(None))
    assert result.observations == []
    assert result.verdict != "parsed"


# --- ONS open data: one row per 12 months ending on a date, the count in the last column -----


def test_ons_financial_years_come_from_the_march_rows_only() -> None:
    offence = Dimension("offence", DimensionKind.CATEGORY, "Offence", ("offence",))
    vocabulary = _vocabulary(
        "online-child-sexual-offences",
        ("2016-17", "2017-18"),
        dimensions=(offence,),
        terms=(Term("offence", "Sexual offences"), Term("offence", "Robbery")),
        rules=(),
        scope=Scope(max_age=None, require_flag=False),
    )
    result = extract(ONS, vocabulary)
    truth = _truth()[ONS.name]
    for offence_name, key in (("Sexual offences", "sexual_offences"), ("Robbery", "robbery")):
        for period, value in truth[f"{key}_financial_year"].items():
            found = _figure(
                result, "CSV", offence=offence_name, period=period, force=truth["force"]
            )
            assert found.value == value
    rows = read_workbook(ONS).sheets[0]
    for o in result.observations:
        assert str(rows.value(_row(o) - 1, 0)).startswith("31-03"), o.cell
    assert column_letter(4) == "E" and {_column(o) for o in result.observations} == {"E"}
