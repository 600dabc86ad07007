"""Faults under a real worker over Redis and PostgreSQL: nothing lost, nothing doubled.

The worker pool process killed mid-parse and the broker down at upload are in test_worker.py; here
the broker restarts with parses queued in it, and the database fails a parse midway: its connection
terminated or its statement cancelled while it reads, or its connection dropped before it stores.
Each ends in the state a clean parse gives, from exactly one more attempt, with one reading's worth
of observations.
"""

from __future__ import annotations

import re

import psutil
import pytest
import redis
from django.db import connection, transaction

from aggregation import demo, selectors
from aggregation.extraction.engine import extract
from requests_app.models import Document, DocumentStatus
from tests.conftest import wait_until
from tests.factories import sent_request
from tests.test_worker import (
    big_record_list,
    observation_keys,
    pool_children,
    settled,
    status_of,
    upload,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
# These record lists are read in about a second: the worker writes its progress every 50 ms, so
# that a progress write falls mid-read whatever the machine's speed.
PROGRESS_MID_READ = pytest.mark.worker(env={"PARSE_PROGRESS_MS": "50"})


def assert_one_reading(document: Document, content: bytes) -> None:
    """The document holds exactly the observations one parse of its bytes gives, none twice."""
    vocabulary = selectors.campaign_vocabulary(document.request.campaign, document.request.force)
    expected = extract(content, vocabulary).observations
    keys = observation_keys(document, "table")
    assert len(keys) == len(expected) > 0
    assert len(keys) == len(set(keys)), "an observation was stored twice"


def queued_in_broker(worker) -> int:
    with redis.Redis.from_url(worker.redis.url) as client:
        return client.llen(worker.queue)


def test_parses_queued_in_redis_survive_a_redis_restart_and_run_once(
    celery_worker_process, researcher
):
    worker = celery_worker_process
    request = sent_request(researcher, force="kent")
    worker.stop()  # nobody consumes: the parses wait in Redis
    files = {
        f"kent-{seed}.xlsx": demo.ages_by_year_xlsx(
            "Kent Police", demo.figures(seed, ["2017-18", "2018-19"])
        )
        for seed in ("a", "b", "c", "d")
    }
    documents = {name: upload(request, name, content) for name, content in files.items()}
    assert queued_in_broker(worker) == len(files)

    worker.redis.stop()
    worker.redis.start()  # appendonly: the queue is read back from the AOF
    assert queued_in_broker(worker) == len(files)

    worker.start_again()
    for document in documents.values():
        wait_until(lambda d=document: settled(d), timeout=60)
    for name, document in documents.items():
        final = Document.objects.get(pk=document.pk)
        assert (final.status, final.attempts) == (DocumentStatus.PARSED, 1), final.status_reason
        assert_one_reading(final, files[name])
    assert queued_in_broker(worker) == 0
    assert received(worker) == len(files)  # each delivered once, by the new worker
    assert worker.proc.poll() is None


def worker_backends(child_pid: int) -> dict[int, tuple[str, str]]:
    """PostgreSQL backends serving the worker's pool process, found by its client ports:
    pid -> (what it waits on, its current query)."""
    port = int(connection.settings_dict["PORT"] or 5432)
    ports = [
        c.laddr.port
        for c in psutil.Process(child_pid).net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port
    ]
    if not ports:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh activity inside a transaction
        cursor.execute(
            "SELECT pid, coalesce(wait_event_type, ''), query FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND client_port = ANY(%s)",
            [ports],
        )
        return {pid: (waits, query) for pid, waits, query in cursor.fetchall()}


def progress_writes_waiting(child_pid: int) -> dict[int, int]:
    """The worker's progress writes blocked on a lock: backend pid -> rows read so far."""
    found = {}
    for pid, (waits, query) in worker_backends(child_pid).items():
        written = re.search(r'SET "rows_read" = (\d+)', query)
        if waits == "Lock" and written:
            found[pid] = int(written[1])
    return found


def signal_backends(function: str, pids: list[int]) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute(f"SELECT {function}(%s)", [pid])


def received(worker) -> int:
    return worker.output().count("Task aggregation.tasks.parse_document[")


def assert_retried_to_the_right_end(worker, document: Document, content: bytes, child: int):
    wait_until(lambda: settled(document), timeout=120)
    final = Document.objects.get(pk=document.pk)
    # The verdict a clean parse gives (two partial years), from the second attempt; the database
    # fault is never blamed on the file.
    assert final.status == DocumentStatus.NEEDS_REVIEW, final.status_reason
    assert "could not be read" not in final.status_reason
    assert final.attempts == 2
    assert_one_reading(final, content)
    # The task's own retry on the same pool process (a redelivery would need a new one).
    assert received(worker) == 2
    assert pool_children(worker.proc.pid) == [child]
    assert worker.proc.poll() is None


@PROGRESS_MID_READ
@pytest.mark.parametrize("function", ["pg_terminate_backend", "pg_cancel_backend"])
def test_a_parse_whose_database_statement_fails_mid_read_is_retried_and_ends_right_once(
    celery_worker_process, researcher, settings, function
):
    """The parse's progress write is made to wait on a row lock mid-read, then its connection is
    terminated or its statement cancelled (what a statement or lock timeout does)."""
    worker = celery_worker_process
    settings.UPLOAD_MAX_BYTES = 100 * 2**20
    request = sent_request(researcher, force="kent")
    content = big_record_list(800_000)  # a second of reading: progress is written mid-read
    document = upload(request, "records.csv", content)
    wait_until(lambda: status_of(document) == DocumentStatus.PARSING, timeout=60, interval=0.02)
    (child,) = pool_children(worker.proc.pid)
    with transaction.atomic():
        Document.objects.select_for_update().get(pk=document.pk)
        blocked = wait_until(lambda: progress_writes_waiting(child), timeout=30, interval=0.05)
        # Mid-read: rows so far, in the reader's steps of 10,000, short of the 800,000.
        assert all(0 < rows < 800_000 and rows % 10_000 == 0 for rows in blocked.values())
        signal_backends(function, list(blocked))
    assert_retried_to_the_right_end(worker, document, content, child)


@PROGRESS_MID_READ
def test_a_parse_whose_database_connection_drops_before_it_stores_is_retried_once(
    celery_worker_process, researcher
):
    worker = celery_worker_process
    request = sent_request(researcher, force="kent")
    content = big_record_list()
    document = upload(request, "records.csv", content)
    # The progress write near the end of the read: the connection is open, the reading almost done.
    wait_until(
        lambda: Document.objects.filter(
            pk=document.pk, status=DocumentStatus.PARSING, rows_read__gt=0
        ).exists(),
        timeout=60,
        interval=0.05,
    )
    (child,) = pool_children(worker.proc.pid)
    backends = wait_until(lambda: worker_backends(child), timeout=5, interval=0.05)
    signal_backends("pg_terminate_backend", list(backends))
    assert_retried_to_the_right_end(worker, document, content, child)
