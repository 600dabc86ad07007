"""A file is a refusal only where it says so to the requester, and the reason quotes those words
and their cell; documentation that merely names the outcomes ("not held", s12) is no refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from aggregation.extraction.default_vocabulary import default_vocabulary
from aggregation.extraction.engine import extract, understand
from aggregation.extraction.grid import Sheet, Workbook
from aggregation.extraction.result import Verdict

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
VOCABULARY = default_vocabulary(("2015-16", "2016-17", "2017-18", "2018-19"))
REFUSAL_CODES = {"refused_s12", "not_held", "refused"}


def letter(*lines: str) -> Workbook:
    return Workbook("xlsx", [Sheet("Letter", [[line] for line in lines])])


def prose(text: str) -> Workbook:
    """Documentation as a sheet of lines, one cell each: no table anywhere, so only the refusal
    rule stands between it and a verdict of no data."""
    return letter(*(line for line in text.splitlines() if line.strip()))


def refusals(result) -> list:
    return [r for r in result.reasons if r.code in REFUSAL_CODES]


# Real refusal wording: said to the requester, quoted with its cell.


@pytest.mark.parametrize(
    ("sentence", "code"),
    [
        (
            "I can confirm that the information you have requested is not held by Essex Police.",
            "not_held",
        ),
        ("The information requested is not held by Kent Police.", "not_held"),
        (
            "Following a search of our systems, no information is held that falls within the "
            "scope of your request.",
            "not_held",
        ),
        (
            "We estimate that the cost of complying with your request would exceed the "
            "appropriate limit of £450 set out in section 12 of the Act.",
            "refused_s12",
        ),
        (
            "In accordance with the Freedom of Information Act 2000, this letter acts as a "
            "Refusal Notice for your request.",
            "refused",
        ),
        (
            "The Metropolitan Police Service can neither confirm nor deny that it holds the "
            "information you requested, by virtue of section 23(5).",
            "refused",
        ),
    ],
)
def test_a_letter_saying_so_to_the_requester_is_no_data_quoting_its_words(sentence, code):
    result = understand(
        letter("Freedom of Information Request 01-FOI-24-123", "Dear Requester,", sentence),
        VOCABULARY,
    )
    assert result.verdict is Verdict.NO_DATA
    (reason,) = refusals(result)
    assert reason.code == code
    assert (reason.sheet, reason.cells) == ("Letter", "A3")
    assert f"“{sentence}” (Letter!A3)." in reason.message


def test_the_quote_is_the_sentence_that_says_it_not_the_whole_paragraph():
    paragraph = (
        "Thank you for your email of 3 March 2024. Searches were made across the force. "
        "I can confirm that Durham Constabulary does not hold the information. "
        "You may ask for an internal review."
    )
    (reason,) = refusals(understand(letter(paragraph), VOCABULARY))
    assert "“I can confirm that Durham Constabulary does not hold the information.”" in (
        reason.message
    )


@pytest.mark.parametrize("answer", ["Nil return", "Information not held", "No information held."])
def test_a_file_that_is_only_a_bare_answer_is_no_data(answer):
    result = understand(letter("FOI 2024/0412", answer), VOCABULARY)
    assert result.verdict is Verdict.NO_DATA
    (reason,) = refusals(result)
    assert f"“{answer}” (Letter!A2)" in reason.message


# Mentioned, not said.


@pytest.mark.parametrize(
    "text",
    [
        'cached values; a cover letter sheet; no data at all ("not held", s12).',
        '(a refusal or "not held"), or failed (unreadable, unsafe, too large: a clear reason).',
        "refusal with exemptions, not held, internal review, ICO...). The service refuses an event",
        "- s12: police may refuse when compliance would cost over £450 (18 hours at £25).",
        "Mark the document no data when the force writes 'we do not hold the information'.",
        "A refusal may neither confirm nor deny (NCND).",
        "The appropriate limit is set out in Part I of the Act; refusals are counted by exemption.",
    ],
)
def test_documentation_naming_the_outcomes_is_no_refusal(text):
    page = [text, *(f"Line {i} of a longer page." for i in range(12))]
    result = understand(letter(*page), VOCABULARY)
    assert result.verdict is not Verdict.NO_DATA
    assert refusals(result) == []


def test_a_bare_phrase_inside_a_long_document_is_no_refusal():
    lines = [f"Setting {i}: what it does." for i in range(20)] + ["not held", "Nil return"]
    result = understand(letter(*lines), VOCABULARY)
    assert result.verdict is not Verdict.NO_DATA and refusals(result) == []


def test_the_projects_own_readme_is_no_refusal_letter():
    readme = (ROOT / "README.md").read_bytes()
    for result in (extract(readme, VOCABULARY), understand(prose(readme.decode()), VOCABULARY)):
        assert result.verdict is not Verdict.NO_DATA
        assert refusals(result) == []


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is absent (a fresh clone)")
@pytest.mark.parametrize(
    "path", ["cases/README.md", "real/README.md", "SPEC.md"], ids=lambda p: p.replace("/", "-")
)
def test_the_shared_readmes_are_no_refusal_letters(path):
    content = (SHARED / path).read_bytes()
    for result in (extract(content, VOCABULARY), understand(prose(content.decode()), VOCABULARY)):
        assert result.verdict is not Verdict.NO_DATA
        assert refusals(result) == []
