import json

from django.core.management.base import BaseCommand

from aggregation.models import CampaignTemplate
from aggregation.selectors import template_of


class Command(BaseCommand):
    help = "List the campaign templates a new campaign can start from; --json for their shape."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, as_json: bool, **options) -> None:
        templates = [
            template_of(slug).summary()
            for slug in CampaignTemplate.objects.order_by("slug").values_list("slug", flat=True)
        ]
        if as_json:
            self.stdout.write(json.dumps(templates, indent=2))
            return
        for t in templates:
            dimensions = ", ".join(
                d["name"] + (f" ({len(d['terms'])} terms)" if d["terms"] else f" ({d['kind']})")
                for d in t["dimensions"]
            )
            self.stdout.write(
                f"{t['slug']}: {t['title']}\n"
                f"    counts {t['measure']} by {t['period_kind'].replace('_', ' ')}; {dimensions}"
            )
