import json

from django.core.management.base import BaseCommand

from aggregation.rollups import campaign_rollup
from requests_app.management.options import campaign_option


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
        chosen = campaign_option(campaign)
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
        names = rollup["force_names"]
        out("")
        out("By force:")
        for force, periods in sorted(
            rollup["by_force"].items(), key=lambda kv: names.get(kv[0], kv[0])
        ):
            cells = "".join(f"{shown(periods.get(p, {})):>10}" for p in rollup["periods"])
            out(f"  {names.get(force, force)[:34]:<36}{cells}")
        last = rollup["periods"][-1] if rollup["periods"] else None
        if last:
            for name, by_period in rollup["dimensions"].items():
                title = rollup["dimension_info"][name]["title"]
                out("")
                out(f"By {title.lower()}, {last}:")
                for value, figure in by_period[last].items():
                    out(f"  {value[:34]:<36}{shown(figure):>10}")
            out("")
            out(f"Missing in {last}:")
            for force, why in rollup["coverage"][last]["missing"].items():
                out(f"  {names.get(force, force)[:34]:<36}{why}")
        for c in rollup["conflict_summary"]:
            out(f"Conflict: {c['name']}: {c['kind']} in {', '.join(c['periods'])}")
