import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from aggregation import services
from requests_app.management.options import campaign_option
from requests_app.models import Document, Force


class Command(BaseCommand):
    help = (
        "Read a label as a value of one dimension (or 'ignore': not part of this request) in "
        "every file of a campaign, and read again, now, every document that reported it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="The campaign's slug.")
        parser.add_argument(
            "--dimension", required=True, help="period, force, or one of the campaign's."
        )
        parser.add_argument("--label", required=True, help="The label as the file writes it.")
        parser.add_argument(
            "--to",
            required=True,
            help="A period of the campaign's kind (2017-18), an age (13, 0-10), a term's name, "
            "a force's slug, or 'ignore'.",
        )
        parser.add_argument("--force", help="Only in this force's files (its slug).")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, campaign, dimension, label, to, force, as_json, **options) -> None:
        chosen = campaign_option(campaign)
        only = None
        if force:
            only = Force.objects.filter(slug=force).first()
            if only is None:
                raise CommandError(f"--force: no force with slug {force!r}")
        try:
            reread = services.campaign_map_label(
                campaign=chosen,
                dimension=dimension,
                label=label,
                to=to,
                force=only,
                by=None,
                enqueue=False,
            )
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise CommandError(f"--{field}: {' '.join(messages)}") from None
        for pk in reread:  # read now, in this process: the statuses below are the new ones
            services.document_parse(document_id=pk)
        statuses = dict(
            Document.objects.filter(pk__in=reread).order_by("pk").values_list("pk", "status")
        )
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "reread": reread,
                        "statuses": {str(pk): status for pk, status in statuses.items()},
                    },
                    indent=2,
                )
            )
            return
        shown = "not part of this request" if to.lower() == services.IGNORE else to
        self.stdout.write(f"'{label}' now reads as {dimension} {shown}.")
        for pk, status in statuses.items():
            self.stdout.write(f"  #{pk}: {status}")
        if not reread:
            self.stdout.write("  No document reported this label.")
