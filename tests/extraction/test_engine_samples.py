"""Every shared sample reaches its truth.json (SPEC 9). Skips when ../shared is absent, as in a
user's fresh clone: the samples live outside the project and are never copied into it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aggregation.extraction.default_vocabulary import default_vocabulary
from aggregation.extraction.engine import extract
from aggregation.extraction.result import ExtractionResult, Verdict
from aggregation.extraction.summary import Bounds, summarise

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CAMPAIGN = SHARED / "samples" / "campaign"
TRAPS = SHARED / "samples" / "traps"
REAL = SHARED / "real"

pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared samples are absent")


def _truth(folder: Path) -> dict:
    return json.loads((folder / "truth.json").read_text()) if folder.is_dir() else {}


CAMPAIGN_TRUTH = _truth(CAMPAIGN)
PERIODS = tuple(CAMPAIGN_TRUTH.get("campaign", {}).get("periods", ()))
VOCABULARY = default_vocabulary(PERIODS)


def _exact(bounds: Bounds | None) -> int | None:
    assert bounds is not None
    assert bounds.value is not None, f"expected an exact figure, got {bounds}"
    return bounds.value


def _codes(result: ExtractionResult) -> set[str]:
    return {r.code for r in result.reasons}


@pytest.mark.parametrize("name", sorted(CAMPAIGN_TRUTH.get("files", {})))
def test_campaign_file_reaches_its_truth(name: str) -> None:
    truth = CAMPAIGN_TRUTH["files"][name]
    result = extract(CAMPAIGN / name, VOCABULARY)
    blocking = [r for r in result.reasons if r.blocking]
    assert result.verdict is Verdict.PARSED, blocking
    summary = summarise(result)
    for period, total in truth["totals"].items():
        assert _exact(summary[period].total) == total, period
    for period, ages in truth.get("ages", {}).items():
        found = {age: _exact(b) for age, b in summary[period].ages.items() if b != Bounds(0, 0)}
        assert found == ages, period
    for period, count in truth.get("at_or_under_10", {}).items():
        assert _exact(summary[period].at_or_under_10) == count, period
    for period, offences in truth.get("offences", {}).items():
        found = {o: _exact(b) for o, b in summary[period].offences.items() if b != Bounds(0, 0)}
        assert found == offences, period


def test_every_observation_points_at_a_cell() -> None:
    for name in CAMPAIGN_TRUTH.get("files", {}):
        result = extract(CAMPAIGN / name, VOCABULARY)
        assert result.observations, name
        assert all(o.sheet and o.cell for o in result.observations), name


def test_calendar_years_are_flagged_never_converted() -> None:
    result = extract(TRAPS / "dorset.xlsx", VOCABULARY)
    assert result.verdict is Verdict.NEEDS_REVIEW
    assert "calendar_years" in _codes(result)
    assert not [o for o in result.observations if "period" in o.dimensions]


def test_suppressed_ages_are_ranges_and_totals_stay_exact() -> None:
    truth = _truth(TRAPS)["west-mercia.xlsx"]
    result = extract(TRAPS / "west-mercia.xlsx", VOCABULARY)
    assert result.verdict is Verdict.PARSED
    summary = summarise(result)
    for period, total in truth["totals"].items():
        assert _exact(summary[period].total) == total
        ages = summary[period].ages
        assert any(b.lower < b.upper for b in ages.values()), period
        added = sum((b for b in ages.values()), Bounds(0, 0))
        assert added.lower <= total <= added.upper
    suppressed = [o for o in result.observations if o.raw == "*"]
    assert suppressed and all(o.value is None and o.lower >= 1 for o in suppressed)
    assert "suppressed" in _codes(result)


REAL_TRUTH = _truth(REAL)
REAL_FILES = ["FOI Response 076-17 Data.xlsx", "FOIResponse076-17Data.csv"]


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_record_list_counts_children_per_full_year_or_says_why(name: str) -> None:
    by_year = REAL_TRUTH["by_financial_year_of_recorded_date"]
    result = extract(REAL / name, default_vocabulary(tuple(by_year)))
    assert result.verdict is Verdict.NEEDS_REVIEW
    partial = {
        r.message.split(" only in part")[0].rsplit(" ", 1)[-1]
        for r in result.reasons
        if r.code == "partial_period"
    }
    assert partial == {"2011-12", "2016-17"}
    assert "out_of_scope_rows" in _codes(result)
    summary = summarise(result)
    for period, truth in by_year.items():
        if period in partial:
            continue
        assert _exact(summary[period].total) == truth["victim_under_18"], period
        ages = {a: _exact(b) for a, b in summary[period].ages.items()}
        assert ages == truth["under_18_by_age"], period
