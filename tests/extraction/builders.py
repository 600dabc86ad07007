"""Fixture builders: render one truth (counts per period and category) in many of the layouts
forces use (SPEC 6), to xlsx (openpyxl) or csv bytes, for the engine to read back.

A ``Truth`` holds counts for one breakdown dimension ("age" or "offence"); each layout function
returns ``Sheet`` specs (name, rows, merges) and ``render`` writes them in a format.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from openpyxl import Workbook

Cell = object
Rows = list[list[Cell]]


@dataclass(frozen=True)
class Truth:
    dimension: str  # "age" or "offence"
    periods: tuple[str, ...]  # canonical, e.g. ("2016-17", "2017-18")
    categories: tuple[str, ...]  # canonical: ages ("13", "0-10", "unknown") or offence terms
    counts: dict[tuple[str, str], int]  # (period, category) -> count

    def total(self, period: str) -> int:
        return sum(self.counts[(period, c)] for c in self.categories)


@dataclass
class Spelling:
    """How a file writes labels and figures."""

    period: Callable[[str], str] = lambda p: p
    category: Callable[[str], Cell] = lambda c: c
    count: Callable[[int], Cell] = lambda n: n


@dataclass
class SheetSpec:
    name: str
    rows: Rows
    merges: list[str] = field(default_factory=list)  # A1 ranges
    hidden: bool = False


# -- spellings -----------------------------------------------------------------------------------

PERIOD_SPELLINGS: list[Callable[[str], str]] = [
    lambda p: p,
    lambda p: f"{p[:4]}/{p[5:]}",
    lambda p: f"{p[:4]}/{int(p[:4]) + 1}",
    lambda p: f"{p[:4]}-{int(p[:4]) + 1}",
    lambda p: f"FY{p[2:4]}/{p[5:]}",
    lambda p: f"{p[2:4]}/{p[5:]}",
    lambda p: f"Apr {p[:4]} - Mar {int(p[:4]) + 1}",
    lambda p: f"01/04/{p[:4]} - 31/03/{int(p[:4]) + 1}",
    lambda p: f"Financial Year {p}",
]

AGE_SPELLINGS: list[Callable[[str], Cell]] = [
    lambda a: a,
    lambda a: int(a) if a.isdigit() else a,
    lambda a: f"{a} years" if a.isdigit() else a,
    lambda a: f"Age {a}" if a.isdigit() else a,
    lambda a: "Not recorded" if a == "unknown" else a,
    lambda a: "N/K" if a == "unknown" else a,
    lambda a: "Under 11" if a == "0-10" else a,
    lambda a: "10 and under" if a == "0-10" else a,
]

OFFENCE_SPELLINGS: dict[str, list[str]] = {
    "Rape": ["Rape", "Rape of a female child under 13", "19C Rape of a male child under 16"],
    "Sexual assault": ["Sexual assault", "Sexual assault on a female child under 13"],
    "Sexual activity involving a child": [
        "Sexual activity involving a child under 16",
        "Causing or inciting a child to engage in sexual activity",
    ],
    "Sexual grooming": [
        "Sexual grooming",
        "Meeting a child following sexual grooming (s.15 SOA 2003)",
    ],
    "Sexual communication with a child": ["Sexual communication with a child (s.15A)"],
    "Indecent images of children": [
        "Indecent images of children",
        "Possession of indecent photograph of a child",
    ],
    "Sexual exploitation of children": [
        "Abuse of children through sexual exploitation",
        "Paying for sexual services of a child",
    ],
    "Other sexual offences": ["Other sexual offences", "Exposure", "Voyeurism"],
}

COUNT_SPELLINGS: list[Callable[[int], Cell]] = [
    lambda n: n,
    lambda n: float(n),
    lambda n: f"{n:,}",
    lambda n: "-" if n == 0 else n,
    lambda n: "Nil" if n == 0 else str(n),
    lambda n: f"{n}*" if n == 7 else n,  # a footnote mark on some figure
]


def offence_spelling(choice: int) -> Callable[[str], Cell]:
    return lambda c: OFFENCE_SPELLINGS[c][choice % len(OFFENCE_SPELLINGS[c])]


AXIS_NAME = {"age": "Age of victim", "offence": "Offence"}
TITLE = ["Anyshire Constabulary"], ["Freedom of Information Request Reference No: 123/19"]
NOTES = [
    ["Notes:"],
    [
        "Figures relate to offences recorded with an online (cyber) flag "
        "where the victim was under 18."
    ],
]


# -- layouts -------------------------------------------------------------------------------------


def years_across(
    t: Truth, s: Spelling, *, totals: bool = False, percent: bool = False
) -> list[SheetSpec]:
    header: list[Cell] = [AXIS_NAME[t.dimension], *(s.period(p) for p in t.periods)]
    if totals:
        header.append("Total")
    rows: Rows = [*map(list, TITLE), [], header]
    for c in t.categories:
        row: list[Cell] = [s.category(c), *(s.count(t.counts[(p, c)]) for p in t.periods)]
        if totals:
            row.append(s.count(sum(t.counts[(p, c)] for p in t.periods)))
        rows.append(row)
    if totals:
        rows.append(
            ["Total", *(s.count(t.total(p)) for p in t.periods), sum(map(t.total, t.periods))]
        )
    if percent:
        for row in rows[3:]:
            row.append("% of total" if row is rows[3] else 0.5)
    return [SheetSpec("Response", [*rows, [], *NOTES])]


def years_down(
    t: Truth, s: Spelling, *, totals: bool = False, spanner: bool = False
) -> list[SheetSpec]:
    rows: Rows = [*map(list, TITLE), []]
    merges = []
    if spanner:
        rows.append(["", AXIS_NAME[t.dimension], *([""] * (len(t.categories) - 1))])
        merges.append(f"B4:{_col(len(t.categories))}4")
    header: list[Cell] = ["Financial year", *(s.category(c) for c in t.categories)]
    if totals:
        header.append("Grand Total")
    rows.append(header)
    for p in t.periods:
        row: list[Cell] = [s.period(p), *(s.count(t.counts[(p, c)]) for c in t.categories)]
        if totals:
            row.append(s.count(t.total(p)))
        rows.append(row)
    return [SheetSpec("Response", [*rows, [], *NOTES], merges)]


def periods_over_categories(t: Truth, s: Spelling) -> list[SheetSpec]:
    """Two header rows: each period merged over its categories; one row of figures."""
    top: list[Cell] = [""]
    bottom: list[Cell] = [""]
    figures: list[Cell] = ["Recorded offences"]
    merges = []
    for p in t.periods:
        start = len(top)
        top.extend([s.period(p), *([None] * (len(t.categories) - 1))])
        bottom.extend(s.category(c) for c in t.categories)
        figures.extend(s.count(t.counts[(p, c)]) for c in t.categories)
        if len(t.categories) > 1:
            merges.append(f"{_col(start)}3:{_col(len(top) - 1)}3")
    return [SheetSpec("Data", [["Online child sexual offences"], [], top, bottom, figures], merges)]


def two_tables(t: Truth, s: Spelling) -> list[SheetSpec]:
    """Question 1: totals by year; question 2: the breakdown, on one sheet."""
    rows: Rows = [
        ["Question 1: The number of offences recorded, by financial year."],
        ["Financial year", "Offences"],
    ]
    rows += [[s.period(p), s.count(t.total(p))] for p in t.periods]
    rows += [[], ["Question 2: Of these, the breakdown."]]
    rows += years_across(t, s)[0].rows[3 : 4 + len(t.categories)]
    return [SheetSpec("FOI", rows)]


def sheet_per_year(t: Truth, s: Spelling, *, cover: bool = True) -> list[SheetSpec]:
    sheets = []
    if cover:
        sheets.append(
            SheetSpec(
                "Letter",
                [
                    ["Dear Requester,"],
                    [
                        "Please find attached the information you asked for under the "
                        "Freedom of Information Act."
                    ],
                    ["Yours sincerely, the FOI team"],
                ],
            )
        )
    for p in t.periods:
        rows: Rows = [[f"Offences recorded in {s.period(p)}"], [AXIS_NAME[t.dimension], "Number"]]
        rows += [[s.category(c), s.count(t.counts[(p, c)])] for c in t.categories]
        sheets.append(SheetSpec(p.replace("-", "_"), rows))
    return sheets


def long_table(t: Truth, s: Spelling) -> list[SheetSpec]:
    rows: Rows = [["Financial Year", AXIS_NAME[t.dimension].split()[0], "Count"]]
    rows += [
        [s.period(p), s.category(c), s.count(t.counts[(p, c)])]
        for p in t.periods
        for c in t.categories
    ]
    return [SheetSpec("Sheet1", rows)]


def record_list(
    t: Truth, s: Spelling, *, strings: bool = False, extra: bool = True
) -> list[SheetSpec]:
    """One row per crime, dated through each year, with out-of-scope rows (flag not set) on the
    first and last day of each year, as a list that covers its years in full would have."""
    header = [
        "Crime Reference",
        "Date Recorded",
        "Offence" if t.dimension == "offence" else "Victim Age",
        "Online Flag",
    ]
    rows: Rows = [header]
    n = 0
    for p in t.periods:
        start = dt.date(int(p[:4]), 4, 1)
        end = dt.date(int(p[:4]) + 1, 3, 31)
        for c in t.categories:
            for _ in range(t.counts[(p, c)]):
                n += 1
                day = start + dt.timedelta(days=(n * 37) % 365)
                label = s.category(c)
                if t.dimension == "age" and c == "unknown":
                    label = "Not known"
                rows.append([f"AB/{n}", day.strftime("%d/%m/%Y") if strings else day, label, "Y"])
        if extra:
            for day in (start, end):
                rows.append([f"AB/x{p}", day, s.category(t.categories[0]), "N"])
    return [SheetSpec("Data", rows)]


LAYOUTS: dict[str, Callable[..., list[SheetSpec]]] = {
    "years_across": years_across,
    "years_across_totals": lambda t, s: years_across(t, s, totals=True),
    "years_across_percent": lambda t, s: years_across(t, s, percent=True),
    "years_down": years_down,
    "years_down_totals_spanner": lambda t, s: years_down(t, s, totals=True, spanner=True),
    "periods_over_categories": periods_over_categories,
    "two_tables": two_tables,
    "sheet_per_year": sheet_per_year,
    "long": long_table,
    "records": record_list,
    "records_text_dates": lambda t, s: record_list(t, s, strings=True),
}
SINGLE_SHEET = {k for k in LAYOUTS if k != "sheet_per_year"}


# -- rendering -----------------------------------------------------------------------------------


def _col(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def to_xlsx(sheets: list[SheetSpec]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        ws = book.create_sheet(spec.name)
        for row in spec.rows:
            ws.append([None if v == "" else v for v in row])
        for merge in spec.merges:
            ws.merge_cells(merge)
        if spec.hidden:
            ws.sheet_state = "hidden"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(sheets: list[SheetSpec], *, encoding: str = "utf-8", newline: str = "\r\n") -> bytes:
    assert len(sheets) == 1, "a CSV holds one sheet"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    for row in sheets[0].rows:
        writer.writerow(
            [
                "" if v is None else (v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v)
                for v in row
            ]
        )
    return out.getvalue().encode(encoding)
