"""Campaign templates: the questions a children's charity asks police forces, as plain data.

A new campaign starts from one: its measure, period kind, dimensions with their vocabulary, the
scope rules for record lists and a request text. The Django side seeds its ``CampaignTemplate``
rows from ``TEMPLATES`` and copies a template's vocabulary into each campaign made from it, where
researchers then edit it.

Ethnicity follows the Census 2021 classification for England and Wales (5 groups of 19: the 18
groups of 2011 plus Roma), which police self-defined ethnicity codes (A1..W9) also follow.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .default_vocabulary import DEFAULT_RULES, DEFAULT_TERMS, POLICE_ABBREVIATIONS
from .vocabulary import (
    Abbreviation,
    Dimension,
    DimensionKind,
    ForceNames,
    KeywordRule,
    Measure,
    PeriodKind,
    Scope,
    Term,
    Vocabulary,
)

AGE = Dimension(
    "age", DimensionKind.AGE, "Age", ("age", "ages", "aged", "age group", "age band", "age range")
)


@dataclass(frozen=True, slots=True)
class Template:
    slug: str
    title: str
    measure: Measure  # measure.name reads in a sentence: "Police recorded 120 <name> in 2018-19"
    description: str  # what is counted, in words
    period_kind: PeriodKind
    periods: tuple[str, ...]  # the periods a new campaign asks by default
    dimensions: tuple[Dimension, ...]
    terms: tuple[Term, ...] = ()
    rules: tuple[KeywordRule, ...] = ()
    abbreviations: tuple[Abbreviation, ...] = ()
    scope: Scope = field(default_factory=Scope)
    request_text: str = ""
    unit: str = "count"

    def vocabulary(
        self, periods: tuple[str, ...] | list[str] = (), forces: tuple[ForceNames, ...] = ()
    ) -> Vocabulary:
        return Vocabulary(
            periods=tuple(periods),
            period_kind=self.period_kind,
            dimensions=self.dimensions,
            terms=self.terms,
            rules=self.rules,
            abbreviations=self.abbreviations,
            forces=tuple(forces),
            measure=self.measure,
            scope=self.scope,
        )

    def to_json(self) -> dict:
        """The whole template as JSON-ready data; ``from_json`` reads it back."""
        return {
            **self.summary(),
            "measure_words": list(self.measure.words),
            "measure_subjects": list(self.measure.subjects),
            "dimensions": [
                {"name": d.name, "kind": str(d.kind), "title": d.title, "words": list(d.words)}
                for d in self.dimensions
            ],
            "terms": [
                {"dimension": t.dimension, "name": t.name, "aliases": list(t.aliases)}
                for t in self.terms
            ],
            "rules": [
                {
                    "dimension": r.dimension,
                    "term": r.term,
                    "all_of": list(r.all_of),
                    "none_of": list(r.none_of),
                }
                for r in self.rules
            ],
            "abbreviations": [[a.short, a.expansion] for a in self.abbreviations],
            "scope": {"max_age": self.scope.max_age, "require_flag": self.scope.require_flag},
            "request_text": self.request_text,
        }

    @classmethod
    def from_json(cls, data: dict) -> Template:
        return cls(
            slug=data["slug"],
            title=data["title"],
            measure=Measure(
                data["measure"],
                tuple(data["measure_words"]),
                tuple(data.get("measure_subjects", ())),
            ),
            description=data["description"],
            period_kind=PeriodKind(data["period_kind"]),
            periods=tuple(data["periods"]),
            dimensions=tuple(
                Dimension(d["name"], DimensionKind(d["kind"]), d["title"], tuple(d["words"]))
                for d in data["dimensions"]
            ),
            terms=tuple(
                Term(t["dimension"], t["name"], tuple(t["aliases"])) for t in data["terms"]
            ),
            rules=tuple(
                KeywordRule(r["dimension"], r["term"], tuple(r["all_of"]), tuple(r["none_of"]))
                for r in data["rules"]
            ),
            abbreviations=tuple(Abbreviation(a, b) for a, b in data["abbreviations"]),
            scope=Scope(**data["scope"]),
            request_text=data["request_text"],
            unit=data["unit"],
        )

    def summary(self) -> dict:
        """The shape `manage.py templates --json` prints."""
        return {
            "slug": self.slug,
            "title": self.title,
            "measure": self.measure.name,
            "description": self.description,
            "unit": self.unit,
            "period_kind": str(self.period_kind),
            "periods": list(self.periods),
            "dimensions": [
                {
                    "name": d.name,
                    "kind": str(d.kind),
                    "title": d.title,
                    "terms": [t.name for t in self.terms if t.dimension == d.name],
                }
                for d in self.dimensions
            ],
        }


def _terms(dimension: str, spec: dict[str, tuple[str, ...]]) -> tuple[Term, ...]:
    return tuple(Term(dimension, name, aliases) for name, aliases in spec.items())


def _rules(dimension: str, spec: list[tuple[str, tuple[str, ...], tuple[str, ...]]]):
    return tuple(KeywordRule(dimension, term, all_of, none_of) for term, all_of, none_of in spec)


# ---------------------------------------------------------------------------------------------
# Online child sexual offences (SPEC 5): today's default.

ONLINE_CHILD_SEXUAL_OFFENCES = Template(
    slug="online-child-sexual-offences",
    title="Online child sexual offences",
    measure=Measure(
        "online child sexual offences",
        ("offences", "offence", "crimes", "crime"),
        subjects=("victims", "victim"),
    ),
    description="Sexual offences against children recorded with an online (cyber) flag, victim "
    "under 18.",
    period_kind=PeriodKind.FINANCIAL_YEAR,
    periods=("2015-16", "2016-17", "2017-18", "2018-19"),
    dimensions=(
        AGE,
        Dimension(
            "offence",
            DimensionKind.CATEGORY,
            "Offence",
            (
                *("offence", "offences", "offense", "offenses", "crime", "crimes"),
                *("category", "classification", "description", "hoc", "type"),
            ),
        ),
    ),
    terms=DEFAULT_TERMS,
    rules=DEFAULT_RULES,
    abbreviations=POLICE_ABBREVIATIONS,
    scope=Scope(max_age=17, require_flag=True),
    request_text=(
        "Please provide the number of sexual offences against children under 18 recorded with an "
        "online (cyber) flag in each financial year {periods}, broken down by the age of the "
        "victim and by offence."
    ),
)

# ---------------------------------------------------------------------------------------------
# Strip searches of children.

ETHNICITY = "ethnicity"
ETHNICITY_TERMS = _terms(
    ETHNICITY,
    {
        "Asian": (
            "Asian",
            "Asian or Asian British",
            "Asian / Asian British",
            "Asian, Asian British or Asian Welsh",
            "Indian",
            "Pakistani",
            "Bangladeshi",
            "Chinese",
            "Any other Asian background",
            "Other Asian",
            "A1",
            "A2",
            "A3",
            "A4",
            "A9",
            "IC4",
        ),
        "Black": (
            "Black",
            "Black or Black British",
            "Black / Black British",
            "Black, Black British, Caribbean or African",
            "Black, Black British, Black Welsh, Caribbean or African",
            "Caribbean",
            "African",
            "Any other Black background",
            "Any other Black, Black British or Caribbean background",
            "Other Black",
            "B1",
            "B2",
            "B9",
            "IC3",
        ),
        "Mixed": (
            "Mixed",
            "Mixed or multiple ethnic groups",
            "Mixed / multiple ethnic groups",
            "Dual heritage",
            "White and Black Caribbean",
            "White and Black African",
            "White and Asian",
            "Any other Mixed background",
            "Any other Mixed or multiple ethnic background",
            "Other Mixed",
            "M1",
            "M2",
            "M3",
            "M9",
        ),
        "White": (
            "White",
            "White British",
            "English, Welsh, Scottish, Northern Irish or British",
            "White - English, Welsh, Scottish, Northern Irish or British",
            "Irish",
            "White Irish",
            "Gypsy or Irish Traveller",
            "Roma",
            "Any other White background",
            "Other White",
            "W1",
            "W2",
            "W3",
            "W9",
            "IC1",
            "IC2",
        ),
        "Other ethnic group": (
            "Other ethnic group",
            "Other ethnic groups",
            "Other",
            "Arab",
            "Any other ethnic group",
            "Chinese or other ethnic group",
            "O1",
            "O9",
            "IC6",
        ),
        "Not stated": (
            "Not stated",
            "Not recorded",
            "Not known",
            "Unknown",
            "Unrecorded",
            "Refused",
            "Declined",
            "Prefer not to say",
            "Not provided",
            "NS",
            "N/S",
            "IC0",
            "IC9",
        ),
    },
)
# Forces write the census groups as "<group> - <detail>", "<group>: <detail>" or "<group>/<detail>":
# the group's word decides, unless the label is a mixed one ("White and Black Caribbean").
ETHNICITY_RULES = _rules(
    ETHNICITY,
    [
        ("Mixed", ("mixed",), ()),
        ("Mixed", ("dual", "heritage"), ()),
        ("Mixed", ("white", "and", "black"), ()),
        ("Mixed", ("white", "and", "asian"), ()),
        ("White", ("white",), ("mixed", "and black", "and asian", "dual")),
        ("Black", ("black",), ("mixed", "white and", "dual")),
        ("Asian", ("asian",), ("mixed", "white and", "dual")),
        ("Asian", ("indian",), ("mixed", "white and")),
        ("Asian", ("pakistani",), ("mixed", "white and")),
        ("Asian", ("bangladeshi",), ("mixed", "white and")),
        ("Asian", ("chinese",), ("mixed", "white and", "other ethnic")),
        ("Black", ("caribbean",), ("mixed", "white and")),
        ("Black", ("african",), ("mixed", "white and")),
        ("White", ("irish",), ("mixed",)),
        ("White", ("gypsy",), ("mixed",)),
        ("White", ("traveller",), ("mixed",)),
        ("White", ("roma",), ("mixed",)),
        ("White", ("british",), ("black", "asian", "mixed", "white and", "dual")),
        ("Other ethnic group", ("arab",), ("mixed",)),
        ("Other ethnic group", ("other", "ethnic"), ("white", "black", "asian", "mixed")),
        ("Not stated", ("not", "stated"), ()),
        ("Not stated", ("not", "recorded"), ()),
        ("Not stated", ("not", "known"), ()),
    ],
)

CHILD_STRIP_SEARCHES = Template(
    slug="child-strip-searches",
    title="Strip searches of children",
    measure=Measure(
        "strip searches of children",
        ("searches", "search", "strip searches", "strip search", "more thorough searches"),
        subjects=("children", "child", "persons", "people"),
    ),
    description="Strip searches (searches exposing intimate parts, PACE Code C Annex A) of "
    "children under 18 by police officers, in custody or in the field.",
    period_kind=PeriodKind.FINANCIAL_YEAR,
    periods=("2018-19", "2019-20", "2020-21", "2021-22", "2022-23"),
    dimensions=(
        AGE,
        Dimension(
            ETHNICITY,
            DimensionKind.CATEGORY,
            "Ethnicity",
            ("ethnicity", "ethnic", "ethnic group", "ethnic origin", "race", "sde", "ethnic code"),
        ),
    ),
    terms=ETHNICITY_TERMS,
    rules=ETHNICITY_RULES,
    scope=Scope(max_age=17, require_flag=False),
    request_text=(
        "Please provide the number of strip searches (searches involving the exposure of intimate "
        "parts) of children aged under 18 carried out by your officers in each financial year "
        "{periods}, broken down by the child's age and self-defined ethnicity."
    ),
)

# ---------------------------------------------------------------------------------------------
# Children reported missing (as the NCA UK Missing Persons Unit publishes them by force).

SEX = "sex"
SEX_TERMS = _terms(
    SEX,
    {
        "Male": ("Male", "Males", "M", "Boy", "Boys", "Man", "Men"),
        "Female": ("Female", "Females", "F", "Girl", "Girls", "Woman", "Women"),
        "Other": ("Other", "Non-binary", "Indeterminate", "Intersex", "Other gender"),
        "Not known": (
            "Not known",
            "Unknown",
            "Not stated",
            "Not recorded",
            "Unrecorded",
            "N/K",
            "NK",
            "U",
        ),
    },
)
SEX_DIMENSION = Dimension(SEX, DimensionKind.CATEGORY, "Sex", ("sex", "gender"))

CHILDREN_MISSING = Template(
    slug="children-missing",
    title="Children reported missing",
    measure=Measure(
        "missing-child incidents",
        ("incidents", "incident", "occurrences", "episodes", "reports", "missing incidents"),
    ),
    description="Incidents of children under 18 reported missing to police (each time a child "
    "goes missing counts once; the individuals they involve are a second measure).",
    period_kind=PeriodKind.FINANCIAL_YEAR,
    periods=("2019-20", "2020-21", "2021-22"),
    dimensions=(AGE, SEX_DIMENSION),
    terms=SEX_TERMS,
    scope=Scope(max_age=17, require_flag=False),
    request_text=(
        "Please provide the number of incidents in which a child under 18 was reported missing to "
        "your force in each financial year {periods}, broken down by the child's age and sex."
    ),
)

# ---------------------------------------------------------------------------------------------
# Taser use on children (calendar years, as forces publish use-of-force data).

TASER_USE = "use"
TASER_TERMS = _terms(
    TASER_USE,
    {
        "Drawn": ("Drawn", "Drawn only", "Taser drawn"),
        "Aimed": ("Aimed", "Aimed only"),
        "Red-dot": ("Red-dot", "Red dot", "Red-dotted", "Red dotted", "Laser sighted"),
        "Arced": ("Arced", "Arcing", "Sparked"),
        "Fired": ("Fired", "Discharged", "Probes fired"),
        "Drive-stun": ("Drive-stun", "Drive stun", "Angle drive stun", "Contact stun"),
    },
)

TASER_ON_CHILDREN = Template(
    slug="taser-use-on-children",
    title="Taser use on children",
    measure=Measure(
        "uses of Taser on children",
        ("uses", "use", "incidents", "deployments"),
        subjects=("children", "child", "persons", "people"),
    ),
    description="Incidents in which an officer used a Taser (conducted energy device) on a child "
    "under 18, by the highest level of use.",
    period_kind=PeriodKind.CALENDAR_YEAR,
    periods=("2019", "2020", "2021", "2022"),
    dimensions=(
        AGE,
        Dimension(TASER_USE, DimensionKind.CATEGORY, "Highest use", ("use", "outcome", "level")),
    ),
    terms=TASER_TERMS,
    scope=Scope(max_age=17, require_flag=False),
    request_text=(
        "Please provide the number of incidents in which your officers used a Taser on a child "
        "aged under 18 in each calendar year {periods}, broken down by the child's age and the "
        "highest level of use (drawn, aimed, red-dot, arced, fired, drive-stun)."
    ),
)

# ---------------------------------------------------------------------------------------------
# Child cruelty and neglect offences, month by month.

CHILD_CRUELTY = Template(
    slug="child-cruelty-offences",
    title="Child cruelty and neglect offences by month",
    measure=Measure(
        "child cruelty and neglect offences",
        ("offences", "offence", "crimes"),
        subjects=("victims", "victim", "children", "child"),
    ),
    description="Offences of cruelty to or neglect of children (Children and Young Persons Act "
    "1933 s.1) recorded each month, by the child's age.",
    period_kind=PeriodKind.MONTH,
    periods=tuple(f"2023-{m:02d}" for m in range(1, 13)),
    dimensions=(AGE,),
    scope=Scope(max_age=17, require_flag=False),
    request_text=(
        "Please provide the number of offences of cruelty to or neglect of children recorded by "
        "your force in each month {periods}, broken down by the age of the child."
    ),
)

TEMPLATES: dict[str, Template] = {
    t.slug: t
    for t in (
        ONLINE_CHILD_SEXUAL_OFFENCES,
        CHILD_STRIP_SEARCHES,
        CHILDREN_MISSING,
        TASER_ON_CHILDREN,
        CHILD_CRUELTY,
    )
}
DEFAULT_TEMPLATE = ONLINE_CHILD_SEXUAL_OFFENCES.slug
