"""What the engine returns: a verdict, its reasons, the tables found and the observations."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum


class Verdict(StrEnum):
    PARSED = "parsed"
    NEEDS_REVIEW = "needs_review"
    NO_DATA = "no_data"
    FAILED = "failed"


class TableKind(StrEnum):
    CROSSTAB = "crosstab"
    RECORDS = "records"
    LONG = "long"


@dataclass(frozen=True, slots=True)
class Reason:
    """One doubt or failure, pointing at the sheet and cells behind it.

    ``code`` is stable and machine-readable (e.g. ``unknown_label``, ``calendar_years``,
    ``total_mismatch``, ``formula_without_value``, ``partial_period``, ``out_of_scope_rows``,
    ``hidden_sheet``, ``unsafe_file``); ``message`` is the sentence a researcher reads.
    """

    code: str
    message: str
    sheet: str = ""
    cells: str = ""  # A1 range, e.g. "B4" or "A3:F9"
    blocking: bool = True  # False: informational, does not by itself force needs_review
    label: str = ""  # the label in question, for unknown_label reasons
    dimension: str = ""  # the dimension the label was read for, for unknown_label reasons


@dataclass(frozen=True, slots=True)
class Table:
    sheet: str
    cells: str
    kind: TableKind
    title: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """One figure: dimension values -> a count, or a range when suppressed.

    ``dimensions`` maps dimension name (``period``, ``force`` and the campaign's own, e.g. ``age``,
    ``offence``, ``ethnicity``) to its canonical value (``"2018-19"``, ``"13"``, ``"0-10"``,
    ``"unknown"``, ``"Rape"``, ``"Black"``...). A dimension absent from the mapping means "all"
    for that dimension. ``value`` is set only when exact;
    ``lower``/``upper`` always bound it (equal when exact).
    """

    dimensions: dict[str, str]
    value: int | None
    lower: int
    upper: int
    sheet: str
    cell: str
    derived: bool = False  # a total or subtotal: checks its parts, never added to them
    raw: str = ""  # the cell's text as written, e.g. "<5"
    table: int = 0  # index into ExtractionResult.tables
    note: str = ""


@dataclass(slots=True)
class ExtractionResult:
    verdict: Verdict
    reasons: list[Reason] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    format: str = ""
    sheets: list[str] = field(default_factory=list)
    rows_read: int = 0  # rows of every sheet, hidden ones included

    def to_dict(self, *, observations: bool = True) -> dict:
        """The result as plain data, as ``dataclasses.asdict`` gives it (field order kept);
        without the ``observations`` key when they are stored apart. Built field by field:
        ``asdict`` deep-copies every value of thousands of observations, the dearest part of
        storing a result."""
        data: dict = {}
        for name in _RESULT_FIELDS:
            if name == "observations":
                if observations:
                    data[name] = [_observation_dict(o) for o in self.observations]
            elif name in ("reasons", "tables"):
                data[name] = [_flat_dict(item) for item in getattr(self, name)]
            elif name == "sheets":
                data[name] = list(self.sheets)
            else:
                data[name] = getattr(self, name)
        return data


_RESULT_FIELDS = tuple(f.name for f in fields(ExtractionResult))
_FIELDS = {cls: tuple(f.name for f in fields(cls)) for cls in (Reason, Table, Observation)}


def _flat_dict(item: Reason | Table) -> dict:
    """A dataclass of plain immutable values as a dict."""
    return {name: getattr(item, name) for name in _FIELDS[type(item)]}


def _observation_dict(o: Observation) -> dict:
    data = {name: getattr(o, name) for name in _FIELDS[Observation]}
    data["dimensions"] = dict(o.dimensions)
    return data
