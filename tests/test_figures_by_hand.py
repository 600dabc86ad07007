"""Figures by hand: a response with no table to read (a letter, an email) gets its figures
entered against the document, each with where in it; they count like read figures, say who
entered them, and no parse replaces them."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from aggregation import demo, rollups, services
from aggregation.models import Observation, ReviewAction
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
WHERE = "page 2, paragraph 3"


@pytest.fixture
def campaign(researcher, on_commit_at_once):
    campaign = make_campaign(researcher, slug="hand", forces=["kent", "essex"], periods=PERIODS)
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    return campaign


@pytest.fixture
def letter(campaign, researcher) -> Document:
    """Kent's answer: a Word letter with the figures in its text, which the engine does not read."""
    document, _ = services.document_upload(
        request=campaign.requests.get(force__slug="kent"),
        name="letter.doc",
        content=hostile.ole({"WordDocument": b"\0" * 4096}),
        by=researcher,
        letters=True,
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.NEEDS_REVIEW
    assert document.result["reasons"][0]["code"] == "letter"
    return document


def enter(document, researcher, period="2018-19", *, where=WHERE, **kwargs) -> Observation:
    return services.document_enter_figure(
        document=document, period=period, source=where, by=researcher, **kwargs
    )


def kent(campaign, period="2018-19") -> dict:
    return rollups.campaign_rollup(campaign)["by_force"]["kent"][period]


# The service, and the rollup.


def test_figures_entered_on_a_letter_count_like_read_ones(letter, researcher, campaign):
    enter(letter, researcher, value=40)
    enter(letter, researcher, dimensions={"age": "13"}, value=25)
    enter(letter, researcher, dimensions={"age": "14 years"}, lower=10, upper=15, where="p. 3")
    letter.refresh_from_db()
    assert letter.status == DocumentStatus.APPROVED
    assert letter.status_reason == "Figures entered by hand."
    rollup = rollups.campaign_rollup(campaign)
    assert rollup["by_force"]["kent"]["2018-19"]["value"] == 40
    assert rollup["national"]["2018-19"]["value"] == 40
    ages = rollup["age"]["2018-19"]["ages"]
    assert ages["13"]["value"] == 25
    assert (ages["14"]["lower"], ages["14"]["upper"]) == (10, 15)
    assert "kent" not in rollup["coverage"]["2018-19"]["missing"]
    actions = letter.reviews.filter(kind=ReviewAction.Kind.ENTER_FIGURE)
    assert [(a.by, a.detail["source"]) for a in actions] == [
        (researcher, WHERE),
        (researcher, WHERE),
        (researcher, "p. 3"),
    ]
    assert actions[1].detail["dimensions"] == {"age": "13"} and actions[1].detail["value"] == 25


def test_a_breakdown_without_a_total_counts_as_its_sum(letter, researcher, campaign):
    enter(letter, researcher, dimensions={"age": "12"}, value=3)
    enter(letter, researcher, dimensions={"age": "13"}, value=4)
    assert kent(campaign)["value"] == 7


def test_the_sources_say_who_entered_a_figure_and_where_it_is(letter, researcher, campaign):
    enter(letter, researcher, value=40)
    (source,) = rollups.figure_sources(campaign, period="2018-19", force="kent")
    assert (source.origin, source.entered_by, source.source) == ("entered", researcher, WHERE)
    researcher.is_staff = True
    researcher.save()
    client = signed_in(researcher)
    page = client.get(reverse("dashboard-sources", args=["hand"]), {"period": "2018-19"})
    day = timezone.localtime(source.entered_at)
    assert f"entered by rita on {day:%-d %b %Y}: {WHERE}" in page.content.decode()
    csv_text = client.get(reverse("dashboard-export-csv", args=["hand"])).content.decode()
    day = timezone.localtime(source.entered_at)
    assert f'entered by rita on {day:%Y-%m-%d},"{WHERE}"' in csv_text


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"period": "2030-31", "value": 1}, "period", "'2030-31' is not a period of this campaign"),
        ({"period": "soon", "value": 1}, "period", "'soon' is not a period of this campaign"),
        ({"dimensions": {"colour": "red"}, "value": 1}, "dimensions", "No dimension 'colour'"),
        ({"dimensions": {"age": "fourteen"}, "value": 1}, "age", "'fourteen' is not an age"),
        ({"dimensions": {"age": "25"}, "value": 1}, "age", "'25' is over 17"),
        ({"dimensions": {"offence": "Nope"}, "value": 1}, "offence", "No offence 'Nope'"),
        ({"value": -1}, "value", "A figure cannot be below 0."),
        ({"value": 2**31}, "value", "2,147,483,648 is not a count of crimes."),
        ({"lower": 5, "upper": 2}, "upper", "The range 5 to 2 runs backwards."),
        ({}, "value", "Give the figure (12), or a range"),
        ({"value": 3, "lower": 1, "upper": 4}, "value", "not both"),
        ({"value": 3, "where": "  "}, "source", "Say where in the document the figure is"),
    ],
)
def test_it_refuses_a_figure_naming_the_field(letter, researcher, kwargs, field, message):
    kwargs = {"period": "2018-19", **kwargs}
    with pytest.raises(ValidationError) as refused:
        enter(letter, researcher, **kwargs)
    (said,) = refused.value.message_dict[field]
    assert message in said
    assert not letter.observations.exists()
    assert not letter.reviews.filter(kind="enter_figure").exists()
    letter.refresh_from_db()
    assert letter.status == DocumentStatus.NEEDS_REVIEW


def test_it_refuses_the_same_figure_twice_and_parts_counted_twice(letter, researcher):
    enter(letter, researcher, dimensions={"age": "13"}, value=25)
    with pytest.raises(ValidationError) as twice:
        enter(letter, researcher, dimensions={"age": "13"}, value=26)
    assert twice.value.message_dict == {
        "period": [f"2018-19 age 13 is already entered (25, {WHERE}); remove it first."]
    }
    with pytest.raises(ValidationError) as crossed:
        enter(letter, researcher, dimensions={"age": "13", "offence": "Rape"}, value=5)
    assert "would count the same parts twice" in crossed.value.message_dict["dimensions"][0]
    enter(letter, researcher, dimensions={"offence": "Rape"}, value=5)  # another breakdown
    assert letter.observations.count() == 2


def test_a_parse_of_the_file_later_leaves_the_entered_figures_counting(
    letter, researcher, campaign
):
    enter(letter, researcher, value=40)
    services.document_reparse(document=letter, by=researcher)  # read at once (eager)
    letter.refresh_from_db()
    assert letter.status == DocumentStatus.APPROVED
    assert letter.status_reason.startswith("Figures entered by hand.")
    assert list(letter.observations.values_list("origin", "value")) == [("entered", 40)]
    assert kent(campaign)["value"] == 40


def test_a_figure_entered_while_a_file_is_read_stays_and_counts_with_the_reading(
    campaign, researcher, monkeypatch
):
    request = campaign.requests.get(force__slug="kent")
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", PERIODS))
    document, _ = services.document_upload(
        request=request, name="kent.xlsx", content=content, by=researcher
    )
    services.document_reparse(document=document, by=researcher)  # on_commit at once: read
    Document.objects.filter(pk=document.pk).update(status=DocumentStatus.QUEUED)
    while_reading(
        monkeypatch,
        lambda: enter(document, researcher, "2017-18", dimensions={"offence": "Rape"}, value=9),
    )
    assert services.document_parse(document_id=document.pk) == DocumentStatus.PARSED
    entered = document.observations.get(origin="entered")
    assert (entered.value, entered.entered_by) == (9, researcher)
    offences = rollups.campaign_rollup(campaign)["dimensions"]["offence"]["2017-18"]
    assert offences["Rape"]["value"] == 9
    read_total = sum(demo.figures("kent", PERIODS)["2017-18"].values())
    assert kent(campaign, "2017-18")["value"] == read_total  # the file's own total still counts


def test_a_figure_on_a_document_awaiting_review_counts_once_it_is_approved(campaign, researcher):
    request = campaign.requests.get(force__slug="kent")
    content = demo.offences_long_csv("kent", PERIODS, odd_label="Something odd")
    document, _ = services.document_upload(
        request=request, name="kent.csv", content=content, by=researcher
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.NEEDS_REVIEW
    enter(document, researcher, value=500)
    document.refresh_from_db()
    assert document.status == DocumentStatus.NEEDS_REVIEW  # its read figures still await review
    assert "kent" not in rollups.campaign_rollup(campaign)["by_force"]
    services.document_approve(document=document, by=researcher)
    assert kent(campaign)["value"] == 500  # a stated total: the figure the force gave


def test_removing_the_last_figure_sends_the_letter_back_to_review(letter, researcher, campaign):
    figure = enter(letter, researcher, value=40)
    services.document_remove_figure(figure=figure, by=researcher)
    letter.refresh_from_db()
    assert letter.status == DocumentStatus.NEEDS_REVIEW
    assert not letter.observations.exists()
    assert "kent" not in rollups.campaign_rollup(campaign)["by_force"]
    removed = letter.reviews.get(kind=ReviewAction.Kind.REMOVE_FIGURE)
    assert removed.by == researcher and removed.detail["value"] == 40
    assert letter.reviews.filter(kind=ReviewAction.Kind.ENTER_FIGURE).count() == 1  # kept


def test_a_read_figure_is_not_removed_as_one_entered(campaign, researcher):
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", PERIODS))
    document, _ = services.document_upload(
        request=campaign.requests.get(force__slug="kent"),
        name="kent.xlsx",
        content=content,
        by=researcher,
    )
    with pytest.raises(ValidationError) as refused:
        services.document_remove_figure(figure=document.observations.first(), by=researcher)
    assert list(refused.value.message_dict) == ["figure"]


def test_marking_no_data_removes_the_entered_figures_and_keeps_what_they_were(
    letter, researcher, campaign
):
    enter(letter, researcher, value=40)
    assert services.document_mark_no_data(document=letter, by=researcher, note="s12") == 1
    letter.refresh_from_db()
    assert letter.status == DocumentStatus.NO_DATA
    assert not letter.observations.exists() and not letter.figures.exists()
    assert "kent" not in rollups.campaign_rollup(campaign)["by_force"]
    (decision,) = letter.reviews.filter(kind=ReviewAction.Kind.NO_DATA)
    ((removed),) = decision.detail["removed"]
    assert (removed["period"], removed["value"], removed["source"]) == ("2018-19", 40, WHERE)


# The API.


def test_the_api_enters_lists_and_removes_figures(letter, researcher, campaign):
    api = token_client(researcher)
    url = f"/api/documents/{letter.pk}/figures/"
    made = api.post(
        url,
        {"period": "2018-19", "dimensions": {"age": "13"}, "value": 25, "source": WHERE},
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["period"], body["dimensions"], body["value"]) == ("2018-19", {"age": "13"}, 25)
    assert (body["source"], body["entered_by"]) == (WHERE, "rita")
    listed = api.get(url).json()
    assert [f["id"] for f in listed] == [body["id"]]
    observations = api.get(f"/api/documents/{letter.pk}/observations/").json()["results"]
    assert [(o["origin"], o["entered_by"], o["source"]) for o in observations] == [
        ("entered", "rita", WHERE)
    ]
    assert kent(campaign)["value"] == 25
    removed = api.post(
        f"/api/documents/{letter.pk}/remove-figure/", {"figure": body["id"]}, format="json"
    )
    assert removed.status_code == 200 and removed.json()["status"] == "needs_review"
    assert api.get(url).json() == []


def test_the_api_names_the_field_it_refuses(letter, researcher):
    response = token_client(researcher).post(
        f"/api/documents/{letter.pk}/figures/",
        {"period": "2018-19", "dimensions": {"age": "old"}, "value": 1, "source": WHERE},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"age": ["'old' is not an age (13, 0-10, 16+, unknown)."]}


def test_a_reader_lists_the_figures_and_enters_none(letter, reader, researcher):
    enter(letter, researcher, value=40)
    add_member(letter.request.campaign, reader, Role.READER)
    api = token_client(reader)
    assert [f["value"] for f in api.get(f"/api/documents/{letter.pk}/figures/").json()] == [40]
    made = api.post(
        f"/api/documents/{letter.pk}/figures/",
        {"period": "2017-18", "value": 1, "source": WHERE},
        format="json",
    )
    assert made.status_code == 403
    assert letter.observations.count() == 1


# The admin form on the document's page.


@pytest.fixture
def staff(researcher):
    researcher.is_staff = True
    researcher.save()
    return researcher


def test_the_document_page_enters_a_figure_and_shows_who_entered_it(letter, staff, campaign):
    client = signed_in(staff)
    page = client.get(reverse("admin:requests_app_document_change", args=[letter.pk]))
    body = page.content.decode()
    assert 'id="enter-figure-button"' in body and 'name="dimension-age"' in body
    url = reverse("admin:document_review", args=[letter.pk, "enter_figure"])
    response = client.post(
        url, {"period": "2018-19", "dimension-age": "13", "figure": "1,204", "source": WHERE}
    )
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == [f"Entered: 2018-19 age 13 = 1204 ({WHERE}); it counts."]
    assert kent(campaign)["value"] == 1204
    body = client.get(reverse("admin:requests_app_document_change", args=[letter.pk])).content
    assert "entered by rita" in body.decode()
    response = client.post(url, {"period": "2018-19", "figure": "0-4", "source": "p. 1"})
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Entered: 2018-19 total = 0 to 4 (p. 1); it counts."
    ]


def test_the_document_page_says_what_is_wrong_with_a_figure(letter, staff):
    url = reverse("admin:document_review", args=[letter.pk, "enter_figure"])
    response = signed_in(staff).post(url, {"period": "2018-19", "figure": "lots", "source": "p"})
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == ["'lots' is not a figure: 12, or a range such as 0-4 for a suppressed one."]
    assert not letter.observations.exists()


def test_a_reader_sees_the_figures_but_no_form(letter, researcher, reader):
    enter(letter, researcher, value=40)
    reader.is_staff = True
    reader.save()
    reader.groups.add(Group.objects.get(name="reader"))
    add_member(letter.request.campaign, reader, Role.READER)
    body = (
        signed_in(reader)
        .get(reverse("admin:requests_app_document_change", args=[letter.pk]))
        .content.decode()
    )
    assert "entered by rita" in body and 'id="enter-figure-button"' not in body


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_figure_entered_while_the_worker_reads_the_file_stays_and_counts(
    celery_worker_process, researcher
):
    campaign = make_campaign(researcher, slug="busy", forces=["kent"], periods=PERIODS)
    request_services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    document, _ = services.document_upload(
        request=campaign.requests.get(),
        name="records.csv",
        content=big_record_list(),
        by=researcher,
    )
    wait_until(lambda: status_of(document) == DocumentStatus.PARSING, timeout=60, interval=0.05)
    enter(document, researcher, "2018-19", value=77)  # the list has no 2018-19 crimes
    wait_until(lambda: settled(document), timeout=120, interval=0.2)
    final = Document.objects.get(pk=document.pk)
    assert final.status == DocumentStatus.NEEDS_REVIEW  # two partial years, as the engine says
    assert final.observations.filter(origin="read").exists()
    (entered,) = final.observations.filter(origin="entered")
    assert (entered.value, entered.entered_by, entered.source) == (77, researcher, WHERE)
    services.document_approve(document=final, by=researcher)
    assert kent(campaign)["value"] == 77
    assert kent(campaign, "2017-18")["value"] > 0  # the list's own figures count beside it


def test_the_review_queue_sends_a_letter_to_its_figures_by_hand(letter, staff):
    body = signed_in(staff).get(reverse("review-queue", args=["hand"])).content.decode()
    page = reverse("admin:requests_app_document_change", args=[letter.pk])
    assert f'href="{page}#figures-by-hand">Enter Kent\'s figures by hand</a>' in body
