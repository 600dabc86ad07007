"""Schemathesis against /api/schema/, in process through the WSGI app, as two roles.

For every operation the schema documents, generated requests (valid and invalid) must never get a
5xx, a response that breaks the schema, or anything but a refusal across roles: a reader's writes
are all 403 and write nothing; a request without credentials is always 401/403.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
import schemathesis
from django.apps import apps
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    status_code_conformance,
)

from aggregation import demo
from aggregation import services as document_services
from foitrack.wsgi import application
from requests_app import replies, services
from tests.factories import add_member, make_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def served_schema() -> dict:
    """The schema /api/schema/ serves a signed-in user, built as its view builds it: anonymous
    users get nothing, and no user exists yet while this module is collected."""
    built = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(built))


schema = schemathesis.openapi.from_dict(served_schema())
schema.app = application  # generated requests go through the real WSGI app, in process

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,  # nothing written to .hypothesis/ in the project
    suppress_health_check=[
        # One database world per operation, shared by its examples, is what we want.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
# drf-spectacular documents the success response of each operation, not the 400/403/404 every
# DRF view may answer, so "undocumented status code" is not a finding here; and a payload that
# fits the schema may still be refused by the rules of the lifecycle (400 naming the reason).
# The check for ignored authentication sees our valid token beside a generated session cookie
# and counts the 200 as "invalid auth accepted"; requests without credentials are tested below.
# DRF and django-filter are lenient by design: an empty or unreadable filter (`?kind=`,
# `?overdue=null`) means "no filter", and a garbled multipart body on an operation whose fields
# are all optional reads as empty. Schemathesis calls that "schema-violating request accepted";
# it is leniency, not a fault, so invalid data is still generated (to hunt 5xx) but not required
# to be refused.
# Schemathesis adds its "coverage" cases (boundary values of every parameter, hundreds per
# operation) as explicit examples. The researcher gets them all; the refusal checks, where any
# request will do, get the random generation only, to keep the module near two minutes.
RANDOM_ONLY = settings(FUZZ, phases=[Phase.generate])
NOT_FINDINGS = [
    status_code_conformance,
    positive_data_acceptance,
    ignored_auth,
    negative_data_rejection,
]
SAFE = {"GET", "HEAD", "OPTIONS"}

# Real identifiers, filled in by the `world` fixture, so that generated requests reach real rows
# (half the time) rather than only 404s.
KNOWN: dict[str, object] = {}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not KNOWN or not path_parameters:
        return st.just(path_parameters)
    path = context.operation.path
    real = dict(path_parameters)
    for name in path_parameters:
        if name == "slug":
            real[name] = KNOWN["force"] if path.startswith("/api/forces/") else KNOWN["campaign"]
        elif name == "request_id":
            real[name] = KNOWN["request"]
        elif name == "id":
            real[name] = KNOWN[path.split("/")[2]]
    return st.sampled_from([path_parameters, real])


@pytest.fixture(autouse=True)
def _wsgi_requests_keep_the_test_transaction():
    """The real WSGI handler closes old connections around each request; inside the test's
    transaction that would poison it. Django's own test client disconnects the same signals."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(researcher, reader):
    from django.db import transaction

    campaign = make_campaign(researcher, slug="sent", forces=["kent", "essex"])
    add_member(campaign, reader)  # the reader reads this campaign; others are tested elsewhere
    services.campaign_record_sent(campaign=campaign, by=researcher, on=date(2024, 3, 1))
    request = campaign.requests.get(force__slug="kent")
    content = demo.ages_by_year_xlsx("Kent Police", demo.figures("kent", ["2017-18", "2018-19"]))
    with pytest.MonkeyPatch.context() as patch:
        # Parse this one document now; later uploads and re-parses stay queued (the test's
        # transaction never commits), which keeps the fuzzing quick.
        patch.setattr(transaction, "on_commit", lambda fn, using=None, robust=False: fn())
        document, _ = document_services.document_upload(
            request=request, name="kent.xlsx", content=content, by=researcher
        )
    raw = b"From: foi@kent.police.uk\r\nSubject: Received\r\n\r\nWe have received your request.\r\n"
    reply, _ = replies.reply_receive(raw=raw, source="test")
    KNOWN.update(
        replies=reply.pk,
        force="kent",
        campaign=campaign.slug,
        request=request.pk,
        requests=request.pk,
        events=request.events.first().pk,
        documents=document.pk,
    )
    yield {
        "researcher": {"Authorization": f"Token {Token.objects.create(user=researcher).key}"},
        "reader": {"Authorization": f"Token {Token.objects.create(user=reader).key}"},
    }
    KNOWN.clear()


def refused(case, response, codes=(403,)) -> bool:
    """Refused, or never reached the view: a generated path Django cannot route, or one that
    routes as a `.<format>` suffix DRF does not know (`/api/events/0.5/`), is a plain 404; a
    path, query or header holding a NUL is a 400 from requests_app.inputs, whoever asks."""
    if response.status_code in codes:
        return True
    if response.status_code == 400 and "never valid input" in response.json().get("detail", ""):
        return True
    try:
        match = resolve(case.formatted_path)
    except Resolver404:
        return response.status_code == 404
    return response.status_code == 404 and "format" in match.kwargs


def snapshot() -> dict[str, list[dict]]:
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for config in (apps.get_app_config("requests_app"), apps.get_app_config("aggregation"))
        for model in config.get_models()
    }


def test_the_schema_documents_every_part_of_the_api():
    paths = set(schema.raw_schema["paths"])
    for expected in ("/api/campaigns/{slug}/send/", "/api/events/", "/api/documents/{id}/approve/"):
        assert expected in paths
    assert {"tokenAuth", "cookieAuth"} <= set(schema.raw_schema["components"]["securitySchemes"])


@schema.parametrize()
@FUZZ
def test_a_researcher_gets_no_server_error_and_no_response_that_breaks_the_schema(case, world):
    cache.clear()  # the fuzzing would otherwise run into the API's own rate limit
    case.call_and_validate(headers=world["researcher"], excluded_checks=NOT_FINDINGS)


@schema.parametrize()
@RANDOM_ONLY
def test_a_reader_reads_within_the_schema_and_every_write_is_refused(case, world):
    cache.clear()
    if case.method.upper() in SAFE:
        case.call_and_validate(headers=world["reader"], excluded_checks=NOT_FINDINGS)
        return
    before = snapshot()
    response = case.call(headers=world["reader"])
    case.validate_response(response, checks=[not_a_server_error])
    assert refused(case, response), (case.method, case.formatted_path, response.text[:300])
    assert snapshot() == before


@schema.parametrize()
@settings(RANDOM_ONLY, max_examples=10)
def test_a_request_without_credentials_is_refused(case, world):
    cache.clear()
    before = snapshot()
    response = case.call()
    assert refused(case, response, (401, 403)), (case.method, case.formatted_path)
    assert snapshot() == before
