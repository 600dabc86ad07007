"""``manage.py deadline``: human output, the exact --json shape, and argument errors."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def run(*args: str) -> str:
    out = StringIO()
    call_command("deadline", *args, stdout=out)
    return out.getvalue()


def test_json_output_has_exactly_received_due_and_skipped():
    payload = json.loads(run("2026-12-01", "--json"))
    assert payload == {
        "received": "2026-12-01",
        "due": "2026-12-31",
        "skipped": [
            {"date": "2026-12-05", "reason": "Saturday"},
            {"date": "2026-12-06", "reason": "Sunday"},
            {"date": "2026-12-12", "reason": "Saturday"},
            {"date": "2026-12-13", "reason": "Sunday"},
            {"date": "2026-12-19", "reason": "Saturday"},
            {"date": "2026-12-20", "reason": "Sunday"},
            {"date": "2026-12-25", "reason": "Christmas Day"},
            {"date": "2026-12-26", "reason": "Saturday, also Boxing Day"},
            {"date": "2026-12-27", "reason": "Sunday"},
            {"date": "2026-12-28", "reason": "Boxing Day (observed)"},
        ],
    }
    assert list(payload) == ["received", "due", "skipped"]


def test_json_output_is_one_json_document_and_nothing_else():
    raw = run("2009-03-12", "--json")
    assert raw.count("\n") == 1 and raw.endswith("}\n")
    payload = json.loads(raw)
    assert payload["due"] == "2009-04-14"
    assert {"date": "2009-03-17", "reason": "Saint Patrick's Day (Northern Ireland)"} in payload[
        "skipped"
    ]
    for item in payload["skipped"]:
        assert set(item) == {"date", "reason"}
        assert isinstance(item["date"], str) and isinstance(item["reason"], str)


def test_human_output_shows_the_due_date_and_each_skipped_day_with_its_name():
    text = run("2025-12-30")
    assert "Due:      2026-01-29 (Thursday), the 20th working day following receipt" in text
    assert "2026-01-02 Fri  New Year Holiday (Scotland)" in text
    assert "2026-01-01 Thu  New Year's Day" in text
    assert "Skipped:  10 non-working days" in text


def test_regime_foisa_ignores_st_patricks_day():
    assert json.loads(run("2009-03-12", "--regime", "FOISA", "--json"))["due"] == "2009-04-09"
    assert json.loads(run("2009-03-12", "--regime", "foisa", "--json"))["due"] == "2009-04-09"


def test_working_days_option_counts_other_periods():
    payload = json.loads(run("2009-03-12", "--working-days", "40", "--json"))
    assert payload["due"] == "2009-05-13"
    assert json.loads(run("2009-03-14", "--working-days", "1", "--json")) == {
        "received": "2009-03-14",
        "due": "2009-03-16",
        "skipped": [{"date": "2009-03-15", "reason": "Sunday"}],
    }


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2025-02-30", "is not a valid date"),
        ("30/01/2025", "YYYY-MM-DD"),
        ("2025-1-3", "YYYY-MM-DD"),
        ("tomorrow", "YYYY-MM-DD"),
    ],
)
def test_a_bad_date_is_a_command_error_naming_the_argument_and_why(value, why):
    with pytest.raises(CommandError, match=rf"^received: '{value}' .*{why}"):
        run(value)


def test_negative_working_days_are_a_command_error():
    with pytest.raises(CommandError, match="--working-days: must be 0 or more"):
        run("2025-01-03", "--working-days", "-1")


def test_an_unknown_regime_is_a_command_error():
    with pytest.raises(CommandError, match="--regime"):
        run("2025-01-03", "--regime", "EIR")


def test_a_date_too_late_to_count_from_is_a_command_error():
    with pytest.raises(CommandError, match=r"^received: cannot count from 9999-12-20"):
        run("9999-12-20")
