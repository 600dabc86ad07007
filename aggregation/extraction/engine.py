"""The extraction engine: a force's response file and the campaign's vocabulary in, the verdict,
reasons, tables and observations out (SPEC 6 and 7). It never raises for bad input.

``extract`` reads the file (``reading``) and hands the grid to ``understand``, which finds the
tables, reads their figures, checks totals against parts and decides the verdict. The rule that
runs through it: every doubt becomes a reason, and any blocking reason means needs review.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable

from .checks import check_merged_cells, check_scope, check_totals, drop_totals_over_forces
from .collector import paused_collector
from .context import Context, Figure, Hints
from .crosstab import lists_sheets, read_counts
from .grid import Sheet, Visibility, Workbook, cell_ref
from .interrupts import reraise_if_interrupt
from .labels import clean
from .measures import MeasureKind
from .records import looks_like_records, read_records
from .refusals import stated
from .result import ExtractionResult, Observation, Reason, Verdict
from .tables import ColumnKind, SheetScan, scan_sheet
from .values import read_legend
from .vocabulary import PERIOD, Hint, HintKind, Vocabulary

log = logging.getLogger(__name__)

Source = bytes | str | os.PathLike[str]

_REFUSALS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "refused_s12",
        re.compile(
            r"section 12\b|\bs\.?\s?12\b|exceed(?:s|ed)? the (?:appropriate |cost )?limit|"
            r"appropriate limit|18 hours|£450"
        ),
        "The force refused under section 12 (the cost of compliance would exceed the limit).",
    ),
    (
        "not_held",
        re.compile(
            r"not held|does not hold|do not hold|no (?:such |relevant )?information (?:is )?held|"
            r"no information|no (?:relevant )?records|nil return"
        ),
        "The force says it does not hold the information.",
    ),
    (
        "refused",
        re.compile(
            r"neither confirm nor deny|\bexempt|section (?:14|21|23|24|30|31|38|40)\b|"
            r"\bs\.?\s?(?:14|21|23|24|30|31|38|40)\b|refus"
        ),
        "The force refused the request (an exemption or a refusal notice).",
    ),
)


def extract(
    source: Source,
    vocabulary: Vocabulary,
    *,
    progress: Callable[[int], None] | None = None,
    hints: tuple[Hint, ...] | list[Hint] = (),
) -> ExtractionResult:
    """Read and understand one file. Bad input ends as a verdict, never an exception.

    ``progress`` is handed to the reader, which reports rows read so far; ``hints`` are a
    researcher's corrections of this file's reading (``vocabulary.Hint``).
    """
    # The collector off from the read to the result (see collector.paused_collector).
    with paused_collector():
        read = read_file(source, progress=progress)
        if isinstance(read, ExtractionResult):
            return read
        result = extract_workbook(read, vocabulary, hints=hints)
        # The grid goes while the collector is still off: back on, its first pass would walk
        # every row of it (about 0.05 s at 200,000 rows) to free nothing.
        del read
        return result


def read_file(
    source: Source, *, progress: Callable[[int], None] | None = None
) -> Workbook | ExtractionResult:
    """The file's workbook, or the failed result that says why it cannot be read (what
    ``extract`` returns for it). Never raises for bad input."""
    try:
        from .reading import UnreadableFile, read_workbook
    except ImportError as exc:  # the reading layer is missing: a deployment fault, not the file's
        log.exception("reading layer unavailable")
        return _failed("reader_unavailable", f"The file reader is not available: {exc}.")
    try:
        return read_workbook(source, progress=progress)
    except UnreadableFile as exc:
        return _failed(exc.code, exc.message)
    except Exception as exc:
        reraise_if_interrupt(exc)
        log.exception("unexpected error reading a file")
        return _failed("read_error", f"The file could not be read ({type(exc).__name__}: {exc}).")


def extract_workbook(
    workbook: Workbook, vocabulary: Vocabulary, *, hints: tuple[Hint, ...] | list[Hint] = ()
) -> ExtractionResult:
    """``extract`` of a file already read by ``read_file``: for a caller that looked into the
    workbook first (which force sent it?), so that the file is read once."""
    try:
        with paused_collector():
            return understand(workbook, vocabulary, hints)
    except Exception as exc:
        reraise_if_interrupt(exc)
        log.exception("unexpected error understanding a file")
        result = _failed(
            "internal_error",
            f"The file was read but could not be understood ({type(exc).__name__}: {exc}); "
            "this is a fault in the engine, not in the file.",
        )
        result.format = workbook.format
        result.sheets = [s.name for s in workbook.sheets]
        return result


def _failed(code: str, message: str) -> ExtractionResult:
    return ExtractionResult(Verdict.FAILED, [Reason(code, message)])


def understand(
    workbook: Workbook, vocabulary: Vocabulary, hints: tuple[Hint, ...] | list[Hint] = ()
) -> ExtractionResult:
    """Find every table on every visible sheet, read its figures, check them, judge."""
    ctx = Context(
        vocabulary,
        sheet_names=frozenset(clean(s.name) for s in workbook.sheets),
        hints=Hints(hints),
    )
    visible = _visible_sheets(workbook, ctx)
    for sheet in visible:
        check_merged_cells(sheet, ctx)
    scans = [(sheet, scan_sheet(sheet, ctx.headers)) for sheet in visible]
    notes = [line for _, scan in scans for line in scan.prose]
    ctx.legend = read_legend(notes, _marker_rows(visible))
    ctx.ours_titled = any(
        ctx.measures.of_title(title) is MeasureKind.OURS
        for _, scan in scans
        for layout in scan.layouts
        for title in layout.titles[-1:]
    )
    for sheet, scan in scans:
        for layout in scan.layouts:
            for column in layout.columns:
                if ctx.hints.columns.get((sheet.name, column.index)) is HintKind.LABELS:
                    column.kind = ColumnKind.LABEL  # a researcher says the labels are here
            if lists_sheets(layout, ctx):
                continue
            if looks_like_records(layout):
                read_records(layout, ctx)
            else:
                read_counts(layout, ctx)
    check_totals(ctx)
    drop_totals_over_forces(ctx)
    check_scope(ctx)
    found = {f.dims[PERIOD] for f in ctx.figures if PERIOD in f.dims}
    ctx.reasons += period_reasons(found, ctx.vocabulary.periods)
    verdict = _verdict(ctx, visible, scans)
    return ExtractionResult(
        verdict=verdict,
        reasons=ctx.reasons,
        tables=ctx.tables,
        # Every figure of a campaign is of a period: a total over every period ("Grand Total"
        # under a column of years) is a check on the others, never a figure of its own.
        observations=[_observation(f) for f in ctx.figures if PERIOD in f.dims],
        format=workbook.format,
        sheets=[s.name for s in workbook.sheets],
        rows_read=sum(s.n_rows for s in workbook.sheets),
    )


def _marker_rows(sheets: list[Sheet]) -> list[tuple[object, object]]:
    """Rows of two cells, a short marker beside words: where a legend may be a table ("#" |
    "less than 5 (figure suppressed)" on a notes sheet). Bounded: legends are short."""
    pairs = []
    for sheet in sheets:
        for row in sheet.rows[:2000]:
            filled = [v for v in row if v is not None and v != ""]
            if len(filled) == 2 and isinstance(filled[0], str) and len(filled[0].strip()) <= 3:
                pairs.append((filled[0], filled[1]))
    return pairs


def _visible_sheets(workbook: Workbook, ctx: Context) -> list[Sheet]:
    visible = []
    for sheet in workbook.sheets:
        if sheet.visibility is Visibility.VISIBLE:
            visible.append(sheet)
            continue
        how = "very hidden" if sheet.visibility is Visibility.VERY_HIDDEN else "hidden"
        ctx.reason(
            "hidden_sheet",
            f"The workbook has a {how} sheet '{sheet.name}'; hidden sheets are not read as data.",
            sheet.name,
            blocking=False,
        )
    return visible


def period_reasons(found: set[str], asked: tuple[str, ...] | list[str]) -> list[Reason]:
    """Informational reasons on the periods a file gives against those a campaign asks: the ones
    missing, and the ones it gives that were not asked (kept, never counted in the rollup)."""
    if not found or not asked:
        return []
    reasons = []
    missing = [p for p in asked if p not in found]
    if missing:
        reasons.append(
            Reason(
                "missing_periods",
                "The file gives no figures for " + ", ".join(missing) + ".",
                blocking=False,
            )
        )
    extra = sorted(found - set(asked))
    if extra:
        reasons.append(
            Reason(
                "periods_not_asked",
                "The file also gives figures for "
                + ", ".join(extra)
                + ", which the campaign did not ask for: they are kept but not counted.",
                blocking=False,
            )
        )
    return reasons


def _verdict(ctx: Context, visible: list[Sheet], scans: list[tuple[Sheet, SheetScan]]) -> Verdict:
    if not ctx.tables:
        refusal = _refusal(visible)
        if refusal:
            code, message, sheet, cell = refusal
            ctx.reason(code, message, sheet, cell, blocking=False)
            return Verdict.NO_DATA
        if not any(scan.layouts for _, scan in scans):
            ctx.reason("no_tables", "No table of figures was found in the file.")
            return Verdict.NEEDS_REVIEW
    if not ctx.figures and not any(r.blocking for r in ctx.reasons):
        ctx.reason("no_figures", "Tables were found but no figure could be read from them.")
    if any(r.blocking for r in ctx.reasons):
        return Verdict.NEEDS_REVIEW
    return Verdict.PARSED


def _refusal(sheets: list[Sheet]) -> tuple[str, str, str, str] | None:
    """A letter with no tables: which refusal, quoting the words that say so and their cell."""
    for code, pattern, message in _REFUSALS:
        if said := stated(sheets, pattern):
            quote, sheet, cell = said
            return code, f"{message} It says: “{quote}” ({sheet}!{cell}).", sheet, cell
    return None


def _observation(figure: Figure) -> Observation:
    cell = figure.cell
    exact = cell.lower == cell.upper
    return Observation(
        dimensions=dict(figure.dims),
        value=cell.value if exact else None,
        lower=cell.lower,
        upper=cell.upper,
        sheet=figure.sheet,
        cell=figure.cells or cell_ref(figure.row, figure.col),
        derived=figure.derived,
        raw=cell.raw,
        table=figure.table,
        note=cell.note,
    )
