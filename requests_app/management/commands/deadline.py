"""``manage.py deadline YYYY-MM-DD``: the statutory due date and the days it skipped."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from requests_app.deadlines import STATUTORY_WORKING_DAYS, Regime, add_working_days

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REGIME_RULES = {
    Regime.FOIA: "weekends and bank holidays in any part of the UK (FOIA s10(6))",
    Regime.FOISA: "weekends and Scottish bank holidays (FOISA s73)",
}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _parse_received(raw: str) -> dt.date:
    if not _ISO_DATE.fullmatch(raw):
        raise CommandError(f"received: {raw!r} is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise CommandError(f"received: {raw!r} is not a valid date ({exc})") from None


class Command(BaseCommand):
    help = (
        "Print the statutory due date of an FOI request received on a date (day 0), and the "
        "non-working days skipped on the way."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("received", help="date of receipt, YYYY-MM-DD (day 0)")
        parser.add_argument(
            "--working-days",
            type=int,
            default=STATUTORY_WORKING_DAYS,
            help=f"working days to count (default {STATUTORY_WORKING_DAYS})",
        )
        parser.add_argument(
            "--regime",
            type=str.upper,
            choices=[r.value for r in Regime],
            default=Regime.FOIA.value,
            help="FOIA (union of UK bank holidays, default) or FOISA (Scottish ones)",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help='print {"received", "due", "skipped": [{"date", "reason"}]} as JSON',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        received = _parse_received(options["received"])
        working_days: int = options["working_days"]
        if working_days < 0:
            raise CommandError(f"--working-days: must be 0 or more, not {working_days}")
        regime = Regime(options["regime"])
        try:
            result = add_working_days(received, working_days, regime)
        except (ValueError, OverflowError) as exc:
            raise CommandError(
                f"received: cannot count from {received.isoformat()}: {exc}"
            ) from None

        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict()))
            return

        self.stdout.write(f"Received: {received.isoformat()} ({received:%A}), day 0")
        self.stdout.write(f"Regime:   {regime.value}: not counting {_REGIME_RULES[regime]}")
        self.stdout.write(
            f"Due:      {result.due.isoformat()} ({result.due:%A}), "
            f"the {_ordinal(working_days)} working day following receipt"
        )
        if not result.skipped:
            self.stdout.write("Skipped:  none")
            return
        self.stdout.write(f"Skipped:  {len(result.skipped)} non-working days")
        for day in result.skipped:
            self.stdout.write(f"  {day.date.isoformat()} {day.date:%a}  {day.reason}")
