"""Headings: which role a column or row heading announces, in the campaign's own terms.

"Victim age" announces the age, "Ethnicity" the campaign's ethnicity dimension, "Crime reference"
a column read but never counted, "Count" the figures. The campaign's dimensions bring their own
heading words, so a campaign about sex reads a "Sex" column as its dimension while a campaign
that does not ask about sex reads it as a column of other facts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from .labels import clean, parse_age, parse_period, parse_total
from .vocabulary import DimensionKind, Vocabulary


class Role(StrEnum):
    PERIOD = "period"
    AGE = "age"
    CATEGORY = "category"  # one of the campaign's category dimensions: ``Heading.dimension``
    FORCE = "force"
    MEASURE = "measure"  # "Count", "Number of offences"
    DATE = "date"
    BIRTH = "birth"  # year or date of birth
    FLAG = "flag"
    PERCENT = "percent"
    REVISION = "revision"
    OTHER = "other"  # reference numbers, locations, facts the campaign does not count by


@dataclass(frozen=True, slots=True)
class Heading:
    role: Role
    dimension: str | None = None  # the campaign dimension named, for AGE and CATEGORY


_PERCENT = re.compile(r"%|\bpercent|\bproportion\b|\bper cent\b|\brate\b|\bshare\b")
_IDENTIFIER = re.compile(
    r"\bref(?:erence)?\b|\bcrime (?:no|number|id)\b|\burn\b|\bid\b|\blocation\b|\bsource\b"
    r"|\bstation\b|\bward\b"
)
_BIRTH = re.compile(r"\b(?:dob|d\.o\.b|birth|born|yob)\b")
_DATE = re.compile(r"\bdate\b|\brecorded\b|\bcommitted\b|\boccurred\b|\breported\b|\bcreated\b")
_FLAG = re.compile(r"\bflag|\bonline\b|\bcyber|\binternet\b|\bdigital\b|\bmarker\b|\bqualifier")
_AGE = re.compile(r"\bages?\b|\baged\b")
_PERIOD = re.compile(r"\byears?\b|\bperiod\b|\bfy\b|\bfinancial\b|\bmonth\b")
_FORCE = re.compile(r"\bforces?\b|\bconstabulary\b|\bpolice area\b")
# Facts a campaign that does not break down by them still finds in record lists.
_OTHER = re.compile(r"\bgender\b|\bsex\b|\boutcome\b|\bethnic|\brace\b|\bnationality\b")
_REVISION = re.compile(r"\brevis|\bamended\b|\bstatus\b")
_MEASURE = re.compile(
    r"\bnumber\b|\bcount\b|\bno\.?\b|\bfrequency\b|\bvolume\b|\btotal\b|\bfigures?\b"
    r"|\bincidents\b|\bvictims\b|\boffen[cs]es\b|\bcrimes\b|\bn\b"
)

# Words that make up a heading naming an axis ("Victim age", "Financial year", "Offence type").
_AXIS_WORDS = frozenset(
    {
        "age",
        "ages",
        "aged",
        "victim",
        "victims",
        "of",
        "the",
        "at",
        "time",
        "year",
        "years",
        "financial",
        "fiscal",
        "fy",
        "calendar",
        "period",
        "month",
        "force",
        "forces",
        "police",
        "description",
        "home",
        "office",
        "hocr",
        "classification",
        "recorded",
        "in",
        "by",
        "and",
        "group",
        "band",
        "range",
        "type",
        "category",
        "categories",
    }
)


def _words_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({clean(w) for w in words if clean(w)}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in cleaned) + r")\b")


class HeaderReader:
    """Reads headings for one campaign; cached, as a sheet repeats its headings."""

    def __init__(
        self, vocabulary: Vocabulary, terms: Callable[[object], bool] = lambda value: False
    ) -> None:
        """``terms`` says whether a value is one of the campaign's category terms."""
        self._terms = terms
        ages = vocabulary.of_kind(DimensionKind.AGE)
        self.age_dimension = ages[0].name if ages else None
        self._categories = [
            (d.name, pattern)
            for d in vocabulary.of_kind(DimensionKind.CATEGORY)
            if (pattern := _words_pattern(d.words)) is not None
        ]
        self._axis_words = _AXIS_WORDS | {
            word for d in vocabulary.dimensions for w in d.words for word in clean(w).split()
        }
        self._cache: dict[object, Heading | None] = {}

    def read(self, value: object) -> Heading | None:
        """The role a heading announces ("Victim age" -> AGE, "Count" -> MEASURE), or None."""
        try:
            return self._cache[value]
        except KeyError:
            heading = self._cache[value] = self._read(clean(value))
            return heading
        except TypeError:  # an unhashable cell value: never a heading
            return None

    def _read(self, text: str) -> Heading | None:
        if not text:
            return None
        for role, pattern in (
            (Role.PERCENT, _PERCENT),
            (Role.OTHER, _IDENTIFIER),
            (Role.BIRTH, _BIRTH),
            (Role.DATE, _DATE),
            (Role.FLAG, _FLAG),
        ):
            if pattern.search(text):
                return Heading(role)
        if _AGE.search(text):
            return Heading(Role.AGE, self.age_dimension)
        if _PERIOD.search(text):
            return Heading(Role.PERIOD)
        if _FORCE.search(text):
            return Heading(Role.FORCE)
        for name, pattern in self._categories:
            if pattern.search(text):
                return Heading(Role.CATEGORY, name)
        for role, pattern in ((Role.OTHER, _OTHER), (Role.REVISION, _REVISION)):
            if pattern.search(text):
                return Heading(role)
        if _MEASURE.search(text):
            return Heading(Role.MEASURE)
        return None

    def role(self, value: object) -> Role | None:
        heading = self.read(value)
        return heading.role if heading else None

    def label_like(self, value: object) -> bool:
        """A value that names a place on an axis: a period, an age, a total or a term."""
        return bool(
            parse_period(value) or parse_age(value) or parse_total(value) or self._terms(value)
        )

    def is_axis_name(self, value: object) -> bool:
        """A heading that names an axis ("Victim age", "Financial year"), not one of its values."""
        if not isinstance(value, str):
            return False
        if parse_period(value) or parse_age(value) or parse_total(value):
            return False
        words = re.sub(r"[^a-z ]", " ", clean(value)).split()
        axis_roles = {Role.PERIOD, Role.AGE, Role.CATEGORY, Role.FORCE}
        return (
            bool(words)
            and all(w in self._axis_words for w in words)
            and self.role(value) in axis_roles
        )
