"""Small builders for the tracking tests."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User

from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE
from aggregation.services import campaign_create
from requests_app import services
from requests_app.access import Role
from requests_app.models import Campaign, FOIRequest, Force
from tests.extraction.builders import Spelling, Truth, record_list, to_csv


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
    services.campaign_record_sent(campaign=campaign, by=owner, on=on)
    return campaign.requests.get()


def add_member(campaign: Campaign, user: User, role: Role = Role.READER) -> None:
    """Let the user see (reader) or also change (researcher) the campaign."""
    services.campaign_member_set(campaign=campaign, user=user, role=role, by=None)


def record_list_csv(rows_per_age: int = 1, *, periods: tuple[str, ...] = ("2017-18", "2018-19")):
    """A force's list of crimes, one row each: per financial year, ``rows_per_age`` rows for a
    victim aged 12, twice that for 13, three times for 14, and two out-of-scope rows (flag not
    set). The same ages, years and flags whatever the number of rows."""
    ages = ("12", "13", "14")
    counts = {(p, a): rows_per_age * (i + 1) for p in periods for i, a in enumerate(ages)}
    return to_csv(record_list(Truth("age", periods, ages, counts), Spelling()))


def national_of(responses, dimension: str, period: str) -> dict[str, int]:
    """Each value's national figure: the sum over the files that give the dimension."""
    sums: dict[str, int] = {}
    for r in responses:
        for value, n in r.breakdowns[dimension][period].items():
            sums[value] = sums.get(value, 0) + n
    return sums
