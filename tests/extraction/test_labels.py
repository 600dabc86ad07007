"""Every label spelling and value token SPEC names, and the traps around them."""

from __future__ import annotations

import datetime as dt

import pytest

from aggregation.extraction.default_vocabulary import default_vocabulary
from aggregation.extraction.grid import ExcelError, FormulaWithoutValue
from aggregation.extraction.labels import (
    CategoryMatcher,
    ForceMatcher,
    PeriodKind,
    find_period,
    normalise_label,
    parse_age,
    parse_date,
    parse_period,
    parse_total,
)
from aggregation.extraction.values import (
    Legend,
    ValueKind,
    parse_value,
    read_legend,
)
from aggregation.extraction.vocabulary import ForceNames, KeywordRule, Term, Vocabulary

FY = PeriodKind.FINANCIAL_YEAR


@pytest.mark.parametrize(
    "label",
    [
        "2018/19",
        "2018-19",
        "2018/2019",
        "2018-2019",
        "FY18/19",
        "FY 18-19",
        "18/19",
        "Apr 2018 - Mar 2019",
        "April 2018 to March 2019",
        "01/04/2018 - 31/03/2019",
        "1/4/2018 to 31/3/2019",
        "Financial Year 2018-19",
        "Financial year 2018/19",
        "FY 2018/19",
        "Financial Yr 2018/19",
        "Fiscal Yr. 2018-19",
        "Fin. Year 2018/19",
        "FY2018/19",
        "2018 \u2013 19",
        "2018/19*",
        "2018/19 (Apr-Mar)",
        "Year ending March 2019",
        "2018-04-01 to 2019-03-31",
        "2018/2019 financial yr",
        "F.Y. 2018/19",
        "2018/19 fin yr",
        "Apr-18 to Mar-19",
        "April-2018 to March-2019",
    ],
)
def test_every_financial_year_spelling_is_2018_19(label: str) -> None:
    assert parse_period(label) == parse_period("2018-19")
    assert parse_period(label).kind is FY and parse_period(label).canonical == "2018-19"


@pytest.mark.parametrize(
    ("label", "kind", "canonical"),
    [
        ("2018", PeriodKind.CALENDAR_YEAR, "2018"),
        (2018, PeriodKind.CALENDAR_YEAR, "2018"),
        (2018.0, PeriodKind.CALENDAR_YEAR, "2018"),
        ("Calendar year 2018", PeriodKind.CALENDAR_YEAR, "2018"),
        ("Jan - Dec 2018", PeriodKind.CALENDAR_YEAR, "2018"),
        ("01/01/2018 - 31/12/2018", PeriodKind.CALENDAR_YEAR, "2018"),
        ("2018-06", PeriodKind.MONTH, "2018-06"),
        ("June 2018", PeriodKind.MONTH, "2018-06"),
    ],
)
def test_calendar_years_and_months_are_never_financial_years(label, kind, canonical) -> None:
    parsed = parse_period(label)
    assert parsed is not None and parsed.kind is kind and parsed.canonical == canonical


@pytest.mark.parametrize(
    "label", ["14-15", "16-17", "2018-20", "2018/2020", "FY 2018", "13", "Total"]
)
def test_not_periods(label: str) -> None:
    parsed = parse_period(label)
    assert parsed is None or parsed.kind is not FY


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Offences recorded in 2018/19", "2018-19"),
        ("FY 18-19", "2018-19"),
        ("Sheet 2017-18 data", "2017-18"),
        ("Apr 2016 - Mar 2017 online offences", "2016-17"),
        ("Offences recorded between 1 April 2016 and 31 March 2017", "2016-17"),
        ("Crimes 01/04/2018 - 31/03/2019", "2018-19"),
        ("Offences 2018/19 (extracted 05/06/2019)", "2018-19"),
        ("Online offences, financial year ending 31 March 2019", "2018-19"),
    ],
)
def test_find_period_in_titles_and_sheet_names(text: str, canonical: str) -> None:
    found = find_period(text)
    assert found is not None and found.kind is FY and found.canonical == canonical


@pytest.mark.parametrize(
    "text", ["Offence 2015/16 FY 2016/17 FY", "Figures for 2017/18 and 2018/19"]
)
def test_a_title_naming_several_financial_years_names_no_period_of_its_own(text: str) -> None:
    assert find_period(text) is None


def test_a_sheet_name_with_an_underscore_names_its_year() -> None:
    assert find_period("Data_2017_18") == parse_period("2017-18")


def test_find_period_reports_a_calendar_year_title_as_calendar() -> None:
    assert find_period("Offences in 2018").kind is PeriodKind.CALENDAR_YEAR
    assert find_period("From 1st January 2018 to 31st December 2018").canonical == "2018"


@pytest.mark.parametrize(
    "text", ["Recorded between 1 April 2016 and 30 June 2016", "Data as at 31 March 2019"]
)
def test_dates_that_bound_no_whole_period_name_none(text: str) -> None:
    assert find_period(text) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("03/05/2016", dt.date(2016, 5, 3)),
        ("03/05/16", dt.date(2016, 5, 3)),
        ("3/5/2016", dt.date(2016, 5, 3)),
        ("26/01/16 18:40", dt.date(2016, 1, 26)),
        ("2016-05-03", dt.date(2016, 5, 3)),
        (dt.datetime(2016, 5, 3, 10, 0), dt.date(2016, 5, 3)),
        ("31/02/2016", None),
        ("Sexual grooming", None),
    ],
)
def test_dates_are_day_first(value: object, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("label", "canonical"),
    [
        ("13", "13"),
        (13, "13"),
        (13.0, "13"),
        ("13 years", "13"),
        ("Age 13", "13"),
        ("Aged 13", "13"),
        ("0-10", "0-10"),
        ("0 - 10", "0-10"),
        ("0 to 10", "0-10"),
        ("Under 11", "0-10"),
        ("10 and under", "0-10"),
        ("10 or under", "0-10"),
        ("16-17", "16-17"),
        ("14-15", "14-15"),
        ("16+", "16+"),
        ("61 & over", "61+"),
        ("18 or older", "18+"),
        ("Not recorded", "unknown"),
        ("Unknown", "unknown"),
        ("N/K", "unknown"),
        ("Not Known", "unknown"),
        ("Age unknown", "unknown"),
    ],
)
def test_age_spellings(label: object, canonical: str) -> None:
    parsed = parse_age(label)
    assert parsed is not None and parsed.canonical == canonical


@pytest.mark.parametrize("label", ["Total", "Rape", "2018/19", "", None, -1, 1.5])
def test_not_ages(label: object) -> None:
    assert parse_age(label) is None


@pytest.mark.parametrize(
    ("value", "kind", "lower", "upper"),
    [
        (45, ValueKind.EXACT, 45, 45),
        (45.0, ValueKind.EXACT, 45, 45),
        ("45", ValueKind.EXACT, 45, 45),
        ("1,234", ValueKind.EXACT, 1234, 1234),
        ("45*", ValueKind.EXACT, 45, 45),
        ("12 (a)", ValueKind.EXACT, 12, 12),
        ("12 [note 1]", ValueKind.EXACT, 12, 12),
        ("0", ValueKind.EXACT, 0, 0),
        ("-", ValueKind.EXACT, 0, 0),
        ("\u2013", ValueKind.EXACT, 0, 0),
        ("Nil", ValueKind.EXACT, 0, 0),
        ("*", ValueKind.SUPPRESSED, 1, 4),
        ("x", ValueKind.SUPPRESSED, 1, 4),
        ("<5", ValueKind.SUPPRESSED, 1, 4),
        ("< 3", ValueKind.SUPPRESSED, 1, 2),
        ("1-4", ValueKind.SUPPRESSED, 1, 4),
        ("1 to 4", ValueKind.SUPPRESSED, 1, 4),
        ("..", ValueKind.NOT_AVAILABLE, 0, 0),
        ("n/a", ValueKind.NOT_AVAILABLE, 0, 0),
        ("NA", ValueKind.NOT_AVAILABLE, 0, 0),
        ("R", ValueKind.REVISION, 0, 0),
        ("#REF!", ValueKind.ERROR, 0, 0),
        ("#N/A", ValueKind.ERROR, 0, 0),
        (ExcelError("#REF!"), ValueKind.ERROR, 0, 0),
        (FormulaWithoutValue("SUM(B2:B9)"), ValueKind.NO_FORMULA_VALUE, 0, 0),
        ("45%", ValueKind.PERCENT, 0, 0),
        (0.25, ValueKind.PERCENT, 0, 0),
        (None, ValueKind.BLANK, 0, 0),
        ("", ValueKind.BLANK, 0, 0),
        ("Rape", ValueKind.TEXT, 0, 0),
    ],
)
def test_value_tokens(value: object, kind: ValueKind, lower: int, upper: int) -> None:
    parsed = parse_value(value)
    assert parsed.kind is kind
    assert (parsed.lower, parsed.upper) == (lower, upper)
    if kind is ValueKind.SUPPRESSED:
        assert parsed.value is None  # a range, never an exact guess and never a zero


def test_formula_without_value_is_never_zero() -> None:
    assert parse_value(FormulaWithoutValue()).value is None


@pytest.mark.parametrize(
    ("notes", "marker", "bounds"),
    [
        (["* denotes a figure between 1 and 4 which has been suppressed"], "*", (1, 4)),
        (["* = fewer than 5"], "*", (1, 4)),
        (["Figures suppressed where <3"], "*", (1, 2)),
        (["Figures suppressed where <3"], "x", (1, 2)),
        (["x: suppressed (1-9) to protect identities"], "x", (1, 9)),
        (["*  fewer than 10 offences (between 1 and 9); figure suppressed"], "*", (1, 9)),
    ],
)
def test_suppression_threshold_from_notes(
    notes: list[str], marker: str, bounds: tuple[int, int]
) -> None:
    found = read_legend(notes, [])
    assert found.stated
    assert (parse_value(marker, found).lower, parse_value(marker, found).upper) == bounds


def test_a_legend_explains_only_the_markers_it_names() -> None:
    found = read_legend(["x: suppressed (1-9) to protect identities"], [])
    assert (parse_value("*", found).lower, parse_value("*", found).upper) == (1, 4)


def test_notes_without_a_threshold_leave_the_default() -> None:
    found = read_legend(["Data extracted on 01/07/2019"], [])
    assert not found.stated and (found.lower, found.upper) == (1, 4)
    assert Legend().stated is False


@pytest.mark.parametrize(
    ("lines", "pairs", "cell", "reading"),
    [
        (["x = not available"], [], "x", ("not_available", None, None)),
        (["~ = revised figure"], [], "12~", ("exact", 12, 12)),
        (["-  nil"], [], "-", ("exact", 0, 0)),
        (["p  provisional"], [], "44p", ("exact", 44, 44)),
        ([], [("#", "less than 5 (figure suppressed)")], "#", ("suppressed", 1, 4)),
        ([], [("R", "revised since previously published")], "17R", ("exact", 17, 17)),
        (["* = fewer than five"], [], "*", ("suppressed", 1, 4)),
        (["~ marks revised data"], [], "~", ("revision", None, None)),
        (["† 1 or 2 offences"], [], "†", ("suppressed", 1, 2)),
        (["Key: - nil | † 1 or 2 offences | § not available"], [], "-", ("exact", 0, 0)),
        (["Key: - nil | † 1 or 2 offences | § not available"], [], "†", ("suppressed", 1, 2)),
        (["x = not available; * = fewer than 3"], [], "*", ("suppressed", 1, 2)),
        (["Key:  - = nil    ~ = 1 or 2 (suppressed)    r = revised"], [], "-", ("exact", 0, 0)),
        (
            ["Key:  - = nil    ~ = 1 or 2 (suppressed)    r = revised"],
            [],
            "~",
            ("suppressed", 1, 2),
        ),
        (["Key:  - = nil    ~ = 1 or 2 (suppressed)    r = revised"], [], "3r", ("exact", 3, 3)),
        (["Key: '..' data not held;  '-' nil;  'p' provisional"], [], "24p", ("exact", 24, 24)),
        (["Key: '..' data not held;  '-' nil;  'p' provisional"], [], "-", ("exact", 0, 0)),
    ],
)
def test_markers_mean_what_the_files_own_legend_says(lines, pairs, cell, reading) -> None:
    value = parse_value(cell, read_legend(lines, pairs))
    kind, lower, upper = reading
    assert value.kind == kind
    if lower is not None:
        assert (value.lower, value.upper) == (lower, upper)


def test_without_a_legend_x_is_a_suppressed_small_count_by_default() -> None:
    assert parse_value("x").kind == "suppressed"
    assert parse_value("x", read_legend(["x = not available"], [])).kind == "not_available"


@pytest.mark.parametrize(
    ("label", "normalised"),
    [
        ("Sexual grooming (s.15 SOA 2003)", "sexual grooming"),
        ("88A Sexual grooming", "sexual grooming"),
        ("Sexual communication with a child s.15A", "sexual communication with a child"),
        ("Rape of a female child under 13 - 19C", "rape of a female child under 13"),
        (
            "Possession of indecent photograph of a child (CJA 1988 s.160)",
            "possession of indecent photograph of a child",
        ),
        ("  SEXUAL   Assault & Battery ", "sexual assault and battery"),
    ],
)
def test_normalise_strips_codes_and_sections(label: str, normalised: str) -> None:
    assert normalise_label(label) == normalised


OFFENCE_LABELS = [
    ("Rape of a female child under 13", "Rape"),
    ("Rape of a male child under 16", "Rape"),
    ("19C Rape of a female child under 13", "Rape"),
    ("Sexual assault on a female child under 13", "Sexual assault"),
    ("Sexual Assault On A Female Aged 13 And Over No Penetration", "Sexual assault"),
    ("Sexual activity involving a child under 13", "Sexual activity involving a child"),
    ("Sexual activity involving a child under 16", "Sexual activity involving a child"),
    ("Sex Act w/ Child", "Sexual activity involving a child"),
    ("Sex Asslt on F U13", "Sexual assault"),
    ("SA on M U13", "Sexual assault"),
    ("Cause/incite ch U13 sex act", "Sexual activity involving a child"),
    (
        "Causing or inciting a child to engage in sexual activity",
        "Sexual activity involving a child",
    ),
    ("Meeting a child following sexual grooming (s.15 SOA 2003)", "Sexual grooming"),
    ("Sexual communication with a child (s.15A)", "Sexual communication with a child"),
    ("Paying for sexual services of a child (s.47)", "Sexual exploitation of children"),
    ("Causing or inciting child sexual exploitation", "Sexual exploitation of children"),
    ("Causing or inciting child prostitution or pornography", "Sexual exploitation of children"),
    ("Abuse of children through sexual exploitation", "Sexual exploitation of children"),
    ("Pay for sex servs of child", "Sexual exploitation of children"),
    (
        "Taking, permitting to be taken or making, distributing or publishing indecent photographs "
        "or pseudo photographs of children",
        "Indecent images of children",
    ),
    ("Possession of indecent photograph of a child", "Indecent images of children"),
    ("Indecent images of children", "Indecent images of children"),
    ("Exposure", "Other sexual offences"),
    ("Voyeurism", "Other sexual offences"),
    ("Abuse of position of trust: sexual activity with a child", "Other sexual offences"),
    ("Other sexual offences", "Other sexual offences"),
]


@pytest.mark.parametrize(("label", "term"), OFFENCE_LABELS)
def test_default_vocabulary_maps_home_office_and_soa_names(label: str, term: str) -> None:
    matcher = CategoryMatcher(default_vocabulary(()), "offence")
    assert matcher.match(label).term == term


@pytest.mark.parametrize("label", ["Burglary", "Criminal damage", "Theft from a person"])
def test_unknown_offences_are_never_guessed(label: str) -> None:
    assert CategoryMatcher(default_vocabulary(()), "offence").match(label).term is None


def test_a_label_fitting_two_rules_is_ambiguous_not_guessed() -> None:
    vocabulary = Vocabulary(
        terms=(Term("offence", "A"), Term("offence", "B")),
        rules=(
            KeywordRule("offence", "A", ("online",)),
            KeywordRule("offence", "B", ("grooming",)),
        ),
    )
    match = CategoryMatcher(vocabulary, "offence").match("Online grooming")
    assert match.term is None and match.ambiguous == ("A", "B")


@pytest.mark.parametrize(
    ("label", "terms"),
    [
        ("Rape / Sexual assault", ("Rape", "Sexual assault")),
        ("Sexual grooming & IIOC", ("Indecent images of children", "Sexual grooming")),
        ("Rape or sexual assault of a child U13", ("Rape", "Sexual assault")),
    ],
)
def test_a_label_joining_two_offences_is_ambiguous_even_when_one_rule_excludes_the_other(
    label: str, terms: tuple[str, ...]
) -> None:
    match = CategoryMatcher(default_vocabulary(()), "offence").match(label)
    assert match.term is None and match.ambiguous == terms


@pytest.mark.parametrize(
    ("label", "term"),
    [
        ("Rape / attempted rape", "Rape"),
        ("Sex comms w/ child", "Sexual communication with a child"),
        ("Cause/incite child U16 sexual activity", "Sexual activity involving a child"),
    ],
)
def test_a_label_whose_parts_name_one_offence_is_that_offence(label: str, term: str) -> None:
    assert CategoryMatcher(default_vocabulary(()), "offence").match(label).term == term


@pytest.mark.parametrize(
    ("label", "group"),
    [
        ("Total", ""),
        ("Grand Total", ""),
        ("All offences", ""),
        ("All ages", ""),
        ("Sub-total", ""),
        ("Total rape", "rape"),
        ("Rape total", "rape"),
    ],
)
def test_totals(label: str, group: str) -> None:
    parsed = parse_total(label)
    assert parsed is not None and parsed.group == group


def test_forces_match_their_aliases() -> None:
    matcher = ForceMatcher(
        (
            ForceNames("metropolitan", ("Metropolitan Police Service", "Met Police", "MPS")),
            ForceNames(
                "hampshire", ("Hampshire Constabulary", "Hampshire and Isle of Wight Constabulary")
            ),
        )
    )
    assert matcher.match("Met Police") == "metropolitan"
    assert matcher.match("MPS") == "metropolitan"
    assert matcher.match("Hampshire Constabulary") == "hampshire"
    assert matcher.match("Kent Police") is None
