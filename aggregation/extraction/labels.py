"""Labels as forces write them, into the campaign's dimensions: periods, ages, categories, forces.

Every parser here is strict: it answers only when the label certainly means that value, and
``None`` otherwise, so that the caller can report the label instead of guessing (SPEC 5 and 7).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .vocabulary import Abbreviation, ForceNames, PeriodKind, Vocabulary

# ---------------------------------------------------------------------------------------------
# Text clean-up shared by every parser


# Every dash a hyphen, a non-breaking space a space, a curly apostrophe straight, and the
# underscore of a database export's column name ("AGE_BAND", "CRIME_COUNT") a space.
_DASHES = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2019": "'",
        "_": " ",
    }
)
_SPACES = re.compile(r"\s+")


def clean(value: object) -> str:
    """Lower case, one space between words (an underscore parts them too), every dash a hyphen."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub(" ", str(value).translate(_DASHES)).strip().lower()


# ---------------------------------------------------------------------------------------------
# Periods (SPEC 4)


@dataclass(frozen=True, slots=True)
class PeriodLabel:
    kind: PeriodKind
    canonical: str  # "2018-19", "2018" or "2018-06"


def financial_year(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def financial_year_of(date: dt.date) -> str:
    """The financial year (1 April to 31 March) a date falls in."""
    return financial_year(date.year if date.month >= 4 else date.year - 1)


def financial_year_bounds(canonical: str) -> tuple[dt.date, dt.date]:
    start = int(canonical[:4])
    return dt.date(start, 4, 1), dt.date(start + 1, 3, 31)


def period_of(date: dt.date, kind: PeriodKind) -> str:
    """The canonical period of ``kind`` that a date falls in: "2018-19", "2018" or "2018-06"."""
    if kind is PeriodKind.FINANCIAL_YEAR:
        return financial_year_of(date)
    if kind is PeriodKind.CALENDAR_YEAR:
        return str(date.year)
    return f"{date.year}-{date.month:02d}"


def period_bounds(canonical: str, kind: PeriodKind) -> tuple[dt.date, dt.date]:
    """First and last day of a canonical period of ``kind``."""
    if kind is PeriodKind.FINANCIAL_YEAR:
        return financial_year_bounds(canonical)
    year = int(canonical[:4])
    if kind is PeriodKind.CALENDAR_YEAR:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = int(canonical[5:7])
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return dt.date(year, month, 1), following - dt.timedelta(days=1)


def periods_between(first: dt.date, last: dt.date, kind: PeriodKind) -> list[str]:
    """Every period of ``kind`` from the one holding ``first`` to the one holding ``last``."""
    if first > last:
        return []
    periods, end = [period_of(first, kind)], period_of(last, kind)
    while periods[-1] != end:
        after = period_bounds(periods[-1], kind)[1] + dt.timedelta(days=1)
        periods.append(period_of(after, kind))
    return periods


def _full_year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _second_follows(first: int, second_text: str) -> bool:
    """In "2018-19" or "2018/2019" the second year must be the first plus one."""
    second = int(second_text)
    if len(second_text) == 2:
        return second == (first + 1) % 100
    return second == first + 1


_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"

# Words that may surround a period without changing it: "Financial Year 2018-19", "FY18/19",
# "2018/19 (Apr-Mar)", "2018/19*".
_PREFIX = re.compile(
    r"^(?:(?P<cal>calendar\s*year|cal\.?\s*year|cy)|(?P<fin>(?:financial|fiscal|fin\.?)\s*(?:year|yr\.?)"
    r"|f\.?\s*/?\s*y\.?|fye?)|year|yr|period)?\s*[:\-]?\s*"
)
_SUFFIX = re.compile(
    r"\s*(?:\((?:apr(?:il)?\s*-\s*mar(?:ch)?|jan(?:uary)?\s*-\s*dec(?:ember)?|[a-z]|\d|note \d+"
    r"|provisional|revised|r|p)\)|\[(?:[a-z]|\d+|note \d+)\]|\*+|†|‡"
    r"|\(?(?:financial|fiscal|fin\.?)\s*(?:year|yr\.?)\)?|\(?f\.?/?y\.?\)?)*$"
)
# "Year ending 31 March 2016", "12 months to June 2017", "YE 31/03/19", "Financial year ending
# March 2018": twelve months named by the day they end.
_YEAR_TO = re.compile(
    r"(?:(?:financial|fiscal)\s+)?(?:(?:year|yr|(?:12|twelve)\s*months?|rolling\s+(?:year|12\s*months))"
    r"\s+(?:ending|ended|end|to|up\s+to|until)|y/?e|fye)\b[\s:]*(?:the\s+|on\s+)?(?P<end>.+)"
)
_END_DATE = (
    re.compile(
        rf"(?:(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s*[- ]?\s*)?(?P<mon>{_MONTH})"
        rf"\s*[-' ]?\s*(?P<y>\d{{4}}|\d{{2}})"
    ),
    re.compile(r"(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})"),
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"),
)

_FY_FULL = re.compile(r"(?P<a>(?:19|20)\d\d)\s*[-/]\s*(?P<b>(?:19|20)\d\d|\d\d)(?!\d)")
_FY_TO = re.compile(r"(?P<a>(?:19|20)\d\d)\s+to\s+(?P<b>(?:19|20)\d\d)")
_FY_SHORT_SLASH = re.compile(r"(?P<a>\d\d)\s*/\s*(?P<b>\d\d)")
_FY_SHORT_DASH = re.compile(r"(?P<a>\d\d)\s*-\s*(?P<b>\d\d)")  # only with an "FY" prefix
_FY_MONTHS = re.compile(
    r"(?:1(?:st)?\s+)?apr[a-z]*\.?\s*[-']?\s*(?P<a>\d{4}|\d{2})\s*(?:-|to)\s*"
    r"(?:31(?:st)?\s+)?mar[a-z]*\.?\s*[-']?\s*(?P<b>\d{4}|\d{2})(?!\d)"
)
_FY_DATES = re.compile(
    r"0?1[/.\-]0?4[/.\-](?P<a>\d{4}|\d{2})\s*(?:-|to)\s*31[/.\-]0?3[/.\-](?P<b>\d{4}|\d{2})(?!\d)"
)
_FY_ISO_DATES = re.compile(r"(?P<a>\d{4})-04-01\s*(?:-|to)\s*(?P<b>\d{4})-03-31")

_CAL_YEAR = re.compile(r"(?P<y>(?:19|20)\d\d)")
_CAL_MONTHS = re.compile(
    r"(?:1(?:st)?\s+)?jan[a-z]*\.?\s*(?P<y1>\d{4})?\s*(?:-|to)\s*(?:31(?:st)?\s+)?dec[a-z]*\.?\s*"
    r"(?P<y>\d{4})|(?P<y2>\d{4})\s*\(?jan[a-z]*\s*-\s*dec[a-z]*\)?"
)
_CAL_DATES = re.compile(
    r"0?1[/.\-]0?1[/.\-](?P<y>\d{4})\s*(?:-|to)\s*31[/.\-]12[/.\-](?P<y2>\d{4})"
)
_YEAR_MONTH = re.compile(r"(?P<y>(?:19|20)\d\d)\s*[-/]\s*(?P<m>\d\d?)")
_MONTH_YEAR = re.compile(rf"(?P<mon>{_MONTH})\s*[-' ]?\s*(?P<y>\d{{4}}|\d{{2}})")
_NUMERIC_MONTH_YEAR = re.compile(r"(?P<m>\d\d?)\s*/\s*(?P<y>(?:19|20)\d\d)")


def _fy_from_pair(match: re.Match[str]) -> PeriodLabel | None:
    first = _full_year(match.group("a"))
    if not 1990 <= first <= 2100 or not _second_follows(first, match.group("b")[-2:]):
        return None
    if len(match.group("b")) == 4 and _full_year(match.group("b")) != first + 1:
        return None
    return PeriodLabel(PeriodKind.FINANCIAL_YEAR, financial_year(first))


def _year_to(text: str, *, within: bool = False) -> PeriodLabel | None:
    """Twelve months named by their end: a financial year when they end on 31 March, else a
    rolling year of its own kind (never folded into a financial year). ``within``: anywhere
    in a longer text (a title), else the whole label."""
    match = _YEAR_TO.search(text) if within else _YEAR_TO.fullmatch(text)
    if match is None or (within and match.start() and text[match.start() - 1].isalnum()):
        return None
    end = match.group("end").strip()
    for pattern in _END_DATE:
        found = pattern.match(end) if within else pattern.fullmatch(end)
        if found is None:
            continue
        groups = found.groupdict()
        month = _MONTHS[groups["mon"][:3]] if groups.get("mon") else int(groups["m"])
        year = _full_year(groups["y"])
        day = int(groups["d"]) if groups.get("d") else None
        if not (1 <= month <= 12 and 1990 <= year <= 2100):
            return None
        last_day = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        if day is not None and day != last_day:
            return None  # twelve months to the 15th: no period we name
        if month == 3:
            return PeriodLabel(PeriodKind.FINANCIAL_YEAR, financial_year(year - 1))
        return PeriodLabel(PeriodKind.ROLLING_YEAR, f"12 months to {year}-{month:02d}")
    return None


def period_ending_under(heading: object, value: object) -> PeriodLabel | None:
    """Twelve months named half by their heading and half by their label: a bare year under a
    heading that names the day they end ("Year ending 31 March" over 2016: 2015-16), or a month
    under a heading that says its months end them ("Year ending" over "Jun 2015": the rolling
    year to June 2015; over "Mar 2016": 2015-16). None for any other heading or label."""
    text = re.sub(r"[()]", " ", clean(heading)).strip() if clean(heading) else ""
    if not text or isinstance(value, bool) or value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        label = value.strftime("%d %B %Y").lower()
    elif isinstance(value, int | float):
        label = str(int(value)) if float(value).is_integer() else ""
    else:
        label = clean(value)
    if not label or _year_to(text) is not None or _year_to(label) is not None:
        return None  # the heading or the label names the twelve months on its own
    if _CAL_YEAR.fullmatch(label):
        # The heading must name the end's day or month, and only the year is left to say.
        return _year_to(_SPACES.sub(" ", f"{text} {label}")) if _YEAR_TO.fullmatch(text) else None
    if not _YEAR_TO.fullmatch(f"{text} x"):
        return None  # the heading is more than "Year ending"
    return _year_to(_SPACES.sub(" ", f"{text} {label}"))


def _calendar(year_text: str) -> PeriodLabel | None:
    year = int(year_text)
    if 1990 <= year <= 2100:
        return PeriodLabel(PeriodKind.CALENDAR_YEAR, str(year))
    return None


def _month(year: int, month: int) -> PeriodLabel | None:
    if 1 <= month <= 12 and 1990 <= year <= 2100:
        return PeriodLabel(PeriodKind.MONTH, f"{year}-{month:02d}")
    return None


def parse_period(value: object) -> PeriodLabel | None:
    """The period a whole label names, or None. ``2018`` is a calendar year, never 2018-19."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return None
        return _calendar(str(int(value)))
    if isinstance(value, dt.datetime | dt.date):
        return _month(value.year, value.month)
    text = clean(value)
    if not text:
        return None
    if ending := _year_to(_SUFFIX.sub("", text).strip()):
        return ending
    prefix = _PREFIX.match(text)
    core = text[prefix.end() :] if prefix else text
    core = _SUFFIX.sub("", core).strip()
    is_fin = bool(prefix and prefix.group("fin"))
    is_cal = bool(prefix and prefix.group("cal"))
    return _parse_core(core, is_fin=is_fin, is_cal=is_cal)


def _parse_core(core: str, *, is_fin: bool, is_cal: bool) -> PeriodLabel | None:
    if not is_cal:
        for pattern in (_FY_FULL, _FY_TO, _FY_MONTHS, _FY_DATES, _FY_ISO_DATES, _FY_SHORT_SLASH):
            match = pattern.fullmatch(core)
            if match and (found := _fy_from_pair(match)):
                return found
        if is_fin and (match := _FY_SHORT_DASH.fullmatch(core)):
            return _fy_from_pair(match)
    if match := _CAL_YEAR.fullmatch(core):
        # "FY 2018" names a financial year without saying which: not a period we can name.
        return None if is_fin else _calendar(match.group("y"))
    if match := _CAL_MONTHS.fullmatch(core):
        return _calendar(match.group("y") or match.group("y2"))
    if match := _CAL_DATES.fullmatch(core):
        if match.group("y") == match.group("y2"):
            return _calendar(match.group("y"))
        return None
    if is_fin or is_cal:
        return None
    if match := _YEAR_MONTH.fullmatch(core):
        return _month(int(match.group("y")), int(match.group("m")))
    if match := _NUMERIC_MONTH_YEAR.fullmatch(core):
        return _month(int(match.group("y")), int(match.group("m")))
    if match := _MONTH_YEAR.fullmatch(core):
        return _month(_full_year(match.group("y")), _MONTHS[match.group("mon")[:3]])
    return None


_FIND_FY = (_FY_MONTHS, _FY_DATES, _FY_ISO_DATES, _FY_FULL, _FY_TO)
_FIND_FY_PREFIXED = re.compile(
    r"\b(?:fy|financial year|fin year)\s*(?P<a>\d\d)\s*[-/]\s*(?P<b>\d\d)\b"
)
_FIND_FY_SHORT_SLASH = re.compile(r"(?<![\d/.])(?P<a>\d\d)\s*/\s*(?P<b>\d\d)(?![\d/.])")
_FIND_CAL = re.compile(r"(?<![\d/\-])(?P<y>(?:19|20)\d\d)(?![\d/\-])")
_FIND_MONTH_YEAR = re.compile(rf"\b(?P<mon>{_MONTH})\s*[-' ]?\s*(?P<y>(?:19|20)\d\d)\b")


def find_period(text: str) -> PeriodLabel | None:
    """A period named anywhere in a title or sheet name ("Offences recorded in 2018/19"); None
    when it names several ("Offence 2015/16 2016/17": a header row, not one table's period)."""
    cleaned = clean(str(text).replace("_", "-"))  # sheet names cannot hold "/": "2018_19"
    if not cleaned:
        return None
    whole = parse_period(cleaned)
    if whole:
        return whole
    dates = [parse_date(m.group(0)) for m in _FIND_DATE.finditer(cleaned)]
    if len(dates) == 2:
        # Two dates name a span: the period they bound exactly, or none we name ("1 April 2016
        # to 30 June 2016" is a quarter, never the calendar year 2016).
        return _date_range(dates)
    if ending := _year_to(cleaned, within=True):  # "financial year ending 31 March 2019"
        return ending
    # Any other lone date ("extracted 05/06/2019", "as at 31 March 2019") names no period.
    cleaned = _FIND_DATE.sub(" ", cleaned)
    for patterns in (_FIND_FY, (_FIND_FY_PREFIXED, _FIND_FY_SHORT_SLASH)):
        years = {
            found
            for pattern in patterns
            for match in pattern.finditer(cleaned)
            if (found := _fy_from_pair(match))
        }
        if years:
            return years.pop() if len(years) == 1 else None
    months = {
        f"{_full_year(m.group('y'))}-{_MONTHS[m.group('mon')[:3]]:02d}"
        for m in _FIND_MONTH_YEAR.finditer(cleaned)
    }
    if months:
        # One month named is that month; several ("Jan 2023 to Mar 2023") is no period we name.
        return PeriodLabel(PeriodKind.MONTH, months.pop()) if len(months) == 1 else None
    years = {m.group("y") for m in _FIND_CAL.finditer(cleaned)}
    if len(years) == 1 and not re.search(r"\d{1,2}[/.]\d{1,2}[/.]\d{2,4}", cleaned):
        return _calendar(years.pop())
    return None


# "between 1 April 2016 and 31 March 2017", "01/04/2016 - 31/03/2017", "2016-04-01 to ...".
_FIND_DATE = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\s+\d{{4}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})\b"
)


def _date_range(dates: list[dt.date | None]) -> PeriodLabel | None:
    """The period two dates in a title span, when they are exactly its first and last days."""
    if len(dates) != 2 or dates[0] is None or dates[1] is None:
        return None
    first, last = dates
    for kind in (PeriodKind.FINANCIAL_YEAR, PeriodKind.CALENDAR_YEAR, PeriodKind.MONTH):
        canonical = period_of(first, kind)
        if period_bounds(canonical, kind) == (first, last):
            return PeriodLabel(kind, canonical)
    return None


# ---------------------------------------------------------------------------------------------
# Dates in record lists: real dates, or day-first strings (SPEC 4)

_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ t]\d{1,2}:\d{2}.*)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}.*)?$")
_LONG_DATE = re.compile(rf"^(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\s+(\d{{4}})(?:\s.*)?$")


def parse_date(value: object) -> dt.date | None:
    """A date from a cell: a real date, or a day-first string such as "03/05/16" (3 May 2016)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    try:
        if match := _DAY_FIRST.match(text):
            day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
            return dt.date(_full_year(year), month, day)
        if match := _ISO.match(text):
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if match := _LONG_DATE.match(text):
            month = _MONTHS[match.group(2)[:3]]
            return dt.date(int(match.group(3)), month, int(match.group(1)))
    except ValueError:  # 31/02/2016 and the like
        return None
    return None


# ---------------------------------------------------------------------------------------------
# Ages (SPEC 5)

UNKNOWN_AGE = "unknown"


@dataclass(frozen=True, slots=True)
class AgeLabel:
    canonical: str  # "13", "0-10", "16+" or "unknown"
    lower: int | None  # None when unknown
    upper: int | None  # None when unknown or open-ended ("16 and over")


_UNKNOWN_AGE_WORDS = frozenset(
    {
        "unknown",
        "not known",
        "not recorded",
        "n/k",
        "nk",
        "n.k.",
        "n/r",
        "not stated",
        "unrecorded",
        "no age",
        "no age recorded",
        "no age given",
        "not given",
        "not specified",
        "unspecified",
        "unk",
        "missing",
        "blank",
        "age unknown",
        "age not known",
        "age not recorded",
        "age not stated",
        "unknown age",
    }
)
# Words that fit any breakdown ("Other", "Not recorded"): in a list of labels they say nothing
# about which dimension the labels are of (issue 10: a gender table's "Not known" is no age).
_CATCH_ALL_WORDS = _UNKNOWN_AGE_WORDS | {"other", "others", "any other", "none", "n/a", "na"}


# What joins two labels in one: a slash, an ampersand, a semicolon, a plus, "and", "or".
_JOINED = re.compile(r"\s*[/&;+]\s*|\s+(?:and|or)\s+")


def is_catch_all(text: object) -> bool:
    """Whether a label is a catch-all that any dimension may hold ("Other", "Not recorded",
    "Other / not stated")."""
    if not isinstance(text, str):
        return False
    whole = text.strip().lower().rstrip(".:")
    if whole in _CATCH_ALL_WORDS:
        return True
    parts = [p.strip().rstrip(".:") for p in _JOINED.split(whole)]
    return len(parts) > 1 and all(p in _CATCH_ALL_WORDS for p in parts)


_AGE_PREFIX = re.compile(r"^(?:victims?\s+)?(?:age[sd]?|aged)\s*:?\s*")
_AGE_SUFFIX = re.compile(r"\s*(?:years?\s*old|year\s*olds?|years?|yrs?|y/?o|y)\.?$")
_AGE_SINGLE = re.compile(r"^(\d{1,3})$")
_AGE_BAND = re.compile(r"^(\d{1,3})\s*(?:-|to|/)\s*(\d{1,3})$")
_AGE_UNDER = re.compile(r"^(?:under|less than|below|younger than|<)\s*(\d{1,3})$")
_AGE_AT_MOST = re.compile(
    r"^(?:(\d{1,3})\s*(?:and|or|&)\s*(?:under|below|younger|less)"
    r"|up to\s*(\d{1,3})|<=\s*(\d{1,3}))$"
)
_AGE_AT_LEAST = re.compile(
    r"^(?:(\d{1,3})\s*(?:\+|plus|(?:and|&|or)\s*(?:over|above|older))|>=\s*(\d{1,3}))$"
)
_AGE_OVER = re.compile(r"^(?:over|more than|older than|>)\s*(\d{1,3})$")
_MAX_AGE = 120


def _age(lower: int, upper: int | None) -> AgeLabel | None:
    if lower > _MAX_AGE or (upper is not None and (upper > _MAX_AGE or upper < lower)):
        return None
    if upper is None:
        return AgeLabel(f"{lower}+", lower, None)
    if upper == lower:
        return AgeLabel(str(lower), lower, lower)
    return AgeLabel(f"{lower}-{upper}", lower, upper)


_CHILD_WORDS = frozenset({"children", "child", "juveniles", "juvenile", "minors", "under 18s"})
_ADULT_WORDS = frozenset({"adults", "adult"})


def parse_age(value: object) -> AgeLabel | None:
    """An age label: "13", "13 years", "Age 13", "0-10", "Under 11", "10 and under", "Unknown"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return None
        return _age(int(value), int(value)) if value >= 0 else None
    text = clean(value)
    if not text:
        return None
    if text in _UNKNOWN_AGE_WORDS:
        return AgeLabel(UNKNOWN_AGE, None, None)
    if text in _CHILD_WORDS:  # a child is anyone under 18 (Children Act 1989 s.105)
        return _age(0, 17)
    if text in _ADULT_WORDS:
        return _age(18, None)
    text = _AGE_SUFFIX.sub("", _AGE_PREFIX.sub("", text)).strip()
    if text in _UNKNOWN_AGE_WORDS:
        return AgeLabel(UNKNOWN_AGE, None, None)
    if match := _AGE_SINGLE.match(text):
        return _age(int(match.group(1)), int(match.group(1)))
    if match := _AGE_BAND.match(text):
        return _age(int(match.group(1)), int(match.group(2)))
    if match := _AGE_UNDER.match(text):
        top = int(match.group(1)) - 1
        return _age(0, top) if top >= 0 else None
    if match := _AGE_AT_MOST.match(text):
        return _age(0, int(next(g for g in match.groups() if g is not None)))
    if match := _AGE_AT_LEAST.match(text):
        return _age(int(next(g for g in match.groups() if g is not None)), None)
    if match := _AGE_OVER.match(text):
        return _age(int(match.group(1)) + 1, None)
    return None


# ---------------------------------------------------------------------------------------------
# Totals: "Total", "Grand Total", "All offences", "Total rape" (a group subtotal)

_TOTAL_WORDS = re.compile(
    r"\b(?:grand\s+total|sub\s*-?\s*total|totals?|overall|sum)\b|^all\b|^all$", re.IGNORECASE
)
_TOTAL_FILLER = re.compile(
    r"\b(?:all|of|offences?|crimes?|ages?|years?|victims?|recorded|number|no|figures?|categories|"
    r"types?|periods?|forces?|for|the|count|cases|incidents|online|cyber|flagged|children|child|"
    r"under 18|u18|aged under 18|victim|in|with|an|a|flag|both|regions?|areas?|combined|together)\b"
)


_SUBTOTAL_WORD = re.compile(r"\bsub\s*-?\s*totals?\b")


@dataclass(frozen=True, slots=True)
class TotalLabel:
    group: str  # "" for a grand total, else the label of the group it sums ("rape")
    partial: bool = False  # says it is a subtotal ("Sub-total"): of a group, never the whole


def parse_total(value: object) -> TotalLabel | None:
    text = clean(value)
    if not text or not _TOTAL_WORDS.search(text):
        return None
    rest = _TOTAL_WORDS.sub(" ", text)
    rest = _TOTAL_FILLER.sub(" ", rest)
    rest = re.sub(r"[^a-z0-9+ ]", " ", rest)
    return TotalLabel(_SPACES.sub(" ", rest).strip(), bool(_SUBTOTAL_WORD.search(text)))


# ---------------------------------------------------------------------------------------------
# Categories through the vocabulary: aliases, then keyword rules (SPEC 5)

_STATUTES = re.compile(
    r"\b(?:sexual offences act|soa|protection of children act|poca|pca|criminal justice act|cja|"
    r"coroners and justice act|serious crime act|criminal justice and courts act|cjca|"
    r"sexual offences \(amendment\) act)\b\s*(?:\d{4})?"
)
_SECTIONS = re.compile(r"\b(?:s|ss|sec|sect|section|sections)\s*\.?\s*\d+[a-z]?\b(?:\s*\(\d+\))*")
_BRACKETED_CODE = re.compile(r"[(\[][^()\[\]]*(?:\d|soa|act|section)[^()\[\]]*[)\]]")
_LEADING_CODE = re.compile(
    r"^(?:ho\s*(?:code)?\s*:?\s*)?\d{1,3}(?:[./]\d{1,3})?[a-z]?\s*(?:[-:.)]\s*|\s+)"
)
_TRAILING_CODE = re.compile(r"\s*[-:]\s*\d{1,3}(?:[./]\d{1,3})?[a-z]?$")
_LETTERED_CODE = re.compile(r"\b\d{1,3}[a-z]\b")  # "88A", "22B": never an age or a year
_PUNCTUATION = re.compile(r"[^a-z0-9 ]+")


class Expander:
    """Expands police abbreviations as whole words: "Sex comms w/ child" -> "sexual communication
    with child". The list is the campaign's, editable by researchers."""

    def __init__(self, abbreviations: tuple[Abbreviation, ...]) -> None:
        self._expansions = {clean(a.short): clean(a.expansion) for a in abbreviations}
        shorts = sorted((s for s in self._expansions if s), key=len, reverse=True)
        self._pattern = re.compile("|".join(_whole(s) for s in shorts)) if shorts else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._expansions[m.group(0)], text)


def _whole(short: str) -> str:
    """A pattern for ``short`` as a whole word: not inside a longer word or number."""
    before = r"(?<![a-z0-9])" if short[0].isalnum() else ""
    after = r"(?![a-z0-9])" if short[-1].isalnum() else ""
    return before + re.escape(short) + after


NO_EXPANSION = Expander(())


def normalise_label(value: object, expand: Expander = NO_EXPANSION) -> str:
    """A label stripped of case, codes, section references and punctuation, for matching;
    abbreviations expanded first."""
    text = expand(clean(value)).replace("&", " and ")
    text = _BRACKETED_CODE.sub(" ", text)
    text = _STATUTES.sub(" ", text)
    text = _SECTIONS.sub(" ", text)
    text = _LEADING_CODE.sub("", text)
    text = _TRAILING_CODE.sub("", text)
    text = _LETTERED_CODE.sub(" ", text)
    text = _PUNCTUATION.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True, slots=True)
class Match:
    term: str | None  # the canonical term, or None when no term (or more than one) fits
    ambiguous: tuple[str, ...] = ()  # the terms that all fit, when more than one does


class CategoryMatcher:
    """Maps a dimension's labels to its terms: exact alias first, then keyword rules."""

    def __init__(self, vocabulary: Vocabulary, dimension: str) -> None:
        self.dimension = dimension
        self._expand = Expander(vocabulary.abbreviations)
        self._aliases: dict[str, str] = {}
        for term in vocabulary.terms:
            if term.dimension != dimension:
                continue
            for spelling in (term.name, *term.aliases):
                key = self.key(spelling)
                if key:
                    self._aliases.setdefault(key, term.name)
        self._rules = [
            (
                rule.term,
                tuple(self.key(w) for w in rule.all_of),
                tuple(self.key(w) for w in rule.none_of),
            )
            for rule in vocabulary.rules
            if rule.dimension == dimension
        ]
        self._cache: dict[object, Match] = {}

    def key(self, value: object) -> str:
        """The label as it is matched: normalised, abbreviations expanded."""
        return normalise_label(value, self._expand)

    @property
    def empty(self) -> bool:
        return not self._aliases and not self._rules

    def match(self, value: object) -> Match:
        cached = self._cache.get(value)
        if cached is None:
            key = self.key(value)
            cached = self._match(key)
            if key not in self._aliases:
                cached = self._joined(value) or cached
            self._cache[value] = cached
        return cached

    def _joined(self, value: object) -> Match | None:
        """A label joining the labels of two terms ("Rape / Sexual assault", "Grooming and
        indecent images"): ambiguous, whatever the rules say of it whole (one term's rule may
        exclude the other's words). Parts naming one term ("Rape / attempted rape") are that term.
        """
        parts = _JOINED.split(self._expand(clean(value)))
        if len(parts) < 2:
            return None
        terms = {m.term for part in parts if (m := self._match(normalise_label(part))).term}
        return Match(None, tuple(sorted(terms))) if len(terms) > 1 else None

    def _match(self, key: str) -> Match:
        if not key:
            return Match(None)
        if key in self._aliases:
            return Match(self._aliases[key])
        padded = f" {key} "
        terms = {
            term
            for term, all_of, none_of in self._rules
            if all(f" {w}" in padded for w in all_of)
            and not any(f" {w}" in padded for w in none_of)
        }
        if len(terms) == 1:
            return Match(terms.pop())
        return Match(None, tuple(sorted(terms)))


# ---------------------------------------------------------------------------------------------
# Forces, for national tables that list several

_FORCE_FILLER = re.compile(
    r"\b(?:police|constabulary|service|force|the|of|and|pol|constab|area)\b|[^a-z0-9 ]"
)


_FOOTNOTE_MARKS = re.compile(r"(?:\s+\d{1,2}(?:\s*[, ]\s*\d{1,2})*|\s*[*†‡]+)$")


def _force_key(text: str) -> str:
    return _SPACES.sub(" ", _FORCE_FILLER.sub(" ", clean(text).replace("&", " and "))).strip()


class ForceMatcher:
    def __init__(self, forces: tuple[ForceNames, ...]) -> None:
        self._names: dict[str, str] = {}
        for force in forces:
            for name in (force.slug.replace("-", " "), *force.names):
                key = _force_key(name)
                if key:
                    self._names.setdefault(key, force.slug)

    @property
    def empty(self) -> bool:
        return not self._names

    def match(self, value: object) -> str | None:
        """The force a label names, footnote marks after the name allowed ("Durham 1",
        "Scotland 1,3", "Kent*")."""
        if value is None:
            return None
        key = _force_key(str(value))
        return self._names.get(key) or self._names.get(_FOOTNOTE_MARKS.sub("", key))
