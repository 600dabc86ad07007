"""Which measure a heading, a label or a table's title names: the campaign's, or another.

A force may count two things side by side (offences and victims, incidents and individuals,
fatalities and incidents): as two columns under each year, two rows per year, two blocks under
one header, or two tables. The measure is an axis of its own: only the campaign's measure is
read, the others are reported, never filed under the same key (SPEC 8).
"""

from __future__ import annotations

import re
from enum import StrEnum

from .labels import clean
from .vocabulary import Measure

# Nouns forces count by. The campaign's own measure words are added to these.
COUNTED_NOUNS = frozenset(
    {
        "offence",
        "offences",
        "crime",
        "crimes",
        "victim",
        "victims",
        "suspect",
        "suspects",
        "offender",
        "offenders",
        "perpetrator",
        "perpetrators",
        "individual",
        "individuals",
        "person",
        "persons",
        "people",
        "incident",
        "incidents",
        "occurrence",
        "occurrences",
        "episode",
        "episodes",
        "report",
        "reports",
        "arrest",
        "arrests",
        "search",
        "searches",
        "use",
        "uses",
        "deployment",
        "deployments",
        "fatality",
        "fatalities",
        "death",
        "deaths",
        "case",
        "cases",
        "referral",
        "referrals",
        "call",
        "calls",
        "charge",
        "charges",
        "outcome",
        "outcomes",
        # Outcomes a force counts beside its crimes ("Charged/summonsed", "Convictions").
        "charged",
        "summonsed",
        "cautioned",
        "convicted",
        "conviction",
        "convictions",
        "prosecution",
        "prosecutions",
        "detection",
        "detections",
    }
)
# "Number of victims", "No. of crimes", "Count of searches", "Total victims": the noun counted.
_COUNTED = re.compile(r"\b(?:number|no\.?|count|total|sum)\s+(?:of\s+)?(?:the\s+)?([a-z]+)")


# Words that make a heading name an attribute of the counted thing ("Age of victim", "Victim
# gender", "Offence type"): a dimension, not a measure.
_ATTRIBUTES = frozenset(
    {"age", "ages", "gender", "sex", "ethnicity", "ethnic", "race", "nationality", "type", "types"}
    | {"category", "categories", "location", "date", "year", "month", "group", "band"}
)

_NUMBERING = re.compile(r"^(?:(?:table|question|q|figure)\s*[\d.]*[a-z]?\s*[-:.)]?\s*)+")


class MeasureKind(StrEnum):
    OURS = "ours"
    OTHER = "other"


class MeasureReader:
    """Tells the campaign's measure from others in headings, labels and titles."""

    def __init__(self, measure: Measure) -> None:
        self.name = measure.name
        self._ours = {w for w in (clean(w) for w in measure.words) if w}
        self._nouns = COUNTED_NOUNS | {w for word in self._ours for w in word.split()}
        self._subjects = {clean(w) for w in measure.subjects} - self._ours

    def _kind(self, word: str) -> MeasureKind:
        phrase_words = {w for phrase in self._ours for w in phrase.split()}
        return MeasureKind.OURS if word in phrase_words else MeasureKind.OTHER

    def read(self, value: object) -> MeasureKind | None:
        """The measure a heading or label names ("Offences", "Number of victims"), or None
        when it names none or several ("Count", "Offences and victims") or an attribute of
        what is counted ("Age of victim")."""
        text = clean(value)
        if not text:
            return None
        if text in self._ours:
            return MeasureKind.OURS
        counted = _COUNTED.search(text)
        if counted and counted.group(1) in self._nouns:
            return self._kind(counted.group(1))
        all_words = re.findall(r"[a-z]+", text)
        if _ATTRIBUTES.intersection(all_words):
            return None
        words = [w for w in all_words if w in self._nouns]
        kinds = {self._kind(w) for w in words}
        return kinds.pop() if len(kinds) == 1 else None

    def names_subject(self, text: str) -> bool:
        """Whether a title opens with whose the campaign's figures are ("Victims by age",
        "Table 1: Children searched, by ethnicity"): the campaign's ``Measure.subjects``."""
        return self.subject_of(text) is not None

    def subject_of(self, text: str) -> str | None:
        """The subject word a title opens with ("victims" of "Victims by age"), or None."""
        words = re.findall(r"[a-z]+", _NUMBERING.sub("", clean(text)))
        return words[0] if words and words[0] in self._subjects else None

    def counted_in_title(self, text: str) -> bool:
        """Whether a title says outright what it counts ("Number of victims by age"), rather
        than only opening with a noun ("Victims by age", which may name whose age it is)."""
        counted = _COUNTED.search(clean(text))
        return bool(counted and counted.group(1) in self._nouns)

    def of_title(self, text: str) -> MeasureKind | None:
        """The measure a table's title counts, where it says so: the noun after "Number of"
        anywhere, or the title's first word ("Victims of ...", "Crimes recorded ..."), after
        any "Table 2 -" or "Question 1:". "Age of victim" names no measure."""
        cleaned = clean(text)
        counted = _COUNTED.search(cleaned)
        if counted and counted.group(1) in self._nouns:
            return self._kind(counted.group(1))
        words = re.findall(r"[a-z]+", _NUMBERING.sub("", cleaned))
        if words and words[0] in self._nouns:
            return self._kind(words[0])
        return None
