"""Reading the figures of a table of counts: a crosstab (labels down the side and across the top)
or a long table (several label columns and one count column), which are the same thing with
fewer or more label columns.

Each figure's dimensions come from its row's labels, its column's headers and the table's
context (a period in the title or sheet name). A "Total" anywhere makes the figure derived
over that label's dimension; ``checks`` later compares it with its parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .context import (
    HINTED_LABELS,
    PERIOD_KIND_NAMES,
    Context,
    Figure,
    LabelKind,
    ParsedLabel,
)
from .grid import cell_ref, column_letter, range_ref
from .headers import Role
from .hierarchy import Subtotal, find_subtotals
from .labels import clean, find_period, parse_period, parse_total
from .measures import MeasureKind
from .period_dates import read_period_dates
from .result import Table, TableKind
from .tables import Column, ColumnKind, Layout
from .values import FIGURE_KINDS, ValueKind, parse_value
from .vocabulary import FORCE, PERIOD, HintKind, PeriodKind


def _named_dimension(column: Column) -> str | None:
    """The dimension a column's heading names, if any ("Victim age", "Financial year")."""
    if column.role is Role.PERIOD:
        return PERIOD
    if column.role is Role.FORCE:
        return FORCE
    return column.dimension if column.role in (Role.AGE, Role.CATEGORY) else None


_PROBLEM_CODES = {
    ValueKind.NOT_AVAILABLE: ("not_available", "given as not available"),
    ValueKind.ERROR: ("excel_error", "an Excel error where a figure should be"),
    ValueKind.NO_FORMULA_VALUE: (
        "formula_without_value",
        "a formula whose value was never saved: its figure is unknown, not zero",
    ),
    ValueKind.TEXT: ("unreadable_value", "text where a figure should be"),
    ValueKind.PERCENT: ("unreadable_value", "a percentage where a count should be"),
    ValueKind.REVISION: ("unreadable_value", "a revision mark where a count should be"),
}


@dataclass(slots=True)
class _Axis:
    """A label column (down the side) or a header level (across the top)."""

    dimension: str
    labels: dict[int, ParsedLabel]  # row or column index -> parsed label
    source: int  # the label column's index, or the header level's position in header_rows


def read_counts(layout: Layout, ctx: Context) -> None:
    """Add the figures of one table of counts to ``ctx`` (or reasons why it cannot be read)."""
    values = layout.columns_of(ColumnKind.VALUE)
    cells = _cells(layout)
    if not values or not _holds_figures(layout, values):
        # A legend, a list of notes: words and markers, no count. Or shares with decimals
        # (43.6, 36.2), no count either, but said.
        _percentages(layout, ctx, cells)
        return
    sheet = layout.sheet.name
    label_columns = layout.columns_of(ColumnKind.LABEL)
    table_index = len(ctx.tables)

    if (
        _counts_another_measure(layout, ctx, sheet, cells)
        or _totals_another_measure(layout, label_columns, ctx, cells)
        or _percentages(layout, ctx, cells)
    ):
        return
    values = _drop_percent_columns(layout, values, ctx)
    values = [c for c in values if ctx.hints.columns.get((sheet, c.index)) not in _NOT_READ]
    values, _other_columns = _measure_columns(layout, values, ctx, sheet)
    if not values:
        return
    # Columns under a heading the campaign does not ask about ("Gender of victim": Male,
    # Female) beside its own: left out.
    unasked = [c for c in values if _under_unasked_band(c, values, ctx)]
    asked = [c for c in values if c not in unasked]
    row_axes = _row_axes(layout, label_columns, asked or values, ctx)
    if _split_by_unasked(layout, label_columns, row_axes, asked or values, ctx, cells):
        return
    if unasked and _report_unasked_columns(layout, unasked, row_axes, asked, ctx, cells):
        return
    values = asked
    dated = read_period_dates(layout, ctx)  # a column of dates naming each row's period
    if dated is not None:
        if not dated.labels:
            return  # no row is for a period of the campaign's kind: a reason says so
        row_axes.insert(0, _Axis(PERIOD, dated.labels, dated.column))
        # The dates come first: the other label columns hold no groups filled down past them.
        _grand_total_spans_the_other_axes(
            row_axes[0], row_axes, lambda other, r: layout.sheet.value(r, other.source)
        )
    col_axes = _column_axes(layout, values, ctx)
    if _columns_split_by_unknown(layout, values, row_axes, col_axes, ctx, cells):
        return
    axis_dims = [a.dimension for a in row_axes + col_axes if a.dimension != MEASURE]
    _report_other_measure_rows(layout, row_axes, ctx, sheet)
    if len(set(axis_dims)) != len(axis_dims):
        ctx.reason(
            "unclear_layout",
            "The same dimension runs along two axes of this table; it cannot be read safely.",
            sheet,
            cells,
        )
        return
    if _has_other_periods(row_axes + col_axes, ctx, sheet, cells):
        return
    context = _table_context(layout, axis_dims, ctx, sheet, cells)
    if context is None:
        return

    kind = TableKind.LONG if len(row_axes) >= 2 and len(values) == 1 else TableKind.CROSSTAB
    ctx.tables.append(Table(sheet, cells, kind, _title(layout)))
    _report_measure_in_doubt(layout, ctx, cells)
    _report_ignored_columns(layout, ctx)
    _report_unknown_labels(layout, row_axes, col_axes, table_index, ctx)

    skipped = dated.skipped if dated is not None else set()
    for r in _rows_with_figures(layout, values):
        if r in skipped:
            continue  # twelve months of another kind than the campaign's: a reason says so
        if ctx.hints.rows.get((sheet, r)) in _NOT_READ:
            continue  # a researcher says this row holds no figure of the campaign's
        row_dims, row_over, ok = _combine(row_axes, r, context)
        if not ok:
            continue
        for column in values:
            col_dims, col_over, ok = _combine(col_axes, column.index, {})
            if not ok:
                continue
            _read_cell(
                layout, r, column, {**row_dims, **col_dims}, row_over | col_over, table_index, ctx
            )


# Cells only a spreadsheet's machinery writes, where a figure should be: a table of them is
# a table of figures gone wrong, never a legend ("not available" may be a legend's words).
_MACHINE_KINDS = frozenset({ValueKind.NO_FORMULA_VALUE, ValueKind.ERROR})


def _holds_figures(layout: Layout, values: list[Column]) -> bool:
    """Whether a table holds figures, or cells where figures should be (a formula saved
    without its value, an Excel error): a legend or a list of notes holds neither."""
    sheet = layout.sheet
    return any(
        parse_value(sheet.value(r, c.index)).kind in FIGURE_KINDS | _MACHINE_KINDS
        for r in layout.body_rows
        for c in values
    )


def _cells(layout: Layout) -> str:
    """The table's range, from its first header row to its last body row ("A4:E12")."""
    columns = [c.index for c in layout.columns]
    return range_ref(layout.first_row, min(columns), layout.last_row, max(columns))


def lists_sheets(layout: Layout, ctx: Context) -> bool:
    """A contents page, reported: its labels are the workbook's other sheets ("Table 1",
    "Notes"), and its numbers are row counts or page numbers, its dates when each was produced:
    never figures, nor records. A summary whose rows name sheets ("Rape" beside a sheet "Rape")
    but whose columns are periods is figures."""
    label_columns = layout.columns_of(ColumnKind.LABEL)
    if not label_columns:
        return False
    cells = _cells(layout)
    others = ctx.sheet_names - {clean(layout.sheet.name)}
    headings = [h for c in layout.columns_of(ColumnKind.VALUE) for h in c.headers]
    if not others or any(parse_period(h) for h in headings if h is not None):
        return False
    for column in label_columns:
        labels = [clean(layout.sheet.value(r, column.index)) for r in layout.body_rows]
        labels = [label for label in labels if label]
        if labels and sum(label in others for label in labels) * 2 >= len(labels):
            ctx.reason(
                "contents",
                "This table lists the workbook's sheets (a contents page); it was not read.",
                layout.sheet.name,
                cells,
                blocking=False,
            )
            return True
    return False


def _split_by_unasked(
    layout: Layout,
    label_columns: list[Column],
    row_axes: list[_Axis],
    values: list[Column],
    ctx: Context,
    cells: str,
) -> bool:
    """Rows split by labels of no dimension of the campaign's, so that rows share a key: each
    row is a part, and no row is a figure of the campaign's. Reported, not read.

    Under a heading naming a dimension the campaign does not ask about ("Gender": Male, Female)
    that is informational, unless the rows are also split by the campaign's own dimensions
    (those figures would need summing over it). Under any other heading the labels may be the
    campaign's own in spellings it does not know ("Pursuit-related", "Other"): a doubt.
    """
    read = {axis.source for axis in row_axes}
    sheet = layout.sheet
    with_figures = _rows_with_figures(layout, values)
    for column in label_columns:
        if column.index in read:
            continue
        by_key: dict[tuple, set[str]] = {}
        for r in with_figures:
            label = clean(sheet.value(r, column.index))
            if label and parse_total(label) is None:
                key = tuple(a.labels[r].value if r in a.labels else "" for a in row_axes)
                by_key.setdefault(key, set()).add(label)
        if not any(len(labels) > 1 for labels in by_key.values()):
            continue  # a column of codes or notes beside rows the axes already tell apart
        heading = next((h for h in column.headers if clean(h)), column_letter(column.index))
        own = [a.dimension for a in row_axes if a.dimension not in (PERIOD, MEASURE)]
        if column.role is Role.OTHER:
            ctx.reason(
                "breakdown_not_asked",
                f"This table's rows are split by '{heading}', which the campaign does not ask "
                "about; "
                + (
                    f"its figures by {', '.join(own)} would need summing over it, so it was "
                    "not read."
                    if own
                    else "it was not read."
                ),
                sheet.name,
                cells,
                blocking=bool(own),
            )
        else:
            examples = sorted({label for labels in by_key.values() for label in labels})[:4]
            ctx.reason(
                "unknown_breakdown",
                f"This table's rows are split by labels in column {column_letter(column.index)} "
                f"({', '.join(repr(e) for e in examples)}) that match no dimension of the "
                "campaign's; it was not read.",
                sheet.name,
                cells,
            )
        return True
    return False


def _columns_split_by_unknown(
    layout: Layout,
    values: list[Column],
    row_axes: list[_Axis],
    col_axes: list[_Axis],
    ctx: Context,
    cells: str,
) -> bool:
    """Columns told apart only by labels of no dimension of the campaign's ("Male", "Female",
    "Not recorded" in an age campaign): no column is a figure of the campaign's. Reported, not
    read; informational under a title naming a dimension the campaign does not ask about,
    unless the rows split the campaign's own figures (those would need summing over it)."""
    read_levels = {axis.source for axis in col_axes}
    for level in range(len(layout.header_rows)):
        if level in read_levels:
            continue
        by_key: dict[tuple, dict[str, str]] = {}  # column key -> clean label -> as written
        for column in values:
            label = clean(column.headers[level])
            if not label or ctx.headers.role(label) is Role.MEASURE:
                continue
            dims, _over, ok = _combine(col_axes, column.index, {})
            if ok:
                key = tuple(sorted(dims.items()))
                by_key.setdefault(key, {})[label] = str(column.headers[level]).strip()
        split = next((labels for labels in by_key.values() if len(labels) > 1), None)
        if split is None:
            continue
        own = [a.dimension for a in row_axes if a.dimension not in (PERIOD, MEASURE)]
        examples = ", ".join(repr(label) for label in list(split.values())[:4])
        title = _title(layout)
        if title and ctx.headers.role(title) is Role.OTHER:
            ctx.reason(
                "breakdown_not_asked",
                f"This table's columns ({examples}) are split by '{title}', which the campaign "
                "does not ask about; "
                + (
                    f"its figures by {', '.join(own)} would need summing over it, so it was "
                    "not read."
                    if own
                    else "it was not read."
                ),
                layout.sheet.name,
                cells,
                blocking=bool(own),
            )
        else:
            ctx.reason(
                "unknown_breakdown",
                f"This table's columns are split by labels ({examples}) that match no "
                "dimension of the campaign's; it was not read.",
                layout.sheet.name,
                cells,
            )
        return True
    return False


def _under_unasked_band(column: Column, values: list[Column], ctx: Context) -> bool:
    """Whether a column sits under a band heading, shared with its neighbours, that names a
    dimension the campaign does not ask about ("Gender of victim" over Male, Female)."""
    for level, heading in enumerate(column.headers[:-1]):
        if not clean(heading) or ctx.headers.role(heading) is not Role.OTHER:
            continue
        if sum(c.headers[level] == heading for c in values) >= 2:
            return True
    return False


def _report_unasked_columns(
    layout: Layout,
    unasked: list[Column],
    row_axes: list[_Axis],
    asked: list[Column],
    ctx: Context,
    cells: str,
) -> bool:
    """Columns split by something the campaign does not ask about are reported; True when no
    other column is left to read. A doubt when they split the campaign's own figures (rows
    by age, columns by gender): those would need summing over it."""
    heading = next((h for h in unasked[0].headers if clean(h)), "")
    own = [a.dimension for a in row_axes if a.dimension not in (PERIOD, MEASURE)]
    letters = ", ".join(column_letter(c.index) for c in unasked)
    ctx.reason(
        "breakdown_not_asked",
        f"Columns {letters} are split by '{heading}', which the campaign does not ask about; "
        "they were not read"
        + (
            f": the figures by {', '.join(own)} would need summing over it."
            if own and not asked
            else "."
        ),
        layout.sheet.name,
        ",".join(cell_ref(layout.header_rows[0], c.index) for c in unasked),
        blocking=bool(own) and not asked,
    )
    return not asked


def _percentages(layout: Layout, ctx: Context, cells: str) -> bool:
    """A block of percentages (titled "Percentages", "% of total"), or of fractions (most of
    its figures have decimals): shares, never counts. Reported, not read."""
    title = _title(layout)
    titled = ctx.headers.role(title) is Role.PERCENT
    sheet = layout.sheet
    # Decimals are no figure: a block of them may have no value column at all.
    columns = layout.columns_of(ColumnKind.VALUE) or layout.columns[1:]
    numbers = [
        v
        for r in layout.body_rows
        for c in columns
        if isinstance(v := sheet.value(r, c.index), int | float) and not isinstance(v, bool)
    ]
    fractions = sum(isinstance(v, float) and not v.is_integer() for v in numbers)
    if not titled and (not numbers or fractions * 2 <= len(numbers)):
        return False
    ctx.reason(
        "percentages",
        f"This table gives shares, not counts ('{title or 'figures with decimals'}'); "
        "it was not read.",
        sheet.name,
        cells,
        blocking=False,
    )
    return True


def _counts_another_measure(layout: Layout, ctx: Context, sheet: str, cells: str) -> bool:
    """A table whose title says it counts another measure ("Table 1 - Number of victims") is
    not read: it is reported. So is one whose title only opens with another noun ("Victims
    by age") where another table in the file is titled by the campaign's measure."""
    title = _title(layout)
    if ctx.measures.of_title(title) is not MeasureKind.OTHER:
        return False
    if not ctx.measures.counted_in_title(title) and not ctx.ours_titled:
        return False  # read; a doubt unless it names whose the figures are
    ctx.reason(
        "other_measure",
        f"This table counts another measure than the campaign's {ctx.measures.name} ('{title}'); "
        "it was not read.",
        sheet,
        cells,
        blocking=False,
    )
    return True


def _totals_another_measure(
    layout: Layout, label_columns: list[Column], ctx: Context, cells: str
) -> bool:
    """A table whose total is named by another measure ("Total fatalities" as a row or column
    in an age table) counts that measure throughout: reported, not read. Under a title opening
    with whose the figures are ("Victims by age"), "All victims" is their total, no other."""
    sheet = layout.sheet
    subject = ctx.measures.subject_of(_title(layout))
    named = [(c.headers[-1], layout.header_rows[-1], c.index) for c in layout.columns if c.headers]
    named += [
        (sheet.value(r, c.index), r, c.index) for c in label_columns for r in layout.body_rows
    ]
    for text, row, col in named:
        if (
            isinstance(text, str)
            and parse_total(text) is not None
            and ctx.measures.read(text) is MeasureKind.OTHER
            and not (subject and subject in clean(text).split())
        ):
            ctx.reason(
                "other_measure",
                f"This table's total is of another measure ('{clean(text)}') than the "
                f"campaign's {ctx.measures.name}; the table at {cells} was not read.",
                sheet.name,
                cell_ref(row, col),
                blocking=False,
            )
            return True
    return False


def _report_measure_in_doubt(layout: Layout, ctx: Context, cells: str) -> None:
    """A title opening with another noun ("Incidents by age" in a campaign counting offences)
    with no table in the file titled by the campaign's measure: read, and the doubt is a
    researcher's to settle. One opening with whose the figures are ("Victims by age", the
    campaign's ``Measure.subjects``) is no doubt."""
    title = _title(layout)
    if ctx.measures.of_title(title) is MeasureKind.OTHER and not ctx.measures.names_subject(title):
        ctx.reason(
            "measure_unclear",
            f"This table's title ('{title}') names another measure than the campaign's "
            f"{ctx.measures.name}; its figures were read as the campaign's: check they count "
            "the same thing.",
            layout.sheet.name,
            cells,
        )


# Rows and columns a researcher says are no figures of the campaign's.
_NOT_READ = (HintKind.NOT_DATA, HintKind.OTHER_MEASURE)


def _drop_percent_columns(layout: Layout, values: list[Column], ctx: Context) -> list[Column]:
    """Columns headed as shares ("%", or under a "Percentages" band beside "Numbers"): never
    counts, reported and left out."""
    shares = [
        c
        for c in values
        if any(clean(h) and ctx.headers.role(h) is Role.PERCENT for h in c.headers)
    ]
    if not shares:
        return values
    ctx.reason(
        "percentages",
        f"Columns {', '.join(column_letter(c.index) for c in shares)} give shares, not counts; "
        "they were not read.",
        layout.sheet.name,
        [cell_ref(layout.header_rows[0], c.index) for c in shares],
        blocking=False,
    )
    return [c for c in values if c not in shares]


def _measure_columns(
    layout: Layout, values: list[Column], ctx: Context, sheet: str
) -> tuple[list[Column], list[Column]]:
    """The value columns of the campaign's measure, where a header level names measures
    ("Offences" and "Victims" under each year); the other measures' columns are reported."""
    for level in range(len(layout.header_rows)):
        kinds = {c.index: ctx.measures.read(c.headers[level]) for c in values}
        if MeasureKind.OTHER not in kinds.values():
            continue
        other = [c for c in values if kinds[c.index] is MeasureKind.OTHER]
        dimension = ctx.resolve_axis([c.headers[level] for c in values], None)
        if dimension is not None and all(
            ctx.parse_label(dimension, c.headers[level]).kind is LabelKind.VALUE for c in other
        ):
            continue  # the level names a dimension's values, whatever its words
        named = sorted({clean(c.headers[level]) for c in other})
        kept = [c for c in values if kinds[c.index] is not MeasureKind.OTHER]
        ctx.reason(
            "other_measure",
            f"Columns {', '.join(column_letter(c.index) for c in other)} count another measure "
            f"({', '.join(named)}) than the campaign's {ctx.measures.name}; they were not read.",
            sheet,
            [cell_ref(layout.header_rows[level], c.index) for c in other],
            blocking=not any(k is MeasureKind.OURS for k in kinds.values()),
        )
        return kept, other
    return values, []


def _report_other_measure_rows(
    layout: Layout, row_axes: list[_Axis], ctx: Context, sheet: str
) -> None:
    for axis in row_axes:
        if axis.dimension != MEASURE:
            continue
        rows = [r for r, p in axis.labels.items() if p.kind is LabelKind.OTHER_MEASURE]
        named = sorted({clean(layout.sheet.value(r, axis.source)) for r in rows})
        ctx.reason(
            "other_measure",
            f"{len(rows)} rows count another measure ({', '.join(named)}) than the campaign's "
            f"{ctx.measures.name}; they were not read.",
            sheet,
            [cell_ref(r, axis.source) for r in rows],
            blocking=all(p.kind is LabelKind.OTHER_MEASURE for p in axis.labels.values()),
        )


def _title(layout: Layout) -> str:
    return layout.titles[-1] if layout.titles else ""


def _row_axes(
    layout: Layout, label_columns: list[Column], values: list[Column], ctx: Context
) -> list[_Axis]:
    found: list[tuple[str, Column, dict[int, object]]] = []
    # Rows labelled only in the group column of a merged pair, and that column.
    outer_rows: set[int] = set()
    outer_col = 0
    for position, column in enumerate(label_columns):
        innermost = position == len(label_columns) - 1
        raw = _label_cells(layout, column, fill_down=not innermost)
        dimension = ctx.resolve_axis(
            list(raw.values()), _named_dimension(column), foreign=column.role is Role.OTHER
        )
        if dimension is None:
            if _names_measures(raw, ctx):
                found.append((MEASURE, column, raw))
            continue  # else a column of codes or notes beside the labels
        if found and found[-1][0] == dimension and innermost:
            # Two columns of the same dimension: groups beside their members (a pivot table).
            # One axis, the member's label where there is one, else the group's ("Rape Total").
            group_column = found.pop()[1]
            outer_col = group_column.index
            outer = _label_cells(layout, group_column, fill_down=False)
            outer_rows = {r for r, v in raw.items() if not clean(v) and clean(outer.get(r))}
            raw = {r: v if clean(v) else outer.get(r) for r, v in raw.items()}
        found.append((dimension, column, raw))
    axes = []
    for position, (dimension, column, raw) in enumerate(found):
        if dimension == MEASURE:
            axes.append(_Axis(MEASURE, _measure_labels(raw, ctx), column.index))
            continue
        labels = {r: ctx.parse_label(dimension, v) for r, v in raw.items()}
        if dimension == PERIOD:
            _read_years_under_their_end(column.headers, raw, labels, ctx)
        if position == len(found) - 1 and dimension != PERIOD:
            where = {r: outer_col for r in outer_rows}
            _mark_subtotals(layout, column, raw, values, labels, ctx, where)
        if position == len(found) - 1 and ctx.hints:
            for r in labels:
                hinted = ctx.hints.rows.get((layout.sheet.name, r))
                if hinted in HINTED_LABELS:
                    labels[r] = HINTED_LABELS[hinted]
        axes.append(_Axis(dimension, labels, column.index))
    raws = {id(axis): raw for axis, (_d, _c, raw) in zip(axes, found, strict=True)}
    for axis in axes:
        _grand_total_spans_the_other_axes(axis, axes, lambda other, r: raws[id(other)].get(r))
    return axes


def _grand_total_spans_the_other_axes(
    axis: _Axis, axes: list[_Axis], raw: Callable[[_Axis, int], object]
) -> None:
    """A "Grand Total" row of a long table leaves its other label cells empty: it is the total
    over those axes too, never a row with a missing label. ``raw``: an axis's label as the
    table gives it for a row (groups filled down)."""
    grand = ParsedLabel(LabelKind.TOTAL)
    for r, parsed in axis.labels.items():
        if parsed != grand:
            continue
        for other in axes:
            if other is not axis and other.dimension != MEASURE and not clean(raw(other, r)):
                other.labels[r] = grand


# A title saying its columns are twelve months named by their end.
_ROLLING = re.compile(r"\brolling\b|\b(?:12|twelve)[- ]months?\b|\byears? (?:ending|to)\b")


def _read_years_under_their_end(
    headers: list[object], raw: dict[int, object], labels: dict[int, ParsedLabel], ctx: Context
) -> None:
    """Bare years under a heading that names the day their twelve months end ("Year ending 31
    March" over 2016, 2017), or months under "Year ending": read as those twelve months, never
    as calendar years or months. ``headers``: the headings above, the nearest last."""
    headings = [h for h in reversed(headers) if clean(h)]  # the nearest first
    for r, value in raw.items():
        for heading in headings:
            if (parsed := ctx.parse_period_under(heading, value)) is not None:
                labels[r] = parsed
                break


# A row label column that names measures ("Crimes", "Victims" under each year): an axis that
# says which rows to read, never a dimension of the figures.
MEASURE = "measure"


def _names_measures(raw: dict[int, object], ctx: Context) -> bool:
    kinds = [ctx.measures.read(v) for v in raw.values() if clean(v)]
    return MeasureKind.OTHER in kinds and all(k is not None for k in kinds)


def _measure_labels(raw: dict[int, object], ctx: Context) -> dict[int, ParsedLabel]:
    return {
        r: ParsedLabel(LabelKind.OTHER_MEASURE)
        if ctx.measures.read(v) is MeasureKind.OTHER
        else ParsedLabel(LabelKind.VALUE)
        for r, v in raw.items()
    }


def _mark_subtotals(
    layout: Layout,
    column: Column,
    raw: dict[int, object],
    values: list[Column],
    labels: dict[int, ParsedLabel],
    ctx: Context,
    outer_rows: dict[int, int],
) -> None:
    """Rows the figures show to be subtotals of the rows they head or close (``hierarchy``).
    A row labelled only in the group column beside the members' ("England and Wales" in
    column A over forces in column B) sits a level above them, as if outdented."""
    sheet = layout.sheet
    subtotals = find_subtotals(
        layout.body_rows,
        label=raw.get,
        indent=lambda r: (
            0 if r in outer_rows else sheet.indents.get((r, column.index), 0) + bool(outer_rows)
        ),
        values=lambda r: [sheet.value(r, c.index) for c in values],
    )
    _apply_subtotals(
        subtotals,
        labels,
        ctx,
        sheet.name,
        lambda r: cell_ref(r, outer_rows.get(r, column.index)),
        "row",
    )


def _mark_column_subtotals(
    layout: Layout, level: int, raw: dict[int, object], labels: dict[int, ParsedLabel], ctx: Context
) -> None:
    """Columns the figures show to be subtotals of the columns before them ("South East total"
    after the South East's forces): the same reading as rows, across."""
    sheet = layout.sheet
    subtotals = find_subtotals(
        list(raw),
        label=raw.get,
        indent=lambda c: 0,
        values=lambda c: [sheet.value(r, c) for r in layout.body_rows],
    )
    row = layout.header_rows[level]
    _apply_subtotals(subtotals, labels, ctx, sheet.name, lambda c: cell_ref(row, c), "column")


def _apply_subtotals(
    subtotals: dict[int, Subtotal],
    labels: dict[int, ParsedLabel],
    ctx: Context,
    sheet: str,
    ref: Callable[[int], str],
    noun: str,
) -> None:
    """Subtotals become derived over the dimension, with its value when every member has the
    same one; a subtotal of members of several values is a check only, never a figure."""

    def value_of(position: int) -> set[str]:
        if position in subtotals:
            return set().union(*(value_of(m) for m in subtotals[position].members))
        parsed = labels.get(position)
        return {parsed.value} if parsed and parsed.kind is LabelKind.VALUE else {""}

    checks = []
    for position, subtotal in subtotals.items():
        if subtotal.grand or labels.get(position) == ParsedLabel(LabelKind.TOTAL):
            # The figures confirm a total the label already reads as the table's whole.
            labels[position] = ParsedLabel(LabelKind.TOTAL)
            continue
        members = value_of(position)
        if len(members) == 1 and "" not in members:
            labels[position] = ParsedLabel(LabelKind.TOTAL, members.pop())
        else:
            labels[position] = ParsedLabel(LabelKind.SUBTOTAL)
            checks.append(ref(position))
    if checks:
        ctx.reason(
            f"subtotal_{noun}s",
            (f"{len(checks)} {noun}s sum" if len(checks) > 1 else f"1 {noun} sums")
            + f" the {noun}s of a group that falls in several categories (a group subtotal): "
            "checked against its members, not counted.",
            sheet,
            checks,
            blocking=False,
        )


def _label_cells(layout: Layout, column: Column, *, fill_down: bool) -> dict[int, object]:
    """The label of each body row in this column; an outer label column's value written once
    over a group of rows (merged or not) applies to each row of the group."""
    sheet = layout.sheet
    merged = {
        (r, c): (m.first_row, m.first_col)
        for m in sheet.merged
        if m.first_col <= column.index <= m.last_col and m.last_row >= layout.first_row
        for r in range(m.first_row, m.last_row + 1)
        for c in (column.index,)
    }
    labels: dict[int, object] = {}
    current: object = None
    for r in layout.body_rows:
        value = sheet.value(r, column.index)
        if not clean(value) and (r, column.index) in merged:
            value = sheet.value(*merged[(r, column.index)])
        if clean(value):
            current = value
        elif fill_down:
            value = current
        labels[r] = value
    return labels


def _column_axes(layout: Layout, values: list[Column], ctx: Context) -> list[_Axis]:
    axes: list[_Axis] = []
    for level in range(len(layout.header_rows)):
        raw = {c.index: c.headers[level] for c in values}
        if not any(clean(v) for v in raw.values()):
            continue
        hint = next((d for d in map(_named_dimension, values) if d), None)
        dimension = ctx.resolve_axis(list(raw.values()), None)
        if dimension is None:
            continue  # a level of measure names ("Count", "Number of offences")
        parsed = {c: ctx.parse_label(dimension, v) for c, v in raw.items()}
        if dimension == PERIOD:
            for column in values:  # under a band naming the end day, or the table's title
                title = _title(layout)
                # "Rolling 12-month totals": each column names the end of its twelve months.
                rolling = "year ending" if _ROLLING.search(clean(title)) else None
                above = [rolling, title, *column.headers[:level]]
                _read_years_under_their_end(above, {column.index: raw[column.index]}, parsed, ctx)
        if all(p.kind is LabelKind.UNKNOWN for p in parsed.values()) and hint is None:
            continue
        if level == len(layout.header_rows) - 1 and dimension != PERIOD:
            _mark_column_subtotals(layout, level, raw, parsed, ctx)
        if level == len(layout.header_rows) - 1 and ctx.hints:
            for c in parsed:
                hinted = ctx.hints.columns.get((layout.sheet.name, c))
                if hinted in HINTED_LABELS:
                    parsed[c] = HINTED_LABELS[hinted]
        axes.append(_Axis(dimension, parsed, level))
    return axes


def _has_other_periods(axes: list[_Axis], ctx: Context, sheet: str, cells: str) -> bool:
    """Whether the table counts by periods of another kind than the campaign's: then it is
    flagged, never converted. Rolling years beside the campaign's own financial years ("Year
    ending Jun 2015" ... "Year ending Mar 2016") are overlapping views of the same offences:
    the financial years are read and the others reported (SPEC 4)."""
    for axis in axes:
        found = [p for p in axis.labels.values() if p.kind is LabelKind.OTHER_PERIOD]
        if not found:
            continue
        ours = any(p.kind is LabelKind.VALUE for p in axis.labels.values())
        if ours and all(p.period_kind is PeriodKind.ROLLING_YEAR for p in found):
            rolling = sorted({p.value for p in found})
            ctx.reason(
                "rolling_years",
                f"This table also counts rolling years ({', '.join(rolling[:6])}"
                f"{', …' if len(rolling) > 6 else ''}); only the years ending in March are "
                "financial years, and only those were read.",
                sheet,
                cells,
                blocking=False,
            )
            continue
        ctx.other_periods(found, "This table counts", sheet, cells)
        return True
    return False


def _table_context(
    layout: Layout, axis_dims: list[str], ctx: Context, sheet: str, cells: str
) -> dict[str, str] | None:
    """Dimensions the whole table shares, from its title or sheet name ("2018-19" per sheet)."""
    if PERIOD in axis_dims:
        return {}
    if given := ctx.hints.period(sheet, layout.first_row, layout.last_row):
        return {PERIOD: given}  # a researcher read it from the title
    for text in [*reversed(layout.titles), layout.sheet.name]:
        period = find_period(text)
        if period is None:
            continue
        if period.kind is ctx.vocabulary.period_kind:
            return {PERIOD: period.canonical}
        found = ParsedLabel(LabelKind.OTHER_PERIOD, period.canonical, period.kind)
        ctx.other_periods([found], f"This table ('{text}') counts", sheet, cells)
        return None
    ctx.reason(
        "no_period",
        f"This table does not say which {PERIOD_KIND_NAMES[ctx.vocabulary.period_kind]} its "
        "figures are for.",
        sheet,
        cells,
    )
    return None


def _report_ignored_columns(layout: Layout, ctx: Context) -> None:
    sheet = layout.sheet.name
    for column in layout.columns_of(ColumnKind.REVISION):
        ctx.reason(
            "revision_flags",
            f"Column {column_letter(column.index)} holds revision marks (R): read as notes on the "
            "figures beside them, not as data.",
            sheet,
            range_ref(layout.body_rows[0], column.index, layout.last_row, column.index),
            blocking=False,
        )


def _report_unknown_labels(
    layout: Layout, row_axes: list[_Axis], col_axes: list[_Axis], table: int, ctx: Context
) -> None:
    sheet = layout.sheet.name
    with_figures = set(_rows_with_figures(layout, layout.columns_of(ColumnKind.VALUE)))
    columns = {c.index: c for c in layout.columns}
    for axis in row_axes:
        for r, parsed in axis.labels.items():
            if parsed.kind is LabelKind.UNKNOWN and r in with_figures:
                raw = layout.sheet.value(r, axis.source)
                _unknown(ctx, axis.dimension, raw, sheet, cell_ref(r, axis.source), table)
    for axis in col_axes:
        for c, parsed in axis.labels.items():
            if parsed.kind is LabelKind.UNKNOWN:
                raw = columns[c].headers[axis.source]
                ref = cell_ref(layout.header_rows[axis.source], c)
                _unknown(ctx, axis.dimension, raw, sheet, ref, table)


def _unknown(ctx: Context, dimension: str, raw: object, sheet: str, cell: str, table: int) -> None:
    text = "" if raw is None else str(raw).strip()
    ctx.incomplete.add((table, dimension))
    shown = f"'{text}'" if text else "an empty label"
    ctx.reason(
        "unknown_label",
        f"{shown} {ctx.unmatched(dimension, text)}; its figures were not read.",
        sheet,
        cell,
        label=text,
        dimension=dimension,
    )


def _rows_with_figures(layout: Layout, values: list[Column]) -> list[int]:
    """Body rows with at least one figure-like cell; rows of labels only are group headings."""
    sheet = layout.sheet
    rows = []
    for r in layout.body_rows:
        if any(parse_value(sheet.value(r, c.index)).kind is not ValueKind.BLANK for c in values):
            rows.append(r)
    return rows


def _combine(
    axes: list[_Axis], index: int, start: dict[str, str]
) -> tuple[dict[str, str], frozenset[str], bool]:
    dims = dict(start)
    over: set[str] = set()
    for axis in axes:
        parsed = axis.labels.get(index)
        if parsed is None:
            continue
        if parsed.kind in (
            LabelKind.UNKNOWN,
            LabelKind.OTHER_PERIOD,
            LabelKind.SUBTOTAL,
            LabelKind.OTHER_MEASURE,
            LabelKind.NOT_DATA,
        ):
            return dims, frozenset(), False
        if axis.dimension == MEASURE:
            continue
        if parsed.kind is LabelKind.TOTAL:
            over.add(axis.dimension)
            if parsed.value:
                dims[axis.dimension] = parsed.value
        else:
            dims[axis.dimension] = parsed.value
    return dims, frozenset(over), True


def _read_cell(
    layout: Layout,
    r: int,
    column: Column,
    dims: dict[str, str],
    over: frozenset[str],
    table: int,
    ctx: Context,
) -> None:
    sheet = layout.sheet.name
    raw = layout.sheet.value(r, column.index)
    value = parse_value(raw, ctx.legend)
    ref = cell_ref(r, column.index)
    if value.kind in FIGURE_KINDS:
        ctx.figures.append(Figure(dims, value, sheet, r, column.index, table, over))
    elif value.kind is ValueKind.BLANK:
        ctx.figures.append(Figure(dims, value, sheet, r, column.index, table, over, blank=True))
    else:
        for dimension in dims:
            ctx.incomplete.add((table, dimension))
        ctx.incomplete.add((table, ""))
        if value.kind is ValueKind.NOT_AVAILABLE:
            # Judged once every figure is read: it matters only where no total covers it.
            ctx.unavailable.append(Figure(dims, value, sheet, r, column.index, table, over))
            return
        code, what = _PROBLEM_CODES[value.kind]
        ctx.reason(code, f"{ref} holds '{value.raw}': {what}.", sheet, ref)
