"""A campaign asks any question: templates, period kinds, dimensions, and figures for each."""

from __future__ import annotations

import io
import json
from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from aggregation import rollups
from aggregation.demo_responses import demo_responses
from aggregation.extraction.campaign_templates import TEMPLATES
from aggregation.models import Dimension, Term
from aggregation.services import campaign_create
from requests_app import services as request_services
from requests_app.models import Campaign, Document, DocumentStatus, Force
from tests.factories import make_campaign, national_of

pytestmark = pytest.mark.django_db

STRIP = "child-strip-searches"
EIGHT = ["kent", "essex", "surrey", "sussex", "dorset", "norfolk", "suffolk", "wiltshire"]


@pytest.fixture
def strip_campaign(researcher, on_commit_at_once, tmp_path):
    """A child-strip-searches campaign sent to eight forces, each answering in its own layout,
    imported with the command researchers use."""
    template = TEMPLATES[STRIP]
    campaign = make_campaign(researcher, slug="strip", forces=EIGHT, template=STRIP)
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    forces = [(f.slug, f.name) for f in Force.objects.filter(slug__in=EIGHT).order_by("slug")]
    responses = demo_responses(template, list(campaign.periods), forces, seed="e2e")
    for r in responses:
        path = tmp_path / r.name
        path.write_bytes(r.content)
        call_command(
            "import_responses", "--campaign", "strip", "--force", r.force, str(path),
            stdout=StringIO(),
        )  # fmt: skip
    return campaign, responses


def test_a_strip_search_campaign_reaches_exact_national_figures_by_ethnicity_and_age(
    strip_campaign,
):
    campaign, responses = strip_campaign
    assert len({r.layout for r in responses}) == 6
    statuses = dict(Document.objects.values_list("original_name", "status"))
    assert set(statuses.values()) == {DocumentStatus.PARSED}, statuses
    r = rollups.campaign_rollup(campaign)
    assert r["measure"] == "strip searches of children"
    for period in campaign.periods:
        expected = sum(x.totals[period] for x in responses)
        assert r["national"][period]["value"] == expected
        assert r["national"][period]["forces_reporting"] == 8
        ethnicity = r["dimensions"]["ethnicity"][period]
        assert {k: v["value"] for k, v in ethnicity.items()} == national_of(
            responses, "ethnicity", period
        )
        assert {v["forces_reporting"] for v in ethnicity.values()} == {8}
        ages = r["dimensions"]["age"][period]
        assert {k: v["value"] for k, v in ages.items()} == national_of(responses, "age", period)
    last = campaign.periods[-1]
    assert r["headline"].startswith(
        f"Police recorded {r['national'][last]['value']:,} strip searches of children in {last}"
    )
    assert "By ethnicity, the largest group was" in r["headline"]


def test_the_same_figures_in_the_api_the_command_and_the_exports(strip_campaign, researcher):
    campaign, responses = strip_campaign
    last = campaign.periods[-1]
    expected = national_of(responses, "ethnicity", last)
    client = APIClient()
    client.force_authenticate(researcher)
    api = client.get(f"/api/rollups/{campaign.slug}/").json()
    assert {k: v["value"] for k, v in api["dimensions"]["ethnicity"][last].items()} == expected
    out = StringIO()
    call_command("rollup", "--campaign", campaign.slug, "--json", stdout=out)
    command = json.loads(out.getvalue())
    assert command["dimensions"] == api["dimensions"]
    assert set(command) >= {"national", "by_force", "age", "offence", "coverage", "headline"}
    staff = _staff_client()
    book = load_workbook(
        io.BytesIO(staff.get(reverse("dashboard-export-xlsx", args=[campaign.slug])).content)
    )
    assert "By ethnicity" in book.sheetnames and "By force" in book.sheetnames
    rows = [r for r in book["By ethnicity"].iter_rows(values_only=True)][1:]
    assert {r[1]: r[2] for r in rows if r[0] == last} == expected
    by_force = list(book["By force"].iter_rows(values_only=True))[1:]
    assert {r[0] for r in by_force} == set(
        Force.objects.filter(slug__in=EIGHT).values_list("name", flat=True)
    )
    assert book["By force"].column_dimensions["A"].width > 10


def test_the_dashboard_shows_each_breakdown_for_the_chosen_period_with_its_coverage(
    strip_campaign,
):
    campaign, _ = strip_campaign
    staff = _staff_client()
    first = campaign.periods[0]
    html = staff.get(reverse("dashboard", args=[campaign.slug]) + f"?period={first}").content
    html = html.decode()
    assert f"By ethnicity, {first} (8 of 8 forces)" in html
    assert f"By age, {first} (8 of 8 forces)" in html
    assert "Kent Police" in html  # forces by name, never by slug
    sources = staff.get(
        reverse("dashboard-sources", args=[campaign.slug]) + f"?period={first}&ethnicity=Black"
    ).content.decode()
    assert "ethnicity: Black" in sources


def _staff_client():
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_superuser("sam", "sam@example.org", "pw-sam-12345"))
    return client


def test_the_templates_command_lists_every_template_as_documented():
    out = StringIO()
    call_command("templates", "--json", stdout=out)
    listed = {t["slug"]: t for t in json.loads(out.getvalue())}
    assert {"online-child-sexual-offences", STRIP, "children-missing"} <= set(listed)
    strip = listed[STRIP]
    assert set(strip) >= {"slug", "title", "measure", "period_kind", "dimensions"}
    assert strip["period_kind"] == "financial_year"
    ethnicity = next(d for d in strip["dimensions"] if d["name"] == "ethnicity")
    assert ethnicity["kind"] == "category"
    assert ethnicity["terms"] == [
        "Asian", "Black", "Mixed", "White", "Other ethnic group", "Not stated"
    ]  # fmt: skip
    kinds = {t["period_kind"] for t in listed.values()}
    assert kinds == {"financial_year", "calendar_year", "month"}
    readable = StringIO()
    call_command("templates", stdout=readable)
    assert "children-missing" in readable.getvalue()


def test_a_campaign_gets_its_own_copy_of_the_templates_vocabulary(researcher):
    one = make_campaign(researcher, slug="one", template=STRIP)
    two = make_campaign(researcher, slug="two", template=STRIP)
    assert list(one.dimensions.values_list("name", flat=True)) == ["age", "ethnicity"]
    white = Term.objects.get(dimension__campaign=one, name="White")
    white.aliases.create(alias="Caucasian")
    assert not Term.objects.get(dimension__campaign=two, name="White").aliases.filter(
        alias="Caucasian"
    )
    assert one.measure == "strip searches of children" and one.require_flag is False


@pytest.mark.parametrize(
    ("template", "periods"),
    [
        ("taser-use-on-children", ["2020", "2021"]),
        ("child-cruelty-offences", ["2023-01", "2023-02"]),
    ],
)
def test_calendar_year_and_month_campaigns_read_their_own_files(
    researcher, on_commit_at_once, template, periods
):
    campaign = make_campaign(researcher, slug="kinds", template=template, periods=periods)
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    forces = [("kent", "Kent Police"), ("essex", "Essex Police"), ("surrey", "Surrey Police")]
    responses = demo_responses(TEMPLATES[template], periods, forces, seed="kinds")
    from aggregation.services import document_upload

    for r in responses:
        request = campaign.requests.get(force__slug=r.force)
        document_upload(request=request, name=r.name, content=r.content, by=researcher)
    assert set(Document.objects.values_list("status", flat=True)) == {DocumentStatus.PARSED}
    rollup = rollups.campaign_rollup(campaign)
    for period in periods:
        assert rollup["national"][period]["value"] == sum(r.totals[period] for r in responses)
    days = 31 if template == "child-cruelty-offences" else 366  # January; 2020 is a leap year
    first = rollup["national"][periods[0]]
    assert first["per_day"] == pytest.approx(first["value"] / days, abs=1e-3)


def test_a_file_in_another_kind_of_period_is_flagged_never_converted(researcher):
    from aggregation.extraction.engine import extract
    from aggregation.selectors import campaign_vocabulary

    campaign = make_campaign(researcher, slug="cal", template="taser-use-on-children")
    responses = demo_responses(
        TEMPLATES["online-child-sexual-offences"], ["2018-19"], [("kent", "Kent Police")]
    )
    result = extract(responses[0].content, campaign_vocabulary(campaign))
    assert result.verdict == "needs_review"
    assert "financial_years" in {r.code for r in result.reasons}
    assert not [o for o in result.observations if "period" in o.dimensions]


def test_import_with_a_template_creates_the_campaign_and_takes_a_transport_police_file(
    tmp_path, researcher, on_commit_at_once
):
    template = TEMPLATES[STRIP]
    (btp,) = demo_responses(
        template,
        ["2021-22", "2022-23"],
        [("british-transport", "British Transport Police")],
        seed="b",
    )
    path = tmp_path / "British Transport Police response.xlsx"
    path.write_bytes(btp.content)
    out = StringIO()
    call_command(
        "import_responses", "--campaign", "btp-strip", "--create", "--template", STRIP,
        "--json", str(path), stdout=out,
    )  # fmt: skip
    (row,) = json.loads(out.getvalue())
    assert row["force"] == "british-transport" and row["status"] == "parsed", row
    campaign = Campaign.objects.get(slug="btp-strip")
    assert campaign.template.slug == STRIP and campaign.periods == ["2021-22", "2022-23"]
    assert campaign.target_forces.count() == 45  # the 44 defaults and the force that answered
    rollup = rollups.campaign_rollup(campaign)
    assert rollup["national"]["2022-23"]["value"] == btp.totals["2022-23"]


def test_a_later_file_with_periods_not_asked_says_so(researcher, on_commit_at_once):
    from aggregation.services import document_upload

    campaign = make_campaign(researcher, slug="later", periods=["2018-19"], forces=["kent"])
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    (r,) = demo_responses(
        TEMPLATES["online-child-sexual-offences"], ["2017-18", "2018-19"], [("kent", "Kent")]
    )
    document, _ = document_upload(
        request=campaign.requests.get(), name=r.name, content=r.content, by=researcher
    )
    document.refresh_from_db()
    (reason,) = [x for x in document.result["reasons"] if x["code"] == "periods_not_asked"]
    assert "2017-18" in reason["message"] and not reason["blocking"]
    assert document.status == DocumentStatus.PARSED
    rollup = rollups.campaign_rollup(campaign)
    assert rollup["periods"] == ["2018-19"]
    assert rollup["national"]["2018-19"]["value"] == r.totals["2018-19"]


@pytest.mark.parametrize(
    ("periods", "kind", "error"),
    [
        (["0000-01"], "month", "between 1980 and 2100"),
        (["9999-00"], "financial_year", "financial year"),
        (["2018-13"], "month", "month"),
        ([f"{y}-{(y + 1) % 100:02d}" for y in range(1980, 2080)] * 3, "financial_year", "At most"),
        (["2018"], "financial_year", "financial year written YYYY-YY"),
        (["2018-19", "2018-19"], "financial_year", "once"),
    ],
)
def test_it_refuses_periods_out_of_range_or_of_another_kind(researcher, periods, kind, error):
    template = {"financial_year": STRIP, "month": "child-cruelty-offences"}[kind]
    with pytest.raises(ValidationError, match=error):
        campaign_create(
            title="Bad", slug="bad", owner=researcher, template=template, periods=periods
        )
    assert not Campaign.objects.filter(slug="bad").exists()


def test_a_campaign_asking_thirty_years_shows_its_figures(researcher):
    periods = [f"{y}-{(y + 1) % 100:02d}" for y in range(1990, 2020)]
    campaign = make_campaign(researcher, slug="long", periods=periods, forces=["kent"])
    assert rollups.campaign_rollup(campaign)["periods"] == periods
    staff = _staff_client()
    assert staff.get(reverse("dashboard", args=["long"])).status_code == 200
    client = APIClient()
    client.force_authenticate(researcher)
    assert client.get("/api/rollups/long/").status_code == 200


def test_the_api_creates_a_campaign_from_a_template(researcher):
    client = APIClient()
    client.force_authenticate(researcher)
    response = client.post(
        "/api/campaigns/",
        {"title": "Missing", "slug": "missing", "template": "children-missing"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["period_kind"] == "financial_year" and body["template"] == "children-missing"
    assert [d["name"] for d in body["dimensions"]] == ["age", "sex"]
    assert body["periods"] == list(TEMPLATES["children-missing"].periods)
    bad = client.post(
        "/api/campaigns/",
        {"title": "X", "slug": "x", "template": "taser-use-on-children", "periods": ["2018-19"]},
        format="json",
    )
    assert bad.status_code == 400 and "periods" in bad.json()
    assert Dimension.objects.filter(campaign__slug="x").count() == 0
