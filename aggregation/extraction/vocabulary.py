"""The campaign's vocabulary, handed to the engine as plain values (built from the database by
the Django side, or by hand in tests)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Term:
    """A category of a dimension with the spellings that map to it without review."""

    dimension: str  # e.g. "offence"
    name: str  # canonical, e.g. "Sexual grooming"
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """A label containing every word of ``all_of`` and none of ``none_of`` maps to ``term``.

    Matching is on normalised labels (lower case, codes and section numbers stripped).
    """

    dimension: str
    term: str
    all_of: tuple[str, ...]
    none_of: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ForceNames:
    slug: str
    names: tuple[str, ...]  # name, short name and aliases


@dataclass(frozen=True, slots=True)
class Scope:
    """Which records count, for record lists (one row per crime)."""

    max_age: int | None = 17  # victims aged 18 or over are outside the request
    # When a flag column exists (e.g. online/cyber), only flagged rows count.
    require_flag: bool = True


@dataclass(frozen=True, slots=True)
class Vocabulary:
    periods: tuple[str, ...] = ()  # canonical financial years asked, e.g. ("2015-16", "2016-17")
    dimensions: tuple[str, ...] = ("period", "age", "offence")
    terms: tuple[Term, ...] = ()
    rules: tuple[KeywordRule, ...] = ()
    forces: tuple[ForceNames, ...] = ()
    scope: Scope = field(default_factory=Scope)
