"""The statutory clock (SPEC section 3). Expected dates were worked out by hand from the law and
the published bank holiday calendars, not read back from the code."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from requests_app.deadlines import (
    EVENT_KINDS,
    FIRST_DAY,
    LAST_DAY,
    ClockEvent,
    Regime,
    SkippedDay,
    add_working_days,
    compute_deadline,
    holidays_for_year,
    is_overdue,
    is_very_overdue,
    is_working_day,
    non_working_reason,
    review_due,
    working_days_between,
)

FOIA, FOISA = Regime.FOIA, Regime.FOISA


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def ev(kind: str, day: str, target: str | None = None) -> ClockEvent:
    return ClockEvent(kind, d(day), d(target) if target else None)


def skipped_dates(result) -> list[str]:
    return [s.date.isoformat() for s in result.skipped]


# --------------------------------------------------------------------------- SPEC examples


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2009-03-12", "2009-04-14"),  # St Patrick's Day (NI), Good Friday, Easter Monday
        ("2009-03-14", "2009-04-15"),  # Saturday receipt counts from Monday
        ("2026-12-01", "2026-12-31"),  # Christmas Day, Boxing Day (substitute 28 Dec)
        ("2025-12-30", "2026-01-29"),  # 1 Jan and 2 Jan (Scotland)
    ],
)
def test_spec_worked_examples_give_the_20th_working_day(received, due):
    result = add_working_days(d(received), 20, FOIA)
    assert result.received == d(received)
    assert result.due == d(due)
    assert result.working_days == 20


def test_it_skips_st_patricks_day_good_friday_and_easter_monday_for_every_force():
    result = add_working_days(d("2009-03-12"), 20, FOIA)
    reasons = {s.date.isoformat(): s.reason for s in result.skipped}
    assert reasons["2009-03-17"] == "Saint Patrick's Day (Northern Ireland)"
    assert reasons["2009-04-10"] == "Good Friday"
    assert reasons["2009-04-13"] == "Easter Monday (England, Northern Ireland, Wales)"
    # 10 weekend days + the three holidays; the day of receipt and the due date are not skipped.
    assert len(result.skipped) == 13
    assert "2009-03-12" not in reasons
    assert "2009-04-14" not in reasons


def test_christmas_example_lists_the_boxing_day_substitute():
    result = add_working_days(d("2026-12-01"), 20, FOIA)
    assert result.skipped[-4:] == [
        SkippedDay(d("2026-12-25"), "Christmas Day"),
        SkippedDay(d("2026-12-26"), "Saturday, also Boxing Day"),
        SkippedDay(d("2026-12-27"), "Sunday"),
        SkippedDay(d("2026-12-28"), "Boxing Day (observed)"),
    ]


def test_new_year_example_skips_the_scottish_2_january_for_every_force():
    result = add_working_days(d("2025-12-30"), 20, FOIA)
    assert result.skipped[:2] == [
        SkippedDay(d("2026-01-01"), "New Year's Day"),
        SkippedDay(d("2026-01-02"), "New Year Holiday (Scotland)"),
    ]


# --------------------------------------------------------------------------- receipt day


@pytest.mark.parametrize("received", ["2009-03-13", "2009-03-14", "2009-03-15"])
def test_friday_saturday_and_sunday_receipt_share_a_due_date(received):
    # Friday is day 0; Saturday/Sunday receipt makes Monday day 1: the same Monday either way.
    assert add_working_days(d(received), 20, FOIA).due == d("2009-04-15")


def test_saturday_receipt_does_not_list_the_day_of_receipt_as_skipped():
    result = add_working_days(d("2009-03-14"), 20, FOIA)
    assert skipped_dates(result)[0] == "2009-03-15"


@pytest.mark.parametrize("received", ["2024-03-28", "2024-03-29", "2024-04-01"])
def test_receipt_on_good_friday_or_easter_monday_makes_the_next_working_day_day_1(received):
    # Thursday 28 March is day 0; Good Friday/Easter Monday receipt: Tuesday 2 April is day 1.
    assert add_working_days(d(received), 1, FOIA).due == d("2024-04-02")
    assert add_working_days(d(received), 20, FOIA).due == d("2024-04-29")


def test_zero_working_days_is_the_day_of_receipt():
    assert add_working_days(d("2024-03-29"), 0, FOIA).due == d("2024-03-29")


def test_negative_working_days_are_refused():
    with pytest.raises(ValueError, match="0 or more"):
        add_working_days(d("2024-03-01"), -1, FOIA)


def test_an_unknown_regime_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="FOIA, FOISA"):
        add_working_days(d("2024-03-01"), 20, "EIR")


def test_regime_accepts_the_plain_strings_stored_in_the_database():
    assert add_working_days(d("2009-03-12"), 20, "FOISA").due == d("2009-04-09")
    assert Regime("FOIA") is FOIA and str(FOISA) == "FOISA"


# --------------------------------------------------------------------------- union of UK holidays


def test_year_boundary_counts_every_substitute_day_including_scotlands_4_january():
    # 25/26 Dec 2021 fall on a weekend -> 27, 28 Dec; 1 Jan 2022 Sat -> 3 Jan; Scotland's
    # 2 Jan (Sun) -> 4 Jan. England alone would give 20 January.
    result = add_working_days(d("2021-12-20"), 20, FOIA)
    assert result.due == d("2022-01-21")
    reasons = {s.date.isoformat(): s.reason for s in result.skipped}
    assert reasons["2022-01-04"] == "New Year Holiday (observed) (Scotland)"
    assert reasons["2022-01-03"] == "New Year's Day (observed)"
    assert reasons["2021-12-28"] == "Boxing Day (observed)"


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        ("2026-07-13", "Battle of the Boyne (observed) (Northern Ireland)"),
        ("2026-08-03", "Summer Bank Holiday (Scotland)"),
        ("2026-08-31", "Late Summer Bank Holiday (England, Northern Ireland, Wales)"),
        ("2026-11-30", "Saint Andrew's Day (Scotland)"),
        ("2026-06-15", "Scotland's participation in the FIFA World Cup final (Scotland)"),
        ("2026-04-03", "Good Friday"),
        ("2026-07-12", "Sunday, also Battle of the Boyne (Northern Ireland)"),
    ],
)
def test_foia_non_working_days_name_the_nation_when_not_common(day, reason):
    assert non_working_reason(d(day), FOIA) == reason


def test_it_stops_the_foia_clock_on_12_july_for_every_force():
    # 12 July 2027 is a Monday.
    result = add_working_days(d("2027-07-09"), 1, FOIA)
    assert result.due == d("2027-07-13")
    assert result.skipped[-1] == SkippedDay(
        d("2027-07-12"), "Battle of the Boyne (Northern Ireland)"
    )


def test_foia_calendar_is_exactly_the_union_of_the_four_nations():
    for year in (2009, 2022, 2026):
        union: set[dt.date] = set()
        for subdiv in ("ENG", "NIR", "SCT", "WLS"):
            union |= set(holidays.country_holidays("GB", subdiv=subdiv, years=year))
        england = set(holidays.country_holidays("GB", subdiv="ENG", years=year))
        ours = set(holidays_for_year(FOIA, year))
        assert ours == union
        assert ours > england


def test_foisa_calendar_is_exactly_scotland():
    scotland = holidays.country_holidays("GB", subdiv="SCT", years=2026)
    assert set(holidays_for_year(FOISA, 2026)) == set(scotland)
    # FOISA names need no nation: it is all Scotland.
    assert holidays_for_year(FOISA, 2026)[d("2026-01-02")] == "New Year Holiday"


def test_calendar_is_cached_per_regime_and_year():
    assert holidays_for_year(FOIA, 2026) is holidays_for_year("FOIA", 2026)
    assert holidays_for_year(FOIA, 2026) is not holidays_for_year(FOISA, 2026)


# --------------------------------------------------------------------------- FOISA


def test_st_patricks_day_does_not_stop_a_foisa_clock():
    # Scotland: 17 March counts and Easter Monday counts; Good Friday (10 April) is after day 20.
    assert add_working_days(d("2009-03-12"), 20, FOISA).due == d("2009-04-09")
    assert is_working_day(d("2009-03-17"), FOISA)
    assert not is_working_day(d("2009-03-17"), FOIA)


def test_12_july_does_not_stop_a_foisa_clock():
    # The Battle of the Boyne is a Northern Ireland holiday, not a Scottish one (FOISA s73).
    assert add_working_days(d("2027-07-09"), 1, FOISA).due == d("2027-07-12")


def test_easter_monday_and_late_summer_holiday_count_under_foisa():
    assert add_working_days(d("2024-03-28"), 1, FOISA).due == d("2024-04-01")
    assert add_working_days(d("2024-08-23"), 1, FOISA).due == d("2024-08-26")


@pytest.mark.parametrize("regime", [FOIA, FOISA])
def test_2_january_is_a_holiday_for_scotland_under_both_regimes(regime):
    # 1 Jan 2027 is a Friday, 2 Jan a Saturday -> substitute Monday 4 January.
    result = add_working_days(d("2026-12-31"), 1, regime)
    assert result.due == d("2027-01-05")
    assert d("2027-01-04") in {s.date for s in result.skipped}


@pytest.mark.parametrize("regime", [FOIA, FOISA])
def test_st_andrews_day_is_a_holiday_under_both_regimes(regime):
    assert add_working_days(d("2027-11-29"), 1, regime).due == d("2027-12-01")  # Tuesday 30th
    # 30 November 2025 is a Sunday: Monday 1 December is the substitute.
    assert add_working_days(d("2025-11-28"), 1, regime).due == d("2025-12-02")


def test_scottish_summer_bank_holiday_stops_the_foia_clock_for_every_force():
    assert add_working_days(d("2024-08-02"), 1, FOIA).due == d("2024-08-06")


def test_year_boundary_under_foisa():
    assert add_working_days(d("2025-12-30"), 20, FOISA).due == d("2026-01-29")
    assert add_working_days(d("2021-12-20"), 20, FOISA).due == d("2022-01-21")


# --------------------------------------------------------------------------- cross-checks


def _naive_due(start: dt.date, n: int, subdivs: tuple[str, ...]) -> dt.date:
    years = range(start.year, start.year + 2)
    off: set[dt.date] = set()
    for subdiv in subdivs:
        off |= set(holidays.country_holidays("GB", subdiv=subdiv, years=years))
    day, counted = start, 0
    while counted < n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            counted += 1
    return day


_STARTS = [dt.date(2009, 1, 1) + dt.timedelta(days=37 * i) for i in range(190)]  # 2009..2028


@pytest.mark.parametrize("start", _STARTS, ids=lambda s: s.isoformat())
def test_due_dates_agree_with_a_naive_count_and_with_working_days_between(start):
    foia = add_working_days(start, 20, FOIA)
    foisa = add_working_days(start, 20, FOISA)
    assert foia.due == _naive_due(start, 20, ("ENG", "NIR", "SCT", "WLS"))
    assert foisa.due == _naive_due(start, 20, ("SCT",))
    for result, regime in ((foia, FOIA), (foisa, FOISA)):
        assert is_working_day(result.due, regime)
        assert working_days_between(start, result.due, regime) == 20
        # Every calendar day after receipt up to the due date is either counted or skipped.
        assert (result.due - start).days == 20 + len(result.skipped)
        assert all(s.reason and not is_working_day(s.date, regime) for s in result.skipped)
    # The union never gives less time than Scotland alone, nor than England alone.
    assert foia.due >= foisa.due
    assert foia.due >= _naive_due(start, 20, ("ENG",))


# --------------------------------------------------------------------------- working_days_between


def test_working_days_between_counts_after_start_up_to_and_including_end():
    assert working_days_between(d("2009-03-12"), d("2009-03-12"), FOIA) == 0
    assert working_days_between(d("2009-03-14"), d("2009-03-16"), FOIA) == 1
    assert working_days_between(d("2009-03-16"), d("2009-03-18"), FOIA) == 1  # 17th skipped
    assert working_days_between(d("2009-03-16"), d("2009-03-18"), FOISA) == 2
    assert working_days_between(d("2009-03-12"), d("2009-04-15"), FOIA) == 21


def test_working_days_between_refuses_an_end_before_the_start():
    with pytest.raises(ValueError, match="before start"):
        working_days_between(d("2024-03-02"), d("2024-03-01"), FOIA)


# --------------------------------------------------------------------------- internal review


def test_internal_review_is_due_20_working_days_after_it_is_asked():
    result = review_due(d("2024-03-28"), FOIA)
    assert result.due == d("2024-04-29")
    assert result.working_days == 20


def test_complex_internal_review_is_due_40_working_days_after_it_is_asked():
    # Past May Day (6 May) and the Spring Bank Holiday (27 May).
    result = review_due(d("2024-03-28"), FOIA, complex=True)
    assert result.due == d("2024-05-29")
    assert result.working_days == 40


def test_foisa_review_is_20_scottish_working_days_with_no_complex_extension():
    assert review_due(d("2024-03-28"), FOISA).due == d("2024-04-26")  # Easter Monday counts
    with pytest.raises(ValueError, match="FOISA s21"):
        review_due(d("2024-03-28"), FOISA, complex=True)


# --------------------------------------------------------------------------- timeline clock


def test_a_plain_request_is_due_on_the_20th_and_very_overdue_after_the_40th_working_day():
    deadline = compute_deadline([ev("sent", "2009-03-12")], FOIA)
    assert deadline.received == d("2009-03-12")
    assert deadline.due == d("2009-04-14")
    assert deadline.very_overdue_after == d("2009-05-13")  # past May Day, 4 May
    assert not deadline.paused
    assert deadline.skipped == add_working_days(d("2009-03-12"), 20, FOIA).skipped


def test_overdue_and_very_overdue_start_the_day_after_the_limit():
    deadline = compute_deadline([ev("sent", "2009-03-12")], FOIA)
    assert not is_overdue(deadline, d("2009-04-14"))
    assert is_overdue(deadline, d("2009-04-15"))
    assert not is_very_overdue(deadline, d("2009-05-13"))
    assert is_very_overdue(deadline, d("2009-05-14"))


def test_resent_keeps_the_original_clock():
    deadline = compute_deadline(
        [ev("sent", "2009-03-12"), ev("resent", "2009-03-30"), ev("acknowledged", "2009-03-31")],
        FOIA,
    )
    assert deadline.received == d("2009-03-12")
    assert deadline.due == d("2009-04-14")
    assert any("Re-sent on 2009-03-30" in line for line in deadline.explanation)


def test_a_second_sent_event_also_keeps_the_original_clock():
    deadline = compute_deadline([ev("sent", "2009-03-12"), ev("sent", "2009-03-30")], FOIA)
    assert deadline.due == d("2009-04-14")


def test_clarification_restarts_the_clock_from_its_receipt():
    deadline = compute_deadline(
        [
            ev("sent", "2024-02-01"),
            ev("clarification_asked", "2024-02-05"),
            ev("clarification_given", "2024-03-04"),
        ],
        FOIA,
    )
    assert deadline.received == d("2024-02-01")
    assert deadline.clock_start == d("2024-03-04")
    # St Patrick's Day substitute (18 Mar), Good Friday, Easter Monday skipped.
    assert deadline.due == d("2024-04-04")
    assert not deadline.paused
    assert (
        "Clock restarted on 2024-03-04: clarification received (FOIA s1(3)); "
        "20 working days start afresh"
    ) in deadline.explanation
    # 6 Feb .. 4 Mar inclusive: 20 working days spent waiting on the requester.
    assert deadline.waiting_on_requester_days == 20


def test_unanswered_clarification_pauses_the_clock_with_no_due_date():
    deadline = compute_deadline(
        [ev("sent", "2024-02-01"), ev("clarification_asked", "2024-02-05")], FOIA
    )
    assert deadline.paused
    assert deadline.due is None
    assert deadline.due_before_pause == d("2024-02-29")
    assert deadline.very_overdue_after is None
    assert not is_overdue(deadline, d("2025-01-01"))
    assert not is_very_overdue(deadline, d("2025-01-01"))


def test_fees_notice_to_fee_paid_pauses_the_clock_and_moves_the_due_date():
    deadline = compute_deadline(
        [ev("sent", "2024-03-01"), ev("fees_notice", "2024-03-05"), ev("fee_paid", "2024-03-11")],
        FOIA,
    )
    # Unpaused due 3 April; 5 working days disregarded (5, 6, 7, 8, 11 March, both ends in).
    assert deadline.due == d("2024-04-10")
    assert not deadline.paused
    assert deadline.waiting_on_requester_days == 5
    fee_days = [s.date for s in deadline.skipped if "fee outstanding" in s.reason]
    assert fee_days == [d(f"2024-03-{day:02}") for day in (5, 6, 7, 8, 11)]
    assert any("due moves from 2024-04-03 to 2024-04-10" in line for line in deadline.explanation)


def test_unpaid_fees_notice_pauses_the_clock_and_remembers_the_due_date():
    deadline = compute_deadline([ev("sent", "2024-03-01"), ev("fees_notice", "2024-03-05")], FOIA)
    assert deadline.paused
    assert deadline.due is None
    assert deadline.due_before_pause == d("2024-04-03")
    assert not is_overdue(deadline, d("2024-12-31"))


def test_waiting_days_of_an_open_pause_count_up_to_today():
    events = [ev("sent", "2024-03-01"), ev("fees_notice", "2024-03-05")]
    assert compute_deadline(events, FOIA, today=d("2024-03-08")).waiting_on_requester_days == 4


def test_fee_paid_with_no_fees_notice_is_refused():
    with pytest.raises(ValueError, match="no fees notice"):
        compute_deadline([ev("sent", "2024-03-01"), ev("fee_paid", "2024-03-05")], FOIA)


def test_fee_paid_on_the_day_of_the_notice_disregards_one_working_day():
    deadline = compute_deadline(
        [ev("sent", "2024-03-01"), ev("fees_notice", "2024-03-05"), ev("fee_paid", "2024-03-05")],
        FOIA,
    )
    assert deadline.due == d("2024-04-04")


def test_pit_extension_defaults_to_20_further_working_days():
    deadline = compute_deadline([ev("sent", "2024-03-01"), ev("pit_extension", "2024-03-20")], FOIA)
    assert deadline.due == d("2024-05-01")  # 20 working days after 3 April
    assert deadline.extended
    assert deadline.warnings == []
    assert deadline.very_overdue_after == d("2024-05-01")  # = the 40th working day
    assert any("FOIA s10(3)" in line for line in deadline.explanation)


def test_pit_extension_with_an_explicit_target():
    deadline = compute_deadline(
        [ev("sent", "2024-03-01"), ev("pit_extension", "2024-03-20", target="2024-04-17")], FOIA
    )
    assert deadline.due == d("2024-04-17")
    assert deadline.very_overdue_after == d("2024-05-01")
    assert is_overdue(deadline, d("2024-04-18"))
    assert not is_overdue(deadline, d("2024-04-17"))


def test_pit_extension_beyond_40_working_days_says_so():
    deadline = compute_deadline(
        [ev("sent", "2024-03-01"), ev("pit_extension", "2024-03-20", target="2024-05-15")], FOIA
    )
    assert deadline.due == d("2024-05-15")
    assert deadline.very_overdue_after == d("2024-05-15")
    assert len(deadline.warnings) == 1
    assert "beyond the 40th working day" in deadline.warnings[0]
    assert "2024-05-01" in deadline.warnings[0]


def test_pit_extension_notified_after_the_due_date_is_flagged():
    deadline = compute_deadline([ev("sent", "2024-03-01"), ev("pit_extension", "2024-04-05")], FOIA)
    assert any("after the due date 2024-04-03" in w for w in deadline.warnings)


def test_pit_extension_target_before_the_due_date_is_refused():
    with pytest.raises(ValueError, match="before the current due date 2024-04-03"):
        compute_deadline(
            [ev("sent", "2024-03-01"), ev("pit_extension", "2024-03-20", target="2024-03-25")],
            FOIA,
        )


def test_pit_extension_is_invalid_under_foisa():
    with pytest.raises(ValueError, match="FOISA has no public interest extension"):
        compute_deadline([ev("sent", "2024-03-01"), ev("pit_extension", "2024-03-20")], FOISA)


def test_clarification_after_an_extension_restarts_a_plain_20_day_clock():
    deadline = compute_deadline(
        [
            ev("sent", "2024-02-01"),
            ev("pit_extension", "2024-02-10"),
            ev("clarification_given", "2024-03-04"),
        ],
        FOIA,
    )
    assert deadline.due == d("2024-04-04")
    assert not deadline.extended


def test_foisa_timeline_uses_scottish_days():
    deadline = compute_deadline([ev("sent", "2009-03-12")], "FOISA")
    assert deadline.due == d("2009-04-09")
    assert deadline.explanation[0].endswith("(FOISA s10(1))")


def test_events_are_applied_in_date_order_whatever_order_they_come_in():
    events = [
        ev("fee_paid", "2024-03-11"),
        ev("fees_notice", "2024-03-05"),
        ev("sent", "2024-03-01"),
    ]
    assert compute_deadline(events, FOIA).due == d("2024-04-10")


def test_answer_on_the_due_date_meets_the_deadline():
    deadline = compute_deadline(
        [ev("sent", "2009-03-12"), ev("response_received", "2009-04-14")], FOIA
    )
    assert deadline.answered_on == d("2009-04-14")
    assert deadline.met_deadline is True
    assert deadline.working_days_taken == 20
    assert not is_overdue(deadline, d("2009-06-01"))


def test_answer_a_day_late_misses_the_deadline():
    deadline = compute_deadline([ev("sent", "2009-03-12"), ev("refused", "2009-04-15")], FOIA)
    assert deadline.met_deadline is False
    assert deadline.working_days_taken == 21
    assert "Closed on 2009-04-15: refused (1 working day late)" in deadline.explanation


def test_working_days_taken_leaves_out_time_waiting_on_the_requester():
    deadline = compute_deadline(
        [
            ev("sent", "2024-02-01"),
            ev("clarification_asked", "2024-02-05"),
            ev("clarification_given", "2024-03-04"),
            ev("not_held", "2024-04-04"),
        ],
        FOIA,
    )
    # 42 working days from receipt to answer, 20 of them waiting on the requester.
    assert working_days_between(d("2024-02-01"), d("2024-04-04"), FOIA) == 42
    assert deadline.working_days_taken == 22
    assert deadline.met_deadline is True


def test_withdrawn_request_is_closed_but_not_answered():
    deadline = compute_deadline([ev("sent", "2009-03-12"), ev("withdrawn", "2009-05-01")], FOIA)
    assert deadline.closed_by == "withdrawn"
    assert deadline.answered_on is None
    assert deadline.met_deadline is None
    assert not is_overdue(deadline, d("2009-06-01"))


def test_partial_response_does_not_stop_the_clock():
    deadline = compute_deadline(
        [ev("sent", "2009-03-12"), ev("partial_response", "2009-04-01")], FOIA
    )
    assert deadline.closed_on is None
    assert is_overdue(deadline, d("2009-04-15"))
    assert (
        "Partial response on 2009-04-01: the clock keeps running for the rest"
        in deadline.explanation
    )


def test_clock_events_after_the_answer_are_ignored():
    deadline = compute_deadline(
        [
            ev("sent", "2009-03-12"),
            ev("response_received", "2009-04-01"),
            ev("internal_review_asked", "2009-04-02"),
            ev("clarification_given", "2009-04-03"),
        ],
        FOIA,
    )
    assert deadline.due == d("2009-04-14")


def test_no_sent_event_means_no_clock():
    with pytest.raises(ValueError, match="no 'sent' event"):
        compute_deadline([ev("note", "2024-03-01")], FOIA)


def test_an_event_before_the_request_was_sent_is_refused():
    with pytest.raises(ValueError, match="before the request was sent on 2024-03-01"):
        compute_deadline([ev("sent", "2024-03-01"), ev("acknowledged", "2024-02-28")], FOIA)


def test_an_unknown_event_kind_is_refused():
    with pytest.raises(ValueError, match="unknown event kind 'lost'"):
        compute_deadline([ev("sent", "2024-03-01"), ev("lost", "2024-03-02")], FOIA)


def test_event_kinds_match_the_eventkind_choices():
    from requests_app.models import EventKind

    assert set(EventKind.values) == EVENT_KINDS
    assert {"sent", "resent", "pit_extension", "fee_paid", "ico_decision"} <= EVENT_KINDS


# --------------------------------------------------------------------------- bounds and arithmetic

_ALL_NATIONS = {FOIA: ("ENG", "NIR", "SCT", "WLS"), FOISA: ("SCT",)}


def _naive_working_days(start: dt.date, end: dt.date, regime: Regime, paused=()) -> int:
    """Day by day, from the holidays library itself: what the arithmetic must agree with."""
    off: set[dt.date] = set()
    for subdiv in _ALL_NATIONS[regime]:
        off |= set(
            holidays.country_holidays("GB", subdiv=subdiv, years=range(start.year, end.year + 1))
        )
    return sum(
        1
        for i in range(1, (end - start).days + 1)
        if (day := start + dt.timedelta(days=i)).weekday() < 5
        and day not in off
        and not any(first <= day <= last for first, last in paused)
    )


@given(
    start=st.dates(min_value=FIRST_DAY, max_value=dt.date(2095, 12, 31)),
    span=st.integers(min_value=0, max_value=1500),
    regime=st.sampled_from([FOIA, FOISA]),
)
@settings(max_examples=150, deadline=None, database=None)
def test_working_days_between_agrees_with_a_day_by_day_count(start, span, regime):
    end = start + dt.timedelta(days=span)
    assert working_days_between(start, end, regime) == _naive_working_days(start, end, regime)


def test_working_days_between_spans_the_whole_calendar_exactly():
    expected = _naive_working_days(FIRST_DAY, LAST_DAY, FOIA)
    assert working_days_between(FIRST_DAY, LAST_DAY, FOIA) == expected


def test_counting_working_days_never_looks_at_single_days(monkeypatch):
    """O(holidays), not O(days): a count across the whole calendar asks about no single day."""
    import requests_app.deadlines as module

    looked_at: list[dt.date] = []
    real = module.non_working_reason
    monkeypatch.setattr(
        module, "non_working_reason", lambda day, regime: looked_at.append(day) or real(day, regime)
    )
    working_days_between(FIRST_DAY, LAST_DAY, FOIA)
    deadline = compute_deadline(
        [ev("sent", "2024-03-01"), ev("fees_notice", "2024-03-05"), ev("fee_paid", "2031-03-11")],
        FOIA,
    )
    # Only the due date's own span is listed day by day (its skipped days), nothing before it.
    assert looked_at and min(looked_at) > deadline.clock_start
    assert len(looked_at) == (deadline.due - deadline.clock_start).days


@given(
    sent=st.dates(min_value=FIRST_DAY, max_value=dt.date(2090, 12, 31)),
    notice_after=st.integers(min_value=0, max_value=30),
    paid_after=st.integers(min_value=0, max_value=400),
)
@settings(max_examples=100, deadline=None, database=None)
def test_a_paid_fee_moves_the_due_date_as_a_day_by_day_count_does(sent, notice_after, paid_after):
    notice = sent + dt.timedelta(days=notice_after)
    paid = notice + dt.timedelta(days=paid_after)
    deadline = compute_deadline(
        [ClockEvent("sent", sent), ClockEvent("fees_notice", notice), ClockEvent("fee_paid", paid)],
        FOIA,
    )
    assert deadline.due is not None
    counted = _naive_working_days(sent, deadline.due, FOIA, paused=[(notice, paid)])
    assert counted == 20
    assert is_working_day(deadline.due, FOIA)
    assert not notice <= deadline.due <= paid


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: add_working_days(d("2004-12-31")), "2004-12-31 is outside the dates"),
        (lambda: add_working_days(d("9999-12-20")), "9999-12-20 is outside the dates"),
        (lambda: add_working_days(d("2099-12-01"), 40), "goes past 2099-12-31"),
        (lambda: add_working_days(d("2024-03-01"), 10**9), "goes past 2099-12-31"),
        (lambda: working_days_between(d("2024-03-01"), d("9999-12-31"), FOIA), "end 9999-12-31"),
        (
            lambda: compute_deadline(
                [ev("sent", "2024-03-01"), ev("pit_extension", "2024-03-20", "9999-12-31")], FOIA
            ),
            "pit_extension target 9999-12-31 is outside the dates the FOI clock counts "
            r"\(2005-01-01 to 2099-12-31\)",
        ),
        (
            lambda: compute_deadline([ev("sent", "0001-01-01")], FOIA),
            "sent 0001-01-01 is outside",
        ),
    ],
)
def test_dates_outside_the_clock_are_refused_saying_so(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_an_extension_to_the_last_day_of_the_calendar_is_counted():
    deadline = compute_deadline(
        [ev("sent", "2024-03-01"), ev("pit_extension", "2024-03-20", "2099-12-31")], FOIA
    )
    assert deadline.due == LAST_DAY
    assert any("beyond the 40th working day" in w for w in deadline.warnings)
