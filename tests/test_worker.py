"""The pipeline against the real broker and a real worker process: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import random
import signal
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from aggregation import demo, services
from aggregation.extraction.engine import extract
from aggregation.models import Observation
from requests_app.models import Document, DocumentStatus
from tests.conftest import wait_until
from tests.factories import sent_request

# Worker tests commit for real; serialized rollback restores the seeded forces and vocabulary.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OFFENCES = [
    "Sexual grooming",
    "Rape of a female child under 13",
    "Sexual communication with a child",
]


def big_record_list(rows: int = 400_000) -> bytes:
    """A record list large enough that its parse takes seconds (about 20 MB of CSV)."""
    rng = random.Random(7)
    lines = ["Crime Reference,Recorded Date,Offence,Age of Victim,Online Flag"]
    for i in range(rows):
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.choice((2016, 2017))
        lines.append(
            f"CR{i},{day:02d}/{month:02d}/{year},{rng.choice(OFFENCES)},"
            f"{rng.randint(5, 17)},{rng.choice('YN')}"
        )
    return "\r\n".join(lines).encode()


def status_of(document: Document) -> str:
    return Document.objects.get(pk=document.pk).status


def settled(document: Document) -> bool:
    return status_of(document) not in (DocumentStatus.QUEUED, DocumentStatus.PARSING)


def observation_keys(document: Document, *fields: str) -> list[tuple]:
    """Each observation of the document as (period, its dimensions as sorted pairs, *fields)."""
    return [
        (o.period, tuple(sorted(o.dimensions.items())), *(getattr(o, f) for f in fields))
        for o in Observation.objects.filter(document=document)
    ]


def upload(request, name: str, content: bytes) -> Document:
    document, _ = services.document_upload(request=request, name=name, content=content, by=None)
    return document


def test_an_upload_is_parsed_by_the_worker(celery_worker_process, researcher):
    request = sent_request(researcher, force="kent")
    data = demo.figures("kent", ["2017-18", "2018-19"])
    document = upload(request, "kent.xlsx", demo.ages_by_year_xlsx("Kent Police", data))
    assert status_of(document) == DocumentStatus.QUEUED  # queued after commit, parsed elsewhere
    wait_until(lambda: settled(document), timeout=60)
    assert status_of(document) == DocumentStatus.PARSED
    total = Observation.objects.get(document=document, period="2018-19", shape="", derived=True)
    assert total.value == sum(data["2018-19"].values())


def pool_children(worker_pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(worker_pid)], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]


def test_killing_the_pool_process_mid_parse_ends_parsed_once(celery_worker_process, researcher):
    request = sent_request(researcher, force="kent")
    content = big_record_list()
    document = upload(request, "records.csv", content)
    wait_until(lambda: status_of(document) == DocumentStatus.PARSING, timeout=60, interval=0.05)
    (child,) = pool_children(celery_worker_process.proc.pid)
    os.kill(child, signal.SIGKILL)
    wait_until(lambda: settled(document), timeout=120)
    final = Document.objects.get(pk=document.pk)
    assert final.status == DocumentStatus.NEEDS_REVIEW  # two partial years, as the engine says
    assert final.attempts == 2
    # Exactly one reading's worth of observations: no duplicates from the killed attempt.
    reread = extract(content, services.selectors.campaign_vocabulary(request.campaign))
    assert Observation.objects.filter(document=document).count() == len(reread.observations)
    keys = observation_keys(document)
    assert len(keys) == len(set(keys))


def test_an_upload_while_the_broker_is_down_is_parsed_after_it_returns(
    celery_worker_process, researcher
):
    request = sent_request(researcher, force="kent")
    data = demo.figures("kent", ["2017-18", "2018-19"])
    celery_worker_process.redis.stop()
    document = upload(request, "kent.xlsx", demo.ages_by_year_xlsx("Kent Police", data))
    assert status_of(document) == DocumentStatus.QUEUED  # kept, not lost
    celery_worker_process.redis.start()  # appendonly: whatever it held is back
    Document.objects.filter(pk=document.pk).update(
        status_changed_at=timezone.now() - timedelta(hours=1)
    )
    assert services.sweep_stuck_documents() == [document.pk]
    wait_until(lambda: settled(document), timeout=90)
    assert status_of(document) == DocumentStatus.PARSED
    assert Observation.objects.filter(document=document, derived=False).count() == 36


def test_a_parse_over_the_time_limit_ends_failed_and_the_worker_survives(
    celery_worker_process, researcher, settings
):
    settings.PARSE_TIME_LIMIT_SECONDS = 1
    request = sent_request(researcher, force="kent")
    slow = upload(request, "records.csv", big_record_list())
    wait_until(lambda: settled(slow), timeout=60)
    final = Document.objects.get(pk=slow.pk)
    assert final.status == DocumentStatus.FAILED, celery_worker_process.output()[-3000:]
    assert "longer than the 1 s allowed" in final.status_reason
    assert not Observation.objects.filter(document=slow).exists()
    # The same worker goes on serving.
    small = upload(
        request, "kent.xlsx", demo.ages_by_year_xlsx("Kent Police", demo.figures("k", ["2018-19"]))
    )
    wait_until(lambda: settled(small), timeout=60)
    assert status_of(small) == DocumentStatus.PARSED
    assert celery_worker_process.proc.poll() is None
