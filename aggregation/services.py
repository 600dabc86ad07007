"""Writes for responses: upload, parse, review. The admin, API, commands and tasks call these."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable
from dataclasses import fields, replace
from datetime import datetime, timedelta
from itertools import chain
from operator import itemgetter

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser as User
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import connection, models, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from aggregation import selectors
from aggregation.document_figures import Cell, Sum, document_sums, shape_of
from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE, Template
from aggregation.extraction.collector import paused_collector
from aggregation.extraction.context import PERIOD_KIND_NAMES
from aggregation.extraction.engine import extract_workbook, read_file
from aggregation.extraction.grid import Workbook
from aggregation.extraction.labels import clean as clean_label
from aggregation.extraction.labels import parse_age, parse_period
from aggregation.extraction.reading import UnreadableFile
from aggregation.extraction.reading.sniff import OLE_MAGIC, ole_stream_names, sniff
from aggregation.extraction.result import ExtractionResult, Reason, TableKind, Verdict
from aggregation.extraction.vocabulary import FORCE, PERIOD, PeriodKind
from aggregation.models import (
    ENTERED_TABLE,
    LABEL_MAX_LENGTH,
    Abbreviation,
    Alias,
    CampaignTemplate,
    Dimension,
    DimensionKind,
    DocumentFigure,
    FigureKind,
    KeywordRule,
    LabelMapping,
    Observation,
    ReadingHint,
    ReviewAction,
    Term,
)
from aggregation.rollups import COUNTED
from requests_app import services as request_services
from requests_app.inputs import check_length
from requests_app.models import (
    AWAITING_FORCE,
    NOTE_MAX_LENGTH,
    REQUEST_TEXT_MAX_LENGTH,
    RESPONSES_DIR,
    Campaign,
    Document,
    DocumentDownload,
    DocumentStatus,
    FOIRequest,
    Force,
)

log = logging.getLogger(__name__)

VERDICT_STATUS = {
    Verdict.PARSED: DocumentStatus.PARSED,
    Verdict.NEEDS_REVIEW: DocumentStatus.NEEDS_REVIEW,
    Verdict.NO_DATA: DocumentStatus.NO_DATA,
    Verdict.FAILED: DocumentStatus.FAILED,
}
IN_FLIGHT = (DocumentStatus.QUEUED, DocumentStatus.PARSING)
# A researcher's verdict: no parse runs on these until the researcher asks for a new reading.
DECIDED = (DocumentStatus.APPROVED, DocumentStatus.NO_DATA)


def _refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: message})


# Letters a force emails beside (or instead of) its spreadsheets in a format the engine does not
# read (PDF and .docx it reads): kept for a researcher to read.
LETTER_FORMATS = {"doc": "Word 97-2003"}


def letter_format(content: bytes) -> str:
    """ "doc" when the bytes are a legacy Word document, else ""."""
    try:
        if content.startswith(OLE_MAGIC) and "WordDocument" in ole_stream_names(content):
            return "doc"
    except UnreadableFile:
        return ""
    return ""


def check_upload(*, name: str, content: bytes, letters: bool = False) -> str:
    """Refuse, with the reason, a file too large or plainly not a spreadsheet; return its format.

    Damaged or hostile spreadsheets pass: they are kept, and fail in the parse with their reason.
    With ``letters`` (files that came by email), a legacy Word document passes too.
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
    *,
    request: FOIRequest,
    name: str,
    content: bytes,
    by: User | None,
    result: ExtractionResult | None = None,
    letters: bool = False,
    answer: bool = False,
) -> tuple[Document, bool]:
    """Keep a force's file and queue its parse; the same bytes twice are one document.

    ``answer``: the file is the force's answer (a researcher uploading it): a request still
    awaiting one is recorded answered today, and is no longer chased.

    ``result``, when the caller has already read the file with the campaign's vocabulary, is
    stored at once instead of a parse being queued. Returns the document and whether it is new.
    Refuses what is not a response the engine reads (nor, with ``letters``, a legacy Word
    document), with the reason.
    """
    file_format = check_upload(name=name, content=content, letters=letters)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        # One upload to a request at a time: the same bytes sent twice at once then find each
        # other here, instead of both writing a file and one failing on the content constraint.
        locked = FOIRequest.objects.select_for_update().only("pk", "status").get(pk=request.pk)
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
        try:
            document.save()
        except BaseException:
            document.file.delete(save=False)  # no file without its row
            raise
        if answer and locked.status in AWAITING_FORCE:
            request_services.foi_request_receive_response(
                request=request, by=by, note="Recorded when the force's file was uploaded."
            )
        if result is None:
            transaction.on_commit(lambda: enqueue_parse(document.pk))
        else:
            _store_result(document, result)
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


def _set_status(documents: QuerySet[Document], status: DocumentStatus, **fields) -> int:
    """Set the status of the documents matched (none, when a decision moved them on)."""
    return documents.update(status=status, status_changed_at=timezone.now(), **fields)


def document_parse(*, document_id: int) -> DocumentStatus | None:
    """Read the document and replace its observations in one transaction.

    Safe to run twice: a second run replaces what the first wrote. Returns the status stored, or
    None when the document is gone, decided, or decided on while this parse ran.

    A late parse never undoes a researcher's decision. Each decision that settles the document
    (approve, no data) or asks for a new reading (re-parse, map a label, exclude a table) bumps
    ``Document.revision``; a parse notes the revision it starts from and stores its result only
    if it is still current, else drops it (logged). Refusing decisions while a parse runs would
    not be enough: a redelivered or re-queued parse of the same document can still be running
    after another has finished and the researcher has decided on it, and a researcher should not
    have to wait out a long parse to say "no data".
    """
    document = (
        Document.objects.select_related("request__campaign", "request__force")
        .filter(pk=document_id)
        .first()
    )
    if document is None or document.status in DECIDED:
        return None
    if document.original_deleted_at:
        return None  # nothing left to read; the figures read before stay
    unchanged = Document.objects.filter(pk=document_id, revision=document.revision)
    if document.attempts >= settings.PARSE_MAX_ATTEMPTS:
        reason = f"Gave up after {document.attempts} attempts (the worker stopped each time)."
        failed = _set_status(unchanged, DocumentStatus.FAILED, status_reason=reason)
        return DocumentStatus.FAILED if failed else None
    if not _set_status(unchanged, DocumentStatus.PARSING, rows_read=0, attempts=F("attempts") + 1):
        return None  # decided on since it was read above

    if document.format in LETTER_FORMATS:
        return _store_result(document, _letter_result(document.format))
    vocabulary = selectors.campaign_vocabulary(document.request.campaign, document.request.force)
    with document.file.open("rb") as f:
        content = f.read()
    progress = ProgressWriter(document_id)
    hints = selectors.document_hints(document)
    with paused_collector():  # as ``extract`` reads: the collector off from read to result
        workbook = read_file(content, progress=progress)
        if isinstance(workbook, ExtractionResult):
            result = workbook  # unreadable: the result says why
        else:
            result = extract_workbook(workbook, vocabulary, hints=hints)
            result = _check_sender(document, workbook, result)
    return _store_result(document, result)


def _check_sender(
    document: Document, workbook: Workbook, result: ExtractionResult
) -> ExtractionResult:
    """A file whose name or first rows name other forces, never the request's own ("Hampshire
    Constabulary" in a file on Avon and Somerset's request), may be another force's response
    filed on the wrong request: a doubt, never figures counted for the wrong force. A national
    table (figures by force) is exempt: it names many forces by design."""
    if result.verdict is Verdict.FAILED or any(FORCE in o.dimensions for o in result.observations):
        return result
    named = selectors.recognise_force(document.original_name, lambda: workbook)
    own = document.request.force
    if not named or own in named:
        return result
    names = ", ".join(sorted(f.name for f in named))
    reason = Reason(
        "other_force",
        f"The file names {names}, not {own.name}, in its name or first rows: is it "
        f"{own.name}'s response? Approve it if so; else upload it on the right request.",
    )
    verdict = Verdict.NEEDS_REVIEW if result.verdict is Verdict.PARSED else result.verdict
    return replace(result, verdict=verdict, reasons=[*result.reasons, reason])


def _letter_result(file_format: str) -> ExtractionResult:
    """A letter holds no figures we read: a researcher reads it (a refusal? figures in a table?)."""
    kind = LETTER_FORMATS[file_format]
    reason = Reason(
        "letter",
        f"A {kind} document: figures are read from spreadsheets, PDF and .docx files only. "
        "Read it; enter its figures by hand on this page, mark it no data, or ask the force for "
        "the figures as a spreadsheet.",
    )
    return ExtractionResult(Verdict.NEEDS_REVIEW, reasons=[reason], format=file_format)


class ProgressWriter:
    """Rows read so far, written to the document every ``PARSE_PROGRESS_MS`` (a second by
    default: often enough to see movement, rare enough to cost nothing) for the admin and API."""

    def __init__(self, document_id: int) -> None:
        self.document_id, self.rows, self._last = document_id, 0, time.monotonic()
        self.every = settings.PARSE_PROGRESS_MS / 1000

    def __call__(self, rows: int) -> None:
        self.rows = rows
        now = time.monotonic()
        if now - self._last >= self.every:
            Document.objects.filter(pk=self.document_id).update(rows_read=rows)
            self._last = now


@transaction.atomic
def _store_result(document: Document, result: ExtractionResult) -> DocumentStatus | None:
    """Store what the engine read, unless a researcher decided since the parse began (then the
    reading is dropped: see ``document_parse``)."""
    started_from = document.revision
    # The request (its force, its campaign) read with the locked row: one round trip less a
    # file, which pays for reading the figures entered by hand (``_replace_observations``).
    document = (
        Document.objects.select_for_update(of=("self",))
        .select_related("request")
        .get(pk=document.pk)
    )
    if document.revision != started_from:
        log.info(
            "document %s: a researcher decided while it was being read; that reading is dropped",
            document.pk,
        )
        return None
    excluded = set(document.excluded_tables)
    # A national table names several forces; anything else is the request's force.
    named = {o.dimensions[FORCE] for o in result.observations if FORCE in o.dimensions}
    forces = {f.slug: f.pk for f in Force.objects.filter(slug__in=named)}
    own = document.request.force_id
    observations = []
    for o in result.observations:
        if o.table in excluded:
            continue
        dimensions = {k: v for k, v in o.dimensions.items() if k not in (PERIOD, FORCE)}
        observations.append(
            {
                "document_id": document.pk,
                "force_id": forces.get(o.dimensions.get(FORCE, ""), own),
                "period": o.dimensions.get(PERIOD, ""),
                "dimensions": dimensions,
                "shape": shape_of(dimensions),
                "value": o.value,
                "lower": o.lower,
                "upper": o.upper,
                "derived": o.derived,
                "sheet": o.sheet[:120],
                "cell": o.cell[:40],
                "raw": o.raw[:200],
                "table": o.table,
                "origin": Observation.Origin.READ.value,
                "source": "",
            }
        )
    entered = _replace_observations(document, observations)
    status = VERDICT_STATUS[result.verdict]
    reason = "; ".join(dict.fromkeys(r.message for r in result.reasons if r.blocking))
    if entered and not observations:
        # Nothing read, and the researcher's own figures stand in for the file's: they count.
        status = DocumentStatus.APPROVED
        reason = f"{ENTERED_REASON} {reason}".strip()
    document.result = _result_json(result)
    document.status = status
    document.status_reason = reason[:2000]
    document.format = result.format or document.format
    document.rows_read = result.rows_read
    document.status_changed_at = timezone.now()
    document.save()
    return status


def _replace_observations(document: Document, observations: list[dict[str, object]]) -> int:
    """The document's read observations (``Observation`` field attnames -> values) and their
    per-table sums, replaced together; figures entered by hand stay, and are summed with them.
    Returns how many were entered by hand."""
    Observation.objects.filter(document=document, origin=Observation.Origin.READ).delete()
    _insert_rows(Observation, observations)
    entered = list(
        Observation.objects.filter(
            document=document, origin=Observation.Origin.ENTERED
        ).values_list(*_CELL_FIELDS)
    )
    _write_figures(
        document,
        chain(
            (Cell(*(o[name] for name in _CELL_FIELDS)) for o in observations),
            (Cell(*row) for row in entered),
        ),
    )
    return len(entered)


_CELL_FIELDS = tuple(f.name for f in fields(Cell))
_SUM_FIELDS = tuple(f.name for f in fields(Sum))


def _write_figures(document: Document, cells: Iterable[Cell]) -> None:
    order = selectors.dimension_order(document.request.campaign_id)
    DocumentFigure.objects.filter(document=document).delete()
    _insert_rows(
        DocumentFigure,
        [
            {"document_id": document.pk, **{name: getattr(s, name) for name in _SUM_FIELDS}}
            for s in document_sums(cells, order)
        ],
    )


# Fields whose values (int, str, bool or None here) every database driver takes as they are.
_PLAIN_FIELDS = (models.IntegerField, models.CharField, models.BooleanField, models.ForeignKey)


def _insert_rows(model: type[models.Model], rows: list[dict[str, object]]) -> None:
    """Insert ``rows`` (field attname -> value, every row the same fields) into the model's
    table in one ``executemany``: what ``bulk_create`` writes, without a model instance and an
    SQL compilation per row, which cost more than reading the file. A value goes through its
    field's ``get_db_prep_save`` (as ``bulk_create`` does) unless the field is a plain one;
    values must be valid for their fields (lengths cut by the caller). No signals, as
    ``bulk_create``; no ids come back."""
    if not rows:
        return
    names = list(rows[0])
    model_fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in model_fields)}) "
        f"VALUES ({', '.join(['%s'] * len(names))})"
    )
    # itemgetter of one name gives the value, not a tuple of it.
    get = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    params = list(map(list, map(get, rows)))
    for i, field in enumerate(model_fields):
        if not isinstance(field, _PLAIN_FIELDS):
            for values in params:
                values[i] = field.get_db_prep_save(values[i], connection)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


@transaction.atomic
def document_refresh_figures(*, document: Document) -> None:
    """Sum a document's stored observations afresh into its ``DocumentFigure`` rows: for
    observations written other than by a parse (figures entered by hand, a repair)."""
    rows = Observation.objects.filter(document=document).values_list(
        "force_id", "period", "table", "dimensions", "lower", "upper", "derived"
    )
    _write_figures(document, (Cell(*row) for row in rows))


def _result_json(result: ExtractionResult) -> dict:
    return result.to_dict(observations=False)


def document_fail(*, document_id: int, reason: str) -> None:
    """A parse that could not finish fails its document, unless a decision has moved it on.
    A document whose only figures were entered by hand keeps counting them."""
    parsing = Document.objects.filter(pk=document_id, status=DocumentStatus.PARSING)
    figures = Observation.objects.filter(document_id=document_id)
    if figures.exists() and not figures.filter(origin=Observation.Origin.READ).exists():
        _set_status(
            parsing, DocumentStatus.APPROVED, status_reason=f"{ENTERED_REASON} {reason}"[:2000]
        )
        return
    _set_status(parsing, DocumentStatus.FAILED, status_reason=reason[:2000])


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


def sweep_orphan_files(*, older_than: timedelta = timedelta(hours=1)) -> list[str]:
    """Delete stored responses that no document names, once older than any upload may take.

    An upload writes its file, then its row, in one transaction; a transaction rolled back
    around it (a later failure in the same admin save) or a process killed between the two
    leaves a file without a row. Returns the names deleted.
    """
    storage = Document._meta.get_field("file").storage
    try:
        _, names = storage.listdir(RESPONSES_DIR)
    except FileNotFoundError:
        return []
    known = set(
        Document.objects.filter(file__startswith=f"{RESPONSES_DIR}/").values_list("file", flat=True)
    )
    cutoff = timezone.now() - older_than
    orphans = [
        path
        for path in (f"{RESPONSES_DIR}/{name}" for name in names)
        if path not in known and storage.get_modified_time(path) < cutoff
    ]
    for path in orphans:
        storage.delete(path)
    return orphans


# Review: every decision is kept with who and when, as a ReviewAction and in the document's history.


def _record(document: Document, kind: ReviewAction.Kind, by: User | None, **detail) -> None:
    action = ReviewAction(document=document, kind=kind, by=by, detail=detail)
    action._history_user = by
    action.save()


def _decide(
    document: Document, by: User | None, *, overrides_parse: bool = False, **fields
) -> Document:
    """Save a researcher's change through the model, so its history records who and when.

    (Parse progress and worker states use update(): nobody decided those.) Touching
    status_changed_at also tells the stored rollup that the figures may have moved.
    ``overrides_parse``: a parse running now must not store its result over this decision.
    """
    document = Document.objects.select_for_update().get(pk=document.pk)
    changes = {**fields, "status_changed_at": timezone.now()}
    if overrides_parse:
        changes["revision"] = document.revision + 1  # the row is locked: no lost increment
    for name, value in changes.items():
        setattr(document, name, value)
    document._history_user = by
    document.save(update_fields=list(changes))
    return document


def _reparse_later(document: Document, by: User | None, *, enqueue: bool = True) -> None:
    locked = Document.objects.select_for_update().get(pk=document.pk)
    if locked.original_deleted_at:
        raise _original_deleted(locked)
    _decide(document, by, overrides_parse=True, status=DocumentStatus.QUEUED, attempts=0)
    if enqueue:
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
) -> list[int]:
    """Map a category label from one document's page: ``campaign_map_label`` to the term, for
    every force or (``this_force_only``) the document's force. Returns the documents re-read.

    The term must be the document's campaign's own: another campaign's is refused (its
    vocabulary, and its figures, are that campaign's business).
    """
    if term.dimension.campaign_id != document.request.campaign_id:
        raise _refuse(
            "term",
            f"“{term.name}” belongs to another campaign; choose one of this campaign's terms.",
        )
    return campaign_map_label(
        campaign=document.request.campaign,
        dimension=term.dimension.name,
        label=label,
        to=term.name,
        force=document.request.force if this_force_only else None,
        by=by,
        also=document,
    )


IGNORE = "ignore"


@transaction.atomic
def campaign_map_label(
    *,
    campaign: Campaign,
    dimension: str,
    label: str,
    to: str,
    by: User | None,
    force: Force | None = None,
    enqueue: bool = True,
    also: Document | None = None,
) -> list[int]:
    """Read ``label`` as ``to`` in every file of the campaign (or of ``force`` only), and read
    again every document that reported it. Returns the ids of the documents re-read.

    ``dimension`` is ``period``, ``force`` or one of the campaign's; ``to`` is a canonical value
    of it (a period of the campaign's kind such as ``2017-18``, an age such as ``13`` or
    ``0-10``, a term's name, a force's slug) or ``ignore`` (not part of this request: its
    figures are left out, and any total shown to include them). A category label mapped to a
    term becomes an alias of the term; every other reading is a ``LabelMapping``. Documents a
    researcher has decided (approved, no data) keep their decision. ``enqueue=False`` leaves the
    re-reads to the caller (a command reading them at once). ``also``: a document to read again
    whatever its reasons (the one the mapping was made from).

    Raises ``ValidationError`` naming the field: an unknown dimension, a value that is not one
    of the dimension's.
    """
    label = label.strip()
    if not label:
        raise _refuse("label", "Choose the label to map.")
    check_length(field="label", value=label, limit=LABEL_MAX_LENGTH)
    value, term = _mapped_value(campaign, dimension, to.strip())
    key = clean_label(label)
    mappings = LabelMapping.objects.filter(campaign=campaign, dimension=dimension, key=key)
    mappings.filter(force=force).delete()  # the new reading replaces the old, history kept
    if term is not None:
        alias = Alias.objects.filter(term=term, alias__iexact=label, force=force).first()
        if alias is None:
            alias = Alias(term=term, alias=label, force=force, created_by=by)
            alias._history_user = by
            alias.save()
    else:
        mapping = LabelMapping(
            campaign=campaign,
            dimension=dimension,
            label=label,
            key=key,
            value=value,
            force=force,
            created_by=by,
        )
        mapping._history_user = by
        mapping.save()
    documents = _reporting(campaign, dimension, key, force)
    if also is not None and also.status not in DECIDED and also.pk not in documents:
        documents.append(also.pk)
    detail = {
        "label": label,
        "dimension": dimension,
        "to": value if term is None else term.name,
        "force": force.slug if force else None,
    }
    if term is not None:
        detail["term"] = term.name
    for document in Document.objects.filter(pk__in=documents).order_by("pk"):
        made_here = also is not None and document.pk == also.pk
        kind = ReviewAction.Kind.MAP_LABEL if made_here else ReviewAction.Kind.REREAD
        _record(document, kind, by, **detail)
        _reparse_later(document, by, enqueue=enqueue)
    return sorted(documents)


def _mapped_value(campaign: Campaign, dimension: str, to: str) -> tuple[str, Term | None]:
    """What a mapping to ``to`` stores: the canonical value, or the term for a category."""
    dimensions = {d.name: d for d in Dimension.objects.filter(campaign=campaign)}
    if dimension not in (PERIOD, FORCE, *dimensions):
        known = ", ".join([PERIOD, FORCE, *dimensions])
        raise _refuse("dimension", f"No dimension {dimension!r} in this campaign: {known}.")
    if to.lower() == IGNORE:
        return LabelMapping.IGNORE, None
    if not to:
        raise _refuse("to", "Choose what the label means, or 'ignore'.")
    if dimension == PERIOD:
        period = parse_period(to)
        if period is None or period.kind != campaign.period_kind:
            raise _refuse("to", f"{to!r} is not a {_period_kind_name(campaign)}.")
        return period.canonical, None
    if dimension == FORCE:
        found = (
            Force.objects.filter(slug=to).first() or Force.objects.filter(name__iexact=to).first()
        )
        if found is None:
            raise _refuse("to", f"No force {to!r}.")
        return found.slug, None
    chosen = dimensions[dimension]
    if chosen.kind == DimensionKind.AGE:
        age = parse_age(to)
        if age is None:
            raise _refuse("to", f"{to!r} is not an age (13, 0-10, 16+, unknown).")
        return age.canonical, None
    term = Term.objects.filter(dimension=chosen, name__iexact=to).first()
    if term is None:
        names = ", ".join(chosen.terms.values_list("name", flat=True))
        raise _refuse("to", f"No {dimension} {to!r} in this campaign: {names}.")
    return term.name, term


def _period_kind_name(campaign: Campaign) -> str:
    """ "financial year (April to March)", as reasons name the campaign's kind of period."""
    return PERIOD_KIND_NAMES[PeriodKind(campaign.period_kind)]


def _reporting(campaign: Campaign, dimension: str, key: str, force: Force | None) -> list[int]:
    """The campaign's undecided documents whose last reading reported this label."""
    documents = Document.objects.filter(request__campaign=campaign).exclude(status__in=DECIDED)
    if force is not None:
        documents = documents.filter(request__force=force)
    found = []
    for pk, result in documents.values_list("pk", "result"):
        for reason in (result or {}).get("reasons", []):
            same = reason.get("label") and clean_label(reason["label"]) == key
            if same and reason.get("dimension") in ("", dimension):
                found.append(pk)
                break
    return found


# Corrections of one document's reading, kept as hints the engine applies on every read.

_NEEDS = {
    ReadingHint.Kind.LABELS: "column",
    ReadingHint.Kind.PERIOD: "period",
}


@transaction.atomic
def document_correct(
    *,
    document: Document,
    sheet: str,
    kind: str,
    by: User | None,
    row: int | None = None,
    column: int | None = None,
    period: str = "",
) -> ReadingHint:
    """Correct how a document reads (this row or column is a total, a subtotal, not data,
    another measure; this column holds the labels; this table is all for one period), keep it
    for every later read, and read the document again. Rows and columns count from 0.

    Raises ``ValidationError`` naming the field: a sheet the file does not have, a kind that
    needs a column or a period without one, a period not of the campaign's kind.
    """
    sheets = (document.result or {}).get("sheets") or []
    if sheet not in sheets:
        raise _refuse("sheet", f"The file has no sheet {sheet!r}: {', '.join(sheets)}.")
    try:
        kind = ReadingHint.Kind(kind)
    except ValueError:
        raise _refuse("kind", f"Unknown correction {kind!r}.") from None
    if row is None and column is None:
        raise _refuse("row", "Choose the row or the column the correction is about.")
    if kind == ReadingHint.Kind.LABELS and column is None:
        raise _refuse("column", "Choose the column that holds the labels.")
    if kind == ReadingHint.Kind.PERIOD:
        campaign = document.request.campaign
        found = parse_period(period)
        if found is None or found.kind != campaign.period_kind:
            raise _refuse("period", f"{period!r} is not a {_period_kind_name(campaign)}.")
        period = found.canonical
    elif kind != ReadingHint.Kind.LABELS and row is not None and column is not None:
        raise _refuse("column", "A correction is about a row or a column, not both.")
    hint = ReadingHint(
        document=document,
        sheet=sheet,
        kind=kind,
        row=row,
        column=None if kind == ReadingHint.Kind.PERIOD else column,
        period=period,
        created_by=by,
    )
    hint._history_user = by
    hint.save()
    _record(document, ReviewAction.Kind.CORRECT, by, hint=str(hint), hint_id=hint.pk)
    _reparse_later(document, by)
    return hint


@transaction.atomic
def document_remove_correction(*, hint: ReadingHint, by: User | None) -> None:
    """Drop a correction, and read the document again without it."""
    document = hint.document
    _record(document, ReviewAction.Kind.CORRECT, by, removed=str(hint))
    hint._history_user = by
    hint.delete()
    _reparse_later(document, by)


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
def document_mark_no_data(*, document: Document, by: User | None, note: str = "") -> int:
    """The file holds no figures for the request: its reading is dropped and it counts nothing.

    Figures entered by hand on it go too (the later decision holds); each is kept in the
    decision's detail (``removed``), so the history still says what they were. Returns how
    many were removed.
    """
    check_length(field="note", value=note, limit=NOTE_MAX_LENGTH)
    _decide(
        document,
        by,
        overrides_parse=True,
        status=DocumentStatus.NO_DATA,
        status_reason=note or "Marked no data.",
    )
    # After the row lock: a parse storing at this moment has finished, its figures go too.
    entered = Observation.objects.filter(document=document, origin=Observation.Origin.ENTERED)
    removed = [_figure_detail(f) for f in entered.order_by("pk")]
    entered.delete()
    _replace_observations(document, [])
    _record(document, ReviewAction.Kind.NO_DATA, by, note=note, removed=removed)
    return len(removed)


@transaction.atomic
def document_approve(*, document: Document, by: User | None, note: str = "") -> None:
    """A researcher vouches for the figures: they count in rollups from now on."""
    check_length(field="note", value=note, limit=NOTE_MAX_LENGTH)
    was = Document.objects.select_for_update().get(pk=document.pk).status
    if was not in (DocumentStatus.PARSED, DocumentStatus.NEEDS_REVIEW):
        raise _refuse(
            "status", f"Only a parsed or needs-review document can be approved, not {was}."
        )
    if not Observation.objects.filter(document=document).exists():
        raise _refuse("status", "The document has no figures to approve; mark it no data instead.")
    _decide(document, by, overrides_parse=True, status=DocumentStatus.APPROVED)
    _record(document, ReviewAction.Kind.APPROVE, by, note=note, was=was)


@transaction.atomic
def document_choose_reading(*, document: Document, count_breakdown: bool, by: User | None) -> None:
    """Choose between a stated total and the sum of its breakdown, where they disagree."""
    _decide(document, by, count_breakdown=count_breakdown)
    reading = "breakdown" if count_breakdown else "stated totals"
    _record(document, ReviewAction.Kind.CHOOSE_READING, by, reading=reading)


# Among a request's files the newest counts, unless a researcher chose one (SPEC 8).


@transaction.atomic
def request_choose_document(
    *, request: FOIRequest, document: Document, by: User | None, note: str = ""
) -> Document:
    """Count this file's figures for its request over the request's other files, newer ones
    included, until a researcher chooses another (``Document.pinned``; the rollup ranks the
    chosen file first). Kept as a review decision on the file chosen, with the files it was
    chosen over; a parse finishing later leaves the choice alone (it never writes ``pinned``).

    Raises ``ValidationError`` naming the field: a file of another request, a file not counted
    (queued, in review, failed, no data: approve or read it first), a file with no figures.
    """
    check_length(field="note", value=note, limit=NOTE_MAX_LENGTH)
    FOIRequest.objects.select_for_update().only("pk").get(pk=request.pk)  # one choice at a time
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.request_id != request.pk:
        raise _refuse("document", f"{document.original_name} is not a file of this request.")
    if document.status not in COUNTED:
        raise _refuse(
            "document",
            f"{document.original_name} is {document.get_status_display().lower()}: only a read "
            "or approved file can count. Approve it (or read it again) first.",
        )
    if not DocumentFigure.objects.filter(document=document, kind=FigureKind.FIGURE).exists():
        raise _refuse("document", f"{document.original_name} has no figures to count.")
    over = []
    for other in Document.objects.filter(request=request, pinned=True).exclude(pk=document.pk):
        _decide(other, by, pinned=False)
        over.append(other.pk)
    others = Document.objects.filter(request=request).exclude(pk=document.pk)
    document = _decide(document, by, pinned=True)
    _record(
        document,
        ReviewAction.Kind.PIN,
        by,
        request=request.pk,
        over=sorted(others.values_list("pk", flat=True)),
        unchosen=over,
        note=note,
    )
    return document


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


# Figures by hand: for a response with no table to read (a letter, an email), the researcher
# enters its figures against the document, saying where in it each one is.

ENTERED_REASON = "Figures entered by hand."
LARGEST_FIGURE = 2**31 - 1  # Observation.value is a 32-bit integer


def _entered_dimensions(campaign: Campaign, dimensions: dict[str, str]) -> dict[str, str]:
    """The figure's breakdown with each value as the campaign keeps it (a term's own name, an
    age's canonical form). Raises ``ValidationError`` naming the dimension."""
    known = {
        d.name: d for d in Dimension.objects.filter(campaign=campaign).prefetch_related("terms")
    }
    asked = [name for name, d in known.items() if d.kind != DimensionKind.FORCE]
    canonical = {}
    for name, value in dimensions.items():
        value = str(value).strip()
        if not value:
            continue  # not broken down by it
        dimension = known.get(name)
        if dimension is None or dimension.kind == DimensionKind.FORCE:
            raise _refuse(
                "dimensions", f"No dimension {name!r} in this campaign: {', '.join(asked)}."
            )
        if dimension.kind == DimensionKind.AGE:
            age = parse_age(value)
            if age is None:
                raise _refuse(name, f"{value!r} is not an age (13, 0-10, 16+, unknown).")
            top = campaign.max_age
            if top is not None and age.lower is not None and age.lower > top:
                raise _refuse(name, f"{value!r} is over {top}: not part of this request.")
            canonical[name] = age.canonical
            continue
        term = next((t for t in dimension.terms.all() if t.name.lower() == value.lower()), None)
        if term is None:
            names = ", ".join(t.name for t in dimension.terms.all())
            raise _refuse(name, f"No {name} {value!r} in this campaign: {names}.")
        canonical[name] = term.name
    return canonical


def _entered_bounds(value: int | None, lower: int | None, upper: int | None) -> tuple[int, int]:
    if value is not None:
        if lower is not None or upper is not None:
            raise _refuse("value", "Give the figure, or a range (lower and upper), not both.")
        lower = upper = value
    if lower is None or upper is None:
        raise _refuse("value", "Give the figure (12), or a range for a suppressed one (0 to 4).")
    if lower < 0:
        raise _refuse("lower" if value is None else "value", "A figure cannot be below 0.")
    if lower > upper:
        raise _refuse("upper", f"The range {lower} to {upper} runs backwards.")
    if upper > LARGEST_FIGURE:
        raise _refuse("upper" if value is None else "value", f"{upper:,} is not a count of crimes.")
    return lower, upper


def _figure_detail(figure: Observation) -> dict:
    """A figure entered by hand as its decisions keep it."""
    return {
        "figure": figure.pk,
        "period": figure.period,
        "dimensions": figure.dimensions,
        "value": figure.value,
        "lower": figure.lower,
        "upper": figure.upper,
        "source": figure.source,
    }


@transaction.atomic
def document_enter_figure(
    *,
    document: Document,
    period: str,
    source: str,
    by: User | None,
    dimensions: dict[str, str] | None = None,
    value: int | None = None,
    lower: int | None = None,
    upper: int | None = None,
) -> Observation:
    """Enter one figure of a document by hand: the period's total (no ``dimensions``) or one
    part of a breakdown ({"age": "13"}), exact (``value``) or a range for a suppressed figure
    (``lower``, ``upper``), with ``source`` saying where it is ("page 2, paragraph 3").

    It counts like a figure read from the file (a stated total is the force's figure; parts
    make the breakdown), for the request's force. A document with no figure read from it
    counts from now on (approved: the researcher vouches for what they typed); one with read
    figures keeps its status (a document awaiting review still awaits it). Kept with who and
    when; a parse of the file later never replaces it.

    Raises ``ValidationError`` naming the field: a period not asked by the campaign, a
    dimension it does not have or a value not of it (keyed by the dimension's name), a figure
    below 0 or a range backwards, no source, the same figure entered twice, a breakdown that
    would count the same parts twice beside another already entered.
    """
    campaign = document.request.campaign
    document = Document.objects.select_for_update().get(pk=document.pk)
    found = parse_period(period)
    if found is None or found.canonical not in campaign.periods:
        raise _refuse("period", f"{period!r} is not a period of this campaign: "
                      f"{', '.join(campaign.periods)}.")  # fmt: skip
    period = found.canonical
    dimensions = _entered_dimensions(campaign, dimensions or {})
    lower, upper = _entered_bounds(value, lower, upper)
    source = source.strip()
    if not source:
        raise _refuse(
            "source", "Say where in the document the figure is, e.g. page 2, paragraph 3."
        )
    check_length(field="source", value=source, limit=200)
    breakdown = ", ".join(f"{k} {v}" for k, v in dimensions.items()) or "total"
    for other in Observation.objects.filter(
        document=document, origin=Observation.Origin.ENTERED, period=period
    ):
        if other.dimensions == dimensions:
            raise _refuse(
                "period",
                f"{period} {breakdown} is already entered ({other.raw}, {other.source}); "
                "remove it first.",
            )
        if set(other.dimensions) & set(dimensions) and set(other.dimensions) != set(dimensions):
            raise _refuse(
                "dimensions",
                f"{period} is entered by {', '.join(sorted(other.dimensions))}: a figure by "
                f"{', '.join(sorted(dimensions))} beside it would count the same parts twice. "
                "Enter each breakdown by one set of dimensions.",
            )
    figure = Observation.objects.create(
        document=document,
        force_id=document.request.force_id,
        period=period,
        dimensions=dimensions,
        shape=shape_of(dimensions),
        value=lower if lower == upper else None,
        lower=lower,
        upper=upper,
        raw=str(lower) if lower == upper else f"{lower} to {upper}",
        table=ENTERED_TABLE,
        sheet="",
        cell="",
        origin=Observation.Origin.ENTERED,
        source=source,
        entered_by=by,
        entered_at=timezone.now(),
    )
    document_refresh_figures(document=document)
    read = Observation.objects.filter(document=document, origin=Observation.Origin.READ)
    if document.status not in (*IN_FLIGHT, DocumentStatus.APPROVED) and not read.exists():
        # The parse, if one is redelivered, must not put back the verdict of an empty reading.
        _decide(
            document,
            by,
            overrides_parse=True,
            status=DocumentStatus.APPROVED,
            status_reason=ENTERED_REASON,
        )
    else:
        _decide(document, by)  # the figures moved: the stored rollup must know
    _record(document, ReviewAction.Kind.ENTER_FIGURE, by, **_figure_detail(figure))
    return figure


@transaction.atomic
def document_remove_figure(*, figure: Observation, by: User | None) -> None:
    """Remove a figure entered by hand (the decision that entered it stays in the history).
    A document left with no figure at all goes back to review.

    Raises ``ValidationError`` (``figure``) for a figure read from the file: correct the
    reading instead.
    """
    document = Document.objects.select_for_update().get(pk=figure.document_id)
    if figure.origin != Observation.Origin.ENTERED:
        raise _refuse("figure", "Only a figure entered by hand can be removed; this one was read.")
    _record(document, ReviewAction.Kind.REMOVE_FIGURE, by, **_figure_detail(figure))
    figure.delete()
    document_refresh_figures(document=document)
    if document.status == DocumentStatus.APPROVED and not document.observations.exists():
        _decide(
            document,
            by,
            overrides_parse=True,
            status=DocumentStatus.NEEDS_REVIEW,
            status_reason="No figures: those entered by hand were removed.",
        )
    else:
        _decide(document, by)


# The original files: downloads, and deletion under the retention policy.


def _original_deleted(document: Document) -> ValidationError:
    when = timezone.localtime(document.original_deleted_at)
    return _refuse(
        "file",
        f"The original of {document.original_name} was deleted on {when:%d %B %Y} under the "
        "retention policy for record lists; its figures stay as they were read.",
    )


def document_download(*, document: Document, by: User | None) -> File:
    """Open the original file for download and record who took it and when.

    The caller has checked that ``by`` may download it (the campaign's owner or researchers).
    Raises ValidationError when the original was deleted under the retention policy or is
    missing from storage; nothing is recorded then.
    """
    if document.original_deleted_at:
        raise _original_deleted(document)
    try:
        original = document.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise _refuse("file", f"The original of {document.original_name} is not stored.") from None
    DocumentDownload.objects.create(document=document, by=by)
    return original


def _has_record_list(tables: list[dict] | None) -> bool:
    """Whether the engine read a table of one row per crime (``result["tables"]``)."""
    return any(t.get("kind") == TableKind.RECORDS for t in tables or [])


def purge_record_list_originals(*, now: datetime | None = None) -> list[int]:
    """Delete the originals of record lists whose figures were settled long enough ago.

    A record list (one row per crime: the ages, offences and dates of child victims) is kept
    only until its figures are settled: RECORD_LIST_RETENTION_DAYS after the document last
    changed state as parsed or approved, i.e. after its approval, or after the parse for a file
    that needed no review (a parsed document counts in the figures as an approved one does;
    waiting for an approval nobody is asked for would keep the rows for ever). Documents queued,
    in review, failed or marked no data keep their file. The figures, the sheet and cell of
    each, and the document row stay; ``original_deleted_at`` says when. Returns the ids of the
    documents whose original was deleted; none when the setting is off (None).
    """
    days = settings.RECORD_LIST_RETENTION_DAYS
    if days is None:
        return []
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    candidates = (
        Document.objects.counted()
        .filter(status_changed_at__lt=cutoff, original_deleted_at__isnull=True)
        .exclude(file="")
        .values_list("pk", "result__tables")
    )
    return [
        document_id
        for document_id, tables in candidates
        if _has_record_list(tables) and _purge_original(document_id, cutoff=cutoff, now=now)
    ]


@transaction.atomic
def _purge_original(document_id: int, *, cutoff: datetime, now: datetime) -> bool:
    document = Document.objects.counted().select_for_update().filter(pk=document_id).first()
    if (
        document is None
        or document.status_changed_at >= cutoff
        or document.original_deleted_at
        or not _has_record_list(document.result.get("tables"))
    ):
        return False  # changed since the list was read: a re-parse or a decision came first
    # The file goes first: if saving the row then fails, the next run finds the row again, and
    # deleting a file already gone is a no-op, so no original outlives its date.
    document.file.delete(save=False)
    document.original_deleted_at = now
    document._change_reason = "Original deleted under RECORD_LIST_RETENTION_DAYS"
    document.save(update_fields=["file", "original_deleted_at"])
    return True


# Campaigns: each asks one template's question, with its own copy of the template's vocabulary.


def periods_text(periods: list[str]) -> str:
    """The periods asked, as a request letter names them: "2015-16 to 2018-19"."""
    if not periods:
        return ""
    return periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"


@transaction.atomic
def campaign_create(
    *,
    title: str,
    slug: str,
    owner: User,
    template: str = DEFAULT_TEMPLATE,
    periods: list[str] | None = None,
    request_text: str = "",
    target_forces: Iterable[Force] | None = None,
) -> Campaign:
    """A new campaign asking a template's question (``manage.py templates`` lists them).

    Periods default to the template's; the request text to the template's, naming the periods.
    Targets default to the 44 territorial forces of England, Wales and Northern Ireland.
    Raises ``ValidationError`` naming the field: an unknown template, periods not of the
    template's kind, a slug taken.
    """
    check_length(field="request_text", value=request_text, limit=REQUEST_TEXT_MAX_LENGTH)
    stored = CampaignTemplate.objects.filter(slug=template).first()
    if stored is None:
        known = ", ".join(CampaignTemplate.objects.values_list("slug", flat=True))
        raise _refuse("template", f"No template {template!r}; the templates are: {known}.")
    campaign = Campaign(title=title, slug=slug, owner=owner, request_text=request_text)
    campaign_apply_template(campaign=campaign, template=stored, periods=periods)
    campaign.target_forces.set(
        Force.objects.default_targets() if target_forces is None else target_forces
    )
    return campaign


def campaign_apply_template(
    *, campaign: Campaign, template: CampaignTemplate, periods: list[str] | None = None
) -> Campaign:
    """Give a new (unsaved or just saved) campaign the template's question and vocabulary.

    Raises ``ValidationError`` when the campaign already has dimensions: a campaign's question
    is set once, and its vocabulary is then the researchers' to edit.
    """
    if campaign.pk and Dimension.objects.filter(campaign=campaign).exists():
        raise _refuse("template", "This campaign already has its question and vocabulary.")
    spec = Template.from_json(template.definition)
    campaign.template = template
    campaign.measure = spec.measure.name
    campaign.measure_description = spec.description
    campaign.measure_words = ", ".join(spec.measure.words)
    campaign.measure_subjects = ", ".join(spec.measure.subjects)
    campaign.measure_unit = spec.unit
    campaign.period_kind = spec.period_kind
    campaign.periods = list(periods or campaign.periods or spec.periods)
    campaign.max_age = spec.scope.max_age
    campaign.require_flag = spec.scope.require_flag
    if not campaign.request_text:
        campaign.request_text = spec.request_text.format(periods=periods_text(campaign.periods))
    campaign.full_clean(exclude=["owner"] if campaign.owner_id is None else None)
    campaign.save()
    _copy_vocabulary(campaign, spec)
    return campaign


def _copy_vocabulary(campaign: Campaign, spec: Template) -> None:
    """The template's dimensions, terms, aliases, rules and abbreviations, copied in bulk with
    their history (each copy's first version says where it came from)."""
    reason = f"Copied from the template {spec.slug}"
    for position, d in enumerate(spec.dimensions):
        (dimension,) = _with_history(
            Dimension,
            [
                Dimension(
                    campaign=campaign,
                    name=d.name,
                    kind=d.kind,
                    title=d.title,
                    words=", ".join(d.words),
                    position=position,
                )
            ],
            reason,
        )
        _with_history(
            Term,
            [
                Term(dimension=dimension, name=t.name, position=i)
                for i, t in enumerate(t for t in spec.terms if t.dimension == d.name)
            ],
            reason,
        )
        # Read back: not every database returns the keys of rows inserted in bulk.
        by_name = {t.name: t for t in Term.objects.filter(dimension=dimension)}
        aliases = {
            (t.name, alias.lower()): Alias(term=by_name[t.name], alias=alias)
            for t in spec.terms
            if t.dimension == d.name
            for alias in t.aliases
        }
        _with_history(Alias, list(aliases.values()), reason)
        rules = [
            KeywordRule(
                term=by_name[r.term], all_of=", ".join(r.all_of), none_of=", ".join(r.none_of)
            )
            for r in spec.rules
            if r.dimension == d.name
        ]
        _with_history(KeywordRule, rules, reason)
    abbreviations = [
        Abbreviation(campaign=campaign, short=a.short, expansion=a.expansion)
        for a in spec.abbreviations
    ]
    _with_history(Abbreviation, abbreviations, reason)


def _with_history(model, rows: list, reason: str) -> list:
    return bulk_create_with_history(rows, model, default_change_reason=reason)
