"""Checking figures against each other: every total against its parts, within a table and
across the tables of one document (a total in question 1, its age breakdown in question 2).

Suppressed cells make ranges, so a total "agrees" when it lies within the range its parts
allow. Empty cells among figures are read as zero only when a total confirms it exactly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .context import IGNORED_PREFIX, Context, Figure
from .grid import Sheet, cell_ref, range_ref
from .labels import parse_age
from .values import BARE_SUPPRESSION_MARKERS, CellValue, ValueKind
from .vocabulary import FORCE, PERIOD


@dataclass(frozen=True, slots=True)
class _Range:
    lower: int
    upper: int

    def overlaps(self, other: _Range) -> bool:
        return self.lower <= other.upper and other.lower <= self.upper

    def __str__(self) -> str:
        return str(self.lower) if self.lower == self.upper else f"{self.lower} to {self.upper}"


def _sum(parts: list[Figure]) -> _Range:
    return _Range(sum(p.cell.lower for p in parts), sum(p.cell.upper for p in parts))


def _ref(figure: Figure) -> str:
    return figure.cells or cell_ref(figure.row, figure.col)


def _span(parts: list[Figure]) -> str:
    if any(p.cells for p in parts):
        return parts[0].cells
    rows = [p.row for p in parts]
    cols = [p.col for p in parts]
    return range_ref(min(rows), min(cols), max(rows), max(cols))


def _describe(dims: dict[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(dims.items())) or "the whole table"


def check_totals(ctx: Context) -> None:
    """Compare each total with its parts, then settle empty cells and drop unreadable totals."""
    confirmed_blanks: set[int] = set()
    by_table: dict[int, list[Figure]] = defaultdict(list)
    for figure in ctx.figures:
        by_table[figure.table].append(figure)
    for table, figures in by_table.items():
        _check_table(table, figures, ctx, confirmed_blanks)
    _settle_blanks(ctx, confirmed_blanks)
    _check_across_tables(ctx)
    _check_repeated_figures(ctx)
    _report_suppression(ctx)
    _report_unavailable(ctx)


def _check_table(table: int, figures: list[Figure], ctx: Context, confirmed: set[int]) -> None:
    groups: dict[frozenset[str], list[Figure]] = defaultdict(list)
    for figure in figures:
        if not figure.derived:
            groups[frozenset(figure.dims)].append(figure)
    for total in figures:
        if not total.derived or total.blank:
            continue
        if any((table, d) in ctx.incomplete for d in total.over):
            continue  # an unknown label is missing from the parts: already a reason
        needed = frozenset(total.dims) | total.over
        parts = [
            p
            for p in groups.get(needed, [])
            if all(p.dims.get(k) == v for k, v in total.dims.items())
        ]
        if not parts:
            continue
        given, added = _Range(total.cell.lower, total.cell.upper), _sum(parts)
        if not given.overlaps(added):
            ctx.reason(
                "total_mismatch",
                f"The total in {_ref(total)} ({given}) disagrees with the sum of its parts in "
                f"{_span(parts)} ({added}) for {_describe(total.dims)}.",
                total.sheet,
                f"{_ref(total)},{_span(parts)}",
            )
        elif given.lower == given.upper == added.lower == added.upper:
            confirmed.update(id(p) for p in parts if p.blank)


def _settle_blanks(ctx: Context, confirmed: set[int]) -> None:
    """Empty cells a total confirms become zeros; the others are doubts, never zeros."""
    unsettled: dict[tuple[str, int], list[str]] = defaultdict(list)
    kept = []
    for figure in ctx.figures:
        if not figure.blank:
            kept.append(figure)
        elif id(figure) in confirmed:
            figure.cell = CellValue(
                ValueKind.EXACT, 0, 0, 0, "", "empty cell: its total confirms zero"
            )
            kept.append(figure)
        elif not figure.derived:
            unsettled[(figure.sheet, figure.table)].append(_ref(figure))
    ctx.figures = kept
    for (sheet, _table), cells in unsettled.items():
        ctx.reason(
            "blank_cells",
            f"{len(cells)} empty cells sit among the figures and no total confirms they are zero; "
            "they were not read.",
            sheet,
            cells,
        )


def _check_across_tables(ctx: Context) -> None:
    """Per period, every explicit total and every complete one-way breakdown must agree."""
    totals: dict[str, list[Figure]] = defaultdict(list)
    breakdowns: dict[tuple[str, int, str], list[Figure]] = defaultdict(list)
    for figure in ctx.figures:
        period = figure.dims.get(PERIOD)
        if period is None:
            continue
        others = [d for d in figure.dims if d != PERIOD]
        if not others:
            totals[period].append(figure)
        elif len(others) == 1 and not figure.derived:
            dimension = others[0]
            if (figure.table, dimension) not in ctx.incomplete and (
                figure.table,
                "",
            ) not in ctx.incomplete:
                breakdowns[(period, figure.table, dimension)].append(figure)
    for (period, table, dimension), parts in breakdowns.items():
        reference = next((t for t in totals.get(period, []) if t.table != table), None)
        if reference is None:
            continue
        given, added = _Range(reference.cell.lower, reference.cell.upper), _sum(parts)
        if not given.overlaps(added):
            ctx.reason(
                "total_mismatch",
                f"The {dimension} breakdown for {period} in {parts[0].sheet}!{_span(parts)} adds "
                f"to {added}, but {reference.sheet}!{_ref(reference)} gives {given}.",
                parts[0].sheet,
                f"{_ref(reference)},{_span(parts)}",
            )
    for period, figures in totals.items():
        first = figures[0]
        for other in figures[1:]:
            if not _Range(first.cell.lower, first.cell.upper).overlaps(
                _Range(other.cell.lower, other.cell.upper)
            ):
                ctx.reason(
                    "total_mismatch",
                    f"Two totals for {period} disagree: {first.sheet}!{_ref(first)} gives "
                    f"{first.cell.raw or first.cell.value}, {other.sheet}!{_ref(other)} gives "
                    f"{other.cell.raw or other.cell.value}.",
                    other.sheet,
                    f"{_ref(first)},{_ref(other)}",
                )


def _check_repeated_figures(ctx: Context) -> None:
    """The same keys in two tables: a summary repeating a detail table, or a table per sheet
    for different groups ("Custody", "Road traffic"). Judged table against table: where every
    shared figure agrees, the later table repeats the earlier and its copies are left out;
    where any differs, which counts is a researcher's call, never a sum."""
    first: dict[tuple, Figure] = {}
    pairs: dict[tuple[int, int], list[tuple[Figure, Figure]]] = defaultdict(list)
    for figure in ctx.figures:
        if figure.derived or not set(figure.dims) - {PERIOD, FORCE}:
            continue  # totals: compared in ``_check_across_tables``
        seen = first.setdefault(tuple(sorted(figure.dims.items())), figure)
        if seen.table != figure.table:
            pairs[(seen.table, figure.table)].append((seen, figure))
    repeats: set[int] = set()
    for shared in pairs.values():
        if all((a.cell.lower, a.cell.upper) == (b.cell.lower, b.cell.upper) for a, b in shared):
            repeats.update(id(b) for _, b in shared)
            later = [b for _, b in shared]
            ctx.reason(
                "repeated_figures",
                f"{len(later)} figures repeat those of the table at {shared[0][0].sheet}!"
                f"{_ref(shared[0][0])}; they were counted once.",
                later[0].sheet,
                ",".join(_ref(b) for b in later),
                blocking=False,
            )
            continue
        differ = [
            (a, b)
            for a, b in shared
            if (a.cell.lower, a.cell.upper) != (b.cell.lower, b.cell.upper)
        ]
        a, b = differ[0]
        ctx.reason(
            "tables_disagree",
            f"{_where_tables(a.sheet, b.sheet)} give different figures for the same breakdown "
            f"({a.sheet}!{_ref(a)} gives {a.cell.raw or a.cell.value}, {b.sheet}!{_ref(b)} "
            f"{b.cell.raw or b.cell.value}); they may count different groups, or one may be "
            "revised: which counts is for a researcher.",
            b.sheet,
            ",".join(_ref(y) for _, y in differ),
        )
    if repeats:
        ctx.figures = [f for f in ctx.figures if id(f) not in repeats]


def _report_unavailable(ctx: Context) -> None:
    """Cells the force gives as not available: where a stated total covers their period, the
    figure is still known and the breakdown just lacks that part (said, not a doubt); where
    none does, the period's figure cannot be known from the parts (a doubt)."""
    if not ctx.unavailable:
        return
    stated = {
        (f.dims.get(PERIOD), f.dims.get(FORCE))
        for f in ctx.figures
        if set(f.dims) <= {PERIOD, FORCE} and PERIOD in f.dims
    }
    covered = [f for f in ctx.unavailable if (f.dims.get(PERIOD), f.dims.get(FORCE)) in stated]
    uncovered = [f for f in ctx.unavailable if f not in covered]
    for cells, blocking in ((covered, False), (uncovered, True)):
        if not cells:
            continue
        written = sorted({f.cell.raw for f in cells})
        meaning = next((f.cell.note for f in cells if f.cell.note), "not available")
        consequence = (
            "the stated totals still count; those parts of the breakdown are missing"
            if not blocking
            else "no stated total covers their period, so its figure cannot be known"
        )
        ctx.reason(
            "not_available",
            f"{_counted(len(cells), 'cell is', 'cells are')} given as not available "
            f"({', '.join(written)}: "
            f"{meaning}): {consequence}.",
            cells[0].sheet,
            [_ref(f) for f in cells],
            blocking=blocking,
        )


def _report_suppression(ctx: Context) -> None:
    suppressed = [f for f in ctx.figures if f.cell.kind is ValueKind.SUPPRESSED]
    if not suppressed:
        return
    markers = sorted({f.cell.raw for f in suppressed})
    explained = {
        m: ctx.legend.markers[m.lower()] for m in markers if m.lower() in ctx.legend.markers
    }
    bare = [m for m in markers if m.lower() in BARE_SUPPRESSION_MARKERS and m not in explained]
    parts = [
        f"'{m}' is {marker.lower} to {marker.upper} as the file's legend says ('{marker.meaning}')"
        for m, marker in explained.items()
    ]
    if bare:
        parts.append(
            f"{', '.join(repr(m) for m in bare)} "
            f"{'is' if len(bare) == 1 else 'are'} not explained in the file, so read as "
            f"{ctx.legend.lower} to {ctx.legend.upper} (the usual police threshold, SPEC 6)"
        )
    if len(parts) < len(markers) - len(bare) + (1 if bare else 0) or not parts:
        parts.append("each range as written")
    ctx.reason(
        "suppressed",
        f"{_counted(len(suppressed), 'small count is', 'small counts are')} suppressed "
        f"({', '.join(markers)}): " + "; ".join(parts) + "; figures that include them are ranges.",
        suppressed[0].sheet,
        [_ref(f) for f in suppressed],
        blocking=False,
    )


# Values under a merged cell: a spreadsheet program shows only the top-left value of the merged
# area, so anything else there is a figure nobody reading the file sees. Bounded work: a file of
# absurd merges costs at most this many cells before it is simply flagged.
_MAX_MERGED_CELLS_CHECKED = 2_000_000


def check_merged_cells(sheet: Sheet, ctx: Context) -> None:
    budget = _MAX_MERGED_CELLS_CHECKED
    hidden: list[str] = []
    for m in sheet.merged:
        for r in range(m.first_row, min(m.last_row, sheet.n_rows - 1) + 1):
            row = sheet.rows[r]
            first = m.first_col + 1 if r == m.first_row else m.first_col
            budget -= max(0, min(m.last_col + 1, len(row)) - first)
            if budget < 0:
                ctx.reason(
                    "merged_cells",
                    "The sheet has too many merged cells to check what they cover; read it by eye.",
                    sheet.name,
                )
                return
            hidden += [
                cell_ref(r, c)
                for c in range(first, min(m.last_col + 1, len(row)))
                if row[c] is not None
            ]
    if hidden:
        ctx.reason(
            "hidden_by_merge",
            "Cells under merged cells hold values a reader of the file does not see "
            "(only a merged area's top-left value shows); check which figures the force meant.",
            sheet.name,
            sorted(set(hidden), key=hidden.index),
        )


def drop_totals_over_forces(ctx: Context) -> None:
    """A total over several forces (a national table's grand total) is no force's figure: once
    checked against the forces' rows (``check_totals``) it is left out, so that it is never
    taken for the figure of the force that sent the file (SPEC 8)."""
    over = [f for f in ctx.figures if FORCE in f.over]
    if not over:
        return
    ctx.figures = [f for f in ctx.figures if FORCE not in f.over]
    by_sheet: dict[str, list[str]] = defaultdict(list)
    for f in over:
        by_sheet[f.sheet].append(_ref(f))
    for sheet, cells in by_sheet.items():
        ctx.reason(
            "total_over_forces",
            "A total over several forces is no force's figure: it was checked against the "
            "forces' figures and not kept.",
            sheet,
            ",".join(cells),
            blocking=False,
        )


def check_scope(ctx: Context) -> None:
    """Figures outside the request are left out: ages it did not ask about (adults, when it
    asked about children, SPEC 4) and labels a researcher mapped to "not part of this request".

    A total over the same dimension in the same table then counts them too: it is left out as
    well when the parts show it includes them (all parts summed), kept when it is the sum of
    the asked parts alone, and a doubt otherwise.
    """
    max_age, age_dim = ctx.vocabulary.scope.max_age, ctx.age

    def adult(f: Figure) -> bool:
        label = f.dims.get(age_dim) if age_dim and max_age is not None and not f.cells else None
        age = parse_age(label) if label is not None else None
        return age is not None and age.lower is not None and age.lower > max_age  # type: ignore[operator]

    adults = [f for f in ctx.figures if adult(f)]
    ignored = [f for f in ctx.figures if f.excluded]
    if not adults and not ignored:
        return
    outside = {id(f) for f in adults} | {id(f) for f in ignored}
    dropped = set(outside)
    doubts: dict[str, list[str]] = defaultdict(list)
    dimensions = {d for f in ignored for d, v in f.dims.items() if v.startswith(IGNORED_PREFIX)}
    if adults:
        dimensions.add(age_dim)  # type: ignore[arg-type]
    for dimension in dimensions:
        tables = {(f.sheet, f.table) for f in ctx.figures if id(f) in outside}
        parts: dict[tuple, list[Figure]] = defaultdict(list)
        for f in ctx.figures:
            if (f.sheet, f.table) in tables and dimension in f.dims and not f.derived:
                rest = tuple(sorted((k, v) for k, v in f.dims.items() if k != dimension))
                parts[(f.sheet, f.table, rest)].append(f)
        for f in ctx.figures:
            if (f.sheet, f.table) not in tables or dimension not in f.over:
                continue
            if dimension in f.dims:
                continue  # a group subtotal: its parts carry the question
            members = parts.get((f.sheet, f.table, tuple(sorted(f.dims.items()))), [])
            asked = _sum([m for m in members if id(m) not in outside])
            total = _Range(f.cell.lower, f.cell.upper)
            if members and total == _sum(members) and total != asked:
                dropped.add(id(f))
            elif not members or total != asked:
                doubts[f.sheet].append(_ref(f))
    ctx.figures = [f for f in ctx.figures if id(f) not in dropped]
    _report_outside(ctx, adults, "ages_out_of_scope", f"Figures for ages over {max_age} are")
    _report_outside(
        ctx,
        ignored,
        "ignored_labels",
        'Figures under labels mapped to "not part of this request" are',
    )
    for sheet, cells in doubts.items():
        ctx.reason(
            "total_includes_excluded",
            "The table also counts figures outside the request (adults, or labels mapped as "
            "not part of it); this total may include them, so it cannot be taken as the "
            "request's figure.",
            sheet,
            ",".join(cells),
        )


def _report_outside(ctx: Context, figures: list[Figure], code: str, what: str) -> None:
    by_sheet: dict[str, list[str]] = defaultdict(list)
    for f in figures:
        by_sheet[f.sheet].append(_ref(f))
    for sheet, cells in by_sheet.items():
        ctx.reason(
            code,
            f"{what} outside the request: they were not read, nor any total the figures show "
            "includes them.",
            sheet,
            ",".join(cells),
            blocking=False,
        )


def _counted(n: int, one: str, many: str) -> str:
    """ "1 cell is", "3 cells are": a count with its words in number."""
    return f"{n} {one if n == 1 else many}"


def _where_tables(first: str, second: str) -> str:
    return f"Two tables on {first}" if first == second else f"Tables on {first} and {second}"
