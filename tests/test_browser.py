"""A researcher's day, end to end, in headless Chromium through the real admin.

Sign in, create a campaign, confirm the forces' addresses, send it, record an acknowledgement,
upload responses, watch them parse, map an unknown label in review, approve, read the
dashboard's charts, export the workbook.
The ORM is used only to create the first user, to look up ids and to check the final state.
Screenshots of every step are kept in test-artifacts/e2e/ (with zz-last-page.png, where the
browser was when the test ended: the page to look at after a failure).

Debian's chromium, never a downloaded browser. Without /usr/bin/chromium the test skips, except
with CI=true, where it fails. Tasks run in-process (tests/conftest.py), so each parse runs on the
live server's thread inside the request that queued it, once its transaction commits.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from aggregation import demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "e2e"

PASSWORD = "pw-rita-browser-12345"
TITLE = "Online child sexual offences"
SLUG = "online-child-sexual-offences"  # what the admin derives from the title
PERIODS = ["2017-18", "2018-19"]
ODD_LABEL = "Breach of a sexual risk order"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

pytestmark = [
    pytest.mark.slow,
    # live_server needs real commits; serialized_rollback brings back the forces and the
    # vocabulary that the data migrations seeded, which a transactional test's flush removes.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def page(monkeypatch):
    """A page in Debian's Chromium; skips without /usr/bin/chromium unless CI=true."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio event loop running in this thread, so Django
    # refuses ORM calls made here (SynchronousOnlyOperation), although they are plain blocking
    # calls between page actions, never inside a coroutine. The live server's thread is not
    # affected. Allowed for this test only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.iterdir():
        if old.is_file():
            old.unlink()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1366, "height": 900}
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            shoot(page, "zz-last-page")
            context.close()
            browser.close()
            # Inside Playwright's loop Django keys its connections to the loop's context, so
            # the ones this test opened are not the ones the test teardown closes: close them
            # here, or PostgreSQL refuses to drop the test database with a session still open.
            connections.close_all()


@pytest.fixture
def csp_violations(page) -> list[str]:
    """What the browser reports blocking under the Content-Security-Policy while the test runs:
    Chromium says each on the console ("Refused to ... because it violates ...")."""
    seen: list[str] = []

    def note(message) -> None:
        if "Content Security Policy" in message.text:
            seen.append(f"{page.url}: {message.text}")

    page.on("console", note)
    return seen


def shoot(page, name: str) -> None:
    # From the top: the admin's sidebar is sticky and would be drawn where the page was scrolled.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


class Steps:
    """Numbered full-page screenshots, one per step."""

    def __init__(self, page) -> None:
        self.page, self.n = page, 0

    def shot(self, name: str) -> None:
        self.n += 1
        shoot(self.page, f"{self.n:02d}-{name}")


def sign_in(page, base: str, username: str = "rita") -> None:
    """Through the ordinary login form (django-axes checks it)."""
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def said(page) -> str:
    """The admin's messages after a POST; an error message fails the step."""
    page.wait_for_selector(".messagelist")
    text = page.locator(".messagelist").inner_text()
    assert page.locator(".messagelist .error").count() == 0, text
    return text


def document_status(page) -> str:
    return page.locator(".field-status .readonly").inner_text().strip()


def wait_for_parse(page, timeout: float = 30) -> str:
    """Reload the document's page until it is neither queued nor parsing; its status."""
    deadline = time.monotonic() + timeout
    while (status := document_status(page)) in ("Queued", "Parsing"):
        assert time.monotonic() < deadline, f"still {status} after {timeout}s"
        time.sleep(0.3)
        page.reload()
    return status


def open_request(page, base: str, campaign_id: int, force_name: str) -> None:
    # The URL of the campaign filter's link: Django hides a list filter with a single choice,
    # and this test's campaign is the only one.
    page.goto(f"{base}/admin/requests_app/foirequest/?campaign__id__exact={campaign_id}")
    page.locator("#result_list").get_by_role("link", name=force_name, exact=True).click()
    page.wait_for_selector("#foirequest_form")


def upload_response(page, name: str, content: bytes, mime: str) -> None:
    """On a request's page: choose the file, save and stay, open the new document's page."""
    file = {"name": name, "mimeType": mime, "buffer": content}
    page.set_input_files("input[name=responses]", file)
    page.click("input[name=_continue]")
    assert "was changed successfully" in said(page)
    row = page.locator("#documents-group tr", has_text=name)
    row.get_by_role("link", name="Change").click()
    page.wait_for_selector("#document_form")


def national_totals(long_csv: bytes, ages: dict[str, dict[str, int]]) -> dict[str, int]:
    """What the two responses add up to per period: every offence row, and every age."""
    totals: Counter[str] = Counter()
    for row in csv.DictReader(io.StringIO(long_csv.decode("utf-8-sig"))):
        totals[row["Financial Year"].replace("/", "-")] += int(row["Count"])
    for period, by_age in ages.items():
        totals[period] += sum(by_age.values())
    return dict(totals)


def test_a_researchers_day_from_campaign_to_exported_workbook(page, live_server, csp_violations):
    from django.contrib.auth.models import User

    from requests_app.models import Campaign, Document, DocumentStatus, Status

    User.objects.create_superuser("rita", "rita@example.org", PASSWORD)
    base = live_server.url
    step = Steps(page)

    # Sign in (django-axes checks the ordinary login form).
    page.goto(f"{base}/admin/login/")
    step.shot("login")
    page.fill("#id_username", "rita")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    step.shot("signed-in")

    # Create a campaign: the slug follows the title; owner and the 44 forces come filled in.
    page.goto(f"{base}/admin/requests_app/campaign/add/")
    page.fill("#id_title", TITLE)
    page.press("#id_title", "Tab")
    assert page.input_value("#id_slug") == SLUG
    page.fill("#id_request_text", "Please give the number of offences by age, per year.")
    page.fill("#id_periods", '["2017-18", "2018-19"]')
    assert page.locator("#id_target_forces_to option").count() == 44
    step.shot("campaign-form")
    page.click("input[name=_save]")
    assert "was added successfully" in said(page)
    campaign = Campaign.objects.get(slug=SLUG)
    assert campaign.periods == PERIODS and campaign.target_forces.count() == 44

    # Every force's FOI address checked and confirmed, with the forces list's action.
    page.goto(f"{base}/admin/requests_app/force/")
    page.check("#action-toggle")
    page.select_option("select[name=action]", label="Confirm their FOI email addresses")
    page.click("button[name=index]")
    assert "46 FOI address(es) confirmed." in said(page)

    # Send it, with the changelist action: each force is emailed its letter.
    page.goto(f"{base}/admin/requests_app/campaign/")
    page.check(f"input[name=_selected_action][value='{campaign.pk}']")
    page.select_option("select[name=action]", label="Send to every target force")
    page.click("button[name=index]")
    assert "44 request(s) queued to be emailed." in said(page)
    step.shot("campaign-sent")

    # Kent acknowledges: a new event in the request's timeline inline.
    open_request(page, base, campaign.pk, "Kent Police")
    new_event = page.locator("#events-group tr.form-row:not(.empty-form):has(select)").last
    new_event.locator("select[name$=-kind]").select_option(label="Acknowledged")
    new_event.locator("input[name$=-occurred_on]").fill(date.today().isoformat())
    step.shot("acknowledgement-entered")
    page.click("input[name=_continue]")
    assert "was changed successfully" in said(page)
    assert page.locator(".field-status .readonly").inner_text() == "Acknowledged"
    step.shot("acknowledged")

    # Kent's response names one offence the vocabulary does not know: it needs review.
    long_csv = demo.offences_long_csv("kent", PERIODS, odd_label=ODD_LABEL)
    upload_response(page, "kent-offences.csv", long_csv, "text/csv")
    assert wait_for_parse(page) == "Needs review"
    assert ODD_LABEL in page.locator("#reasons").inner_text()
    step.shot("document-needs-review")

    # Review: the label means "Other sexual offences"; the file is read again, then approved.
    row = page.locator("#reasons tr", has_text=ODD_LABEL)
    row.locator("select[name=to]").select_option(label="Other sexual offences")
    row.get_by_role("button", name="Map", exact=True).click()
    assert f"“{ODD_LABEL}” now reads as offence Other sexual offences" in said(page)
    assert wait_for_parse(page) == "Parsed"
    step.shot("document-label-mapped")
    page.get_by_role("button", name="Approve", exact=True).click()
    assert "Approved" in said(page)
    assert document_status(page) == "Approved"
    step.shot("document-approved")

    # Essex answers with a clean spreadsheet: parsed, nothing to review.
    essex_ages = demo.figures("essex", PERIODS)
    open_request(page, base, campaign.pk, "Essex Police")
    upload_response(page, "essex.xlsx", demo.ages_by_year_xlsx("Essex Police", essex_ages), XLSX)
    assert wait_for_parse(page) == "Parsed"
    step.shot("second-document-parsed")

    # The dashboard, from the campaign's page.
    page.goto(f"{base}/admin/requests_app/campaign/{campaign.pk}/change/")
    step.shot("campaign-page")
    page.click("#dashboard-link")
    page.wait_for_url(f"{base}/admin/dashboard/{SLUG}/")
    expected = national_totals(long_csv, essex_ages)
    first, last = PERIODS
    headline = page.locator("#headline").inner_text()
    assert f"Police recorded {expected[last]:,} online child sexual offences in {last}" in headline
    assert f"from {expected[first]:,} in {first}" in headline, headline
    assert "Figures came from 2 of the 44 forces" in headline, headline
    # Each period's bar is a link to its sources, drawn with a solid part in proportion.
    trend_bars = page.locator("#chart-trend svg.chart a")
    assert trend_bars.count() == len(PERIODS)
    heights = [
        float(trend_bars.nth(i).locator("rect").first.get_attribute("height")) for i in (0, 1)
    ]
    assert 0 < heights[0] < heights[1], heights  # the figure rose
    for chart in ("forces", "age", "offence"):  # every force, then each dimension by name
        assert page.locator(f"#chart-{chart} svg.chart a rect").count() > 0, chart
    step.shot("dashboard")

    # Export the workbook, and read it back.
    with page.expect_download() as download_info:
        page.click("#export-xlsx")
    download = download_info.value
    assert download.suggested_filename == f"{SLUG}-figures.xlsx"
    saved = ARTIFACTS / download.suggested_filename
    download.save_as(saved)
    workbook = load_workbook(saved, read_only=True)
    assert workbook.sheetnames == [
        *("Summary", "National", "By force", "By age", "By offence", "Coverage", "Sources")
    ]
    national = {
        row[0]: row[1] for row in workbook["National"].iter_rows(min_row=2, values_only=True)
    }
    assert national == expected  # the mapped label's rows count in Kent's figures
    by_force = {
        (row[0], row[1]): row[2]
        for row in workbook["By force"].iter_rows(min_row=2, values_only=True)
    }
    assert by_force[("Essex Police", last)] == sum(essex_ages[last].values())  # named in full

    # The final state, behind the pages.
    statuses = dict(
        Document.objects.filter(request__campaign=campaign).values_list("original_name", "status")
    )
    assert statuses == {
        "kent-offences.csv": DocumentStatus.APPROVED,
        "essex.xlsx": DocumentStatus.PARSED,
    }
    # Uploading the force's file recorded its answer on the acknowledged request.
    assert campaign.requests.get(force__slug="kent").status == Status.ANSWERED
    assert csp_violations == []  # every page of the day ran under the Content-Security-Policy


def test_every_admin_page_and_the_dashboard_work_under_the_csp(page, live_server, csp_violations):
    """Every list, add, change and history page of every model in the admin, the dashboard and
    its sources, with their widgets used (the two-list force chooser, the autocomplete, the
    sidebar, the theme switch, the date drill-down, the letter's preview), under the
    Content-Security-Policy: each page carries it and the browser blocks nothing. Data is seeded
    through the services: a campaign with a parsed response, one emailed to Kent with Kent's
    reply, and a reply that matched nothing."""
    from django.contrib import admin
    from django.contrib.auth.models import User
    from django.urls import reverse

    from aggregation import services as document_services
    from requests_app import mail, replies, services
    from requests_app.models import Force
    from tests.factories import make_campaign

    rita = User.objects.create_superuser("rita", "rita@example.org", PASSWORD)
    campaign = make_campaign(rita, slug="csp", forces=["kent", "essex"])
    services.campaign_record_sent(campaign=campaign, by=rita, on=date(2024, 3, 1))
    kent = campaign.requests.get(force__slug="kent")
    document_services.document_upload(
        request=kent,
        name="kent.xlsx",
        content=demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", PERIODS)),
        by=rita,
    )
    mail.force_confirm_email(force=Force.objects.get(slug="kent"), by=rita)
    mailed = make_campaign(rita, slug="mailed", forces=["kent", "essex"])
    mail.campaign_send(campaign=mailed, by=rita)
    token = mailed.requests.get(force__slug="kent").reply_token
    for to, text in ((mail.reply_address(token), "We have received your request."), ("x@y", "?")):
        raw = f"From: foi@kent.police.uk\r\nTo: {to}\r\nSubject: Your request\r\n\r\n{text}\r\n"
        replies.reply_receive(raw=raw.encode(), source="test")
    base = live_server.url
    sign_in(page, base)

    def visit(url: str) -> None:
        response = page.goto(base + url)
        assert response is not None and response.status == 200, (url, response and response.status)
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, (url, policy)

    visit("/admin/")
    page.locator("button.theme-toggle").first.click()
    visit(reverse("admin:requests_app_campaign_changelist"))
    page.click("#toggle-nav-sidebar")
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        name = f"admin:{meta.app_label}_{meta.model_name}"
        visit(reverse(f"{name}_changelist"))
        instance = model_admin.get_queryset(_request(rita)).order_by("pk").first()
        if instance is not None:
            visit(reverse(f"{name}_change", args=[instance.pk]))
            visit(reverse(f"{name}_history", args=[instance.pk]))
        if model_admin.has_add_permission(_request(rita)):
            visit(reverse(f"{name}_add"))

    visit(reverse("admin:requests_app_campaign_add"))
    page.click("#id_target_forces_add_all")
    assert page.locator("#id_target_forces_to option").count() == 46
    visit(reverse("admin:aggregation_alias_add"))
    page.locator(".field-force .select2-selection").click()
    page.keyboard.type("Ken")
    page.wait_for_selector(".select2-results__option:has-text('Kent Police')")
    visit(reverse("admin:requests_app_foirequest_changelist") + "?sent_on__year=2024")
    visit(reverse("dashboard", args=[campaign.slug]))
    assert page.locator("#chart-trend svg.chart").count() == 1
    assert page.locator("#headline").evaluate("e => getComputedStyle(e).fontSize") != (
        page.locator("#dashboard p").nth(1).evaluate("e => getComputedStyle(e).fontSize")
    )  # the dashboard's stylesheet applies, from the site itself
    visit(reverse("dashboard-sources", args=[campaign.slug]))
    visit(reverse("admin:campaign_send", args=[mailed.pk]))
    page.select_option("#preview-force-select", label="Essex Police")
    page.locator("#letter-body", has_text="Dear Essex Police").wait_for()
    visit(reverse("review-queue", args=[campaign.slug]))
    visit(reverse("document-grid", args=[kent.documents.get().pk]))
    page.locator("#grid th.row-head").nth(1).click()  # the grid's script fills the form
    assert page.input_value("#correct-row") == "2"
    assert csp_violations == []


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
