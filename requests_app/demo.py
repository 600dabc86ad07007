"""The demo campaign `make run` shows: requests in several states, dated relative to today."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from aggregation.services import campaign_create
from requests_app import services
from requests_app.access import RESEARCHER_GROUP, Role
from requests_app.models import Campaign, FOIRequest

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
    """Create (once) and send the demo campaign, then play a few timelines forward.

    The user given owns it, or, when someone else created it before, becomes its researcher:
    either way the demo campaign is theirs to see and change.
    """
    today = today or timezone.localdate()
    Group.objects.get_or_create(name=RESEARCHER_GROUP)[0].user_set.add(owner)
    campaign = Campaign.objects.filter(slug=DEMO_SLUG).first()
    if campaign is not None:
        _make_theirs(campaign, owner)
        return campaign
    campaign = campaign_create(
        title="Online child sexual offences (demo)",
        slug=DEMO_SLUG,
        owner=owner,
        periods=DEMO_PERIODS,
        request_text=DEMO_TEXT,
    )
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


def _make_theirs(campaign: Campaign, user: User) -> None:
    """A demo campaign someone else created: the user given becomes its researcher."""
    if campaign.owner_id != user.pk:
        services.campaign_member_set(campaign=campaign, user=user, role=Role.RESEARCHER, by=None)


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


STRIP_SLUG = "child-strip-searches-demo"
# Forces that answered the strip-search demo, each in a layout of its own.
STRIP_FORCES = [
    "avon-and-somerset",
    "cambridgeshire",
    "devon-and-cornwall",
    "kent",
    "lancashire",
    "merseyside",
    "thames-valley",
    "west-midlands",
]


@transaction.atomic
def seed_strip_search_campaign(*, owner: User, today: date | None = None) -> Campaign:
    """Create (once) a strip-searches-of-children campaign, sent to every territorial force,
    with eight answers in different layouts read by the same services as any upload."""
    from aggregation.demo_responses import demo_responses
    from aggregation.extraction.campaign_templates import CHILD_STRIP_SEARCHES
    from aggregation.services import document_upload

    today = today or timezone.localdate()
    campaign = Campaign.objects.filter(slug=STRIP_SLUG).first()
    if campaign is not None:
        _make_theirs(campaign, owner)
        return campaign
    campaign = campaign_create(
        title="Strip searches of children (demo)",
        slug=STRIP_SLUG,
        owner=owner,
        template=CHILD_STRIP_SEARCHES.slug,
    )
    sent_on = today - timedelta(days=45)
    services.campaign_record_sent(campaign=campaign, by=owner, on=sent_on)
    answered = campaign.requests.select_related("force").filter(force__slug__in=STRIP_FORCES)
    forces = [(r.force.slug, r.force.name) for r in answered.order_by("force__slug")]
    for response in demo_responses(CHILD_STRIP_SEARCHES, list(campaign.periods), forces):
        request = answered.get(force__slug=response.force)
        services.foi_request_receive_response(
            request=request, by=owner, on=_working_days_after(sent_on, 12)
        )
        document_upload(request=request, name=response.name, content=response.content, by=owner)
    return campaign
