"""Where a file with no tables says that the force refused, or does not hold the information.

A refusal is something a force says to the requester, so a phrase such as "not held" or
"section 12" counts only where the file says it, never where it merely mentions it:

* in a sentence addressed to the requester or spoken by the authority: one with "you", "your",
  "requested", "we", "our", "us" or "I can / am / have..." in it ("I can confirm that the
  information you requested is not held by Essex Police"), the phrase outside quotation marks
  and brackets ("no data (a refusal or "not held")" only names an outcome); or
* as the whole of a bare answer ("Nil return", "Information not held") in a file of a few cells,
  which is then nothing but that answer.

Documentation that lists the outcomes (a README: "refusal with exemptions, not held, internal
review") neither addresses anyone nor consists of a bare answer, so it is no refusal letter.
What is found comes with the words that say it and their cell, to be quoted in the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .grid import Sheet, cell_ref

ROWS_READ = 500
# A file of at most this many cells with text may be a bare answer ("Nil return").
BARE_ANSWER_CELLS = 10
BARE_ANSWER_WORDS = 6
QUOTE_CHARS = 300

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Quoted or bracketed words are mentioned, not said ('single quotes' only at word edges, so
# that "the force's reply" keeps its apostrophe).
_MENTIONED = re.compile(
    r"\"[^\"]*\"|“[^”]*”|‘[^’]*’|(?<!\w)'[^']*'(?!\w)|`[^`]*`|\([^()]*\)|\[[^\]]*\]"
)
_ADDRESSED = re.compile(r"\b(?:you|your|yours|requested|we|our|us)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\bI (?:can|am|have|must|would|will|write|confirm|regret|should)\b")


def stated(sheets: list[Sheet], pattern: re.Pattern[str]) -> tuple[str, str, str] | None:
    """The first place the sheets say what ``pattern`` (lower case) matches, as (the words
    that say it, the sheet's name, the cell); None where it is only mentioned or absent."""
    texts = list(_texts(sheets))
    bare = len(texts) <= BARE_ANSWER_CELLS
    for text, sheet, cell in texts:
        if quote := _said(text, pattern, bare=bare):
            return quote, sheet, cell
    return None


def _texts(sheets: list[Sheet]) -> Iterator[tuple[str, str, str]]:
    for sheet in sheets:
        for r, row in enumerate(sheet.rows[:ROWS_READ]):
            for c, value in enumerate(row):
                if isinstance(value, str) and value.strip():
                    yield value.strip(), sheet.name, cell_ref(r, c)


def _said(text: str, pattern: re.Pattern[str], *, bare: bool) -> str | None:
    short = len(text.split()) <= BARE_ANSWER_WORDS and text[0].isalpha()
    if bare and short and pattern.search(_MENTIONED.sub(" ", text).lower()):
        return text
    for sentence in _SENTENCE_END.split(text):
        unquoted = _MENTIONED.sub(" ", sentence)
        if pattern.search(unquoted.lower()) and (
            _ADDRESSED.search(unquoted) or _FIRST_PERSON.search(unquoted)
        ):
            return _clip(sentence, pattern)
    return None


def _clip(sentence: str, pattern: re.Pattern[str]) -> str:
    """The sentence, or the part of a long one around its phrase, marked where it was cut."""
    if len(sentence) <= QUOTE_CHARS:
        return sentence
    found = pattern.search(sentence.lower())
    start = max(0, (found.start() if found else 0) - QUOTE_CHARS // 3)
    end = start + QUOTE_CHARS
    return ("…" if start else "") + sentence[start:end] + ("…" if end < len(sentence) else "")
