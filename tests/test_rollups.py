"""National rollups (SPEC 8): totals never added to parts, ranges, supersession, coverage."""

from __future__ import annotations

import io
import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from aggregation import rollups, services
from aggregation.document_figures import shape_of
from aggregation.exports import safe
from aggregation.models import Observation
from requests_app import services as request_services
from requests_app.models import Document, DocumentStatus, Force
from tests.factories import add_member, make_campaign

pytestmark = pytest.mark.django_db

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
PERIODS = ["2017-18", "2018-19"]


@pytest.fixture
def campaign(researcher):
    c = make_campaign(researcher, slug="roll", forces=["kent", "essex", "surrey", "sussex"])
    c.periods = PERIODS
    c.save()
    request_services.campaign_record_sent(campaign=c, by=researcher, on=date(2024, 3, 1))
    return c


def document(campaign, force: str, *, name: str = "f.xlsx", status=DocumentStatus.PARSED, **kw):
    request = campaign.requests.get(force__slug=force)
    n = Document.objects.count()
    return Document.objects.create(
        request=request,
        original_name=name,
        size=1,
        sha256=f"{n:064d}",
        status=status,
        file="responses/none",
        **kw,
    )


def obs(doc, period, lower, upper=None, *, age="", offence="", derived=False, table=0, cell="B2"):
    """An observation as a parse stores it, with the document's sums kept up to date."""
    upper = lower if upper is None else upper
    dimensions = {k: v for k, v in (("age", age), ("offence", offence)) if v}
    observation = Observation.objects.create(
        document=doc,
        force=doc.request.force,
        period=period,
        dimensions=dimensions,
        shape=shape_of(dimensions),
        value=lower if lower == upper else None,
        lower=lower,
        upper=upper,
        derived=derived,
        table=table,
        sheet="Sheet1",
        cell=cell,
        raw=str(lower),
    )
    services.document_refresh_figures(document=doc)
    return observation


def test_an_explicit_total_is_used_and_never_added_to_its_parts(campaign):
    doc = document(campaign, "kent")
    obs(doc, "2018-19", 30, derived=True)  # the Total row
    obs(doc, "2018-19", 10, age="12")
    obs(doc, "2018-19", 20, age="13")
    r = rollups.campaign_rollup(campaign)
    assert r["by_force"]["kent"]["2018-19"]["value"] == 30
    assert r["national"]["2018-19"]["value"] == 30
    assert r["by_force"]["kent"]["2018-19"]["source"] == "total"


def test_without_a_total_one_complete_breakdown_is_summed(campaign):
    doc = document(campaign, "kent")
    obs(doc, "2018-19", 10, age="12", table=0)
    obs(doc, "2018-19", 20, age="13", table=0)
    obs(doc, "2018-19", 25, offence="Rape", table=1)
    obs(doc, "2018-19", 5, offence="Sexual grooming", table=1)
    r = rollups.campaign_rollup(campaign)
    assert r["by_force"]["kent"]["2018-19"]["value"] == 30  # ages, not ages plus offences
    assert r["offence"]["2018-19"]["Rape"]["value"] == 25


def test_subtotal_rows_are_never_added_to_their_parts(campaign):
    doc = document(campaign, "kent")
    obs(doc, "2018-19", 4, offence="Rape")
    obs(doc, "2018-19", 6, offence="Rape")  # two rows that map to one category add up
    obs(doc, "2018-19", 10, offence="Rape", derived=True)  # "All rape" subtotal
    r = rollups.campaign_rollup(campaign)
    assert r["offence"]["2018-19"]["Rape"]["value"] == 10
    assert r["national"]["2018-19"]["value"] == 10


def test_suppressed_cells_make_ranges_and_a_value_only_when_bounds_meet(campaign):
    doc = document(campaign, "kent")
    obs(doc, "2018-19", 10, age="12")
    obs(doc, "2018-19", 1, 4, age="13")
    other = document(campaign, "essex")
    obs(other, "2018-19", 50, derived=True)
    r = rollups.campaign_rollup(campaign)
    national = r["national"]["2018-19"]
    assert (national["value"], national["lower"], national["upper"]) == (None, 61, 64)
    assert national["per_day"] is None
    assert r["by_force"]["essex"]["2018-19"]["value"] == 50


def test_the_newest_document_supersedes_and_a_differing_one_is_a_conflict(campaign):
    old = document(campaign, "kent", name="old.xlsx")
    obs(old, "2018-19", 30, derived=True)
    new = document(campaign, "kent", name="new.xlsx")
    obs(new, "2018-19", 33, derived=True)
    Document.objects.filter(pk=new.pk).update(uploaded_at=old.uploaded_at.replace(year=2030))
    r = rollups.campaign_rollup(campaign)
    assert r["by_force"]["kent"]["2018-19"]["value"] == 33
    (conflict,) = r["conflicts"]
    assert conflict["kind"] == "documents_differ" and conflict["force"] == "kent"
    assert conflict["other"]["value"] == 30


def test_a_forces_own_reply_counts_before_a_newer_national_table_that_names_it(campaign):
    own = document(campaign, "essex", name="essex.xlsx")
    obs(own, "2018-19", 30, derived=True)
    national = document(campaign, "kent", name="national.xlsx")
    Document.objects.filter(pk=national.pk).update(uploaded_at=own.uploaded_at.replace(year=2030))
    obs(national, "2018-19", 12, derived=True)
    Observation.objects.create(
        document=national, force=own.request.force, period="2018-19", dimensions={},
        shape=shape_of({}), value=35, lower=35, upper=35, derived=True, table=0,
        sheet="Sheet1", cell="B9", raw="35",
    )  # fmt: skip
    services.document_refresh_figures(document=national)
    r = rollups.campaign_rollup(campaign)
    assert r["by_force"]["essex"]["2018-19"]["value"] == 30
    assert r["by_force"]["kent"]["2018-19"]["value"] == 12
    (conflict,) = r["conflicts"]
    assert conflict["force"] == "essex" and conflict["other"]["value"] == 35


def test_a_pinned_document_wins_over_a_newer_one(campaign):
    old = document(campaign, "kent", name="old.xlsx", pinned=True)
    obs(old, "2018-19", 30, derived=True)
    new = document(campaign, "kent", name="new.xlsx")
    obs(new, "2018-19", 33, derived=True)
    assert rollups.campaign_rollup(campaign)["by_force"]["kent"]["2018-19"]["value"] == 30


def test_only_parsed_and_approved_documents_count(campaign):
    for status in (DocumentStatus.NEEDS_REVIEW, DocumentStatus.FAILED, DocumentStatus.NO_DATA):
        obs(document(campaign, "kent", status=status), "2018-19", 99, derived=True)
    obs(document(campaign, "essex", status=DocumentStatus.APPROVED), "2018-19", 7, derived=True)
    r = rollups.campaign_rollup(campaign)
    assert r["national"]["2018-19"]["value"] == 7
    assert r["coverage"]["2018-19"]["missing"]["kent"] == "response awaiting review"


def test_coverage_says_why_each_force_is_missing(campaign, researcher):
    essex = campaign.requests.get(force__slug="essex")
    request_services.foi_request_refuse(
        request=essex, by=researcher, exemptions=["s12"], on=date(2024, 3, 20)
    )
    surrey = campaign.requests.get(force__slug="surrey")
    request_services.foi_request_not_held(request=surrey, by=researcher, on=date(2024, 3, 20))
    request_services.mark_overdue(today=date(2024, 6, 1))
    obs(document(campaign, "kent"), "2018-19", 5, derived=True)
    r = rollups.campaign_rollup(campaign)
    assert r["coverage"]["2018-19"] == {
        "reporting": ["kent"],
        "missing": {
            "essex": "refused (s12)",
            "surrey": "not held",
            "sussex": "no reply, very overdue",
        },
    }
    assert r["forces_expected"] == 4
    assert r["national"]["2018-19"]["forces_reporting"] == 1


def test_like_for_like_uses_only_forces_that_reported_every_period(campaign):
    kent = document(campaign, "kent")
    obs(kent, "2017-18", 10, derived=True)
    obs(kent, "2018-19", 20, derived=True)
    essex = document(campaign, "essex")
    obs(essex, "2018-19", 100, derived=True)
    r = rollups.campaign_rollup(campaign)
    assert r["like_for_like"]["forces"] == ["kent"]
    assert r["like_for_like"]["national"]["2018-19"]["value"] == 20
    assert r["national"]["2018-19"]["value"] == 120
    change = r["change"]["2017-18 to 2018-19"]
    assert (change["absolute"], change["percent"]) == (110, 1100.0)


def test_aged_10_and_under_counts_bands_wholly_within_and_not_straddling_ones(campaign):
    kent = document(campaign, "kent")
    obs(kent, "2018-19", 3, age="0-10")
    obs(kent, "2018-19", 2, age="10")
    obs(kent, "2018-19", 9, age="13")
    obs(kent, "2018-19", 1, age="unknown")
    essex = document(campaign, "essex")
    obs(essex, "2018-19", 4, age="0-12")  # straddles 10 and 11: cannot be split
    obs(essex, "2018-19", 6, age="13-17")
    age = rollups.campaign_rollup(campaign)["age"]["2018-19"]
    assert age["at_or_under_10"]["value"] == 5
    assert age["at_or_under_10_forces"] == 1
    assert age["forces_reporting"] == 2
    assert age["mode"] == 13


def test_the_mode_is_undecided_when_suppression_could_change_it(campaign):
    kent = document(campaign, "kent")
    obs(kent, "2018-19", 5, age="13")
    obs(kent, "2018-19", 1, 4, age="14")
    obs(kent, "2018-19", 3, 6, age="15")
    assert rollups.campaign_rollup(campaign)["age"]["2018-19"]["mode"] is None


def test_the_spread_counts_forces_certainly_under_20(campaign):
    obs(document(campaign, "kent"), "2018-19", 150, derived=True)
    obs(document(campaign, "essex"), "2018-19", 12, derived=True)
    obs(document(campaign, "surrey"), "2018-19", 15, 22)
    spread = rollups.campaign_rollup(campaign)["spread"]["2018-19"]
    assert spread["largest"]["force"] == "kent" and spread["smallest"]["force"] == "essex"
    assert spread["under_20"] == 1


def test_the_figures_are_stored_and_recomputed_when_documents_change(campaign):
    doc = document(campaign, "kent")
    obs(doc, "2018-19", 30, derived=True)
    assert rollups.campaign_rollup(campaign)["national"]["2018-19"]["value"] == 30
    Observation.objects.filter(document=doc).update(lower=31, upper=31, value=31)
    services.document_refresh_figures(document=doc)
    # Unchanged documents: the stored figures stand (no recomputation from rows).
    assert rollups.campaign_rollup(campaign)["national"]["2018-19"]["value"] == 30
    Document.objects.filter(pk=doc.pk).update(status=DocumentStatus.APPROVED)
    from django.utils import timezone

    Document.objects.filter(pk=doc.pk).update(status_changed_at=timezone.now())
    assert rollups.campaign_rollup(campaign)["national"]["2018-19"]["value"] == 31


def test_the_headline_states_the_figures_and_coverage(campaign):
    kent = document(campaign, "kent")
    obs(kent, "2017-18", 40, derived=True)
    obs(kent, "2018-19", 73, derived=True)
    obs(kent, "2018-19", 73, age="13")
    headline = rollups.campaign_rollup(campaign)["headline"]
    assert headline.startswith(
        "Police recorded 73 online child sexual offences in 2018-19, up from 40 in 2017-18"
    )
    assert "the most common age was 13" in headline
    assert "Figures came from 1 of the 4 forces" in headline


def test_the_headline_says_how_few_forces_the_aged_10_and_under_figure_comes_from(campaign):
    kent, essex = document(campaign, "kent"), document(campaign, "essex")
    obs(kent, "2018-19", 12, derived=True)
    obs(kent, "2018-19", 5, age="0-9")
    obs(kent, "2018-19", 7, age="13")
    obs(essex, "2018-19", 9, derived=True)
    obs(essex, "2018-19", 9, age="0-13")  # straddles 10: no part of it is surely 10 or under
    headline = rollups.campaign_rollup(campaign)["headline"]
    assert "Among the 2 forces giving ages" in headline
    assert "5 involved children aged 10 and under (from 1 force)" in headline


def test_the_rollup_command_prints_the_documented_json(campaign):
    obs(document(campaign, "kent"), "2018-19", 30, derived=True)
    out = StringIO()
    call_command("rollup", "--campaign", "roll", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["campaign"] == "roll" and data["forces_expected"] == 4
    assert data["periods"] == PERIODS
    assert set(data["national"]["2018-19"]) >= {"value", "lower", "upper", "forces_reporting"}
    assert data["by_force"]["kent"]["2018-19"]["value"] == 30
    assert set(data["age"]["2018-19"]) >= {"mode", "at_or_under_10", "forces_reporting"}
    readable = StringIO()
    call_command("rollup", "--campaign", "roll", stdout=readable)
    assert "2018-19" in readable.getvalue() and "30" in readable.getvalue()


def test_the_rollup_api_filters_by_period(campaign, reader):
    obs(document(campaign, "kent"), "2018-19", 30, derived=True)
    add_member(campaign, reader)
    client = APIClient()
    client.force_authenticate(reader)
    body = client.get("/api/rollups/roll/?period=2018-19").json()
    assert body["periods"] == ["2018-19"]
    assert body["national"]["2018-19"]["value"] == 30
    assert client.get("/api/rollups/roll/?period=2030-31").status_code == 400
    assert APIClient().get("/api/rollups/roll/").status_code in (401, 403)


@pytest.fixture
def staff(client, db):
    from django.contrib.auth.models import User

    user = User.objects.create_superuser("ada", "ada@example.org", "pw-ada-12345")
    client.force_login(user)
    return client


def test_the_dashboard_runs_a_bounded_number_of_queries(
    staff, researcher, django_assert_max_num_queries
):
    campaign = make_campaign(researcher, slug="big")
    campaign.periods = PERIODS
    campaign.save()
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    for force in Force.objects.default_targets():
        for n in range(2):
            doc = document(campaign, force.slug, name=f"{force.slug}-{n}.xlsx")
            for period in PERIODS:
                obs(doc, period, 10 + n, derived=True)
                obs(doc, period, 10 + n, age="13")
    # The first view recomputes and stores the figures; later ones read them.
    with django_assert_max_num_queries(25):
        page = staff.get(reverse("dashboard", args=["big"]))
    with django_assert_max_num_queries(20):
        assert staff.get(reverse("dashboard", args=["big"])).status_code == 200
    assert page.status_code == 200
    html = page.content.decode()
    assert "Figures came from 44 of the 44 forces" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 4


def test_every_dashboard_number_links_to_its_cells(staff, campaign):
    doc = document(campaign, "kent", name="kent-response.xlsx")
    obs(doc, "2018-19", 30, derived=True, cell="C9")
    obs(doc, "2018-19", 30, age="13", cell="C7")
    html = staff.get(reverse("dashboard", args=["roll"])).content.decode()
    url = reverse("dashboard-sources", args=["roll"]) + "?period=2018-19&amp;force=kent"
    assert url in html
    sources = staff.get(url.replace("&amp;", "&")).content.decode()
    assert "kent-response.xlsx" in sources and ">C9<" in sources
    assert ">C7<" not in sources  # the total came from the Total row, not the ages
    ages = staff.get(reverse("dashboard-sources", args=["roll"]) + "?period=2018-19&age=13")
    assert ">C7<" in ages.content.decode()


def test_the_workbook_export_has_every_table_and_neutralises_formulas(staff, campaign):
    doc = document(campaign, "kent", name="=HYPERLINK(evil).xlsx")
    obs(doc, "2018-19", 30, derived=True)
    obs(doc, "2018-19", 30, offence="=cmd|' /C calc'!A0")
    response = staff.get(reverse("dashboard-export-xlsx", args=["roll"]))
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [
        "Summary",
        "National",
        "By force",
        "By age",
        "By offence",
        "Coverage",
        "Sources",
    ]
    assert wb["Summary"]["A2"].value.startswith("Police recorded 30 online child sexual offences")
    sources = list(wb["Sources"].iter_rows(values_only=True))
    assert sources[1][8] == "'=HYPERLINK(evil).xlsx" and sources[1][11] == "B2"
    offences = list(wb["By offence"].iter_rows(values_only=True))
    assert offences[1][1] == "'=cmd|' /C calc'!A0"
    csv_text = staff.get(reverse("dashboard-export-csv", args=["roll"])).content.decode()
    assert "National,2018-19,30,30,30,1" in csv_text
    assert ",'=HYPERLINK(evil).xlsx," in csv_text


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(text):
    assert safe(text) == "'" + text
    assert safe(-1) == -1 and safe("Rape") == "Rape"


@pytest.mark.skipif(not (SHARED / "samples").is_dir(), reason="../shared is absent")
def test_the_sample_campaign_rolls_up_to_its_truth(on_commit_at_once):
    truth = json.loads((SHARED / "samples/campaign/truth.json").read_text())
    files = sorted(p for p in (SHARED / "samples/campaign").iterdir() if p.suffix != ".json")
    call_command("import_responses", "--campaign", "samples", "--create", *files, stdout=StringIO())
    from requests_app.models import Campaign

    r = rollups.campaign_rollup(Campaign.objects.get(slug="samples"))
    assert r["periods"] == truth["campaign"]["periods"]
    assert r["forces_expected"] == len(truth["campaign"]["forces_expected"])
    for period, expected in truth["national"].items():
        assert r["national"][period]["value"] == expected["value"]
        assert r["national"][period]["per_day"] == pytest.approx(expected["per_day"], abs=1e-3)
        assert r["national"][period]["forces_reporting"] == len(truth["files"])
        assert r["age"][period]["mode"] == int(truth["age"][period]["mode_single_year"])
        assert r["age"][period]["at_or_under_10"]["value"] == truth["age"][period]["at_or_under_10"]
        for category, count in truth["offences"][period].items():
            assert r["offence"][period][category]["value"] == count
        missing = set(r["coverage"][period]["missing"])
        assert missing == set(truth["campaign"]["forces_silent"])
    for name, file_truth in truth["files"].items():
        for period, value in file_truth["totals"].items():
            assert r["by_force"][file_truth["force"]][period]["value"] == value, name


def test_a_researcher_may_count_the_breakdown_instead_of_a_wrong_total(campaign, researcher):
    from aggregation import services

    doc = document(campaign, "kent")
    obs(doc, "2018-19", 31, derived=True)  # the force's Total row is wrong
    obs(doc, "2018-19", 10, age="12")
    obs(doc, "2018-19", 20, age="13")
    assert rollups.campaign_rollup(campaign)["national"]["2018-19"]["value"] == 31
    services.document_choose_reading(document=doc, count_breakdown=True, by=researcher)
    assert rollups.campaign_rollup(campaign)["national"]["2018-19"]["value"] == 30
    assert doc.reviews.get().detail == {"reading": "breakdown"}


def test_pinning_through_the_service_moves_the_figure_and_is_recorded(campaign, researcher):
    from aggregation import services

    old = document(campaign, "kent", name="old.xlsx")
    obs(old, "2018-19", 30, derived=True)
    new = document(campaign, "kent", name="new.xlsx")
    obs(new, "2018-19", 33, derived=True)
    assert rollups.campaign_rollup(campaign)["by_force"]["kent"]["2018-19"]["value"] == 33
    services.request_choose_document(request=old.request, document=old, by=researcher)
    assert rollups.campaign_rollup(campaign)["by_force"]["kent"]["2018-19"]["value"] == 30
    assert old.reviews.get().kind == "pin" and old.reviews.get().by == researcher


def figures(doc, period, cells: list[tuple[dict, int]], *, total: int | None = None, table=0):
    """A table of a document as a parse stores it: its cells by dimension, its stated total."""
    rows = [(dims, n, False) for dims, n in cells]
    if total is not None:
        rows.append(({}, total, True))
    Observation.objects.bulk_create(
        Observation(
            document=doc,
            force=doc.request.force,
            period=period,
            dimensions=dims,
            shape=shape_of(dims),
            value=n,
            lower=n,
            upper=n,
            derived=derived,
            table=table,
            sheet="Sheet1",
            cell=f"B{i + 2}",
            raw=str(n),
        )
        for i, (dims, n, derived) in enumerate(rows)
    )
    services.document_refresh_figures(document=doc)


def campaign_of(researcher, slug: str, *, forces: int, dimensions: int, documents: int):
    """A campaign of that many target forces, dimensions and documents (spread over the forces,
    each force's documents giving different figures: conflicts), every figure broken down by
    every dimension."""
    from aggregation.models import Dimension, DimensionKind

    targets = [f.slug for f in Force.objects.default_targets()[:forces]]
    c = make_campaign(researcher, slug=slug, forces=targets)
    c.periods = PERIODS
    c.save()
    request_services.campaign_record_sent(campaign=c, by=researcher, on=date(2024, 3, 1))
    names = ["age", "offence", "sex"][:dimensions]
    Dimension.objects.filter(campaign=c).exclude(name__in=names).delete()
    if "sex" in names:
        Dimension.objects.create(campaign=c, name="sex", kind=DimensionKind.CATEGORY, position=9)
    values = {"age": ["12", "13"], "offence": ["Rape", "Sexual grooming"], "sex": ["Girl", "Boy"]}
    for i in range(documents):
        doc = document(c, targets[i % forces], name=f"{slug}-{i}.xlsx")
        for period in PERIODS:
            cells = [({name: values[name][j % 2]}, 5 + i + j) for name in names for j in (0, 1)]
            figures(doc, period, cells, total=100 + i)
            # A second table restating the total differently: the stated totals disagree.
            figures(doc, period, [], total=101 + i, table=1)
    return c


def test_the_dashboard_runs_the_same_queries_whatever_its_forces_dimensions_and_documents(
    staff, researcher
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    small = campaign_of(researcher, "small", forces=2, dimensions=1, documents=2)
    large = campaign_of(researcher, "large", forces=10, dimensions=3, documents=30)
    counts = {}
    for c in (small, large):
        url = reverse("dashboard", args=[c.slug])
        with CaptureQueriesContext(connection) as first:  # figures computed and stored
            page = staff.get(url)
        with CaptureQueriesContext(connection) as warm:  # stored figures read
            assert staff.get(url + "?conflicts=2").status_code == 200
        assert page.status_code == 200
        counts[c.slug] = (len(first), len(warm))
        html = page.content.decode()
        forces = c.target_forces.count()
        assert f"Figures came from {forces} of the {forces} forces" in html
        assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 2 + len(
            c.dimensions.all()
        )
    assert counts["small"] == counts["large"], counts


def test_the_dashboard_summarises_conflicts_per_force_and_pages_through_them(
    staff, researcher, monkeypatch
):
    from aggregation import views

    monkeypatch.setattr(views, "CONFLICTS_PER_PAGE", 5)
    c = campaign_of(researcher, "many", forces=2, dimensions=1, documents=6)
    data = rollups.campaign_rollup(c)
    # Each force: 3 documents, the newest counted; 2 other documents differ in each of 2
    # periods, and the counted document's two stated totals disagree in each period.
    assert data["conflicts_count"] == len(data["conflicts"]) == 2 * (2 * 2 + 2)
    summary = {(s["force"], s["kind"]): s for s in data["conflict_summary"]}
    assert len(summary) == 4
    first = c.target_forces.order_by("name").first()
    assert summary[(first.slug, "documents_differ")]["conflicts"] == 4
    assert summary[(first.slug, "documents_differ")]["periods"] == PERIODS
    assert summary[(first.slug, "totals_differ")]["conflicts"] == 2
    page = staff.get(reverse("dashboard", args=["many"]) + "?conflicts=3").content.decode()
    assert f"{first.name}: 4 figures in other documents differ from the one counted" in page
    assert "Page 3 of 3" in page and "?conflicts=2#conflict-details" in page
    details = page.split('id="conflict-details"')[1].split("</tbody>")[0]
    assert details.count("<tr><td>") == 2  # 12 conflicts, 5 a page
    last = rollups.stored_conflicts(c).last()
    counted = reverse("admin:requests_app_document_change", args=[last.document_id])
    assert f'<a href="{counted}">document {last.document_id}</a>' in details


def test_the_api_pages_through_conflicts_and_summarises_them_in_the_figures(
    researcher, monkeypatch
):
    from rest_framework.pagination import PageNumberPagination

    monkeypatch.setattr(PageNumberPagination, "page_size", 4)
    campaign_of(researcher, "api", forces=2, dimensions=1, documents=6)
    client = APIClient()
    client.force_authenticate(researcher)
    body = client.get("/api/rollups/api/").json()
    assert "conflicts" not in body and body["conflicts_count"] == 12
    assert sum(s["conflicts"] for s in body["conflict_summary"]) == 12
    seen = []
    url = "/api/rollups/api/conflicts/"
    while url:
        page = client.get(url).json()
        assert page["count"] == 12 and len(page["results"]) <= 4
        seen += page["results"]
        url = page["next"]
    keys = {(r["force"], r["period"], r["kind"], r.get("other_document")) for r in seen}
    assert len(seen) == len(keys) == 12  # every conflict once
    differ = next(r for r in seen if r["kind"] == "documents_differ")
    assert differ["counted"]["lower"] != differ["other"]["lower"]
    force = seen[0]["force"]
    only = client.get(f"{url or '/api/rollups/api/conflicts/'}?force={force}&period=2018-19")
    assert {(r["force"], r["period"]) for r in only.json()["results"]} == {(force, "2018-19")}
    assert only.json()["count"] == 3
    assert client.get("/api/rollups/api/conflicts/?period=1999-00").status_code == 400


def test_a_document_change_rewrites_only_its_own_sums(campaign):
    from aggregation.models import DocumentFigure

    kent, essex = document(campaign, "kent"), document(campaign, "essex")
    for doc in (kent, essex):
        figures(doc, "2018-19", [({"age": "12"}, 4), ({"age": "13"}, 6)], total=10)
    before = {
        doc.pk: list(DocumentFigure.objects.filter(document=doc).order_by("pk").values())
        for doc in (kent, essex)
    }
    Observation.objects.filter(document=kent, dimensions__age="13").update(lower=7, upper=7)
    services.document_refresh_figures(document=kent)
    after = {
        doc.pk: list(DocumentFigure.objects.filter(document=doc).order_by("pk").values())
        for doc in (kent, essex)
    }
    assert after[essex.pk] == before[essex.pk]  # the same rows, ids and sums
    assert not {r["id"] for r in after[kent.pk]} & {r["id"] for r in before[kent.pk]}
    shape = next(r for r in after[kent.pk] if r["kind"] == "shape")
    assert (shape["lower"], shape["upper"]) == (11, 11)


def test_a_document_change_recomputes_only_the_forces_and_periods_it_touches(
    campaign, researcher, monkeypatch
):
    from aggregation.models import RollupConflict

    docs = {}
    for force in ("kent", "essex"):
        for n in (1, 2):
            docs[(force, n)] = doc = document(campaign, force, name=f"{force}-{n}.xlsx")
            for period in PERIODS:
                figures(doc, period, [({"age": "13"}, 10 * n)], total=10 * n)
    r = rollups.campaign_rollup(campaign)
    assert r["national"]["2018-19"]["value"] == 40 and r["conflicts_count"] == 4
    essex_rows = set(
        RollupConflict.objects.filter(force__slug="essex").values_list("pk", flat=True)
    )
    calls = []
    compute = rollups.compute
    monkeypatch.setattr(rollups, "compute", lambda c, **kw: calls.append(kw) or compute(c, **kw))

    kent_newest = docs[("kent", 2)]
    Observation.objects.filter(document=kent_newest, period="2018-19").delete()
    figures(kent_newest, "2018-19", [({"age": "13"}, 25)], total=25)
    Document.objects.filter(pk=kent_newest.pk).update(status_changed_at=timezone.now())
    r = rollups.campaign_rollup(campaign)
    kent = Force.objects.get(slug="kent").pk
    assert [(kw["forces"], kw["periods"]) for kw in calls] == [({kent}, set(PERIODS))]
    assert r["by_force"]["kent"]["2018-19"]["value"] == 25
    assert r["national"]["2018-19"]["value"] == 45 and r["national"]["2017-18"]["value"] == 40
    assert (
        set(RollupConflict.objects.filter(force__slug="essex").values_list("pk", flat=True))
        == essex_rows
    )  # untouched
    kent_conflict = RollupConflict.objects.get(force_id=kent, period="2018-19")
    assert (kent_conflict.counted_lower, kent_conflict.other_lower) == (25, 10)

    # A choice moves the counted figure: both documents of that force are recomputed, no other.
    calls.clear()
    oldest = docs[("kent", 1)]
    services.request_choose_document(request=oldest.request, document=oldest, by=researcher)
    r = rollups.campaign_rollup(campaign)
    assert [kw["forces"] for kw in calls] == [{kent}]
    assert r["national"]["2018-19"]["value"] == 30
    # What was kept and recomputed in parts is what a full computation gives.
    stored = rollups.stored_figures(campaign)
    assert stored["figures"] == compute(campaign)["figures"]
    assert r["conflicts"] == rollups.campaign_rollup(campaign)["conflicts"]

    # A deleted document: everything is recomputed.
    calls.clear()
    docs[("essex", 2)].delete()
    r = rollups.campaign_rollup(campaign)
    assert [kw.get("forces") for kw in calls] == [None]
    assert r["national"]["2018-19"]["value"] == 20
    assert not RollupConflict.objects.filter(force__slug="essex").exists()


def test_a_force_the_campaign_did_not_ask_is_named_and_never_charted_beside_its_forces(
    staff, campaign
):
    doc = document(campaign, "kent", name="national-table.xlsx")
    obs(doc, "2018-19", 30, derived=True)
    durham = Force.objects.get(slug="durham")
    Observation.objects.create(
        document=doc, force=durham, period="2018-19", dimensions={}, shape=shape_of({}),
        value=366, lower=366, upper=366, derived=True, table=0, sheet="Sheet1", cell="B9",
        raw="366",
    )  # fmt: skip
    services.document_refresh_figures(document=doc)
    figures = rollups.campaign_rollup(campaign)
    assert figures["national"]["2018-19"]["value"] == 30
    assert figures["force_names"]["durham"] == durham.name
    html = staff.get(reverse("dashboard", args=["roll"]) + "?period=2018-19").content.decode()
    chart = html[html.index("By force, 2018-19") :]
    chart = chart[: chart.index("</svg>")]
    assert "Kent" in chart and durham.name not in chart and "durham" not in chart


def test_coverage_of_a_campaign_not_yet_sent_says_so_for_every_force(researcher):
    draft = make_campaign(researcher, slug="draft", forces=["kent", "essex"])
    r = rollups.campaign_rollup(draft)
    assert set(r["coverage"][draft.periods[-1]]["missing"].items()) == {
        ("kent", "not sent"),
        ("essex", "not sent"),
    }
