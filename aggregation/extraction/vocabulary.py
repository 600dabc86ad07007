"""The campaign's question, handed to the engine as plain values (built from the database by the
Django side, from a template in tests and the ``extract`` command).

A campaign counts one measure ("strip searches of children") per period of one kind (financial
years, calendar years or months), broken down by its dimensions: an age, categories with a
vocabulary of terms (offence, ethnicity, sex...) and, in national tables, the force.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

PERIOD = "period"
FORCE = "force"


class PeriodKind(StrEnum):
    FINANCIAL_YEAR = "financial_year"  # 1 April to 31 March, "2018-19"
    CALENDAR_YEAR = "calendar_year"  # "2018"
    MONTH = "month"  # "2018-06"
    # Twelve months ending in a month other than March ("Year ending June 2016"): files give
    # them (ONS rolling years); a campaign never asks for them and they are never converted.
    ROLLING_YEAR = "rolling_year"  # "12 months to 2016-06"


class DimensionKind(StrEnum):
    AGE = "age"  # single years, bands with bounds, unknown
    CATEGORY = "category"  # terms with aliases and keyword rules
    FORCE = "force"  # the responding force, in national tables that list several


@dataclass(frozen=True, slots=True)
class Dimension:
    """One way the campaign breaks its figures down.

    ``words`` are the header words that announce the dimension ("Ethnicity", "Ethnic group"):
    matched as whole words, in lower case.
    """

    name: str  # as observations carry it: "age", "offence", "ethnicity", "sex"
    kind: DimensionKind
    title: str = ""
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Term:
    """A category of a dimension with the spellings that map to it without review."""

    dimension: str  # e.g. "offence"
    name: str  # canonical, e.g. "Sexual grooming"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """A label containing every word of ``all_of`` and none of ``none_of`` maps to ``term``.

    Matching is on normalised labels (lower case, codes and section numbers stripped, police
    abbreviations expanded).
    """

    dimension: str
    term: str
    all_of: tuple[str, ...]
    none_of: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Abbreviation:
    """A police abbreviation and what it stands for: "IIOC" -> "indecent images of children"."""

    short: str
    expansion: str


@dataclass(frozen=True, slots=True)
class ForceNames:
    slug: str
    names: tuple[str, ...]  # name, short name and aliases


@dataclass(frozen=True, slots=True)
class Measure:
    """What the campaign counts, and the header words that name it in a file.

    Where a table counts two measures side by side ("Offences" and "Victims"), the columns whose
    headers name this measure are read and the others are reported, never added.
    """

    name: str = "offences"
    words: tuple[str, ...] = ("offences", "offence", "crimes", "crime")
    # Whose the figures are: a title opening with one of these ("Victims by age") says whose
    # age the campaign's figures are by, not that it counts another measure.
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelMap:
    """A researcher's reading of a label the engine could not place: ``dimension``'s canonical
    ``value`` ("2017-18", "13", a term's name, a force's slug), or, with no value, not part of
    this request (its figures are left out, and any total shown to include them)."""

    dimension: str  # "period", "force", or one of the campaign's dimensions
    label: str  # as written in the file; matched case- and space-insensitively
    value: str = ""  # "" : ignore

    @property
    def ignores(self) -> bool:
        return not self.value


class HintKind(StrEnum):
    """A researcher's correction of how one document reads (kept, re-applied on every read)."""

    TOTAL = "total"  # this row or column is a total of the others
    SUBTOTAL = "subtotal"  # a subtotal of some of them: a check, never a figure
    NOT_DATA = "not_data"  # not figures at all (a note, a rank, a reference)
    OTHER_MEASURE = "other_measure"  # counts another measure than the campaign's
    LABELS = "labels"  # this column holds the row labels
    PERIOD = "period"  # this table's figures are all for one period (named in its title)


@dataclass(frozen=True, slots=True)
class Hint:
    """One correction, on one sheet: a row (``row``), a column (``column``), or the table that
    holds ``row`` (for ``PERIOD``, with ``period`` canonical). Rows and columns count from 0."""

    sheet: str
    kind: HintKind
    row: int | None = None
    column: int | None = None
    period: str = ""


@dataclass(frozen=True, slots=True)
class Scope:
    """Which records count, for record lists (one row per crime)."""

    max_age: int | None = 17  # victims aged 18 or over are outside the request
    # When a flag column exists (e.g. online/cyber), only flagged rows count.
    require_flag: bool = True


@dataclass(frozen=True, slots=True)
class Vocabulary:
    periods: tuple[str, ...] = ()  # canonical periods asked, e.g. ("2015-16", "2016-17")
    period_kind: PeriodKind = PeriodKind.FINANCIAL_YEAR
    dimensions: tuple[Dimension, ...] = ()
    terms: tuple[Term, ...] = ()
    rules: tuple[KeywordRule, ...] = ()
    abbreviations: tuple[Abbreviation, ...] = ()
    forces: tuple[ForceNames, ...] = ()
    mappings: tuple[LabelMap, ...] = ()
    measure: Measure = field(default_factory=Measure)
    scope: Scope = field(default_factory=Scope)

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    def of_kind(self, kind: DimensionKind) -> tuple[Dimension, ...]:
        return tuple(d for d in self.dimensions if d.kind is kind)
