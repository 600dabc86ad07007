import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aggregation.extraction.engine import extract
from aggregation.extraction.summary import summarise
from aggregation.models import CampaignTemplate
from aggregation.selectors import campaign_vocabulary, force_names, template_of
from requests_app.management.options import campaign_option


class Command(BaseCommand):
    help = "Read one response file and show what the engine finds: verdict, reasons, figures."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--campaign", help="Use this campaign's periods and vocabulary.")
        parser.add_argument(
            "--template",
            help="Read as a new campaign from this template would (manage.py templates lists "
            "them), asking the template's periods.",
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the whole result as JSON."
        )

    def handle(
        self,
        *args,
        file: Path,
        campaign: str | None,
        template: str | None,
        as_json: bool,
        **options,
    ) -> None:
        if not file.is_file():
            raise CommandError(f"file: {file} does not exist or is not a file")
        if campaign and template:
            raise CommandError("--campaign and --template: give one, not both")
        if template:
            try:
                vocabulary = template_of(template).vocabulary(forces=force_names())
            except CampaignTemplate.DoesNotExist:
                known = ", ".join(CampaignTemplate.objects.values_list("slug", flat=True))
                raise CommandError(
                    f"--template: no template {template!r}; known: {known}"
                ) from None
        else:
            vocabulary = campaign_vocabulary(campaign_option(campaign) if campaign else None)
        result = extract(file, vocabulary)
        if as_json:
            self.stdout.write(json.dumps(result.to_dict(), indent=2, default=str))
            return
        self._summary(file, result)

    def _summary(self, file: Path, result) -> None:
        out = self.stdout.write
        out(f"{file.name}: {result.verdict} ({result.format or 'unknown format'})")
        for reason in result.reasons:
            where = f" [{reason.sheet}!{reason.cells}]" if reason.sheet else ""
            mark = "!" if reason.blocking else "i"
            out(f"  {mark} {reason.code}{where}: {reason.message}")
        for i, table in enumerate(result.tables):
            out(f"  table {i}: {table.kind} at {table.sheet}!{table.cells} {table.title}".rstrip())
        out(f"  {len(result.observations)} observations")
        for period, summary in sorted(summarise(result).items()):
            total = summary.total
            if total is None:
                shown = "no total"
            elif total.value is not None:
                shown = str(total.value)
            else:
                shown = f"between {total.lower} and {total.upper}"
            out(f"  {period}: {shown}")
