import json

from django.core.management.base import BaseCommand, CommandError

from aggregation.rollups import campaign_rollup
from requests_app.models import Campaign


def shown(figure: dict) -> str:
    if figure.get("lower") is None:
        return "–"
    if figure["value"] is not None:
        return f"{figure['value']:,}"
    return f"{figure['lower']:,}–{figure['upper']:,}"


class Command(BaseCommand):
    help = "National figures for a campaign, with coverage; --json for the whole rollup."

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Campaign slug.")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, campaign: str, as_json: bool, **options) -> None:
        chosen = Campaign.objects.filter(slug=campaign).first()
        if chosen is None:
            raise CommandError(f"--campaign: no campaign with slug {campaign!r}")
        rollup = campaign_rollup(chosen)
        if as_json:
            self.stdout.write(json.dumps(rollup, indent=2))
            return
        out = self.stdout.write
        out(rollup["headline"])
        out("")
        out(f"{'period':<10}{'national':>14}{'per day':>10}{'forces':>8}{'age ≤10':>12}{'mode':>6}")
        for period in rollup["periods"]:
            n, a = rollup["national"][period], rollup["age"][period]
            per_day = f"{n['per_day']:.1f}" if n["per_day"] is not None else "–"
            mode = a["mode"] if a["mode"] is not None else "–"
            out(
                f"{period:<10}{shown(n):>14}{per_day:>10}"
                f"{n['forces_reporting']:>5}/{rollup['forces_expected']:<2}"
                f"{shown(a['at_or_under_10']):>12}{mode:>6}"
            )
        out("")
        out("By force:")
        for force, periods in sorted(rollup["by_force"].items()):
            cells = "".join(f"{shown(periods.get(p, {})):>10}" for p in rollup["periods"])
            out(f"  {force:<24}{cells}")
        last = rollup["periods"][-1] if rollup["periods"] else None
        if last:
            out("")
            out(f"Missing in {last}:")
            for force, why in rollup["coverage"][last]["missing"].items():
                out(f"  {force:<24}{why}")
        for conflict in rollup["conflicts"]:
            out(f"Conflict: {conflict['force']} {conflict['period']}: {conflict['kind']}")
