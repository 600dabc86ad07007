"""Review in the browser: a label mapped from a document's grid reads so in every document of
the campaign that wrote it, and the review queue empties. Headless Debian Chromium, as in
tests/test_browser.py (whose fixtures and helpers this uses)."""

from __future__ import annotations

from datetime import date

import pytest

from aggregation import demo
from tests.test_browser import (  # noqa: F401
    PASSWORD,
    PERIODS,
    Steps,
    csp_violations,
    page,
    said,
    sign_in,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ODD = "Breach of a sexual risk order"


def test_a_label_mapped_on_the_grid_rereads_every_document_that_wrote_it(
    page,  # noqa: F811
    live_server,
    csp_violations,  # noqa: F811
):
    from django.contrib.auth.models import User

    from aggregation import services as document_services
    from requests_app import services
    from requests_app.models import Document, DocumentStatus
    from tests.factories import make_campaign

    rita = User.objects.create_superuser("rita", "rita@example.org", PASSWORD)
    campaign = make_campaign(rita, slug="grid", forces=["kent", "essex", "surrey"])
    services.campaign_record_sent(campaign=campaign, by=rita, on=date(2024, 3, 1))
    documents = []
    for request in campaign.requests.select_related("force").order_by("force__slug"):
        content = demo.offences_long_csv(request.force.slug, PERIODS, odd_label=ODD)
        document, _ = document_services.document_upload(
            request=request, name=f"{request.force.slug}.csv", content=content, by=rita
        )
        documents.append(document)
    assert {d.status for d in Document.objects.all()} == {DocumentStatus.NEEDS_REVIEW}

    base = live_server.url
    step = Steps(page)
    sign_in(page, base)

    # The queue shows the one thing to fix, with the three documents it is in.
    page.goto(f"{base}/admin/dashboard/grid/review/")
    doubt = page.locator("#doubts tr.doubt", has_text=ODD)
    assert doubt.count() == 1 and "3:" in doubt.inner_text()
    step.shot("review-queue")

    # The first document as a grid: the odd label's cell is marked as a doubt.
    first = documents[0]
    page.goto(f"{base}/admin/dashboard/documents/{first.pk}/grid/")
    cell = page.locator("#grid td.cell.doubt", has_text=ODD).first
    assert ODD in (cell.get_attribute("title") or "")
    step.shot("grid")
    cell.click()  # fills the mapping form with the label
    assert page.input_value("#map-label") == ODD
    page.select_option("#map-dimension", label="offence")
    page.fill("#map-to", "Other sexual offences")
    page.get_by_role("button", name="Map and read again").click()
    message = said(page)
    assert f"“{ODD}” now reads as offence Other sexual offences" in message
    assert "3 documents read again" in message
    step.shot("mapped")

    # Every document that wrote the label is read again, and parsed; the queue is empty.
    for document in documents:
        document.refresh_from_db()
        assert document.status == DocumentStatus.PARSED, document
    page.goto(f"{base}/admin/dashboard/grid/review/")
    assert page.locator("#no-doubts").count() == 1
    assert all(f"#{d.pk}" in page.locator("#reread").inner_text() for d in documents), (
        "each document re-read is listed with its new status"
    )
    step.shot("queue-empty")
    assert csp_violations == []


def test_count_this_one_on_the_comparison_page_makes_the_older_file_count(
    page,  # noqa: F811
    live_server,
    csp_violations,  # noqa: F811
):
    from django.contrib.auth.models import User

    from aggregation import rollups
    from aggregation import services as document_services
    from requests_app import services
    from requests_app.models import Document, DocumentStatus
    from tests.factories import make_campaign

    rita = User.objects.create_superuser("rita", "rita@example.org", PASSWORD)
    campaign = make_campaign(rita, slug="twice", forces=["kent"])
    services.campaign_record_sent(campaign=campaign, by=rita, on=date(2024, 3, 1))
    request = campaign.requests.get()
    files = {}
    for seed in ("first", "second"):
        content = demo.ages_by_year_xlsx("Kent Police", demo.figures(seed, PERIODS))
        files[seed], _ = document_services.document_upload(
            request=request, name=f"{seed}.xlsx", content=content, by=rita
        )
    assert {d.status for d in Document.objects.all()} == {DocumentStatus.PARSED}
    first_total = sum(demo.figures("first", PERIODS)["2018-19"].values())
    second_total = sum(demo.figures("second", PERIODS)["2018-19"].values())
    assert first_total != second_total

    base = live_server.url
    step = Steps(page)
    sign_in(page, base)

    # The dashboard says the files differ, in words, and links to them side by side.
    page.goto(f"{base}/admin/dashboard/twice/")
    line = page.locator("#conflicts li", has_text="Kent Police")
    assert "2 figures in other documents differ from the one counted" in line.inner_text()
    line.get_by_role("link", name="compare the files and choose which counts").click()
    page.wait_for_url(f"{base}/admin/dashboard/requests/{request.pk}/readings/")
    row = page.locator('#readings-table tr.period[data-period="2018-19"]')
    assert f"{first_total:,}" in row.inner_text() and f"{second_total:,}" in row.inner_text()
    assert "second.xlsx counts: it is the newest file" in row.locator("td.rule").inner_text()
    step.shot("files-side-by-side")

    # Count the first file: it counts, the page says who chose it, the figures follow.
    page.locator(f"#count-{files['first'].pk}").click()
    assert "first.xlsx now counts for kent police" in said(page).lower()
    row = page.locator('#readings-table tr.period[data-period="2018-19"]')
    assert "first.xlsx counts: rita chose it on" in row.locator("td.rule").inner_text()
    assert page.locator("th.document .chosen-mark").text_content() == "Counts (chosen)"
    step.shot("chosen")
    rollup = rollups.campaign_rollup(campaign)
    assert rollup["by_force"]["kent"]["2018-19"]["value"] == first_total
    assert csp_violations == []


def test_a_figure_entered_by_hand_on_a_letter_counts_on_the_dashboard(
    page,  # noqa: F811
    live_server,
    csp_violations,  # noqa: F811
):
    from django.contrib.auth.models import User

    from aggregation import rollups
    from aggregation import services as document_services
    from requests_app import services
    from requests_app.models import DocumentStatus
    from tests.extraction import hostile
    from tests.factories import make_campaign

    rita = User.objects.create_superuser("rita", "rita@example.org", PASSWORD)
    campaign = make_campaign(rita, slug="letters", forces=["kent"])
    services.campaign_record_sent(campaign=campaign, by=rita, on=date(2024, 3, 1))
    letter, _ = document_services.document_upload(
        request=campaign.requests.get(),
        name="letter.doc",
        content=hostile.ole({"WordDocument": b"\0" * 4096}),
        by=rita,
        letters=True,
    )
    letter.refresh_from_db()
    assert letter.status == DocumentStatus.NEEDS_REVIEW

    base = live_server.url
    step = Steps(page)
    sign_in(page, base)
    page.goto(f"{base}/admin/requests_app/document/{letter.pk}/change/")
    page.select_option("#figure-period", "2018-19")
    page.fill("#figure-age", "13")
    page.fill("#figure-value", "42")
    page.fill("#figure-source", "page 2, paragraph 3")
    step.shot("figure-by-hand")
    page.locator("#enter-figure-button").click()
    assert "2018-19 age 13 = 42 (page 2, paragraph 3); it counts." in said(page)
    row = page.locator("#entered tbody tr").first
    assert "entered by rita" in row.inner_text() and "page 2, paragraph 3" in row.inner_text()
    step.shot("figure-entered")
    letter.refresh_from_db()
    assert letter.status == DocumentStatus.APPROVED
    assert rollups.campaign_rollup(campaign)["by_force"]["kent"]["2018-19"]["value"] == 42
    assert csp_violations == []
