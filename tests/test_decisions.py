"""A researcher's decision outlives any parse that was running when it was made, and every
decision stays in the history."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from aggregation import demo, services
from aggregation.models import Alias, Observation, Term
from requests_app.models import Document, DocumentStatus
from tests.conftest import wait_until
from tests.factories import make_campaign, sent_request
from tests.test_worker import big_record_list, status_of

PERIODS = ["2017-18", "2018-19"]


def kent_file() -> bytes:
    return demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", PERIODS))


def queued(researcher) -> Document:
    """A document uploaded and not yet read (the test's transaction never commits)."""
    request = sent_request(researcher, force="kent")
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=kent_file(), by=None
    )
    return document


def while_reading(monkeypatch, decide) -> None:
    """Run `decide()` in the middle of the next parse, after it has read the file."""
    real = services.extract_workbook

    def extract_workbook(*args, **kwargs):
        result = real(*args, **kwargs)
        monkeypatch.setattr(services, "extract_workbook", real)
        decide()
        return result

    monkeypatch.setattr(services, "extract_workbook", extract_workbook)


def history(document: Document) -> list[tuple[str, str]]:
    return list(document.reviews.values_list("kind", "by__username"))


@pytest.mark.django_db
def test_no_data_marked_while_parsing_is_not_undone_when_the_parse_ends(researcher, monkeypatch):
    document = queued(researcher)
    seen = []

    def mark_no_data():
        seen.append(status_of(document))
        services.document_mark_no_data(document=document, by=researcher, note="s12 letter")

    while_reading(monkeypatch, mark_no_data)
    assert services.document_parse(document_id=document.pk) is None
    final = Document.objects.get(pk=document.pk)
    assert seen == [DocumentStatus.PARSING]
    assert (final.status, final.status_reason) == (DocumentStatus.NO_DATA, "s12 letter")
    assert not Observation.objects.filter(document=document).exists()
    assert history(document) == [("no_data", "rita")]


@pytest.mark.django_db
def test_an_approval_made_while_a_second_parse_runs_is_not_undone(researcher, monkeypatch):
    """Two parses of one document overlap (a redelivery, a sweep): the first ends, the
    researcher approves, then the second ends."""
    document = queued(researcher)

    def first_parse_ends_then_approve():
        assert services.document_parse(document_id=document.pk) == DocumentStatus.PARSED
        services.document_approve(document=document, by=researcher, note="checked")

    while_reading(monkeypatch, first_parse_ends_then_approve)
    assert services.document_parse(document_id=document.pk) is None
    final = Document.objects.get(pk=document.pk)
    assert final.status == DocumentStatus.APPROVED
    assert Document.objects.counted().filter(pk=document.pk).exists()
    assert history(document) == [("approve", "rita")]


@pytest.mark.django_db
def test_a_reading_asked_for_while_parsing_replaces_the_stale_one(
    researcher, monkeypatch, on_commit_at_once
):
    """A table excluded mid-parse: the parse that started before is dropped, the new one counts."""
    document = queued(researcher)
    Document.objects.filter(pk=document.pk).update(
        result={"tables": [{"sheet": "Response", "cells": "A1:D9", "kind": "crosstab"}]}
    )
    while_reading(
        monkeypatch,
        lambda: services.document_exclude_tables(document=document, tables=[0], by=researcher),
    )
    assert services.document_parse(document_id=document.pk) is None
    final = Document.objects.get(pk=document.pk)
    # The re-read it asked for ran (commit hooks at once) and stored without table 0.
    assert final.status != DocumentStatus.QUEUED and final.excluded_tables == [0]
    assert not Observation.objects.filter(document=document, table=0).exists()
    assert history(document) == [("exclude_table", "rita")]


@pytest.mark.django_db
def test_a_decided_document_is_not_parsed_even_before_its_first_reading(researcher):
    document = queued(researcher)
    services.document_mark_no_data(document=document, by=researcher)
    assert services.document_parse(document_id=document.pk) is None
    assert status_of(document) == DocumentStatus.NO_DATA


@pytest.mark.django_db
def test_a_time_limit_does_not_fail_a_document_decided_while_it_ran(researcher):
    document = queued(researcher)
    Document.objects.filter(pk=document.pk).update(status=DocumentStatus.PARSING)
    services.document_mark_no_data(document=document, by=researcher)
    services.document_fail(document_id=document.pk, reason="Took too long.")
    assert status_of(document) == DocumentStatus.NO_DATA


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_data_marked_while_the_worker_parses_survives_the_parse(
    celery_worker_process, researcher
):
    request = sent_request(researcher, force="kent")
    document, _ = services.document_upload(
        request=request, name="records.csv", content=big_record_list(), by=None
    )
    wait_until(lambda: status_of(document) == DocumentStatus.PARSING, timeout=60, interval=0.05)
    services.document_mark_no_data(document=document, by=researcher, note="a refusal after all")
    celery_worker_process.wait_for("that reading is dropped", timeout=120)
    final = Document.objects.get(pk=document.pk)
    assert (final.status, final.status_reason) == (DocumentStatus.NO_DATA, "a refusal after all")
    assert not Observation.objects.filter(document=document).exists()
    assert history(document) == [("no_data", "rita")]


# References across campaigns


@pytest.fixture
def other_campaigns_term(researcher):
    other = make_campaign(researcher, slug="other", forces=["essex"])
    return Term.objects.create(dimension=other.dimensions.get(name="offence"), name="Stalking")


@pytest.mark.django_db
def test_the_service_refuses_another_campaigns_term(researcher, other_campaigns_term):
    document = queued(researcher)
    with pytest.raises(ValidationError) as refused:
        services.document_map_label(
            document=document, label="Odd label", term=other_campaigns_term, by=researcher
        )
    assert list(refused.value.message_dict) == ["term"]
    assert "belongs to another campaign" in refused.value.message_dict["term"][0]
    assert not Alias.objects.filter(alias="Odd label").exists()
    assert not document.reviews.exists()


@pytest.mark.django_db
def test_map_label_on_the_api_answers_400_for_another_campaigns_term(
    researcher, other_campaigns_term
):
    document = queued(researcher)
    client = APIClient()
    client.force_authenticate(researcher)
    url = f"/api/documents/{document.pk}/map-label/"
    response = client.post(url, {"label": "Odd", "term": other_campaigns_term.pk}, format="json")
    assert response.status_code == 400
    assert "belongs to another campaign" in response.json()["term"][0]
    assert not Alias.objects.filter(alias="Odd").exists()
    # The campaign's own terms, added or copied from its template, still map.
    campaign = document.request.campaign
    own = Term.objects.create(dimension=campaign.dimensions.get(name="offence"), name="Stalking")
    default = Term.objects.get(name="Sexual grooming", dimension__campaign=campaign)
    for term in (own, default):
        response = client.post(url, {"label": f"Odd {term.pk}", "term": term.pk}, format="json")
        assert response.status_code == 200, response.json()
