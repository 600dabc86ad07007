import json
from collections import Counter

from django.core.management.base import BaseCommand

from aggregation.selectors import campaign_document_statuses, campaign_doubts
from requests_app.management.options import campaign_option
from requests_app.models import DocumentStatus


class Command(BaseCommand):
    help = (
        "A campaign's open doubts, grouped by what would fix each (one label mapping fixes every "
        "document reporting the label), most documents first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="The campaign's slug.")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, campaign: str, as_json: bool, **options) -> None:
        chosen = campaign_option(campaign)
        doubts = campaign_doubts(chosen)
        statuses = campaign_document_statuses(chosen)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "doubts": [d.as_json() for d in doubts],
                        "documents": {str(pk): status for pk, status in statuses.items()},
                    },
                    indent=2,
                )
            )
            return
        if not doubts:
            self.stdout.write(f"{chosen.title}: no open doubts.")
        for d in doubts:
            what = f"'{d.label}': {d.words}" if d.label else d.words
            self.stdout.write(
                f"{what} ({len(d.documents)} document{'s' if len(d.documents) > 1 else ''}: "
                f"{', '.join(f'#{pk}' for pk in d.documents)})"
            )
        counts = Counter(DocumentStatus(status).label.lower() for status in statuses.values())
        self.stdout.write(
            "Documents: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        )
