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
