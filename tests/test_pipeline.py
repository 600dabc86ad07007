"""Responses in process: upload, parse, review, the documents API and import_responses."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from aggregation import demo, services
from aggregation.models import Alias, Observation, ReviewAction, Term
from requests_app import services as request_services
from requests_app.models import Campaign, Document, DocumentStatus, FOIRequest, Status
from tests.factories import add_member, make_campaign, record_list_csv, sent_request

pytestmark = pytest.mark.django_db

PERIODS = ["2017-18", "2018-19"]


@pytest.fixture(autouse=True)
def _on_commit(on_commit_at_once):
    pass


def ages_file(seed: str = "kent") -> tuple[bytes, dict[str, dict[str, int]]]:
    data = demo.figures(seed, PERIODS)
    return demo.ages_by_year_xlsx("Kent Police", data), data


def test_an_upload_is_parsed_into_observations_that_point_to_cells(researcher):
    request = sent_request(researcher, force="kent")
    content, data = ages_file()
    document, new = services.document_upload(
        request=request, name="kent.xlsx", content=content, by=researcher
    )
    assert new
    document.refresh_from_db()
    assert document.status == DocumentStatus.PARSED
    assert document.format == "xlsx"
    assert len(document.sha256) == 64 and document.size == len(content)
    assert document.uploaded_by == researcher
    assert document.rows_read == 25  # title, reference, blank, header, 18 ages, total, blank, note
    thirteen = Observation.objects.get(document=document, period="2018-19", dimensions__age="13")
    assert thirteen.value == data["2018-19"]["13"]
    assert thirteen.sheet == "Response" and thirteen.cell == "C18"
    total = Observation.objects.get(document=document, period="2018-19", shape="", derived=True)
    assert total.value == sum(data["2018-19"].values())


@pytest.mark.parametrize(
    ("name", "sender", "status"),
    [
        ("response.xlsx", "Hampshire Constabulary", DocumentStatus.NEEDS_REVIEW),
        ("hampshire.xlsx", "Police response", DocumentStatus.NEEDS_REVIEW),
        ("response.xlsx", "Kent Police", DocumentStatus.PARSED),
        ("kent-and-essex.xlsx", "Kent Police", DocumentStatus.PARSED),
    ],
)
def test_a_file_naming_only_another_force_waits_for_a_researcher(researcher, name, sender, status):
    request = sent_request(researcher, force="kent")
    content = demo.ages_by_year_xlsx(sender, demo.figures("kent", PERIODS))
    document, _ = services.document_upload(request=request, name=name, content=content, by=None)
    document.refresh_from_db()
    assert document.status == status
    codes = [r["code"] for r in document.result["reasons"]]
    assert ("other_force" in codes) == (status == DocumentStatus.NEEDS_REVIEW), codes
    if status == DocumentStatus.NEEDS_REVIEW:
        assert "Hampshire" in document.status_reason and "Kent Police" in document.status_reason
        researcher.is_staff = True
        researcher.save()
        client = Client()
        client.force_login(researcher)
        page = client.get(reverse("review-queue", args=[request.campaign.slug])).content.decode()
        assert "The file names another force, not the request" in page
        assert "the whole file" in page  # the doubt points at no cell


def test_a_record_list_is_stored_as_counts_however_many_rows_it_has(researcher):
    """One row per crime holds a child victim's age, offence and date: only counts are kept."""
    stored = {}
    for rows_per_age, force in ((1, "kent"), (40, "essex")):
        request = sent_request(researcher, force=force)
        document, _ = services.document_upload(
            request=request, name=f"{force}.csv", content=record_list_csv(rows_per_age), by=None
        )
        document.refresh_from_db()
        assert [t["kind"] for t in document.result["tables"]] == ["records"]
        observations = Observation.objects.filter(document=document)
        total = observations.get(period="2018-19", shape="")
        assert total.value == 6 * rows_per_age  # 1 + 2 + 3 rows per age step, in scope
        assert observations.get(period="2018-19", dimensions__age="14").value == 3 * rows_per_age
        stored[rows_per_age] = (document.rows_read, observations.count())
    (few_rows, few), (many_rows, many) = stored[1], stored[40]
    assert many_rows > 20 * few_rows  # forty times the crimes...
    assert few == many == 2 * (1 + 3)  # ...the same counts: per year, its total and three ages


def test_the_stored_file_has_a_random_name_outside_any_public_url(researcher, settings):
    request = sent_request(researcher, force="kent")
    document, _ = services.document_upload(
        request=request, name="../../etc/passwd.xlsx", content=ages_file()[0], by=researcher
    )
    stored = Path(document.file.path)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert "passwd" not in stored.name
    assert not hasattr(settings, "MEDIA_URL") or not settings.MEDIA_URL.strip("/")


def test_the_same_bytes_twice_on_one_request_are_one_document(researcher):
    request = sent_request(researcher, force="kent")
    content = ages_file()[0]
    first, _ = services.document_upload(request=request, name="a.xlsx", content=content, by=None)
    again, new = services.document_upload(request=request, name="b.xlsx", content=content, by=None)
    assert (again.pk, new) == (first.pk, False)
    assert Document.objects.count() == 1


def test_it_refuses_a_file_that_is_not_a_spreadsheet(researcher):
    request = sent_request(researcher, force="kent")
    with pytest.raises(ValidationError) as exc:
        services.document_upload(
            request=request, name="letter.pdf", content=b"<html><p>letter</p></html>", by=None
        )
    assert "letter.pdf" in exc.value.message_dict["file"][0]
    assert not Document.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(researcher, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    request = sent_request(researcher, force="kent")
    with pytest.raises(ValidationError, match="over the"):
        services.document_upload(request=request, name="big.csv", content=b"a,b\n" * 500, by=None)


def test_a_damaged_spreadsheet_is_kept_and_fails_with_its_reason(researcher):
    request = sent_request(researcher, force="kent")
    truncated = ages_file()[0][:700]
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=truncated, by=None
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED
    assert "incomplete" in document.status_reason or "truncated" in str(document.result)


def test_parsing_twice_replaces_the_observations(researcher):
    request = sent_request(researcher, force="kent")
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=ages_file()[0], by=None
    )
    count = document.observations.count()
    services.document_parse(document_id=document.pk)
    assert document.observations.count() == count


def test_a_parse_of_a_deleted_document_returns_quietly(researcher):
    assert services.document_parse(document_id=987654) is None


def test_mapping_an_unknown_label_saves_an_alias_and_reparses(researcher):
    request = sent_request(researcher, force="south-wales")
    content = demo.offences_long_csv("sw", PERIODS, odd_label="Breach of a sexual risk order")
    document, _ = services.document_upload(
        request=request, name="sw.csv", content=content, by=researcher
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.NEEDS_REVIEW
    labels = {r["label"] for r in document.result["reasons"] if r["code"] == "unknown_label"}
    assert labels == {"Breach of a sexual risk order"}
    other = Term.objects.get(name="Other sexual offences", dimension__campaign=request.campaign)
    services.document_map_label(
        document=document, label="Breach of a sexual risk order", term=other, by=researcher
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.PARSED
    assert Alias.objects.get(alias="Breach of a sexual risk order").created_by == researcher
    action = ReviewAction.objects.get(document=document, kind="map_label")
    assert action.by == researcher and action.detail["term"] == "Other sexual offences"


def test_an_alias_for_one_force_only_does_not_apply_to_others(researcher):
    campaign = make_campaign(researcher, slug="two", forces=["south-wales", "kent"])
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    other = Term.objects.get(name="Other sexual offences", dimension__campaign=campaign)
    sw = campaign.requests.get(force__slug="south-wales")
    content = demo.offences_long_csv("sw", PERIODS, odd_label="Breach of a sexual risk order")
    document, _ = services.document_upload(request=sw, name="sw.csv", content=content, by=None)
    services.document_map_label(
        document=document, label="Breach of a sexual risk order", term=other, by=None,
        this_force_only=True,
    )  # fmt: skip
    kent = campaign.requests.get(force__slug="kent")
    elsewhere, _ = services.document_upload(request=kent, name="k.csv", content=content, by=None)
    elsewhere.refresh_from_db()
    assert Document.objects.get(pk=document.pk).status == DocumentStatus.PARSED
    assert elsewhere.status == DocumentStatus.NEEDS_REVIEW


def test_excluding_a_table_drops_its_observations(researcher):
    request = sent_request(researcher, force="kent")
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=ages_file()[0], by=None
    )
    services.document_exclude_tables(document=document, tables=[0], by=researcher)
    assert document.observations.count() == 0
    with pytest.raises(ValidationError, match="No table 5"):
        services.document_exclude_tables(document=document, tables=[5], by=researcher)


def test_approval_and_no_data_are_kept_with_who_and_when(researcher):
    request = sent_request(researcher, force="kent")
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=ages_file()[0], by=None
    )
    services.document_approve(document=document, by=researcher)
    document.refresh_from_db()
    assert document.status == DocumentStatus.APPROVED
    assert Document.objects.counted().filter(pk=document.pk).exists()
    services.document_mark_no_data(document=document, by=researcher, note="s12 letter")
    document.refresh_from_db()
    assert document.status == DocumentStatus.NO_DATA
    assert not Document.objects.counted().exists()
    assert list(document.reviews.values_list("kind", "by__username")) == [
        ("approve", "rita"),
        ("no_data", "rita"),
    ]


def test_a_late_redelivery_does_not_overwrite_an_approval(researcher):
    request = sent_request(researcher, force="kent")
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=ages_file()[0], by=None
    )
    services.document_approve(document=document, by=researcher)
    assert services.document_parse(document_id=document.pk) is None
    assert Document.objects.get(pk=document.pk).status == DocumentStatus.APPROVED


def test_a_parsed_response_moves_its_request_to_response_received(researcher):
    request = sent_request(researcher, force="kent", on=date(2024, 3, 1))
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=ages_file()[0], by=researcher
    )
    document.refresh_from_db()
    services.document_accept_as_response(document=document, by=researcher)
    request.refresh_from_db()
    assert request.status == Status.ANSWERED
    assert request.events.last().note == "Response file: kent.xlsx"


def test_a_document_stuck_in_queue_is_requeued_by_the_sweeper(researcher):
    from datetime import timedelta

    from django.utils import timezone

    request = sent_request(researcher, force="kent")
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=ages_file()[0], by=None
    )
    Document.objects.filter(pk=document.pk).update(
        status=DocumentStatus.QUEUED, status_changed_at=timezone.now() - timedelta(hours=1)
    )
    Observation.objects.filter(document=document).delete()
    assert services.sweep_stuck_documents() == [document.pk]
    assert Document.objects.get(pk=document.pk).status == DocumentStatus.PARSED
    assert services.sweep_stuck_documents() == []


def test_after_too_many_attempts_the_document_is_failed_with_the_reason(researcher, settings):
    request = sent_request(researcher, force="kent")
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=ages_file()[0], by=None
    )
    Document.objects.filter(pk=document.pk).update(
        status=DocumentStatus.PARSING, attempts=settings.PARSE_MAX_ATTEMPTS
    )
    assert services.document_parse(document_id=document.pk) == DocumentStatus.FAILED
    assert "Gave up after" in Document.objects.get(pk=document.pk).status_reason


# The API


@pytest.fixture
def api(researcher) -> APIClient:
    client = APIClient()
    client.force_authenticate(researcher)
    return client


def test_the_api_upload_answers_202_with_the_status_url(api, researcher):
    request = sent_request(researcher, force="kent")
    content = ages_file()[0]
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post(
        f"/api/documents/upload/{request.pk}/",
        {
            "file": [
                SimpleUploadedFile("kent.xlsx", content),
                SimpleUploadedFile("b.csv", b"a\n1\n"),
            ]
        },
        format="multipart",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert [d["original_name"] for d in body] == ["kent.xlsx", "b.csv"]
    status = api.get(body[0]["status_url"]).json()
    assert status["status"] == "parsed"
    observations = api.get(f"/api/documents/{body[0]['id']}/observations/").json()
    assert observations["count"] == Observation.objects.filter(document_id=body[0]["id"]).count()


def test_an_uploaded_file_records_the_answer_on_a_request_still_awaiting_one(api, researcher):
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = sent_request(researcher, force="kent", on=date(2024, 1, 2))
    response = api.post(
        f"/api/documents/upload/{request.pk}/",
        {"file": SimpleUploadedFile("kent.xlsx", ages_file()[0])},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    request.refresh_from_db()
    assert request.status == Status.ANSWERED
    assert not FOIRequest.objects.open().filter(pk=request.pk).exists()  # no longer chased
    event = request.events.latest("pk")
    assert event.kind == "response_received" and "uploaded" in event.note


def test_an_upload_leaves_an_answered_request_as_it_is(researcher):
    request = sent_request(researcher, force="kent", on=date(2024, 1, 2))
    request_services.foi_request_refuse(
        request=request, by=researcher, exemptions=["s12"], on=date(2024, 1, 10)
    )
    events = request.events.count()
    services.document_upload(
        request=request, name="kent.xlsx", content=ages_file()[0], by=researcher, answer=True
    )
    request.refresh_from_db()
    assert request.status == Status.REFUSED and request.events.count() == events


def test_the_api_refuses_a_non_spreadsheet_naming_the_file(api, researcher):
    request = sent_request(researcher, force="kent")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api.post(
        f"/api/documents/upload/{request.pk}/",
        {"file": SimpleUploadedFile("x.pdf", b"<html><p>hello</p></html>")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "x.pdf" in response.json()["file"][0]


def test_a_reader_cannot_upload_or_review(reader, researcher):
    client = APIClient()
    client.force_authenticate(reader)
    request = sent_request(researcher, force="kent")
    add_member(request.campaign, reader)
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=ages_file()[0], by=None
    )
    assert client.post(f"/api/documents/{document.pk}/approve/").status_code == 403
    assert client.get(f"/api/documents/{document.pk}/").status_code == 200


def test_review_through_the_api(api, researcher):
    request = sent_request(researcher, force="south-wales")
    content = demo.offences_long_csv("sw", PERIODS, odd_label="Breach of a sexual risk order")
    document, _ = services.document_upload(request=request, name="sw.csv", content=content, by=None)
    term = Term.objects.get(name="Other sexual offences", dimension__campaign=request.campaign)
    response = api.post(
        f"/api/documents/{document.pk}/map-label/",
        {"label": "Breach of a sexual risk order", "term": term.pk},
        format="json",
    )
    assert response.json()["status"] == "parsed"
    assert api.post(f"/api/documents/{document.pk}/approve/").json()["status"] == "approved"


# import_responses


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_import_responses_creates_the_campaign_and_reports_json(tmp_path, researcher):
    files = [
        write(tmp_path, "kent.xlsx", ages_file("kent")[0]),
        write(tmp_path, "Response from Essex Police.xlsx", ages_file("essex")[0]),
    ]
    out = StringIO()
    call_command(
        "import_responses", "--campaign", "imported", "--create", "--json", *files, stdout=out
    )
    rows = json.loads(out.getvalue())
    assert [(r["force"], r["status"]) for r in rows] == [("kent", "parsed"), ("essex", "parsed")]
    campaign = Campaign.objects.get(slug="imported")
    assert campaign.periods == PERIODS
    assert campaign.target_forces.count() == 44
    assert all(isinstance(r["document"], int) for r in rows)


def test_import_responses_exits_listing_candidates_when_the_force_is_ambiguous(tmp_path):
    path = write(tmp_path, "response.csv", demo.offences_long_csv("x", PERIODS))
    ambiguous = write(tmp_path, "kent and essex.xlsx", ages_file()[0])
    with pytest.raises(CommandError, match="candidates: none found"):
        call_command("import_responses", "--campaign", "x", "--create", path)
    with pytest.raises(CommandError, match=r"essex, kent|kent, essex"):
        call_command("import_responses", "--campaign", "x", "--create", ambiguous)
    assert not Campaign.objects.exists()


def test_import_responses_reads_the_force_from_the_contents(tmp_path):
    path = write(tmp_path, "response.xlsx", ages_file()[0])  # titled "Kent Police: ..."
    out = StringIO()
    call_command("import_responses", "--campaign", "x", "--create", "--json", path, stdout=out)
    assert json.loads(out.getvalue())[0]["force"] == "kent"


def test_import_responses_with_force_uses_it(tmp_path):
    path = write(tmp_path, "response.xlsx", ages_file()[0])
    out = StringIO()
    call_command(
        "import_responses", "--campaign", "x", "--create", "--force", "surrey", "--json", path,
        stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue())[0]["force"] == "surrey"
