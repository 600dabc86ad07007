"""Email end to end, in headless Chromium through the real admin, with real mail servers.

Confirm three forces' addresses, create a campaign, preview its letter, send it (aiosmtpd
receives the letters), put Kent's reply with an xlsx in dovecot's mailbox, fetch it from the
replies list, and find it on Kent's timeline with its document parsed; record what it was
recognised as with one click. Screenshots of each step go to test-artifacts/e2e-mail/.
Needs /usr/bin/chromium and dovecot: skips without them, except with CI=true.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import pytest

from aggregation import demo
from tests import test_browser
from tests.test_browser import (  # noqa: F401 (the page and csp_violations fixtures)
    csp_violations,
    open_request,
    page,
    said,
    sign_in,
)

PASSWORD = "pw-rita-browser-12345"  # the same as test_browser's, which sign_in uses
PERIODS = ["2017-18", "2018-19"]
CONFIRMED = ["Essex Police", "Kent Police", "Surrey Police"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "e2e-mail"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Steps:
    def __init__(self, browser_page) -> None:
        self.page, self.n = browser_page, 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shot(self, name: str) -> None:
        self.n += 1
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=ARTIFACTS / f"{self.n:02d}-{name}.png", full_page=True)


def kent_reply(letter) -> bytes:
    reply = EmailMessage()
    reply["From"] = "Kent Police FOI <foi@kent.police.uk>"
    reply["To"] = letter["Reply-To"]
    reply["Subject"] = f"RE: {letter['Subject']}"
    reply["Date"] = formatdate(localtime=True)
    reply["Message-ID"] = "<answer-0042@kent.police.uk>"
    reply["In-Reply-To"] = letter["Message-ID"]
    reply.set_content(
        "Dear Rita Okafor,\n\nPlease find attached the figures you asked for.\n\n"
        "Our reference: FOI/KEN/0042\n\nKent Police Information Rights Unit"
    )
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", PERIODS))
    maintype, subtype = test_browser.XLSX.split("/")
    reply.add_attachment(content, maintype=maintype, subtype=subtype, filename="kent-response.xlsx")
    return reply.as_bytes()


def test_a_researcher_sends_by_email_and_the_reply_files_itself(
    page,  # noqa: F811
    live_server,
    smtp_server,
    imap_mailbox,
    csp_violations,  # noqa: F811
):
    from django.contrib.auth.models import User

    from requests_app.models import Campaign, Document, DocumentStatus, Status

    User.objects.create_superuser(
        "rita", "rita@example.org", PASSWORD, first_name="Rita", last_name="Okafor"
    )
    base = live_server.url
    step = Steps(page)
    sign_in(page, base)

    # Three forces' addresses are checked and confirmed; the other guesses stay unconfirmed.
    page.goto(f"{base}/admin/requests_app/force/?foi_email_confirmed__exact=0")
    for name in CONFIRMED:
        row = page.locator("#result_list tr", has=page.get_by_role("link", name=name, exact=True))
        row.locator("input[name=_selected_action]").check()
    page.select_option("select[name=action]", label="Confirm their FOI email addresses")
    page.click("button[name=index]")
    assert "3 FOI address(es) confirmed." in said(page)
    step.shot("forces-confirmed")

    # A campaign, to the 44 forces preselected.
    page.goto(f"{base}/admin/requests_app/campaign/add/")
    page.fill("#id_title", "Online child sexual offences")
    page.press("#id_title", "Tab")
    page.fill("#id_request_text", "Please give the number of offences by age of victim.")
    page.fill("#id_periods", "2017-18, 2018-19")
    page.click("input[name=_continue]")
    assert "was added successfully" in said(page)
    campaign = Campaign.objects.get()

    # Preview: the letter as Kent will read it, whom it goes to, whom it skips.
    page.click("#preview-and-send")
    page.wait_for_selector("#letter-body")
    page.select_option("#preview-force-select", label="Kent Police")
    # A locator's wait, not wait_for_function: that evaluates a string, which the CSP refuses.
    page.locator("#letter-body", has_text="Dear Kent Police").wait_for()
    letter = page.locator("#letter-body").inner_text()
    assert "a request for information under section 1 of the Freedom of Information Act 2000" in (
        letter
    )
    assert "Please give the number of offences by age of victim." in letter
    assert "Periods asked: 2017-18 and 2018-19." in letter
    assert letter.rstrip().endswith("Rita Okafor")
    assert page.locator("#to-email li").all_inner_texts() == [
        f"{name}: foi@{name.split()[0].lower()}.police.uk" for name in CONFIRMED
    ]
    assert page.locator("#skipped li").count() == 41
    step.shot("preview")

    # Send: three letters reach the SMTP server, each with its own reply address.
    page.click("#send-button")
    message = said(page)
    assert "3 request(s) queued to be emailed." in message
    assert "Not emailed, address not confirmed:" in message
    step.shot("sent")
    assert sorted(d.rcpt_tos[0] for d in smtp_server.received) == [
        "foi@essex.police.uk",
        "foi@kent.police.uk",
        "foi@surrey.police.uk",
    ]
    replies_to = {d.message["Reply-To"] for d in smtp_server.received}
    assert len(replies_to) == 3
    assert campaign.requests.filter(status=Status.SENT).count() == 3
    assert campaign.requests.filter(status=Status.DRAFT).count() == 41

    # Kent answers with a spreadsheet; the reply lands in the IMAP mailbox.
    imap_mailbox.deliver(kent_reply(smtp_server.to("foi@kent.police.uk")[0].message))
    page.goto(f"{base}/admin/requests_app/reply/")
    page.click("#fetch-replies")
    assert "1 new repl(ies) stored, 0 unmatched." in said(page)
    step.shot("fetched")

    # On Kent's request: the email on the timeline, its file among the documents, parsed.
    open_request(page, base, campaign.pk, "Kent Police")
    timeline = page.locator("#events-group").inner_text()
    assert "Email received" in timeline
    assert "Please find attached the figures you asked for." in timeline
    document_row = page.locator("#documents-group tr", has_text="kent-response.xlsx")
    assert "Parsed" in document_row.inner_text()
    replies_table = page.locator("#request-replies").inner_text()
    assert "Response received, reference FOI/KEN/0042: offered" in replies_table
    step.shot("request-with-reply")

    # Recognised as the response: offered, and recorded only with this click.
    assert page.locator(".field-status .readonly").inner_text() == "Sent, awaiting reply"
    page.locator("#request-replies a", has_text="RE: Freedom of Information request").click()
    page.wait_for_selector("#record-offer")
    step.shot("reply-page")
    page.click("#record-offer")
    assert "Recorded on the timeline: Response received" in said(page)
    open_request(page, base, campaign.pk, "Kent Police")
    assert page.locator(".field-status .readonly").inner_text() == "Answered"
    step.shot("answered")

    kent = campaign.requests.get(force__slug="kent")
    assert kent.references == ["FOI/KEN/0042"]
    assert Document.objects.get(request=kent).status == DocumentStatus.PARSED
    assert csp_violations == []  # every page ran under the Content-Security-Policy
