"""Import a folder of force responses through the same upload service and task as the admin."""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from aggregation import services
from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE
from aggregation.extraction.engine import extract, extract_workbook, period_reasons, read_file
from aggregation.extraction.grid import Workbook
from aggregation.extraction.result import ExtractionResult
from aggregation.extraction.vocabulary import PERIOD
from aggregation.models import CampaignTemplate
from aggregation.selectors import force_names, force_phrases, recognise_force, template_of
from requests_app import services as request_services
from requests_app.models import Campaign, Document, DocumentStatus, FOIRequest, Force

IN_FLIGHT = {DocumentStatus.QUEUED, DocumentStatus.PARSING}


class Command(BaseCommand):
    help = "Upload force response files to a campaign and parse them (on the workers if set)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--campaign", required=True, help="Campaign slug.")
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create the campaign from --template, with the periods the files hold.",
        )
        parser.add_argument(
            "--template",
            default=DEFAULT_TEMPLATE,
            help=f"With --create: the template to start from (default {DEFAULT_TEMPLATE}).",
        )
        parser.add_argument("--force", dest="force_slug", help="The force every file comes from.")
        parser.add_argument("--wait", action="store_true", help="Wait for the workers to finish.")
        parser.add_argument("--timeout", type=float, default=600, help="Seconds --wait waits.")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(
        self, *args, files, campaign, create, template, force_slug, wait, timeout, as_json, **o
    ):
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise CommandError(f"FILE: not found: {', '.join(missing)}")
        contents = {f: f.read_bytes() for f in files}
        forced = None
        if force_slug:
            forced = Force.objects.filter(slug=force_slug).first()
            if forced is None:
                raise CommandError(f"--force: no force with slug {force_slug!r}")
        # Decide every file's force before writing anything: all or nothing. A file whose name
        # does not say is read to find out, and that reading is kept for --create.
        forces: dict[Path, Force] = {}
        workbooks: dict[Path, Workbook | ExtractionResult] = {}
        phrases = force_phrases() if forced is None else []
        for f in files:
            forces[f] = forced or self._recognise(f, contents[f], workbooks, phrases)
        target = Campaign.objects.filter(slug=campaign).first()
        read: dict[Path, ExtractionResult] = {}
        if target is None:
            if not create:
                raise CommandError(
                    f"--campaign: no campaign {campaign!r} (add --create to make it)"
                )
            target, read = self._create(
                campaign, template, contents, workbooks, set(forces.values())
            )
        workbooks.clear()
        owner = target.owner
        requests = {r.force_id: r for r in target.requests.all()}
        rows = []
        for f in files:
            request = self._request(target, forces[f], owner, requests)
            try:
                document, _ = services.document_upload(
                    request=request, name=f.name, content=contents[f], by=owner, result=read.get(f)
                )
            except ValidationError as exc:
                rows.append(self._row(f, forces[f], None, "failed", exc.messages))
                continue
            rows.append((f, forces[f], document))
        if wait:
            self._wait([r[2] for r in rows if isinstance(r, tuple)], timeout)
        report = [r if isinstance(r, dict) else self._report(*r) for r in rows]
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
        else:
            for r in report:
                self.stdout.write(f"{r['file']}: {r['force']} -> {r['status']}")
                for reason in r["reasons"]:
                    self.stdout.write(f"    {reason}")

    def _recognise(
        self,
        path: Path,
        content: bytes,
        workbooks: dict[Path, Workbook | ExtractionResult],
        phrases: list[tuple[Force, list[str]]],
    ) -> Force:
        def read() -> Workbook | None:
            workbooks[path] = read_file(content)
            return workbooks[path] if isinstance(workbooks[path], Workbook) else None

        candidates = recognise_force(path.name, read, phrases=phrases)
        if len(candidates) == 1:
            return candidates[0]
        listed = ", ".join(f.slug for f in candidates) or "none found"
        raise CommandError(
            f"{path.name}: cannot tell which force sent it (candidates: {listed}); "
            "name the force with --force"
        )

    def _create(
        self,
        slug: str,
        template: str,
        contents: dict[Path, bytes],
        workbooks: dict[Path, Workbook | ExtractionResult],
        forces: set[Force],
    ) -> tuple[Campaign, dict[Path, ExtractionResult]]:
        """The campaign, with the periods of every file together, and what each file reads as
        (each file is read once: ``workbooks`` holds those read to recognise their force, and
        the results are stored, not read again)."""
        if not CampaignTemplate.objects.filter(slug=template).exists():
            known = ", ".join(CampaignTemplate.objects.values_list("slug", flat=True))
            raise CommandError(f"--template: no template {template!r} (templates: {known})")
        vocabulary = template_of(template).vocabulary(forces=force_names())
        read = {}
        for f, content in contents.items():
            workbook = workbooks.pop(f, None)
            if workbook is None:
                read[f] = extract(content, vocabulary)
            elif isinstance(workbook, Workbook):
                read[f] = extract_workbook(workbook, vocabulary)
            else:
                read[f] = workbook  # could not be read: what extract says of it
        found = {
            f: {o.dimensions[PERIOD] for o in result.observations if PERIOD in o.dimensions}
            for f, result in read.items()
        }
        periods = sorted(set().union(*found.values()))
        if not periods:
            raise CommandError("--create: no periods of the template's kind found in the files")
        with transaction.atomic():
            created = services.campaign_create(
                title=slug.replace("-", " ").capitalize(),
                slug=slugify(slug),
                owner=self._owner(),
                template=template,
                periods=periods,
                target_forces={*Force.objects.default_targets(), *forces},
            )
        for f, result in read.items():
            result.reasons += period_reasons(found[f], periods)
        return created, read

    def _owner(self):
        User = get_user_model()
        owner = User.objects.filter(is_superuser=True).order_by("pk").first()
        return owner or User.objects.get_or_create(username="importer")[0]

    def _request(self, campaign: Campaign, force: Force, owner, requests: dict[int, FOIRequest]):
        """The campaign's request to ``force`` (``requests``: those known, by force id, kept up
        to date), recording the campaign as sent when it is not yet."""
        request = requests.get(force.pk)
        if request is None:
            if not campaign.target_forces.filter(pk=force.pk).exists():
                raise CommandError(f"{force.slug} is not a target of campaign {campaign.slug}")
            request_services.campaign_record_sent(campaign=campaign, by=owner)
            requests.update((r.force_id, r) for r in campaign.requests.all())
            request = requests[force.pk]
        return request

    def _wait(self, documents: list[Document], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        ids = [d.pk for d in documents]
        while Document.objects.filter(pk__in=ids, status__in=IN_FLIGHT).exists():
            if time.monotonic() > deadline:
                raise CommandError(f"--wait: the workers did not finish within {timeout:.0f} s")
            time.sleep(0.5)

    def _report(self, path: Path, force: Force, document: Document) -> dict:
        document.refresh_from_db()
        reasons = [
            f"{r['code']}: {r['message']}" + (f" [{r['sheet']}!{r['cells']}]" if r["sheet"] else "")
            for r in document.result.get("reasons", [])
            if r.get("blocking", True)
        ]
        if document.status == DocumentStatus.FAILED and not reasons:
            reasons = [document.status_reason]
        return self._row(path, force, document.pk, document.status, reasons)

    @staticmethod
    def _row(path: Path, force: Force, document: int | None, status: str, reasons) -> dict:
        return {
            "file": str(path),
            "force": force.slug,
            "document": document,
            "status": status,
            "reasons": list(reasons),
        }
