"""Email a campaign's request to every target force not yet sent it: the admin action's twin."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from requests_app import mail
from requests_app.management.options import campaign_option


class Command(BaseCommand):
    help = (
        "Create the request for every target force that has none and email every request not "
        "yet sent (forces whose FOI address is not confirmed are skipped and listed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--campaign", required=True, help="Campaign slug.")
        parser.add_argument("--by", help="Username recorded as the sender (default: the owner).")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, campaign: str, by: str | None, as_json: bool, **options) -> None:
        target = campaign_option(campaign)
        user = target.owner
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"--by: no user {by!r}")
        try:
            result = mail.campaign_send(campaign=target, by=user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        report = {
            "campaign": target.slug,
            "queued": [e.request.force.slug for e in result.queued],
            "skipped": [{"force": f.slug, "reason": why} for f, why in result.skipped],
            "requests": result.requests,
        }
        if as_json:
            self.stdout.write(json.dumps(report, indent=2))
            return
        self.stdout.write(f"{len(result.queued)} request(s) queued to be emailed.")
        for force, why in result.skipped:
            self.stdout.write(f"skipped {force.slug}: {why}")
