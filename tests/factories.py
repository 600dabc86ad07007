"""Small builders for the tracking tests."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User

from requests_app import services
from requests_app.models import Campaign, FOIRequest, Force


def make_campaign(owner: User, *, slug: str = "demo", forces: list[str] | None = None) -> Campaign:
    campaign = Campaign.objects.create(
        title=f"Campaign {slug}",
        slug=slug,
        owner=owner,
        request_text="How many offences?",
        periods=["2017-18", "2018-19"],
    )
    targets = Force.objects.filter(slug__in=forces) if forces else Force.objects.default_targets()
    campaign.target_forces.set(targets)
    return campaign


def sent_request(owner: User, force: str = "hampshire", on: date = date(2024, 3, 1)) -> FOIRequest:
    campaign = make_campaign(owner, slug=f"c-{force}", forces=[force])
    services.campaign_record_sent(campaign=campaign, by=owner, on=on)
    return campaign.requests.get()
