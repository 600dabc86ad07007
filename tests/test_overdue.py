"""The daily beat task: lateness marked, one digest per campaign owner."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User

from foitrack.celery import app as celery_app
from requests_app import services, tasks
from requests_app.models import FOIRequest, Lateness
from tests.conftest import wait_until
from tests.factories import make_campaign, sent_request


def test_the_beat_schedule_runs_mark_overdue_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["mark-overdue-daily"]
    assert entry["task"] == tasks.mark_overdue.name
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"].hour == {7}


@pytest.mark.django_db
def test_each_owner_gets_one_digest_of_all_their_late_requests(researcher, mailoutbox):
    other = User.objects.create_user("olu", email="olu@example.org")
    for slug in ("a", "b"):
        services.campaign_record_sent(
            campaign=make_campaign(researcher, slug=slug, forces=["kent", "essex"]),
            by=researcher,
            on=date(2024, 1, 2),
        )
    services.campaign_record_sent(
        campaign=make_campaign(other, slug="c", forces=["surrey"]), by=other, on=date(2024, 1, 2)
    )
    with time_machine.travel(date(2024, 2, 15)):
        assert tasks.mark_overdue() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["olu@example.org", "rita@example.org"]
    rita = next(m for m in mailoutbox if m.to == ["rita@example.org"])
    assert rita.body.count("Kent Police") == 2
    assert "Campaign a" in rita.body and "Campaign b" in rita.body
    assert FOIRequest.objects.filter(lateness=Lateness.OVERDUE).count() == 5


@pytest.mark.django_db
def test_no_digest_when_nothing_is_late(researcher, mailoutbox):
    sent_request(researcher, on=date(2024, 1, 2))
    with time_machine.travel(date(2024, 1, 10)):
        assert tasks.mark_overdue() == 0
    assert mailoutbox == []


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_the_overdue_task(celery_worker_process, researcher):
    request = sent_request(researcher, on=date(2024, 1, 2))
    # As it stood before today's run: only the worker's task can mark it now.
    FOIRequest.objects.filter(pk=request.pk).update(lateness=Lateness.ON_TIME)
    tasks.mark_overdue.delay()
    wait_until(
        lambda: FOIRequest.objects.get(pk=request.pk).lateness == Lateness.VERY_OVERDUE,
        timeout=30,
    )
    mails = wait_until(lambda: list(celery_worker_process.mail_dir.glob("*.log")), timeout=10)
    assert "Hampshire" in mails[0].read_text()
