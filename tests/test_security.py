"""CSRF on session writes, throttled logins (django-axes) and a throttled API."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as project_settings
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from requests_app.models import Campaign
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db

NEW_CAMPAIGN = {
    "title": "Online offences",
    "slug": "online",
    "request_text": "How many?",
    "periods": ["2017-18", "2018-19"],
}
PASSWORD = "pw-correct-horse-12345"


def csrf_token(client, page: str | None = None) -> str:
    """The token a browser would hold: the cookie set by any page with a form."""
    assert client.get(page or reverse("admin:login")).status_code == 200
    return client.cookies["csrftoken"].value


# CSRF


def test_a_session_write_to_the_api_without_the_csrf_token_is_refused(researcher):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(researcher)
    response = client.post("/api/campaigns/", NEW_CAMPAIGN, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Campaign.objects.exists()


def test_a_session_write_to_the_api_with_a_wrong_csrf_token_is_refused(researcher):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(researcher)
    csrf_token(client)
    response = client.post(
        "/api/campaigns/", NEW_CAMPAIGN, format="json", HTTP_X_CSRFTOKEN="x" * 32
    )
    assert response.status_code == 403
    assert not Campaign.objects.exists()


def test_a_session_write_to_the_api_with_the_csrf_token_works(researcher):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(researcher)
    token = csrf_token(client)
    response = client.post("/api/campaigns/", NEW_CAMPAIGN, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content
    assert Campaign.objects.get().owner == researcher


def test_a_session_read_needs_no_csrf_token(researcher):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(researcher)
    assert client.get("/api/campaigns/").status_code == 200


def test_token_authentication_needs_no_csrf_token(researcher):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=researcher).key}")
    response = client.post("/api/campaigns/", NEW_CAMPAIGN, format="json")
    assert response.status_code == 201, response.content


@pytest.fixture
def researcher_staff(researcher) -> User:
    researcher.is_staff = True
    researcher.save()
    return researcher


def test_an_admin_action_without_the_csrf_token_is_refused(researcher_staff):
    campaign = make_campaign(researcher_staff, slug="x", forces=["kent", "essex"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher_staff)
    url = reverse("admin:requests_app_campaign_changelist")
    response = client.post(url, {"action": "send_campaigns", "_selected_action": [campaign.pk]})
    assert response.status_code == 403
    assert campaign.requests.count() == 0


def test_an_admin_action_with_the_csrf_token_works(researcher_staff):
    campaign = make_campaign(researcher_staff, slug="x", forces=["kent", "essex"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher_staff)
    url = reverse("admin:requests_app_campaign_changelist")
    token = csrf_token(client, url)
    data = {"action": "send_campaigns", "_selected_action": [campaign.pk]}
    response = client.post(url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert campaign.requests.count() == 2


def test_the_admin_login_itself_needs_the_csrf_token(researcher_staff):
    researcher_staff.set_password(PASSWORD)
    researcher_staff.save()
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("admin:login"), {"username": "rita", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


# Login throttling (django-axes on the admin login page)


@pytest.fixture
def staff_user(db) -> User:
    user = User.objects.create_user("sam", "sam@example.org", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="reader"))
    return user


def log_in(client: Client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def fail_five_times(client: Client, username: str = "sam", ip: str = "203.0.113.7") -> None:
    for _ in range(5):
        response = log_in(client, username, "wrong-password", ip)
        assert response.status_code in (200, 429)
        assert signed_in_as(client) is None


def test_the_right_password_signs_in(staff_user):
    client = Client()
    response = log_in(client, "sam", PASSWORD)
    assert response.status_code == 302
    assert signed_in_as(client) == str(staff_user.pk)


def test_after_five_failures_the_right_password_is_refused(staff_user):
    client = Client()
    fail_five_times(client)
    response = log_in(client, "sam", PASSWORD)
    assert response.status_code == 429
    assert signed_in_as(client) is None


def test_four_failures_do_not_lock_the_account(staff_user):
    client = Client()
    for _ in range(4):
        log_in(client, "sam", "wrong-password")
    assert log_in(client, "sam", PASSWORD).status_code == 302
    assert signed_in_as(client) == str(staff_user.pk)


def test_the_lockout_ends_after_fifteen_minutes(staff_user):
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail_five_times(client)
        clock.shift(timedelta(minutes=14))
        assert log_in(client, "sam", PASSWORD).status_code == 429
        # An attempt while locked out starts the fifteen minutes again.
        clock.shift(timedelta(minutes=14))
        assert log_in(client, "sam", PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=16))
        assert log_in(client, "sam", PASSWORD).status_code == 302
    assert signed_in_as(client) == str(staff_user.pk)


def test_the_lock_is_on_the_username_from_that_address_only(staff_user):
    other = User.objects.create_user("tess", "tess@example.org", PASSWORD, is_staff=True)
    fail_five_times(Client())
    # Another user at the same address, and the same user elsewhere, still get in.
    elsewhere = Client()
    assert log_in(elsewhere, "sam", PASSWORD, ip="198.51.100.2").status_code == 302
    colleague = Client()
    assert log_in(colleague, "tess", PASSWORD).status_code == 302
    assert signed_in_as(colleague) == str(other.pk)


def test_authentication_without_a_request_is_refused_by_axes(staff_user):
    from axes.exceptions import AxesBackendRequestParameterRequired
    from django.contrib.auth import authenticate

    with pytest.raises(AxesBackendRequestParameterRequired):
        authenticate(username="sam", password=PASSWORD)


def test_axes_is_wired_as_it_requires():
    assert project_settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert project_settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert project_settings.AXES_FAILURE_LIMIT == 5
    cooloff = project_settings.AXES_COOLOFF_TIME
    assert cooloff == timedelta(minutes=15)
    assert project_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


# Content-Security-Policy


@pytest.mark.parametrize(
    "path",
    [
        "/admin/login/",
        "/admin/",
        "/admin/dashboard/x/",
        "/api/forces/",
        "/api/schema/",
        "/api/forces/%00/",  # refused by the input middleware
        "/no-such-page/",
    ],
)
def test_every_response_carries_the_content_security_policy(researcher_staff, path):
    make_campaign(researcher_staff, slug="x", forces=["kent"])
    client = Client()
    client.force_login(researcher_staff)
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


# The API's schema


def test_anonymous_users_get_no_schema():
    response = APIClient().get("/api/schema/")
    assert response.status_code in (401, 403)
    assert b"openapi" not in response.content


def test_a_signed_in_user_gets_the_schema(reader):
    client = APIClient()
    client.force_authenticate(reader)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/documents/{id}/map-label/" in response.json()["paths"]


# API throttling


def test_the_api_throttles_anonymous_and_signed_in_users():
    rest = project_settings.REST_FRAMEWORK
    assert "rest_framework.throttling.UserRateThrottle" in rest["DEFAULT_THROTTLE_CLASSES"]
    assert "rest_framework.throttling.AnonRateThrottle" in rest["DEFAULT_THROTTLE_CLASSES"]
    for scope in ("user", "anon"):
        requests, seconds = UserRateThrottle().parse_rate(rest["DEFAULT_THROTTLE_RATES"][scope])
        assert requests > 0 and seconds <= 3600


def test_a_user_over_the_rate_gets_429_with_retry_after(researcher, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute"})
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=researcher).key}")
    statuses = [client.get("/api/forces/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.post("/api/campaigns/", NEW_CAMPAIGN, format="json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert not Campaign.objects.exists()
