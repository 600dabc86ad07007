"""Options the project's commands share, checked the same way everywhere."""

from __future__ import annotations

from django.core.management.base import CommandError

from requests_app.models import Campaign


def campaign_option(slug: str, option: str = "--campaign") -> Campaign:
    """The campaign a command's option names. Raises ``CommandError`` naming the option."""
    found = Campaign.objects.select_related("owner").filter(slug=slug).first()
    if found is None:
        raise CommandError(f"{option}: no campaign {slug!r}")
    return found
