"""Small builders for the tracking tests."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User

from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE
from aggregation.services import campaign_create
from requests_app import services
from requests_app.models import Campaign, FOIRequest, Force


def make_campaign(
    owner: User,
    *,
    slug: str = "demo",
    forces: list[str] | None = None,
    template: str = DEFAULT_TEMPLATE,
    periods: list[str] | None = None,
) -> Campaign:
    """A campaign made as every campaign is: from a template, through the service."""
    return campaign_create(
        title=f"Campaign {slug}",
        slug=slug,
        owner=owner,
        template=template,
        periods=periods or (["2017-18", "2018-19"] if template == DEFAULT_TEMPLATE else None),
        request_text="How many offences?",
        target_forces=Force.objects.filter(slug__in=forces) if forces else None,
    )


def sent_request(owner: User, force: str = "hampshire", on: date = date(2024, 3, 1)) -> FOIRequest:
    campaign = make_campaign(owner, slug=f"c-{force}", forces=[force])
    services.campaign_send(campaign=campaign, by=owner, on=on)
    return campaign.requests.get()
