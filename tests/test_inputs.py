"""Input that can never be served is a 400 saying what and where, never a 500: NUL characters on
every input path, JSON nested without end, bodies and fields past their bounds."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from aggregation import demo
from aggregation import services as document_services
from aggregation.models import Alias, Term
from requests_app import services
from requests_app.models import Campaign, Document, FOIRequest, RequestEvent
from tests.factories import make_campaign, sent_request

pytestmark = pytest.mark.django_db

NUL = "NUL character (\\x00)"
NEW_CAMPAIGN = {
    "title": "Online offences",
    "slug": "online",
    "request_text": "How many?",
    "periods": ["2017-18", "2018-19"],
}


@pytest.fixture
def api(researcher) -> APIClient:
    # Server errors come back as 500 responses, as a deployed server gives them.
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(researcher)
    return client


@pytest.fixture
def staff(researcher) -> Client:
    researcher.is_staff = researcher.is_superuser = True
    researcher.save()
    client = Client(raise_request_exception=False)
    client.force_login(researcher)
    return client


def post_json(client, url: str, body: object | str):
    text = body if isinstance(body, str) else json.dumps(body)
    return client.generic("POST", url, text, content_type="application/json")


def refused_saying(response, *words: str) -> str:
    """The 400's message (a JSON body's strings, joined), holding every one of `words`."""
    assert response.status_code == 400, (response.status_code, response.content[:300])
    if response["Content-Type"].startswith("application/json"):
        text = " ".join(_strings(response.json()))
    else:
        text = response.content.decode()
    for word in words:
        assert word in text, text
    return text


def _strings(data: object):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict | list):
        for item in data.values() if isinstance(data, dict) else data:
            yield from _strings(item)


def uploaded(request: FOIRequest) -> Document:
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("k", ["2017-18", "2018-19"]))
    document, _ = document_services.document_upload(
        request=request, name="kent.xlsx", content=content, by=None
    )
    return document


# NUL characters, on every input path


@pytest.mark.parametrize("path", ["/api/campaigns/%00/", "/api/forces/%00/", "/api/events/%00/"])
def test_a_nul_in_the_url_path_is_a_400_in_json(api, path):
    response = api.get(path)
    refused_saying(response, "URL path", NUL)
    assert response["Content-Type"] == "application/json"


def test_a_nul_in_a_query_parameter_is_a_400_naming_it(api, staff, researcher):
    make_campaign(researcher, slug="demo")
    text = refused_saying(staff.get("/admin/dashboard/demo/sources/?force=%00"), NUL)
    assert text.startswith("The query parameter 'force' contains")
    refused_saying(staff.get("/admin/requests_app/campaign/?q=a%00b"), "'q'", NUL)
    refused_saying(api.get("/api/requests/?campaign=%00"), "'campaign'", NUL)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_CAMPAIGN, "target_forces": ["\u0000"]}, "'target_forces[0]'"),
        ({**NEW_CAMPAIGN, "title": "A\u0000B"}, "'title'"),
        ({**NEW_CAMPAIGN, "periods": ["2017-18", "\u0000"]}, "'periods[1]'"),
    ],
)
def test_a_nul_escaped_in_a_json_body_is_a_400_naming_the_field(api, body, field):
    refused_saying(post_json(api, "/api/campaigns/", body), field, NUL)
    assert not Campaign.objects.exists()


def test_a_nul_in_a_refusals_exemptions_is_a_400(api, researcher):
    request = sent_request(researcher)
    body = {"request": request.pk, "kind": "refused", "occurred_on": "2024-03-05"}
    response = post_json(api, "/api/events/", {**body, "exemptions": ["\u0000"]})
    refused_saying(response, "'exemptions[0]'", NUL)
    assert request.events.count() == 1


def test_a_nul_in_a_json_key_or_a_lone_surrogate_is_a_400(api):
    refused_saying(post_json(api, "/api/campaigns/", '{"ti\\u0000tle": "x"}'), "key", NUL)
    response = post_json(api, "/api/campaigns/", '{"title": "\\ud800"}')
    refused_saying(response, "'title'", "lone surrogate")


def test_a_nul_in_a_form_field_is_a_400_on_the_api_and_in_the_admin(api, staff, researcher):
    response = api.post("/api/campaigns/", {**NEW_CAMPAIGN, "title": "A\x00B"}, format="multipart")
    refused_saying(response, "form field 'title'", NUL)
    campaign = make_campaign(researcher, slug="x", forces=["kent"])
    # The API reads a PATCH's form itself; Django reads only a POST's.
    response = api.generic(
        "PATCH", "/api/campaigns/x/", "title=A%00B", "application/x-www-form-urlencoded"
    )
    refused_saying(response, "form field 'title'", NUL)
    changelist = reverse("admin:requests_app_campaign_changelist")
    response = staff.post(
        changelist, {"action": "send_campaigns", "_selected_action": [f"{campaign.pk}\x00"]}
    )
    refused_saying(response, "form field '_selected_action'", NUL)
    assert not campaign.requests.exists()


def test_a_nul_in_a_header_is_a_400(researcher):
    token = Token.objects.create(user=researcher).key
    response = Client().get("/api/forces/", HTTP_AUTHORIZATION=f"Token {token[:-1]}\x00")
    refused_saying(response, "header 'Authorization'", NUL)


def test_an_uploaded_file_may_hold_nul_bytes_but_not_the_form_around_it(api, researcher):
    request = sent_request(researcher)
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("k", ["2017-18", "2018-19"]))
    assert b"\x00" in content  # a zip, like every xlsx
    url = f"/api/documents/upload/{request.pk}/"
    response = api.post(url, {"file": _file("kent.xlsx", content)}, format="multipart")
    assert response.status_code == 202, response.content
    other = demo.ages_by_year_xlsx("Kent Police", demo.figures("j", ["2018-19"]))
    response = api.post(
        url, {"file": _file("other.xlsx", other), "note": "a\x00"}, format="multipart"
    )
    refused_saying(response, "form field 'note'", NUL)
    assert request.documents.count() == 1


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# Nesting and size


@pytest.mark.parametrize("depth", [100_000, 1_000, 33])
def test_json_nested_past_the_bound_is_a_400(api, depth):
    response = post_json(api, "/api/campaigns/", "[" * depth + "]" * depth)
    refused_saying(response, "nested more than 32 levels deep")
    unclosed = post_json(api, "/api/campaigns/", '{"title": ' + "[" * depth)
    assert unclosed.status_code == 400


def test_json_within_the_depth_bound_reaches_the_serializer(api):
    nested = json.loads("[" * 30 + "]" * 30)
    response = post_json(api, "/api/campaigns/", {**NEW_CAMPAIGN, "target_forces": nested})
    assert response.status_code == 400
    assert "target_forces" in response.json()


def test_a_body_over_the_limit_is_a_400_before_it_is_read(api, settings):
    body = json.dumps({**NEW_CAMPAIGN, "request_text": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    refused_saying(post_json(api, "/api/campaigns/", body), "over the 1,048,576 allowed")
    assert not Campaign.objects.exists()


def test_a_list_of_forces_past_the_bound_is_refused_before_any_is_looked_up(
    api, django_assert_max_num_queries
):
    body = {**NEW_CAMPAIGN, "target_forces": ["kent"] * 5_000}
    with django_assert_max_num_queries(5):
        response = post_json(api, "/api/campaigns/", body)
    assert response.status_code == 400
    assert response.json()["target_forces"] == ["At most 100 items; 5000 were given."]


# Bounded text: labels, notes, references, request text


@pytest.fixture
def document(researcher, on_commit_at_once) -> Document:
    return uploaded(sent_request(researcher, force="kent"))


def test_a_megabyte_label_in_map_label_is_a_400_naming_the_label(api, document):
    term = Term.objects.get(name="Sexual grooming", dimension__campaign=document.request.campaign)
    url = f"/api/documents/{document.pk}/map-label/"
    response = post_json(api, url, {"label": "x" * 1_000_000, "term": term.pk})
    assert response.status_code == 400
    assert "label" in response.json()
    assert not Alias.objects.filter(alias__startswith="xxx").exists()


def test_the_services_refuse_an_over_long_label_or_note_for_every_caller(document, researcher):
    term = Term.objects.get(name="Sexual grooming", dimension__campaign=document.request.campaign)
    with pytest.raises(ValidationError) as label:
        document_services.document_map_label(
            document=document, label="x" * 301, term=term, by=researcher
        )
    assert label.value.message_dict == {
        "label": ["301 characters is too long: at most 300 are kept."]
    }
    for decide in (document_services.document_mark_no_data, document_services.document_approve):
        with pytest.raises(ValidationError) as note:
            decide(document=document, by=researcher, note="n" * 10_001)
        assert list(note.value.message_dict) == ["note"]
    assert not document.reviews.exists()


def test_an_over_long_label_in_the_admin_review_is_said_and_nothing_changes(staff, document):
    url = reverse("document-grid", args=[document.pk])
    data = {"action": "map_label", "dimension": "offence", "label": "x" * 301, "to": "Rape"}
    response = staff.post(url, data, follow=True)
    assert response.status_code == 200
    assert "301 characters is too long: at most 300 are kept" in response.content.decode()
    assert not document.reviews.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"note": "n" * 10_001}, "note"), ({"reference": "r" * 101}, "reference")],
)
def test_an_over_long_note_or_reference_on_an_event_is_a_400_naming_it(
    api, researcher, extra, field
):
    request = sent_request(researcher)
    body = {"request": request.pk, "kind": "acknowledged", "occurred_on": "2024-03-04", **extra}
    response = post_json(api, "/api/events/", body)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    with pytest.raises(ValidationError) as refused:
        services.foi_request_acknowledge(request=request, by=researcher, **extra)
    assert list(refused.value.message_dict) == [field]
    assert request.events.count() == 1


def test_a_request_keeps_at_most_twenty_references(researcher):
    request = sent_request(researcher, on=date(2024, 3, 1))
    FOIRequest.objects.filter(pk=request.pk).update(references=[f"R{i}" for i in range(20)])
    with pytest.raises(ValidationError) as refused:
        services.foi_request_acknowledge(request=request, by=researcher, reference="R20")
    assert refused.value.message_dict == {
        "reference": ["21 references: a request keeps at most 20."]
    }
    assert not RequestEvent.objects.filter(kind="acknowledged").exists()


def test_an_over_long_request_text_is_a_400_on_the_api_and_an_error_in_the_admin(api, staff):
    response = post_json(api, "/api/campaigns/", {**NEW_CAMPAIGN, "request_text": "q" * 20_001})
    assert response.status_code == 400
    assert list(response.json()) == ["request_text"]
    owner = User.objects.get(username="rita")
    page = staff.post(
        reverse("admin:requests_app_campaign_add"),
        {**NEW_CAMPAIGN, "owner": owner.pk, "periods": "2017-18", "request_text": "q" * 20_001},
    )
    assert page.status_code == 200  # the form again, with its error
    assert "at most 20000 characters" in page.content.decode()
    assert not Campaign.objects.exists()


def test_an_over_long_reference_in_the_admin_is_a_form_error(staff, researcher):
    request = sent_request(researcher)
    url = reverse("admin:requests_app_foirequest_change", args=[request.pk])
    data = {
        "references": "r" * 101,
        **{f"{p}-{k}": v for p in ("events", "documents") for k, v in FORMSET.items()},
    }
    page = staff.post(url, data)
    assert page.status_code == 200
    assert "A reference of 101 characters is too long" in page.content.decode()
    request.refresh_from_db()
    assert request.references == []


FORMSET = {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0", "MIN_NUM_FORMS": "0", "MAX_NUM_FORMS": "1000"}
