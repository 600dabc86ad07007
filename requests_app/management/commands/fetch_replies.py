"""Fetch replies from the IMAP mailbox once: what the periodic task does."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from requests_app import replies


class Command(BaseCommand):
    help = "Store and file every new reply in the IMAP mailbox (IMAP_URL, or --url)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="", help="IMAP URL (default: the IMAP_URL setting).")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, url: str, as_json: bool, **options) -> None:
        if not (url or settings.IMAP_URL):
            raise CommandError("no mailbox: set IMAP_URL or pass --url")
        try:
            result = replies.fetch_replies(url=url)
        except (OSError, ValueError) as exc:
            raise CommandError(f"could not fetch replies: {exc}") from None
        rows = [
            {
                "reply": r.pk,
                "from": r.sender,
                "subject": r.subject,
                "request": r.request_id,
                "matched_by": r.matched_by,
                "kind": r.kind,
                "attachments": r.attachments,
                "suggested_event": r.offer_kind,
            }
            for r in result.new
        ]
        if as_json:
            report = {"new": rows, "duplicates": result.duplicates, "failed": result.failed}
            self.stdout.write(json.dumps(report, indent=2))
            return
        for row in rows:
            where = f"request {row['request']}" if row["request"] else "unmatched"
            self.stdout.write(f"{row['from']}: {row['subject']} -> {where}")
        self.stdout.write(f"{len(rows)} new, {result.duplicates} fetched before.")
        for failure in result.failed:
            self.stderr.write(f"could not store {failure}")
