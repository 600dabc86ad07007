"""Statutory FOI deadlines (SPEC section 3): pure Python, no Django.

Counting rule (FOIA s10(1), FOISA s10(1)): the day of receipt is day 0 and the due date is the
20th *working day following* it. Counting working days strictly after the day of receipt gives
exactly that, and also gives the SPEC rule for receipt on a non-working day: the next working day
is day 1.

Non-working days come from the maintained ``holidays`` calendar, never a hand-typed list:

* FOIA (s10(6)): Saturdays, Sundays and a bank holiday "in any part of the United Kingdom", i.e.
  the UNION of the England, Northern Ireland, Scotland and Wales calendars, substitute
  ("observed") days included. St Patrick's Day and 12 July (Northern Ireland), 2 January and
  St Andrew's Day (Scotland) stop the clock for every force.
* FOISA (s73): Saturdays, Sundays and Scottish bank holidays only.

The timeline clock (:func:`compute_deadline`) applies the clock-changing events of a request:
clarification restarts the clock (s1(3)), the working days from a fees notice to the fee's receipt
are disregarded (s10(2)), a public interest extension (FOIA s10(3) only) sets a new target.

Counting is arithmetic, never a walk over the days: the weekdays between two dates follow from
their ordinals, and the holidays between them are found by bisection in each year's sorted list,
so a count costs O(years + holidays) however far apart the dates are. Only the lists of skipped
days are as long as the span they describe. Dates are bounded to :data:`FIRST_DAY` ..
:data:`LAST_DAY`; a date outside raises ValueError saying so.
"""

from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol, TypeVar

import holidays

__all__ = [
    "ANSWER_KINDS",
    "CLOSING_KINDS",
    "EVENT_KINDS",
    "FIRST_DAY",
    "LAST_DAY",
    "STATUTORY_WORKING_DAYS",
    "VERY_OVERDUE_WORKING_DAYS",
    "ClockEvent",
    "Deadline",
    "DueDate",
    "Regime",
    "SkippedDay",
    "add_working_days",
    "after_last_bounce",
    "check_day",
    "compute_deadline",
    "holidays_for_year",
    "is_overdue",
    "is_very_overdue",
    "is_working_day",
    "non_working_reason",
    "review_due",
    "working_days_between",
]

STATUTORY_WORKING_DAYS = 20
VERY_OVERDUE_WORKING_DAYS = 40
REVIEW_WORKING_DAYS = 20
COMPLEX_REVIEW_WORKING_DAYS = 40

#: The first day the clock counts: both Acts came fully into force on 1 January 2005 (FOIA
#: s87(3) and the commencement orders; FOISA s75). No request was received before it.
FIRST_DAY = dt.date(2005, 1, 1)
#: The last: far beyond any real deadline, near enough that a count stays cheap and the
#: holiday calendar is one the library computes.
LAST_DAY = dt.date(2099, 12, 31)


class Regime(StrEnum):
    FOIA = "FOIA"
    FOISA = "FOISA"


_NATIONS: dict[str, str] = {
    "ENG": "England",
    "NIR": "Northern Ireland",
    "SCT": "Scotland",
    "WLS": "Wales",
}
_SUBDIVS: dict[Regime, tuple[str, ...]] = {
    Regime.FOIA: ("ENG", "NIR", "SCT", "WLS"),
    Regime.FOISA: ("SCT",),
}
_STATUTE: dict[Regime, str] = {Regime.FOIA: "FOIA", Regime.FOISA: "FOISA"}

# Event kinds: exactly the values of the lead's EventKind TextChoices.
EVENT_KINDS: frozenset[str] = frozenset(
    {
        "sent",
        "resent",
        "acknowledged",
        "clarification_asked",
        "clarification_given",
        "fees_notice",
        "fee_paid",
        "pit_extension",
        "response_received",
        "partial_response",
        "refused",
        "not_held",
        "withdrawn",
        "bounced",
        "internal_review_asked",
        "internal_review_answered",
        "ico_complaint",
        "ico_decision",
        "note",
    }
)
#: Events that answer the request (the clock's job is done).
ANSWER_KINDS: frozenset[str] = frozenset({"response_received", "refused", "not_held"})
#: Events that end the first-response clock.
CLOSING_KINDS: frozenset[str] = ANSWER_KINDS | {"withdrawn"}


def _regime(regime: Regime | str) -> Regime:
    try:
        return Regime(regime)
    except ValueError:
        raise ValueError(
            f"unknown regime {regime!r}: expected one of {', '.join(r.value for r in Regime)}"
        ) from None


# --------------------------------------------------------------------------- calendar


@functools.cache
def _holidays_for_year(regime: Regime, year: int) -> Mapping[dt.date, str]:
    # name -> nations observing it, per date, keeping the library's order of names.
    by_date: dict[dt.date, dict[str, list[str]]] = {}
    subdivs = _SUBDIVS[regime]
    for subdiv in subdivs:
        calendar = holidays.country_holidays(
            "GB", subdiv=subdiv, years=year, language="en_GB", observed=True
        )
        for day, names in calendar.items():
            # The library joins several holidays on one date with "; ".
            for name in names.split("; "):
                by_date.setdefault(day, {}).setdefault(name, []).append(subdiv)
    result: dict[dt.date, str] = {}
    for day in sorted(by_date):
        parts = []
        for name, where in by_date[day].items():
            if len(where) == len(subdivs):
                parts.append(name)
            else:
                parts.append(f"{name} ({', '.join(_NATIONS[s] for s in where)})")
        result[day] = "; ".join(parts)
    return MappingProxyType(result)


def holidays_for_year(regime: Regime | str, year: int) -> Mapping[dt.date, str]:
    """The regime's holidays in ``year`` (weekdays and weekends), date -> name.

    Names a nation when the holiday is not common to every nation of the regime, e.g.
    ``"Saint Patrick's Day (Northern Ireland)"``; cached per (regime, year).
    """
    return _holidays_for_year(_regime(regime), year)


def non_working_reason(day: dt.date, regime: Regime | str) -> str | None:
    """Why ``day`` is not a working day (``None`` when it is one)."""
    holiday = _holidays_for_year(_regime(regime), day.year).get(day)
    weekday = day.weekday()
    if weekday >= 5:
        weekend = "Saturday" if weekday == 5 else "Sunday"
        return f"{weekend}, also {holiday}" if holiday else weekend
    return holiday


def is_working_day(day: dt.date, regime: Regime | str) -> bool:
    return non_working_reason(day, regime) is None


def check_day(day: dt.date, what: str = "date") -> None:
    """Raise ValueError, naming ``what``, when ``day`` is outside FIRST_DAY .. LAST_DAY."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            f"{what} {day.isoformat()} is outside the dates the FOI clock counts "
            f"({FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()})"
        )


@functools.cache
def _weekday_holidays(regime: Regime, year: int) -> tuple[dt.date, ...]:
    # Holidays on a Saturday or Sunday cost nothing: the weekend is already off.
    return tuple(day for day in _holidays_for_year(regime, year) if day.weekday() < 5)


def _weekdays_through(day: dt.date) -> int:
    """Mondays to Fridays from 0001-01-01 (a Monday, ordinal 1) up to and including ``day``."""
    weeks, extra = divmod(day.toordinal(), 7)
    return weeks * 5 + min(extra, 5)


def _nth_weekday_after(start: dt.date, n: int) -> dt.date:
    """The ``n``-th Monday-to-Friday after ``start`` (n >= 1): the inverse of the count above."""
    weeks, extra = divmod(_weekdays_through(start) + n, 5)
    ordinal = weeks * 7 + extra if extra else weeks * 7 - 2  # a whole week ends on its Friday
    if ordinal > LAST_DAY.toordinal():
        raise ValueError(
            f"counting {n} working days from {start.isoformat()} goes past "
            f"{LAST_DAY.isoformat()}, the last date the FOI clock counts"
        )
    return dt.date.fromordinal(ordinal)


def _holidays_between(regime: Regime, start: dt.date, end: dt.date) -> int:
    """Holidays falling on weekdays after ``start`` up to and including ``end``."""
    count = 0
    for year in range(start.year, end.year + 1):
        days = _weekday_holidays(regime, year)
        low = bisect_right(days, start) if year == start.year else 0
        high = bisect_right(days, end) if year == end.year else len(days)
        count += high - low
    return count


def _working_between(regime: Regime, start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``; 0 when ``end <= start``."""
    if end <= start:
        return 0
    weekdays = _weekdays_through(end) - _weekdays_through(start)
    return weekdays - _holidays_between(regime, start, end)


# --------------------------------------------------------------------------- counting


@dataclass(frozen=True, slots=True)
class SkippedDay:
    date: dt.date
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"date": self.date.isoformat(), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class DueDate:
    """``due`` is the ``working_days``-th working day after ``received`` (day 0).

    ``skipped`` lists every day after ``received`` up to ``due`` that did not count, with why.
    """

    received: dt.date
    due: dt.date
    working_days: int
    regime: Regime
    skipped: list[SkippedDay] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The ``deadline --json`` shape: received, due, skipped[{date, reason}]."""
        return {
            "received": self.received.isoformat(),
            "due": self.due.isoformat(),
            "skipped": [s.to_dict() for s in self.skipped],
        }


@dataclass(frozen=True, slots=True)
class _Pause:
    """Days from ``first`` to ``last`` (both included) whose working days do not count."""

    first: dt.date
    last: dt.date
    reason: str


def _lost(regime: Regime, start: dt.date, end: dt.date, pauses: Iterable[_Pause]) -> int:
    """Weekdays after ``start`` up to ``end`` that do not count: holidays, and working days in
    the pauses (which never overlap: each fee is paid before the next notice)."""
    paused = sum(
        _working_between(regime, max(start, p.first - dt.timedelta(days=1)), min(end, p.last))
        for p in pauses
    )
    return _holidays_between(regime, start, end) + paused


def _count_forward(
    start: dt.date, n: int, regime: Regime, pauses: Iterable[_Pause] = ()
) -> dt.date:
    """The n-th counted day after ``start``: a working day in no pause.

    Start from the n-th weekday and move out by the weekdays lost on the way until none more
    are lost: every candidate is at most the answer, so the first fixed point is the answer.
    """
    if n < 0:
        raise ValueError(f"working days must be 0 or more, not {n}")
    check_day(start)
    if n == 0:
        return start
    pauses = tuple(pauses)
    day = _nth_weekday_after(start, n)
    while (later := _nth_weekday_after(start, n + _lost(regime, start, day, pauses))) != day:
        day = later
    return day


def add_working_days(
    start: dt.date, n: int = STATUTORY_WORKING_DAYS, regime: Regime | str = Regime.FOIA
) -> DueDate:
    """The ``n``-th working day following ``start`` (``start`` itself is day 0).

    A ``start`` on a non-working day makes the next working day day 1. ``n == 0`` gives ``start``.
    Raises ValueError for a negative ``n``, an unknown regime, or a ``start`` or due date outside
    FIRST_DAY .. LAST_DAY.
    """
    reg = _regime(regime)
    due = _count_forward(start, n, reg)
    skipped = _skipped_between(start, due, reg, ())
    return DueDate(received=start, due=due, working_days=n, regime=reg, skipped=skipped)


def working_days_between(start: dt.date, end: dt.date, regime: Regime | str) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end == start``).

    So ``working_days_between(d, add_working_days(d, n).due) == n``; a request answered on ``end``
    was answered within 20 working days when this is <= 20. Raises ValueError if end < start or
    either date is outside FIRST_DAY .. LAST_DAY.
    """
    reg = _regime(regime)
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    check_day(start, "start")
    check_day(end, "end")
    return _working_between(reg, start, end)


def review_due(asked: dt.date, regime: Regime | str, complex: bool = False) -> DueDate:
    """When an internal review asked on ``asked`` is due.

    FOIA (s45 Code of Practice 2018): 20 working days, 40 in complex cases.
    FOISA s21(1): 20 working days with no extension, so ``complex=True`` raises ValueError.
    """
    reg = _regime(regime)
    if complex and reg is Regime.FOISA:
        raise ValueError(
            "FOISA s21(1): a review is due within 20 working days; there is no extension "
            "for complex cases"
        )
    return add_working_days(
        asked, COMPLEX_REVIEW_WORKING_DAYS if complex else REVIEW_WORKING_DAYS, reg
    )


# --------------------------------------------------------------------------- timeline clock


class _HasKind(Protocol):
    @property
    def kind(self) -> str: ...


_Event = TypeVar("_Event", bound=_HasKind)


@dataclass(frozen=True, slots=True)
class ClockEvent:
    """One timeline event; ``kind`` is an EventKind value, ``target`` only for pit_extension."""

    kind: str
    date: dt.date
    target: dt.date | None = None


@dataclass(slots=True)
class Deadline:
    """The first-response deadline of one request, with its reasoning.

    * ``received``: date of the first "sent" event (day 0 of the original clock).
    * ``clock_start``: day 0 of the clock in force (``received``, or the latest clarification).
    * ``due``: the date the response is due, or ``None`` while ``paused`` (a fees notice unpaid
      or a clarification unanswered: the due date is unknowable until the requester acts).
      ``due_before_pause`` then holds the due date as it stood when the clock stopped.
    * ``skipped``: the days after ``clock_start`` up to ``due`` that did not count (weekends,
      bank holidays with names, working days disregarded while a fee was outstanding).
    * ``very_overdue_after``: the 40th counted working day after ``clock_start`` (or ``due``
      when a public interest extension runs later); ``None`` while paused.
    * ``waiting_on_requester_days``: working days after ``received`` spent waiting on the
      requester (clarification asked -> given, fees notice -> fee paid); an open wait counts up
      to ``today`` when given to :func:`compute_deadline`, else up to the last event.
    * ``closed_on``/``closed_by``: the first response, refusal, not-held or withdrawal.
    """

    regime: Regime
    received: dt.date
    clock_start: dt.date
    due: dt.date | None
    paused: bool = False
    due_before_pause: dt.date | None = None
    very_overdue_after: dt.date | None = None
    explanation: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[SkippedDay] = field(default_factory=list)
    waiting_on_requester_days: int = 0
    extended: bool = False
    closed_on: dt.date | None = None
    closed_by: str | None = None

    @property
    def answered_on(self) -> dt.date | None:
        return self.closed_on if self.closed_by in ANSWER_KINDS else None

    @property
    def met_deadline(self) -> bool | None:
        """Answered on or before ``due``; ``None`` when unanswered or no due date."""
        if self.answered_on is None or self.due is None:
            return None
        return self.answered_on <= self.due

    @property
    def working_days_taken(self) -> int | None:
        """Working days from receipt to the answer, time waiting on the requester left out."""
        if self.answered_on is None:
            return None
        total = working_days_between(self.received, self.answered_on, self.regime)
        return total - self.waiting_on_requester_days


def is_overdue(deadline: Deadline, today: dt.date) -> bool:
    """Open, not paused, and ``today`` is after the due date."""
    return (
        deadline.closed_on is None
        and not deadline.paused
        and deadline.due is not None
        and today > deadline.due
    )


def is_very_overdue(deadline: Deadline, today: dt.date) -> bool:
    """Open, not paused, and ``today`` is after the 40th working day (or an extended due)."""
    return (
        is_overdue(deadline, today)
        and deadline.very_overdue_after is not None
        and today > deadline.very_overdue_after
    )


def _fmt(day: dt.date) -> str:
    return day.isoformat()


def _days(n: int) -> str:
    return f"{n} working day{'' if n == 1 else 's'}"


def after_last_bounce(events: list[_Event]) -> list[_Event]:
    """The events after the last "bounced" one (all of them without a bounce), in order given.

    A bounced request never reached the force: what happened before it does not count.
    """
    bounces = [i for i, e in enumerate(events) if e.kind == "bounced"]
    return events[bounces[-1] + 1 :] if bounces else events


def compute_deadline(
    events: Iterable[ClockEvent],
    regime: Regime | str,
    *,
    today: dt.date | None = None,
) -> Deadline:
    """Apply a request's timeline to the statutory clock (SPEC section 3).

    Events are applied in date order; events on the same date keep the order given.

    * "sent": the first starts the clock (received = its date); later ones count as "resent".
    * "bounced": the request never arrived; only events after the last bounce count, and the
      clock starts at the next "sent".
    * "resent": keeps the original clock.
    * "clarification_asked": the clock stops, waiting on the requester (s1(3)).
    * "clarification_given": 20 working days start afresh from its date (s1(3)); earlier
      pauses and extensions no longer matter.
    * "fees_notice" .. "fee_paid": the working days from the notice to the fee's receipt, both
      included, are disregarded (s10(2)); while unpaid the clock is paused and ``due`` is None.
    * "pit_extension" (FOIA s10(3) only): new target = ``event.target`` or, without one,
      20 further working days after the current due date (ICO guidance). A target beyond the
      40th working day, or an extension notified after the due date, adds a warning.
      Later fee pauses do not move an extended target.
    * "response_received", "refused", "not_held", "withdrawn": the first closes the clock; later
      clock events are ignored (internal reviews have their own clock: :func:`review_due`).
    * Others ("acknowledged", "partial_response", "note", reviews, ICO) do not change the clock.

    Raises ValueError: no "sent" event, an unknown kind, a date or target outside FIRST_DAY ..
    LAST_DAY, a non-note event dated before the request was sent, "pit_extension" under FOISA,
    an extension target before the current due date, or "fee_paid" with no fees notice
    outstanding.
    """
    reg = _regime(regime)
    law = _STATUTE[reg]
    ordered = sorted(events, key=lambda e: e.date)
    for event in ordered:
        if event.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {event.kind!r} on {_fmt(event.date)}")
        check_day(event.date, event.kind)
        if event.target is not None:
            check_day(event.target, f"{event.kind} target")
    ordered = after_last_bounce(ordered)
    first_sent = next((e for e in ordered if e.kind == "sent"), None)
    if first_sent is None:
        raise ValueError("no 'sent' event: the clock has not started")
    received = first_sent.date

    explanation: list[str] = []
    warnings: list[str] = []
    clock_start = received
    fee_pauses: list[_Pause] = []  # closed ones only: an unpaid fee pauses the whole clock
    waits: list[tuple[dt.date, dt.date]] = []  # waiting on requester, both ends included
    open_fee: dt.date | None = None
    open_clarification: dt.date | None = None
    target: dt.date | None = None
    closed_on: dt.date | None = None
    closed_by: str | None = None

    def current_due() -> dt.date:
        """The due date as things stand, ignoring any pause still open."""
        if target is not None:
            return target
        return _count_forward(clock_start, STATUTORY_WORKING_DAYS, reg, fee_pauses)

    explanation.append(
        f"Received {_fmt(received)} (day 0); due on the 20th working day following ({law} s10(1))"
    )
    for event in ordered:
        kind, day = event.kind, event.date
        if event is first_sent:
            continue
        if day < received:
            if kind == "note":
                continue
            raise ValueError(
                f"{kind} on {_fmt(day)} is before the request was sent on {_fmt(received)}"
            )
        if closed_on is not None:
            if kind in {"clarification_given", "fees_notice", "fee_paid", "pit_extension"}:
                explanation.append(
                    f"{kind} on {_fmt(day)} ignored: the request was already closed "
                    f"({closed_by} on {_fmt(closed_on)})"
                )
            continue
        if kind in {"sent", "resent"}:
            explanation.append(f"Re-sent on {_fmt(day)}: the original clock is kept")
        elif kind == "clarification_asked":
            if open_clarification is None:
                open_clarification = day
                explanation.append(
                    f"Clock stopped on {_fmt(day)}: clarification asked, waiting on the "
                    f"requester ({law} s1(3))"
                )
        elif kind == "clarification_given":
            if open_clarification is not None:
                waits.append((open_clarification + dt.timedelta(days=1), day))
            if open_fee is not None:
                waits.append((open_fee, day))
            clock_start, target, open_clarification, open_fee = day, None, None, None
            fee_pauses.clear()
            explanation.append(
                f"Clock restarted on {_fmt(day)}: clarification received ({law} s1(3)); "
                f"20 working days start afresh"
            )
        elif kind == "fees_notice":
            if open_fee is None:
                explanation.append(
                    f"Clock paused on {_fmt(day)}: fees notice given; the days until the fee "
                    f"is received do not count ({law} s10(2))"
                )
                open_fee = day
        elif kind == "fee_paid":
            if open_fee is None:
                raise ValueError(f"fee_paid on {_fmt(day)} with no fees notice outstanding")
            before = current_due()
            reason = f"fee outstanding (fees notice {_fmt(open_fee)}, {law} s10(2))"
            fee_pauses.append(_Pause(open_fee, day, reason))
            waits.append((open_fee, day))
            paused_days = _working_between(
                reg, max(clock_start, open_fee - dt.timedelta(days=1)), day
            )
            open_fee = None
            after = current_due()
            explanation.append(
                f"Fee received on {_fmt(day)}: {_days(paused_days)} disregarded "
                f"({law} s10(2)); due moves from {_fmt(before)} to {_fmt(after)}"
            )
        elif kind == "pit_extension":
            if reg is Regime.FOISA:
                raise ValueError(
                    f"pit_extension on {_fmt(day)}: FOISA has no public interest extension; "
                    "the 20 working days still apply"
                )
            current = current_due()
            if event.target is not None:
                if event.target < current:
                    raise ValueError(
                        f"pit_extension on {_fmt(day)}: target {_fmt(event.target)} is before "
                        f"the current due date {_fmt(current)}"
                    )
                new_target, how = event.target, "target given"
            else:
                new_target = _count_forward(current, 20, reg)
                how = "20 further working days after " + _fmt(current) + " (ICO guidance)"
            if day > current:
                warnings.append(
                    f"Public interest extension notified on {_fmt(day)}, after the due date "
                    f"{_fmt(current)}: the refusal notice was due by day 20 (FOIA s17(2))"
                )
            target = new_target
            explanation.append(
                f"Public interest extension on {_fmt(day)}: new target {_fmt(target)}, "
                f"{how} (FOIA s10(3))"
            )
            forty = _count_forward(clock_start, VERY_OVERDUE_WORKING_DAYS, reg, fee_pauses)
            if target > forty:
                warnings.append(
                    f"Extension target {_fmt(target)} is beyond the 40th working day after "
                    f"receipt ({_fmt(forty)}): longer than the ICO's guidance normally allows"
                )
        elif kind in CLOSING_KINDS:
            closed_on, closed_by = day, kind
            if open_fee is not None:
                waits.append((open_fee, day))
            if open_clarification is not None:
                waits.append((open_clarification + dt.timedelta(days=1), day))
        elif kind == "partial_response":
            explanation.append(
                f"Partial response on {_fmt(day)}: the clock keeps running for the rest"
            )
        # acknowledged, note, internal reviews, ICO: no effect on this clock.

    last_day = closed_on or today or (ordered[-1].date if ordered else received)
    if closed_on is None:
        if open_fee is not None:
            waits.append((open_fee, max(last_day, open_fee)))
        if open_clarification is not None:
            waits.append((open_clarification + dt.timedelta(days=1), last_day))

    paused = closed_on is None and (open_fee is not None or open_clarification is not None)
    pause_start = open_clarification if open_clarification is not None else open_fee
    due: dt.date | None
    skipped: list[SkippedDay] = []
    due_before_pause: dt.date | None = None
    very: dt.date | None = None
    if open_fee is not None or open_clarification is not None:
        # The due date cannot be known until the requester acts (or the request closed).
        due = None
        due_before_pause = current_due()
        if paused:
            assert pause_start is not None
            explanation.append(
                f"Paused since {_fmt(pause_start)}, waiting on the requester: no due date "
                f"until the clock restarts (it was {_fmt(due_before_pause)})"
            )
    else:
        due = current_due()
        skipped = _skipped_between(clock_start, due, reg, fee_pauses)
        very = max(_count_forward(clock_start, VERY_OVERDUE_WORKING_DAYS, reg, fee_pauses), due)
        how = "extension target, clock from" if target is not None else "20th working day after"
        explanation.append(
            f"Due {_fmt(due)}: {how} {_fmt(clock_start)}; {len(skipped)} "
            f"non-counting day{'' if len(skipped) == 1 else 's'} skipped"
        )
    if closed_on is not None and closed_by is not None:
        verdict = ""
        if closed_by in ANSWER_KINDS and due is not None:
            verdict = (
                " (within the deadline)"
                if closed_on <= due
                else f" ({_days(working_days_between(due, closed_on, reg))} late)"
            )
        explanation.append(f"Closed on {_fmt(closed_on)}: {closed_by.replace('_', ' ')}{verdict}")
    explanation.extend(f"Warning: {w}" for w in warnings)

    return Deadline(
        regime=reg,
        received=received,
        clock_start=clock_start,
        due=due,
        paused=paused,
        due_before_pause=due_before_pause,
        very_overdue_after=very,
        explanation=explanation,
        warnings=warnings,
        skipped=skipped,
        waiting_on_requester_days=_count_waiting(received, last_day, waits, reg),
        extended=target is not None,
        closed_on=closed_on,
        closed_by=closed_by,
    )


def _skipped_between(
    start: dt.date, end: dt.date, regime: Regime, pauses: Iterable[_Pause]
) -> list[SkippedDay]:
    """Every day after ``start`` up to ``end`` that did not count, with why: as long as the span
    it lists, so callers count with the arithmetic above and list only a due date's span."""
    pauses = tuple(pauses)
    out = []
    day = start + dt.timedelta(days=1)
    while day <= end:
        reason = non_working_reason(day, regime) or next(
            (p.reason for p in pauses if p.first <= day <= p.last), None
        )
        if reason is not None:
            out.append(SkippedDay(day, reason))
        day += dt.timedelta(days=1)
    return out


def _count_waiting(
    received: dt.date, last_day: dt.date, waits: list[tuple[dt.date, dt.date]], regime: Regime
) -> int:
    """Working days after ``received`` up to ``last_day`` inside any wait (waits may overlap)."""
    count, counted_through = 0, received
    for first, last in sorted(waits):
        begin = max(first - dt.timedelta(days=1), counted_through)
        end = min(last, last_day)
        if end > begin:
            count += _working_between(regime, begin, end)
            counted_through = end
    return count
