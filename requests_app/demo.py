"""The demo campaign `make run` shows: requests in several states, dated relative to today."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from requests_app import services
from requests_app.models import Campaign, FOIRequest, Force
from requests_app.permissions import RESEARCHER_GROUP

DEMO_SLUG = "online-child-sexual-offences-demo"
DEMO_PERIODS = ["2015-16", "2016-17", "2017-18", "2018-19"]
DEMO_TEXT = (
    "Please provide the number of sexual offences against children under 18 recorded with an "
    "online (cyber) flag in each financial year 2015-16 to 2018-19, broken down by the age of "
    "the victim and by offence."
)


def _working_days_after(start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


@transaction.atomic
def seed_demo_campaign(*, owner: User, today: date | None = None) -> Campaign:
    """Create (once) and send the demo campaign, then play a few timelines forward."""
    today = today or timezone.localdate()
    Group.objects.get_or_create(name=RESEARCHER_GROUP)[0].user_set.add(owner)
    campaign, created = Campaign.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "title": "Online child sexual offences (demo)",
            "owner": owner,
            "request_text": DEMO_TEXT,
            "periods": DEMO_PERIODS,
        },
    )
    if not created:
        return campaign
    campaign.target_forces.set(Force.objects.default_targets())
    sent_on = today - timedelta(days=70)
    services.campaign_record_sent(campaign=campaign, by=owner, on=sent_on)

    def request(slug: str) -> FOIRequest:
        return campaign.requests.select_related("force").get(force__slug=slug)

    day = _working_days_after
    for slug in ("hampshire", "norfolk", "cumbria", "west-midlands", "south-wales"):
        r = request(slug)
        services.foi_request_acknowledge(
            request=r, by=owner, on=day(sent_on, 2), reference=f"FOI/{slug[:3].upper()}/1042"
        )
        services.foi_request_receive_response(request=r, by=owner, on=day(sent_on, 15))
    services.foi_request_receive_response(
        request=request("west-yorkshire"), by=owner, on=day(sent_on, 27)
    )
    services.foi_request_refuse(
        request=request("metropolitan"), by=owner, exemptions=["s12"], on=day(sent_on, 19)
    )
    services.foi_request_not_held(request=request("city-of-london"), by=owner, on=day(sent_on, 9))
    r = request("kent")
    services.foi_request_ask_clarification(request=r, by=owner, on=day(sent_on, 4))
    services.foi_request_give_clarification(request=r, by=owner, on=day(sent_on, 6))
    services.foi_request_fees_notice(request=request("essex"), by=owner, on=day(sent_on, 8))
    r = request("sussex")
    services.foi_request_acknowledge(request=r, by=owner, on=day(sent_on, 1))
    services.foi_request_extend(request=r, by=owner, on=day(sent_on, 18))
    r = request("surrey")
    services.foi_request_refuse(request=r, by=owner, exemptions=["s12", "s40"], on=day(sent_on, 12))
    services.foi_request_ask_review(request=r, by=owner, on=day(sent_on, 14))
    services.mark_overdue(today=today)
    _upload_demo_responses(campaign, owner)
    return campaign


def _upload_demo_responses(campaign: Campaign, owner: User) -> None:
    """The answered forces' files, read by the same upload service and task as any other."""
    from aggregation import demo
    from aggregation.services import document_upload

    periods = list(campaign.periods)
    for slug in ("hampshire", "norfolk", "cumbria", "west-yorkshire"):
        r = campaign.requests.select_related("force").get(force__slug=slug)
        content = demo.ages_by_year_xlsx(r.force.name, demo.figures(slug, periods))
        document_upload(request=r, name=f"{slug}-response.xlsx", content=content, by=owner)
    for slug, odd in (
        ("west-midlands", None),
        ("south-wales", "Breach of sexual harm prevention order"),
    ):
        r = campaign.requests.get(force__slug=slug)
        content = demo.offences_long_csv(slug, periods, odd_label=odd)
        document_upload(request=r, name=f"{slug}-offences.csv", content=content, by=owner)
