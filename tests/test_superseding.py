"""Superseding: a second file for a request whose figures differ is shown beside the first,
with which one counts and why, and the researcher chooses; the choice holds in the rollup, over
newer files and over a parse finishing later."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from aggregation import demo, rollups, services
from aggregation.models import ReviewAction
from requests_app import services as request_services
from requests_app.access import Role
from requests_app.models import Document, DocumentStatus
from tests.conftest import wait_until
from tests.endpoints import signed_in, token_client
from tests.extraction import hostile
from tests.factories import add_member, make_campaign
from tests.test_decisions import while_reading
from tests.test_worker import big_record_list, settled, status_of

pytestmark = pytest.mark.django_db

PERIODS = ["2017-18", "2018-19"]


def kent_file(seed: str) -> bytes:
    return demo.ages_by_year_xlsx("Kent Police", demo.figures(seed, PERIODS))


def total(seed: str, period: str) -> int:
    return sum(demo.figures(seed, PERIODS)[period].values())


@pytest.fixture
def two_files(researcher, on_commit_at_once):
    """Kent answered twice: a first file, then a second whose figures differ."""
    campaign = make_campaign(researcher, slug="twice", forces=["kent", "essex"], periods=PERIODS)
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    request = campaign.requests.get(force__slug="kent")
    first, _ = services.document_upload(
        request=request, name="first.xlsx", content=kent_file("first"), by=researcher
    )
    second, _ = services.document_upload(
        request=request, name="second.xlsx", content=kent_file("second"), by=researcher
    )
    for d in (first, second):
        d.refresh_from_db()
        assert d.status == DocumentStatus.PARSED
    assert total("first", "2018-19") != total("second", "2018-19")
    return request, first, second


def kent(campaign, period: str = "2018-19") -> int:
    return rollups.campaign_rollup(campaign)["by_force"]["kent"][period]["value"]


# The service, and the rollup honouring the choice.


def test_the_newest_file_counts_until_the_researcher_chooses_the_older(two_files, researcher):
    request, first, second = two_files
    assert kent(request.campaign) == total("second", "2018-19")
    services.request_choose_document(request=request, document=first, by=researcher, note="ok")
    assert kent(request.campaign) == total("first", "2018-19")
    assert kent(request.campaign, "2017-18") == total("first", "2017-18")
    action = first.reviews.get(kind=ReviewAction.Kind.PIN)
    assert action.by == researcher
    assert action.detail == {
        "request": request.pk,
        "over": [second.pk],
        "unchosen": [],
        "note": "ok",
    }


def test_a_choice_holds_over_a_file_uploaded_after_it(two_files, researcher):
    request, first, _ = two_files
    services.request_choose_document(request=request, document=first, by=researcher)
    third, _ = services.document_upload(
        request=request, name="third.xlsx", content=kent_file("third"), by=researcher
    )
    third.refresh_from_db()
    assert third.status == DocumentStatus.PARSED
    assert kent(request.campaign) == total("first", "2018-19")


def test_choosing_another_file_moves_the_choice_and_keeps_both_decisions(two_files, researcher):
    request, first, second = two_files
    services.request_choose_document(request=request, document=first, by=researcher)
    services.request_choose_document(request=request, document=second, by=researcher)
    assert kent(request.campaign) == total("second", "2018-19")
    assert list(Document.objects.filter(pinned=True)) == [second]
    assert second.reviews.get(kind="pin").detail["unchosen"] == [first.pk]
    assert first.reviews.filter(kind="pin").count() == 1  # the first choice stays on record
    history = first.history.order_by("history_id").values_list("pinned", flat=True)
    assert list(history)[-2:] == [True, False]


def test_it_refuses_a_file_of_another_request(two_files, researcher):
    request, first, _ = two_files
    essex = request.campaign.requests.get(force__slug="essex")
    with pytest.raises(ValidationError) as refused:
        services.request_choose_document(request=essex, document=first, by=researcher)
    assert refused.value.message_dict == {"document": ["first.xlsx is not a file of this request."]}
    assert not Document.objects.filter(pinned=True).exists()


@pytest.mark.parametrize("status", [DocumentStatus.NEEDS_REVIEW, DocumentStatus.NO_DATA])
def test_it_refuses_a_file_that_does_not_count(two_files, researcher, status):
    request, first, _ = two_files
    Document.objects.filter(pk=first.pk).update(status=status)
    with pytest.raises(ValidationError) as refused:
        services.request_choose_document(request=request, document=first, by=researcher)
    (message,) = refused.value.message_dict["document"]
    assert message.startswith(f"first.xlsx is {status.label.lower()}: only a read or approved")
    assert not first.reviews.filter(kind="pin").exists()


def test_it_refuses_a_file_with_no_figures(two_files, researcher):
    request, first, _ = two_files
    first.figures.all().delete()
    with pytest.raises(ValidationError) as refused:
        services.request_choose_document(request=request, document=first, by=researcher)
    assert refused.value.message_dict == {"document": ["first.xlsx has no figures to count."]}


def test_a_parse_finishing_after_the_choice_leaves_it_standing(two_files, researcher, monkeypatch):
    request, first, _ = two_files
    services.document_reparse(document=first, by=researcher)  # queued; not read yet

    def choose_meanwhile():
        Document.objects.filter(pk=first.pk).update(status=DocumentStatus.PARSED)
        services.request_choose_document(request=request, document=first, by=researcher)

    while_reading(monkeypatch, choose_meanwhile)
    Document.objects.filter(pk=first.pk).update(status=DocumentStatus.QUEUED)
    assert services.document_parse(document_id=first.pk) == DocumentStatus.PARSED
    first.refresh_from_db()
    assert first.pinned and first.status == DocumentStatus.PARSED
    assert kent(request.campaign) == total("first", "2018-19")


# The comparison.


def test_the_comparison_shows_both_readings_which_counts_and_why(two_files, researcher):
    request, first, second = two_files
    readings = rollups.request_readings(request)
    assert [d["id"] for d in readings["documents"]] == [first.pk, second.pk]
    row = next(p for p in readings["periods"] if p["period"] == "2018-19")
    assert [f["value"] for f in row["figures"]] == [
        total("first", "2018-19"),
        total("second", "2018-19"),
    ]
    assert row["differ"] and row["counted"] == second.pk
    assert row["rule"].startswith("second.xlsx counts: it is the newest file with a figure")
    assert row["rule"].endswith("nobody has chosen one.")
    thirteen = next(b for b in row["breakdowns"] if (b["dimension"], b["value"]) == ("age", "13"))
    assert [f["value"] for f in thirteen["figures"]] == [
        demo.figures("first", PERIODS)["2018-19"]["13"],
        demo.figures("second", PERIODS)["2018-19"]["13"],
    ]
    services.request_choose_document(request=request, document=first, by=researcher)
    readings = rollups.request_readings(request)
    row = next(p for p in readings["periods"] if p["period"] == "2018-19")
    assert row["counted"] == first.pk and readings["chosen"] == first.pk
    assert row["rule"].startswith("first.xlsx counts: rita chose it on ")
    assert readings["chosen_by"] == "rita"


def test_the_comparison_says_why_a_chosen_file_awaiting_review_does_not_count(
    two_files, researcher
):
    request, first, second = two_files
    services.request_choose_document(request=request, document=first, by=researcher)
    Document.objects.filter(pk=first.pk).update(status=DocumentStatus.NEEDS_REVIEW)
    row = rollups.request_readings(request)["periods"][1]
    assert row["counted"] == second.pk
    assert "the chosen file, first.xlsx, awaits review" in row["rule"]


# The API.


def test_the_rule_says_why_another_requests_file_counts_for_this_force():
    # The force's own counted reply ranks before another force's file naming it, unless that
    # file was chosen on its own request.
    own = Document(pk=1, original_name="own.xlsx", status=DocumentStatus.PARSED, pinned=False)
    names = {9: "national.xlsx"}
    assert rollups._counting_rule([own], [None], 9, names, None) == (
        "national.xlsx counts: a file of another request that names this force, none of this "
        "request's files counted gives a figure for it."
    )
    assert rollups._counting_rule([own], [{"total": [4, 4]}], 9, names, None) == (
        "national.xlsx counts: a file of another request that names this force, chosen on its "
        "own request."
    )


def test_the_api_shows_the_readings_and_counts_the_file_chosen(two_files, researcher):
    request, first, _ = two_files
    api = token_client(researcher)
    readings = api.get(f"/api/requests/{request.pk}/readings/")
    assert readings.status_code == 200
    assert readings.json()["periods"][1]["differ"] is True
    chosen = api.post(
        f"/api/requests/{request.pk}/choose-document/", {"document": first.pk}, format="json"
    )
    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["chosen"] == first.pk
    assert chosen.json()["periods"][1]["counted"] == first.pk
    assert kent(request.campaign) == total("first", "2018-19")


def test_the_api_refuses_a_file_not_on_the_request_naming_the_field(two_files, researcher):
    request, first, _ = two_files
    essex = request.campaign.requests.get(force__slug="essex")
    response = token_client(researcher).post(
        f"/api/requests/{essex.pk}/choose-document/", {"document": first.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"document": ["No such file on this request."]}
    assert not Document.objects.filter(pinned=True).exists()


def test_a_reader_sees_the_readings_and_cannot_choose(two_files, reader):
    request, first, _ = two_files
    add_member(request.campaign, reader, Role.READER)
    api = token_client(reader)
    assert api.get(f"/api/requests/{request.pk}/readings/").status_code == 200
    url = f"/api/requests/{request.pk}/choose-document/"
    assert api.post(url, {"document": first.pk}, format="json").status_code == 403
    assert not Document.objects.filter(pinned=True).exists()


# The admin: the comparison page, "Count this one", and the dashboard's line to it.


@pytest.fixture
def staff(researcher):
    researcher.is_staff = True
    researcher.save()
    return researcher


def test_the_comparison_page_shows_both_files_and_counts_the_one_chosen(two_files, staff):
    request, first, second = two_files
    client = signed_in(staff)
    url = reverse("request-readings", args=[request.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "The files give different figures" in body
    assert f"{total('first', '2018-19'):,}" in body and f"{total('second', '2018-19'):,}" in body
    assert "second.xlsx counts: it is the newest file with a figure" in body
    assert f'id="count-{first.pk}"' in body and f'id="count-{second.pk}"' in body
    response = client.post(url, {"document": first.pk})
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [
        "first.xlsx now counts for Kent Police, over the request's other files, until another "
        "is chosen."
    ]
    assert kent(request.campaign) == total("first", "2018-19")
    body = client.get(url).content.decode()
    assert "first.xlsx counts: rita chose it on" in body
    assert "Counts (chosen)" in body


def test_a_reader_may_look_at_the_comparison_page_but_not_choose(two_files, reader):
    request, first, _ = two_files
    reader.is_staff = True
    reader.save()
    from django.contrib.auth.models import Group

    reader.groups.add(Group.objects.get(name="reader"))
    add_member(request.campaign, reader, Role.READER)
    client = signed_in(reader)
    url = reverse("request-readings", args=[request.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Count this one" not in page.content.decode()
    assert client.post(url, {"document": first.pk}).status_code == 403
    assert not Document.objects.filter(pinned=True).exists()


def test_the_dashboard_links_a_conflict_to_the_comparison_in_words(two_files, staff):
    request, _, _ = two_files
    body = signed_in(staff).get(reverse("dashboard", args=["twice"])).content.decode()
    compare = reverse("request-readings", args=[request.pk])
    assert f'<a class="compare" href="{compare}">compare the files and choose which counts</a>' in (
        body
    )
    assert "2 figures in other documents differ from the one counted, in 2 periods" in body
    assert "documents_differ" not in body


def test_a_choice_and_a_figure_by_hand_move_the_stored_dashboard_figures(
    two_files, staff, monkeypatch
):
    """The dashboard's stored figures are refreshed only for the forces and periods whose
    documents changed since (by their timestamps): a choice, the file it unchooses and a figure
    entered by hand must each be seen."""
    request, first, second = two_files
    campaign = request.campaign
    essex = campaign.requests.get(force__slug="essex")
    letter, _ = services.document_upload(
        request=essex,
        name="letter.doc",
        content=hostile.ole({"WordDocument": b"\0" * 4096}),
        by=staff,
        letters=True,
    )
    client = signed_in(staff)
    url = reverse("dashboard", args=["twice"])

    def shown(force: str) -> int | None:
        cell = client.get(url).context["rollup"]["by_force"].get(force, {}).get("2018-19")
        return cell and cell["value"]

    assert shown("kent") == total("second", "2018-19") and shown("essex") is None  # stored
    recomputed = []
    whole = rollups.recompute

    def spy(campaign, **narrowed):
        recomputed.append(narrowed.get("forces"))
        return whole(campaign, **narrowed)

    monkeypatch.setattr(rollups, "recompute", spy)
    services.request_choose_document(request=request, document=first, by=staff)
    assert shown("kent") == total("first", "2018-19")
    services.request_choose_document(request=request, document=second, by=staff)
    assert shown("kent") == total("second", "2018-19")  # the first file no longer chosen
    services.document_enter_figure(
        document=letter, period="2018-19", source="page 2", by=staff, value=40
    )
    assert shown("essex") == 40
    kent, essex = (r.force_id for r in (request, essex))
    assert recomputed == [{kent}, {kent}, {essex}]  # each time only the force that moved


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_newer_file_read_by_the_worker_after_the_choice_does_not_replace_it(
    celery_worker_process, researcher
):
    campaign = make_campaign(researcher, slug="busy", forces=["kent"], periods=PERIODS)
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    request = campaign.requests.get()
    first, _ = services.document_upload(
        request=request, name="first.xlsx", content=kent_file("first"), by=researcher
    )
    wait_until(lambda: settled(first), timeout=60, interval=0.05)
    assert status_of(first) == DocumentStatus.PARSED
    second, _ = services.document_upload(
        request=request, name="records.csv", content=big_record_list(), by=researcher
    )
    wait_until(lambda: status_of(second) == DocumentStatus.PARSING, timeout=60, interval=0.05)
    services.request_choose_document(request=request, document=first, by=researcher)
    wait_until(lambda: settled(second), timeout=120, interval=0.2)
    assert status_of(second) == DocumentStatus.NEEDS_REVIEW  # two partial years
    services.document_approve(document=second, by=researcher)  # now the newest that counts
    assert list(Document.objects.filter(pinned=True)) == [first]
    assert kent(campaign, "2017-18") == total("first", "2017-18")
    row = rollups.request_readings(request)["periods"][0]
    assert row["differ"] and row["rule"].startswith("first.xlsx counts: rita chose it on ")
