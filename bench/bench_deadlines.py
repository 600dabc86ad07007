"""Working-day counts: the clock's arithmetic against a day-by-day walk over the same span.

    .venv/bin/python bench/bench_deadlines.py            # print the table
    .venv/bin/python bench/bench_deadlines.py --write    # and update BENCHMARKS.md

Baseline: the walk the clock used to do, one holiday lookup per calendar day (the same cached
per-year calendars, so only the counting differs). Measured: `working_days_between`, and
`compute_deadline` for a public-interest extension whose target is the last day the clock counts
(it lists the skipped days of that span, so it stays proportional to it). Median of 5, warm
calendars, interleaved.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks_md import write_section  # noqa: E402

from requests_app.deadlines import (  # noqa: E402
    FIRST_DAY,
    LAST_DAY,
    ClockEvent,
    Regime,
    compute_deadline,
    is_working_day,
    working_days_between,
)

RUNS = 5
SPANS = {
    "20 working days": (dt.date(2024, 3, 1), dt.date(2024, 3, 29)),
    "10 years": (dt.date(2015, 4, 1), dt.date(2025, 3, 31)),
    f"whole calendar ({FIRST_DAY.year}-{LAST_DAY.year})": (FIRST_DAY, LAST_DAY),
}


def walk(start: dt.date, end: dt.date) -> int:
    """The old count: every calendar day after start, looked up one at a time."""
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if is_working_day(start + dt.timedelta(days=offset), Regime.FOIA)
    )


def timed(fn) -> float:
    times = []
    for _ in range(RUNS):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    walk(FIRST_DAY, LAST_DAY)  # warm every year's calendar for both sides
    rows = []
    for name, (start, end) in SPANS.items():
        assert walk(start, end) == working_days_between(start, end, Regime.FOIA)
        baseline = timed(lambda s=start, e=end: walk(s, e))
        counted = timed(lambda s=start, e=end: working_days_between(s, e, Regime.FOIA))
        rows.append((f"day-by-day walk, {name} (baseline)", baseline, 1.0))
        rows.append((f"`working_days_between`, {name}", counted, counted / baseline))
    events = [
        ClockEvent("sent", dt.date(2024, 3, 1)),
        ClockEvent("pit_extension", dt.date(2024, 3, 20), LAST_DAY),
    ]
    extension = timed(lambda: compute_deadline(events, Regime.FOIA))
    rows.append((f"`compute_deadline`, extension to {LAST_DAY} (lists its skipped days)",
                 extension, None))  # fmt: skip
    table = "\n".join(
        f"| {task} | {seconds * 1000:.3f} | {'' if ratio is None else f'{ratio:.4f}'} |"
        for task, seconds, ratio in rows
    )
    body = (
        f"Working days counted over a span, FOIA calendar (union of the four nations); median of "
        f"{RUNS}, calendars warm. Measured {dt.date.today()} on Python "
        f"{sys.version.split()[0]}.\n\n"
        "| task | wall (ms) | x walk over the same span |\n|---|---:|---:|\n" + table + "\n"
    )
    print(body)
    if args.write:
        write_section("Deadlines", body)


if __name__ == "__main__":
    main()
