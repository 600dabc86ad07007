"""RECORD_LIST_RETENTION_DAYS: the originals of record lists are deleted once their figures are
settled; the figures, the cell each came from and the document row stay."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as project_settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from aggregation import demo, services, tasks
from aggregation.models import Observation, Term
from aggregation.rollups import campaign_rollup
from requests_app.models import Document, DocumentStatus
from tests.endpoints import signed_in
from tests.factories import record_list_csv, sent_request

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
PARSED_AT = datetime(2025, 1, 6, 10, 0, tzinfo=LONDON)
DAYS = 30


@pytest.fixture(autouse=True)
def _on_commit(on_commit_at_once):
    pass


@pytest.fixture
def retention(settings):
    settings.RECORD_LIST_RETENTION_DAYS = DAYS


@pytest.fixture
def staff_researcher(researcher):
    researcher.is_staff = True
    researcher.save()
    return researcher


def upload(owner, content: bytes, force: str = "kent", name: str = "crimes.csv") -> Document:
    with time_machine.travel(PARSED_AT, tick=False):
        request = sent_request(owner, force=force)
        document, _ = services.document_upload(
            request=request, name=name, content=content, by=owner
        )
    document.refresh_from_db()
    return document


@pytest.fixture
def record_list(staff_researcher) -> Document:
    document = upload(staff_researcher, record_list_csv(3))
    assert document.status == DocumentStatus.PARSED
    assert [t["kind"] for t in document.result["tables"]] == ["records"]
    return document


def stored_path(document: Document) -> Path:
    return Path(project_settings.MEDIA_ROOT) / document.file.name


def figures(document: Document) -> list[tuple]:
    return list(
        Observation.objects.filter(document=document)
        .order_by("pk")
        .values_list("period", "dimensions", "value", "sheet", "cell", "raw", "derived")
    )


def purge_on(day: datetime) -> list[int]:
    with time_machine.travel(day, tick=False):
        return services.purge_record_list_originals()


def test_retention_is_off_unless_set(record_list, settings, monkeypatch):
    monkeypatch.delenv("RECORD_LIST_RETENTION_DAYS", raising=False)
    from foitrack.settings import envint_or_none

    assert envint_or_none("RECORD_LIST_RETENTION_DAYS") is None
    settings.RECORD_LIST_RETENTION_DAYS = None
    assert purge_on(PARSED_AT + timedelta(days=3650)) == []
    assert stored_path(record_list).exists()


BAD = ImproperlyConfigured


@pytest.mark.parametrize(("raw", "value"), [("", None), ("30", 30), ("0", BAD), ("a month", BAD)])
def test_the_setting_is_a_number_of_days_from_the_environment(raw, value, monkeypatch):
    from foitrack.settings import envint_or_none

    monkeypatch.setenv("RECORD_LIST_RETENTION_DAYS", raw)
    if value is BAD:
        with pytest.raises(ImproperlyConfigured, match="RECORD_LIST_RETENTION_DAYS"):
            envint_or_none("RECORD_LIST_RETENTION_DAYS")
    else:
        assert envint_or_none("RECORD_LIST_RETENTION_DAYS") == value


def test_an_approved_record_list_loses_its_original_days_after_approval_and_keeps_its_figures(
    retention, record_list, staff_researcher
):
    approved_at = PARSED_AT + timedelta(days=10)
    with time_machine.travel(approved_at, tick=False):
        services.document_approve(document=record_list, by=staff_researcher)
    before, rollup = figures(record_list), campaign_rollup(record_list.request.campaign)
    path = stored_path(record_list)

    # Counted from the approval, not from the parse.
    assert purge_on(approved_at + timedelta(days=DAYS - 1)) == []
    assert path.exists()
    deleted_on = approved_at + timedelta(days=DAYS, hours=1)
    assert purge_on(deleted_on) == [record_list.pk]

    document = Document.objects.get(pk=record_list.pk)
    assert not path.exists() and not document.file
    assert document.original_deleted_at == deleted_on
    assert document.status == DocumentStatus.APPROVED
    assert figures(document) == before and before
    assert campaign_rollup(document.request.campaign)["national"] == rollup["national"]
    record = document.history.order_by("-history_id").first()
    assert record.history_change_reason == "Original deleted under RECORD_LIST_RETENTION_DAYS"
    assert purge_on(deleted_on + timedelta(days=1)) == []  # once


def test_a_record_list_that_needed_no_review_counts_from_its_parse(retention, record_list):
    assert purge_on(PARSED_AT + timedelta(days=DAYS - 1)) == []
    assert purge_on(PARSED_AT + timedelta(days=DAYS + 1)) == [record_list.pk]


UNSETTLED = [DocumentStatus.NEEDS_REVIEW, DocumentStatus.QUEUED, DocumentStatus.FAILED]


@pytest.mark.parametrize("status", [*UNSETTLED, DocumentStatus.NO_DATA])
def test_a_record_list_whose_figures_are_not_settled_keeps_its_original(
    retention, record_list, status
):
    Document.objects.filter(pk=record_list.pk).update(status=status)
    assert purge_on(PARSED_AT + timedelta(days=10 * DAYS)) == []
    assert stored_path(record_list).exists()


def test_a_table_of_counts_keeps_its_original(retention, staff_researcher):
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", ["2017-18"]))
    document = upload(staff_researcher, content, name="kent.xlsx")
    assert document.status == DocumentStatus.PARSED
    assert purge_on(PARSED_AT + timedelta(days=10 * DAYS)) == []
    assert stored_path(document).exists()


def test_the_document_page_says_the_original_was_deleted_and_when(retention, record_list):
    purge_on(datetime(2025, 3, 1, 3, 0, tzinfo=LONDON))
    client = signed_in(record_list.request.campaign.owner)
    page = client.get(reverse("admin:requests_app_document_change", args=[record_list.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "The original file was deleted on 1 March 2025, 03:00" in html
    assert "under the retention policy for record lists (30 days" in html
    assert 'id="download-original"' not in html
    # Its figures are still shown with the cells they were counted from; the file is gone.
    counted_from = Observation.objects.filter(document=record_list).first()
    assert f">{counted_from.sheet}<" in html and f">{counted_from.cell}<" in html
    file_url = reverse("admin:document_file", args=[record_list.pk])
    assert client.get(file_url).status_code == 404
    assert not record_list.downloads.exists()
    api = APIClient()
    api.force_authenticate(record_list.request.campaign.owner)
    body = api.get(f"/api/documents/{record_list.pk}/").json()
    assert body["original_deleted_at"].startswith("2025-03-01T03:00")


def test_before_deletion_the_page_offers_the_download_to_its_researchers(record_list):
    client = signed_in(record_list.request.campaign.owner)
    html = client.get(
        reverse("admin:requests_app_document_change", args=[record_list.pk])
    ).content.decode()
    assert 'id="download-original"' in html
    client.get(reverse("admin:document_file", args=[record_list.pk]))
    html = client.get(
        reverse("admin:requests_app_document_change", args=[record_list.pk])
    ).content.decode()
    assert "Downloads of the original file" in html and "rita" in html


def test_a_document_whose_original_was_deleted_cannot_be_read_again(
    retention, record_list, staff_researcher
):
    purge_on(PARSED_AT + timedelta(days=DAYS + 1))
    term = Term.objects.filter(dimension__campaign=record_list.request.campaign).first()
    for decide in (
        lambda: services.document_reparse(document=record_list, by=staff_researcher),
        lambda: services.document_exclude_tables(
            document=record_list, tables=[0], by=staff_researcher
        ),
        lambda: services.document_map_label(
            document=record_list, label="Odd", term=term, by=staff_researcher
        ),
    ):
        with pytest.raises(ValidationError, match="retention policy"):
            decide()
    document = Document.objects.get(pk=record_list.pk)
    assert document.status == DocumentStatus.PARSED and document.excluded_tables == []
    assert not document.reviews.exists() and not term.aliases.filter(alias="Odd").exists()
    # A parse redelivered after the deletion leaves the figures as they were.
    assert services.document_parse(document_id=document.pk) is None
    assert Observation.objects.filter(document=document).count() == 8


def test_the_daily_task_runs_the_purge(retention, record_list):
    schedule = project_settings.CELERY_BEAT_SCHEDULE["purge-record-list-originals-daily"]
    assert schedule["task"] == tasks.purge_record_list_originals.name
    assert (schedule["schedule"].hour, schedule["schedule"].minute) == ({3}, {0})
    with time_machine.travel(PARSED_AT + timedelta(days=DAYS + 1), tick=False):
        assert tasks.purge_record_list_originals.delay().get() == 1
    assert Document.objects.get(pk=record_list.pk).original_deleted_at is not None
