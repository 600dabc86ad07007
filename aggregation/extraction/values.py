"""Cell values as forces write them (SPEC 6): counts, zeros, suppressed ranges and the rest.

``parse_value`` turns one grid value into a ``CellValue`` whose ``kind`` says what it is. Only
``EXACT`` and ``SUPPRESSED`` carry a figure; every other kind is either not a figure at all
(blank, text, a percentage) or a figure we cannot know (not available, an Excel error, a formula
without a cached value), which the caller must turn into a reason, never into a zero.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
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
class Marker:
    """What a file's legend says one of its markers means ("* = fewer than five")."""

    kind: ValueKind  # SUPPRESSED (lower..upper), NOT_AVAILABLE, EXACT (zero) or REVISION
    lower: int = 0
    upper: int = 0
    meaning: str = ""  # the legend's words

    @property
    def annotates(self) -> bool:
        """A mark beside a figure that leaves it as it is: revised, provisional, estimated."""
        return self.kind is ValueKind.REVISION


@dataclass(frozen=True, slots=True)
class Legend:
    """The markers a file explains, and the bounds a bare suppression marker it does not
    explain is read as (SPEC 6: the usual police practice hides counts under 5 and writes true
    zeros as 0; the engine says so whenever it relies on this default)."""

    markers: dict[str, Marker] = field(default_factory=dict)  # lower-case marker -> meaning
    lower: int = 1
    upper: int = 4
    threshold_note: str = ""  # a note that states the bounds without naming its marker

    @property
    def stated(self) -> bool:
        return bool(self.markers or self.threshold_note)


DEFAULT_LEGEND = Legend()

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


def parse_value(value: object, legend: Legend = DEFAULT_LEGEND) -> CellValue:
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
        return replace(parse_value(value.value, legend), note=note)
    if isinstance(value, dt.date | dt.time):
        return CellValue(ValueKind.TEXT, raw=str(value))
    if isinstance(value, str):
        return _parse_text(value, legend)
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


def _parse_text(value: str, legend: Legend) -> CellValue:
    raw = value.strip()
    token = raw.lower()
    if not token:
        return _BLANK
    if legend.markers:
        explained = _explained(raw, token, legend)
        if explained is not None:
            return explained
    if token in ZERO_TOKENS:
        return _exact(0, raw)
    match = _NUMBER.match(token)
    if match:
        n = int(match.group("num").replace(",", ""))
        return _exact(n, raw, note=match.group("mark") or "")
    if token in BARE_SUPPRESSION_MARKERS:
        return CellValue(ValueKind.SUPPRESSED, None, legend.lower, legend.upper, raw)
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


def _explained(raw: str, token: str, legend: Legend) -> CellValue | None:
    """A value the file's own legend explains: a marker alone, or a figure with a mark beside
    it ("12~" where "~ = revised")."""
    marker = legend.markers.get(token)
    if marker is not None:
        if marker.kind is ValueKind.SUPPRESSED:
            return CellValue(ValueKind.SUPPRESSED, None, marker.lower, marker.upper, raw)
        if marker.kind is ValueKind.EXACT:
            return _exact(0, raw, note=marker.meaning)
        if marker.kind is ValueKind.NOT_AVAILABLE:
            return CellValue(ValueKind.NOT_AVAILABLE, raw=raw, note=marker.meaning)
        return CellValue(ValueKind.REVISION, raw=raw, note=marker.meaning)
    for mark, meaning in legend.markers.items():
        if not meaning.annotates:
            continue
        match = re.fullmatch(rf"(\d{{1,3}}(?:,\d{{3}})+|\d+)\s*{re.escape(mark)}", token)
        match = match or re.fullmatch(rf"{re.escape(mark)}\s*(\d{{1,3}}(?:,\d{{3}})+|\d+)", token)
        if match:
            return _exact(int(match.group(1).replace(",", "")), raw, note=meaning.meaning)
    return None


# A legend line: a short marker, then what it means ("* = fewer than five", "x: not available",
# "-  nil", "~ denotes a revised figure"); or a marker and its meaning in two cells.
_LEGEND_LINE = re.compile(
    r"^['\"\u2018\u201c]?(?P<mark>[^\w\s]{1,3}?|[a-z]{1,2}|\[[a-z]\]|n/a|\.\.)['\"\u2019\u201d]?\s*"
    r"(?:=|:|-|\u2013|\u2014|means|denotes|indicates|shows|is)?\s+(?P<meaning>\S.*)$",
    re.IGNORECASE,
)
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "eleven": 11}
_SUPPRESSED = re.compile(
    r"fewer than|less than|under|below|between|suppress|redact|withheld|small (?:number|count)"
    r"|disclos|identif|low number|<"
)
_BETWEEN = re.compile(
    r"between\s+(\d+)\s+(?:and|to|-)\s+(\d+)"
    r"|(?<![\d/])(\d+)\s*(?:-|\u2013|to|or)\s*(\d+)(?![\d/])"
)
# A meaning that is a span of counts and nothing else said ("1 or 2 offences", "1-4"): the
# figure was withheld and lies in it.
_SPAN_ONLY = re.compile(r"^(?:between\s+)?\d+\s*(?:-|\u2013|to|or|and)\s*\d+\b")
_UNDER = re.compile(r"(?:<|less than|fewer than|under|below)\s*(\d+|[a-z]+)")
_NOT_AVAILABLE = re.compile(
    r"not (?:available|applicable|recorded|collected|provided|held|known)|unavailable|no data"
    r"|n/a|missing|unknown"
)
_ZERO = re.compile(r"\bnil\b|\bzero\b|\bnone\b|\bno (?:offences|crimes|cases|records)\b")
_BOUNDS_STATED = re.compile(r"\d|\b(?:two|three|four|five|six|ten|eleven)\b")
_ANNOTATION = re.compile(r"revis|provisional|estimat|amend|update|break in (?:the )?series")


def _meaning(text: str) -> Marker | None:
    """What a legend's words say a marker stands for, or None when they say nothing we use."""
    lowered = text.lower()
    if _SUPPRESSED.search(lowered) or _SPAN_ONLY.match(lowered.strip()):
        if match := _BETWEEN.search(lowered):
            lo, hi = (int(g) for g in match.groups() if g is not None)
            if 0 <= lo < hi <= 100:
                return Marker(ValueKind.SUPPRESSED, lo, hi, text)
        if match := _UNDER.search(lowered):
            word = match.group(1)
            top = int(word) if word.isdigit() else _NUMBER_WORDS.get(word)
            if top is not None and 2 <= top <= 101:
                return Marker(ValueKind.SUPPRESSED, 1, top - 1, text)
        return Marker(ValueKind.SUPPRESSED, DEFAULT_LEGEND.lower, DEFAULT_LEGEND.upper, text)
    if _NOT_AVAILABLE.search(lowered):
        return Marker(ValueKind.NOT_AVAILABLE, meaning=text)
    if _ZERO.search(lowered):
        return Marker(ValueKind.EXACT, meaning=text)
    if _ANNOTATION.search(lowered):
        return Marker(ValueKind.REVISION, meaning=text)
    return None


def read_legend(lines: list[str], pairs: list[tuple[object, object]]) -> Legend:
    """A file's legend from its note lines ("* = fewer than five") and from rows of a marker
    cell beside a meaning cell (a "Symbols" table on a notes sheet). Markers whose meaning is
    not recognised are left out: their cells then read as without a legend."""
    markers: dict[str, Marker] = {}
    found = [
        (m.group("mark"), m.group("meaning"))
        for line in lines
        for entry in _entries(line)
        if (m := _LEGEND_LINE.match(entry))
    ]
    found += [
        (str(mark).strip(), str(meaning))
        for mark, meaning in pairs
        if isinstance(mark, str) and isinstance(meaning, str) and _is_marker(mark.strip())
    ]
    for mark, text in found:
        meaning = _meaning(text)
        if meaning is not None:
            markers.setdefault(mark.lower(), meaning)
    # "Figures under 5 are suppressed": bounds for the markers no line names.
    for line in lines:
        threshold = _meaning(line)
        if (
            threshold is not None
            and threshold.kind is ValueKind.SUPPRESSED
            and _BOUNDS_STATED.search(line.lower())
            and not _LEGEND_LINE.match(line.strip())
        ):
            return Legend(markers, threshold.lower, threshold.upper, line.strip())
    return Legend(markers)


# "Key: - nil | † 1 or 2 offences | § not available": several entries on one line.
_KEY_PREFIX = re.compile(r"^(?:key|legend|symbols?|notes?)\s*:\s*", re.IGNORECASE)
# Entries of one key line part at "|", ";", a tab or a run of spaces ("- = nil    ~ = 1 or 2").
_ENTRY_BREAK = re.compile(r"\s*[|;\t]\s*|\s{2,}")


def _entries(line: str) -> list[str]:
    """A note line's legend entries: its parts when it is a key or holds several entries, else
    the line itself ("~ figures revised; see notes" is one entry)."""
    text = line.strip()
    keyed = _KEY_PREFIX.match(text)
    entries = [e for e in _ENTRY_BREAK.split(text[keyed.end() :] if keyed else text) if e]
    if keyed or sum(bool(_LEGEND_LINE.match(e)) for e in entries) >= 2:
        return entries
    return [text]


def _is_marker(text: str) -> bool:
    return bool(text) and len(text) <= 3 and not text.isdigit() and " " not in text
