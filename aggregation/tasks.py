"""Celery tasks: thin, take ids, return quietly when the row is gone."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError

from aggregation import services
from aggregation.extraction import interrupts

# A time limit stops the parse; the engine must not report it as a damaged file. Nor a database
# error raised by the progress writer mid-read: it goes up to the task, which retries it.
interrupts.register(SoftTimeLimitExceeded, OperationalError, InterfaceError)

SOFT_LIMIT = settings.PARSE_TIME_LIMIT_SECONDS


@shared_task(
    bind=True,
    name="aggregation.tasks.parse_document",
    acks_late=True,
    reject_on_worker_lost=True,  # a killed worker's parse goes back on the queue
    autoretry_for=(OperationalError, InterfaceError),  # the database blinked: try again
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=5,
    soft_time_limit=SOFT_LIMIT,
    time_limit=SOFT_LIMIT + 30,
)
def parse_document(self, document_id: int) -> str | None:
    try:
        return services.document_parse(document_id=document_id)
    except SoftTimeLimitExceeded:
        # The limit travels in the message, as the producer set it.
        _, soft = self.request.timelimit or (None, SOFT_LIMIT)
        services.document_fail(
            document_id=document_id,
            reason=f"Reading the file took longer than the {soft} s allowed; "
            "ask the force for a smaller file, or split it.",
        )
        return "failed"


@shared_task(name="aggregation.tasks.sweep_stuck_documents")
def sweep_stuck_documents() -> int:
    return len(services.sweep_stuck_documents())


@shared_task(name="aggregation.tasks.purge_record_list_originals")
def purge_record_list_originals() -> int:
    """Daily: delete record-list originals past RECORD_LIST_RETENTION_DAYS (off when None)."""
    return len(services.purge_record_list_originals())


@shared_task(name="aggregation.tasks.sweep_orphan_files")
def sweep_orphan_files() -> int:
    return len(services.sweep_orphan_files())
