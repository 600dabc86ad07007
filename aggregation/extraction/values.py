"""Cell values as forces write them (SPEC 6): counts, zeros, suppressed ranges and the rest.

``parse_value`` turns one grid value into a ``CellValue`` whose ``kind`` says what it is. Only
``EXACT`` and ``SUPPRESSED`` carry a figure; every other kind is either not a figure at all
(blank, text, a percentage) or a figure we cannot know (not available, an Excel error, a formula
without a cached value), which the caller must turn into a reason, never into a zero.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from enum import StrEnum

from .grid import ComputedFormula, ExcelError, FormulaWithoutValue


class ValueKind(StrEnum):
    EXACT = "exact"
    SUPPRESSED = "suppressed"  # a small count hidden by the force: a range, never zero
    RANGE = "range"  # a count known within bounds (record-list rows that may be in scope)
    NOT_AVAILABLE = "not_available"  # "..", "n/a": no figure given
    ERROR = "error"  # "#REF!", "#N/A"
    NO_FORMULA_VALUE = "formula_without_value"
    REVISION = "revision"  # an "R" flag, meaningful only in its own column
    PERCENT = "percent"  # "45%" or a fraction such as 0.25
    BLANK = "blank"
    TEXT = "text"  # anything else: labels, prose, dates


FIGURE_KINDS = frozenset({ValueKind.EXACT, ValueKind.SUPPRESSED, ValueKind.RANGE})
# Kinds that stand where a figure should be but give none: each becomes a blocking reason.
UNKNOWN_FIGURE_KINDS = frozenset(
    {ValueKind.NOT_AVAILABLE, ValueKind.ERROR, ValueKind.NO_FORMULA_VALUE}
)


@dataclass(frozen=True, slots=True)
class CellValue:
    kind: ValueKind
    value: int | None = None
    lower: int = 0
    upper: int = 0
    raw: str = ""
    note: str = ""  # e.g. the footnote mark stripped from "45*"


@dataclass(frozen=True, slots=True)
class Suppression:
    """Bounds for a bare suppression marker ("*", "x"), from the file's notes when it says so.

    The default 1..4 follows the usual police practice of hiding counts under 5 while writing
    true zeros as 0; the engine says so in a reason whenever it relies on the default.
    """

    lower: int = 1
    upper: int = 4
    stated: bool = False  # True when the file's own notes gave the bounds


DEFAULT_SUPPRESSION = Suppression()

BARE_SUPPRESSION_MARKERS = frozenset(
    {"*", "**", "***", "x", "xx", "c", "[c]", "[x]", "~", "s", "supp", "suppressed", "<*"}
)
ZERO_TOKENS = frozenset({"-", "\u2013", "\u2014", "nil", "none", "zero", "0", "--"})
NOT_AVAILABLE_TOKENS = frozenset(
    {
        "..",
        "...",
        "…",
        "n/a",
        "na",
        "n.a.",
        "n.a",
        "not available",
        "unavailable",
        "not applicable",
        "no data",
        ":",
        "[z]",
        "[u]",
    }
)
REVISION_TOKENS = frozenset({"r", "(r)", "[r]", "rev", "revised", "p", "(p)", "[p]", "provisional"})
EXCEL_ERRORS = frozenset(
    {"#ref!", "#n/a", "#value!", "#div/0!", "#name?", "#null!", "#num!", "#calc!", "#spill!"}
)

# A count, with thousands separators, and an optional footnote mark: "45*", "12 (a)", "1,234 [1]".
_NUMBER = re.compile(
    r"""^(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?:\.0+)?
        \s*(?P<mark>\*{1,3}|[†‡§¹²³⁴⁵⁶⁷⁸⁹]+|\((?:[a-z]|\d{1,2}|note\s*\d+)\)|\[(?:[a-z]|\d{1,2}|note\s*\d+)\])?$""",
    re.IGNORECASE | re.VERBOSE,
)
_LESS_THAN = re.compile(
    r"^(?:<|&lt;|less than|fewer than|under|below)\s*(?P<n>\d+)$|^<=\s*(?P<le>\d+)$", re.IGNORECASE
)
_RANGE = re.compile(r"^(?P<lo>\d+)\s*(?:-|\u2013|to)\s*(?P<hi>\d+)$", re.IGNORECASE)
_MAX_SUPPRESSED = 100  # "1-4" hides a small count; "2015-2016" is a period, not a range
_PERCENT = re.compile(r"^-?\d+(?:\.\d+)?\s*%$")


def parse_value(value: object, suppression: Suppression = DEFAULT_SUPPRESSION) -> CellValue:
    """Classify one grid value; see the module docstring."""
    if value is None:
        return _BLANK
    if isinstance(value, bool):
        return CellValue(ValueKind.TEXT, raw=str(value))
    if isinstance(value, int):
        return (
            _exact(value, str(value)) if value >= 0 else CellValue(ValueKind.TEXT, raw=str(value))
        )
    if isinstance(value, float):
        return _parse_float(value)
    if isinstance(value, ExcelError):
        return CellValue(ValueKind.ERROR, raw=value.code)
    if isinstance(value, FormulaWithoutValue):
        return CellValue(
            ValueKind.NO_FORMULA_VALUE, raw=f"={value.formula}" if value.formula else ""
        )
    if isinstance(value, ComputedFormula):
        # A total saved without its value, computed by the reader from plain numbers beside it.
        note = f"computed from its parts: {value.formula} was saved without a value"
        return replace(parse_value(value.value, suppression), note=note)
    if isinstance(value, dt.date | dt.time):
        return CellValue(ValueKind.TEXT, raw=str(value))
    if isinstance(value, str):
        return _parse_text(value, suppression)
    return CellValue(ValueKind.TEXT, raw=str(value))


_BLANK = CellValue(ValueKind.BLANK)


def _exact(n: int, raw: str, note: str = "") -> CellValue:
    return CellValue(ValueKind.EXACT, n, n, n, raw, note)


def _parse_float(value: float) -> CellValue:
    raw = repr(value)
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite
        return CellValue(ValueKind.TEXT, raw=raw)
    if value.is_integer():
        n = int(value)
        return _exact(n, str(n)) if n >= 0 else CellValue(ValueKind.TEXT, raw=raw)
    if 0 < value < 1 or -1 < value < 0:
        return CellValue(ValueKind.PERCENT, raw=raw)
    # A non-integral count cannot exist: averages, rates or per-100k figures, not counts.
    return CellValue(ValueKind.TEXT, raw=raw)


def _parse_text(value: str, suppression: Suppression) -> CellValue:
    raw = value.strip()
    token = raw.lower()
    if not token:
        return _BLANK
    if token in ZERO_TOKENS:
        return _exact(0, raw)
    match = _NUMBER.match(token)
    if match:
        n = int(match.group("num").replace(",", ""))
        return _exact(n, raw, note=match.group("mark") or "")
    if token in BARE_SUPPRESSION_MARKERS:
        return CellValue(ValueKind.SUPPRESSED, None, suppression.lower, suppression.upper, raw)
    match = _LESS_THAN.match(token)
    if match:
        le = match.group("le")
        top = int(le) if le is not None else int(match.group("n")) - 1
        if top >= 1:
            return CellValue(ValueKind.SUPPRESSED, None, 1, top, raw)
    match = _RANGE.match(token)
    if match:
        lo, hi = int(match.group("lo")), int(match.group("hi"))
        if lo < hi <= _MAX_SUPPRESSED:
            return CellValue(ValueKind.SUPPRESSED, None, lo, hi, raw)
    if token in NOT_AVAILABLE_TOKENS:
        return CellValue(ValueKind.NOT_AVAILABLE, raw=raw)
    if token in EXCEL_ERRORS:
        return CellValue(ValueKind.ERROR, raw=raw)
    if token in REVISION_TOKENS:
        return CellValue(ValueKind.REVISION, raw=raw)
    if _PERCENT.match(token):
        return CellValue(ValueKind.PERCENT, raw=raw)
    return CellValue(ValueKind.TEXT, raw=raw)


# Notes such as "* denotes a figure between 1 and 4", "* = fewer than 5", "x: less than 3".
_NOTE_BETWEEN = re.compile(r"between\s+(\d+)\s+(?:and|to|-)\s+(\d+)", re.IGNORECASE)
_NOTE_RANGE = re.compile(r"(?<![\d/])(\d+)\s*(?:-|\u2013|to)\s*(\d+)(?![\d/])")
_NOTE_LESS = re.compile(r"(?:<|less than|fewer than|under|below)\s*(\d+)", re.IGNORECASE)
_NOTE_HINT = re.compile(r"suppress|denote|redact|small (?:number|count)|disclos|identif|\*|=")


def suppression_from_notes(texts: list[str]) -> Suppression | None:
    """The bounds a file states for its suppression marker, if any note states them."""
    for text in texts:
        if not _NOTE_HINT.search(text.lower()):
            continue
        match = _NOTE_BETWEEN.search(text) or _NOTE_RANGE.search(text)
        if match:
            lo, hi = int(match.group(1)), int(match.group(2))
            if 0 <= lo < hi <= 20:
                return Suppression(lower=lo, upper=hi, stated=True)
        match = _NOTE_LESS.search(text)
        if match:
            top = int(match.group(1)) - 1
            if 1 <= top <= 20:
                return Suppression(lower=1, upper=top, stated=True)
    return None
