"""Writes for responses: upload, parse, review. The admin, API, commands and tasks call these."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from aggregation import selectors
from aggregation.extraction.engine import extract
from aggregation.extraction.reading import UnreadableFile
from aggregation.extraction.reading.archive import zip_archive
from aggregation.extraction.reading.sniff import OLE_MAGIC, ZIP_MAGIC, ole_stream_names, sniff
from aggregation.extraction.result import ExtractionResult, Reason, Verdict
from aggregation.models import Alias, Observation, ReviewAction, Term
from requests_app import services as request_services
from requests_app.models import Document, DocumentStatus, FOIRequest, Force

log = logging.getLogger(__name__)

VERDICT_STATUS = {
    Verdict.PARSED: DocumentStatus.PARSED,
    Verdict.NEEDS_REVIEW: DocumentStatus.NEEDS_REVIEW,
    Verdict.NO_DATA: DocumentStatus.NO_DATA,
    Verdict.FAILED: DocumentStatus.FAILED,
}
IN_FLIGHT = (DocumentStatus.QUEUED, DocumentStatus.PARSING)
# Rows between two progress writes: often enough to see movement, rare enough to cost nothing.
PROGRESS_EVERY_SECONDS = 1.0


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


# Letters a force emails beside (or instead of) its spreadsheets: kept, read by a researcher.
LETTER_FORMATS = {"pdf": "PDF", "docx": "Word", "doc": "Word"}


def letter_format(content: bytes) -> str:
    """ "pdf", "docx" or "doc" when the bytes are a PDF or Word document, else ""."""
    if content.startswith(b"%PDF"):
        return "pdf"
    try:
        if content.startswith(ZIP_MAGIC):
            return "docx" if "word/document.xml" in zip_archive(content).namelist() else ""
        if content.startswith(OLE_MAGIC):
            return "doc" if "WordDocument" in ole_stream_names(content) else ""
    except UnreadableFile:
        return ""
    return ""


def check_upload(*, name: str, content: bytes, letters: bool = False) -> str:
    """Refuse, with the reason, a file too large or plainly not a spreadsheet; return its format.

    Damaged or hostile spreadsheets pass: they are kept, and fail in the parse with their reason.
    With ``letters`` (files that came by email), PDF and Word documents pass too.
    """
    limit = settings.UPLOAD_MAX_BYTES
    if len(content) > limit:
        raise _refuse(
            "file",
            f"{name} is {len(content) / 2**20:.1f} MB, over the {limit / 2**20:.0f} MB limit.",
        )
    try:
        return sniff(content)
    except UnreadableFile as exc:
        if exc.code == "unknown_format":
            if letters and (kind := letter_format(content)):
                return kind
            raise _refuse("file", f"{name}: {exc.message}") from None
        return ""


def document_upload(
    *, request: FOIRequest, name: str, content: bytes, by: User | None, letters: bool = False
) -> tuple[Document, bool]:
    """Keep a force's file and queue its parse; the same bytes twice are one document.

    Returns the document and whether it is new. Refuses what is not a spreadsheet (nor, with
    ``letters``, a PDF or Word document), with the reason.
    """
    file_format = check_upload(name=name, content=content, letters=letters)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        existing = Document.objects.filter(request=request, sha256=digest).first()
        if existing:
            return existing, False
        document = Document(
            request=request,
            original_name=name[:255],
            size=len(content),
            sha256=digest,
            format=file_format,
            uploaded_by=by,
        )
        document.file.save("upload", ContentFile(content), save=False)
        document.save()
        transaction.on_commit(lambda: enqueue_parse(document.pk))
    return document, True


def enqueue_parse(document_id: int) -> bool:
    """Queue a parse; when the broker is down the document stays queued for the sweeper."""
    from aggregation.tasks import parse_document

    limit = settings.PARSE_TIME_LIMIT_SECONDS
    try:
        # Limits travel in the message: the settings at enqueue time are the ones that hold.
        parse_document.apply_async((document_id,), soft_time_limit=limit, time_limit=limit + 30)
    except Exception:  # the broker is down or unreachable: the sweeper queues it later
        log.warning("could not queue the parse of document %s; the sweeper will", document_id)
        return False
    return True


def _set_status(document_id: int, status: DocumentStatus, **fields) -> None:
    Document.objects.filter(pk=document_id).update(
        status=status, status_changed_at=timezone.now(), **fields
    )


def document_parse(*, document_id: int) -> DocumentStatus | None:
    """Read the document and replace its observations in one transaction.

    Safe to run twice: a second run replaces what the first wrote. Returns None when the document
    is gone or already decided by a researcher.
    """
    document = (
        Document.objects.select_related("request__campaign", "request__force")
        .filter(pk=document_id)
        .first()
    )
    if document is None:
        return None
    if document.status in (DocumentStatus.APPROVED, DocumentStatus.NO_DATA) and document.result:
        return None  # a researcher's decision is not overwritten by a late redelivery
    if document.attempts >= settings.PARSE_MAX_ATTEMPTS:
        reason = f"Gave up after {document.attempts} attempts (the worker stopped each time)."
        _set_status(document_id, DocumentStatus.FAILED, status_reason=reason)
        return DocumentStatus.FAILED
    _set_status(document_id, DocumentStatus.PARSING, rows_read=0, attempts=F("attempts") + 1)

    if document.format in LETTER_FORMATS:
        return _store_result(document, _letter_result(document.format), rows_read=0)
    vocabulary = selectors.campaign_vocabulary(document.request.campaign, document.request.force)
    with document.file.open("rb") as f:
        content = f.read()
    progress = ProgressWriter(document_id)
    result = extract(content, vocabulary, progress=progress)
    return _store_result(document, result, rows_read=progress.rows)


def _letter_result(file_format: str) -> ExtractionResult:
    """A letter holds no figures we read: a researcher reads it (a refusal? figures in a table?)."""
    kind = LETTER_FORMATS[file_format]
    reason = Reason(
        "letter",
        f"A {kind} document: figures are read only from spreadsheets (xlsx, xls, ods, csv). "
        "Read it; mark it no data, or ask the force for the figures as a spreadsheet.",
    )
    return ExtractionResult(Verdict.NEEDS_REVIEW, reasons=[reason], format=file_format)


class ProgressWriter:
    """Rows read so far, written to the document now and then for the admin and the API."""

    def __init__(self, document_id: int) -> None:
        self.document_id, self.rows, self._last = document_id, 0, time.monotonic()

    def __call__(self, rows: int) -> None:
        self.rows = rows
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY_SECONDS:
            Document.objects.filter(pk=self.document_id).update(rows_read=rows)
            self._last = now


@transaction.atomic
def _store_result(
    document: Document, result: ExtractionResult, *, rows_read: int
) -> DocumentStatus:
    document = Document.objects.select_for_update().get(pk=document.pk)
    excluded = set(document.excluded_tables)
    Observation.objects.filter(document=document).delete()
    # A national table names several forces; anything else is the request's force.
    named = {o.dimensions["force"] for o in result.observations if "force" in o.dimensions}
    forces = {f.slug: f for f in Force.objects.filter(slug__in=named)}
    Observation.objects.bulk_create(
        [
            Observation(
                document=document,
                force=forces.get(o.dimensions.get("force", ""), document.request.force),
                period=o.dimensions.get("period", ""),
                age=o.dimensions.get("age", ""),
                offence=o.dimensions.get("offence", ""),
                value=o.value,
                lower=o.lower,
                upper=o.upper,
                derived=o.derived,
                sheet=o.sheet[:120],
                cell=o.cell[:40],
                raw=o.raw[:200],
                table=o.table,
            )
            for o in result.observations
            if o.table not in excluded
        ],
        batch_size=2000,
    )
    status = VERDICT_STATUS[result.verdict]
    document.result = _result_json(result)
    document.status = status
    blocking = dict.fromkeys(r.message for r in result.reasons if r.blocking)
    document.status_reason = "; ".join(blocking)[:2000]
    document.format = result.format or document.format
    document.rows_read = rows_read
    document.status_changed_at = timezone.now()
    document.save()
    return status


def _result_json(result: ExtractionResult) -> dict:
    data = result.to_dict()
    data.pop("observations")
    return data


def document_fail(*, document_id: int, reason: str) -> None:
    _set_status(document_id, DocumentStatus.FAILED, status_reason=reason[:2000])


def sweep_stuck_documents(*, older_than: timedelta | None = None) -> list[int]:
    """Re-queue documents queued or parsing for longer than a parse may take.

    Covers an upload made while the broker was down, and a worker lost mid-parse.
    """
    older_than = older_than or timedelta(seconds=settings.PARSE_TIME_LIMIT_SECONDS * 2)
    stuck = list(
        Document.objects.filter(
            status__in=IN_FLIGHT, status_changed_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
    for document_id in stuck:
        # Touch it first, so the next sweep waits a full period before trying again.
        Document.objects.filter(pk=document_id).update(status_changed_at=timezone.now())
        enqueue_parse(document_id)
    return stuck


# Review: every decision is kept with who and when, as a ReviewAction and in the document's history.


def _record(document: Document, kind: ReviewAction.Kind, by: User | None, **detail) -> None:
    action = ReviewAction(document=document, kind=kind, by=by, detail=detail)
    action._history_user = by
    action.save()


def _decide(document: Document, by: User | None, **fields) -> Document:
    """Save a researcher's change through the model, so its history records who and when.

    (Parse progress and worker states use update(): nobody decided those.) Touching
    status_changed_at also tells the stored rollup that the figures may have moved.
    """
    document = Document.objects.select_for_update().get(pk=document.pk)
    for name, value in {**fields, "status_changed_at": timezone.now()}.items():
        setattr(document, name, value)
    document._history_user = by
    document.save(update_fields=[*fields, "status_changed_at"])
    return document


def _reparse_later(document: Document, by: User | None) -> None:
    _decide(document, by, status=DocumentStatus.QUEUED, attempts=0)
    transaction.on_commit(lambda: enqueue_parse(document.pk))


@transaction.atomic
def document_reparse(*, document: Document, by: User | None) -> None:
    _record(document, ReviewAction.Kind.REPARSE, by)
    _reparse_later(document, by)


@transaction.atomic
def document_map_label(
    *,
    document: Document,
    label: str,
    term: Term,
    by: User | None,
    this_force_only: bool = False,
) -> Alias:
    """Save a spelling as an alias of a term, for every later file (or this force's), re-parse."""
    label = label.strip()
    if not label:
        raise _refuse("label", "Choose the label to map.")
    force = document.request.force if this_force_only else None
    alias = Alias.objects.filter(term=term, alias=label, force=force).first()
    if alias is None:
        alias = Alias(term=term, alias=label, force=force, created_by=by)
        alias._history_user = by
        alias.save()
    _record(
        document,
        ReviewAction.Kind.MAP_LABEL,
        by,
        label=label,
        term=term.name,
        force=force.slug if force else None,
    )
    _reparse_later(document, by)
    return alias


@transaction.atomic
def document_exclude_tables(*, document: Document, tables: Iterable[int], by: User | None):
    found = len(Document.objects.get(pk=document.pk).result.get("tables", []))
    chosen = sorted(set(tables))
    bad = [t for t in chosen if not 0 <= t < found]
    if bad:
        raise _refuse("tables", f"No table {bad[0]}: the document has {found} table(s).")
    excluded = sorted(set(Document.objects.get(pk=document.pk).excluded_tables) | set(chosen))
    _decide(document, by, excluded_tables=excluded)
    _record(document, ReviewAction.Kind.EXCLUDE_TABLE, by, tables=chosen)
    _reparse_later(document, by)


@transaction.atomic
def document_mark_no_data(*, document: Document, by: User | None, note: str = "") -> None:
    Observation.objects.filter(document=document).delete()
    _decide(document, by, status=DocumentStatus.NO_DATA, status_reason=note or "Marked no data.")
    _record(document, ReviewAction.Kind.NO_DATA, by, note=note)


@transaction.atomic
def document_approve(*, document: Document, by: User | None, note: str = "") -> None:
    """A researcher vouches for the figures: they count in rollups from now on."""
    was = Document.objects.select_for_update().get(pk=document.pk).status
    if was not in (DocumentStatus.PARSED, DocumentStatus.NEEDS_REVIEW):
        raise _refuse(
            "status", f"Only a parsed or needs-review document can be approved, not {was}."
        )
    if not Observation.objects.filter(document=document).exists():
        raise _refuse("status", "The document has no figures to approve; mark it no data instead.")
    _decide(document, by, status=DocumentStatus.APPROVED)
    _record(document, ReviewAction.Kind.APPROVE, by, note=note, was=was)


@transaction.atomic
def document_choose_reading(*, document: Document, count_breakdown: bool, by: User | None) -> None:
    """Choose between a stated total and the sum of its breakdown, where they disagree."""
    _decide(document, by, count_breakdown=count_breakdown)
    reading = "breakdown" if count_breakdown else "stated totals"
    _record(document, ReviewAction.Kind.CHOOSE_READING, by, reading=reading)


@transaction.atomic
def document_pin(*, document: Document, by: User | None) -> None:
    """Count this document's figures over the force's other documents for the same request."""
    for other in Document.objects.filter(request_id=document.request_id, pinned=True).exclude(
        pk=document.pk
    ):
        _decide(other, by, pinned=False)
    _decide(document, by, pinned=True)
    _record(document, ReviewAction.Kind.PIN, by)


def document_accept_as_response(*, document: Document, by: User | None) -> None:
    """A parsed or approved response moves its request to "response received"."""
    if document.status not in (DocumentStatus.PARSED, DocumentStatus.APPROVED):
        raise _refuse("status", "Only a parsed or approved document answers the request.")
    request_services.foi_request_receive_response(
        request=document.request,
        by=by,
        on=timezone.localdate(document.uploaded_at),
        note=f"Response file: {document.original_name}",
    )
