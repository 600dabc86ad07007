"""The default campaign template (SPEC 5): online child sexual offences, as plain data.

The Django side seeds its vocabulary tables from ``DEFAULT_TERMS`` and ``DEFAULT_RULES``, so this
module holds data only. Aliases are matched after ``labels.normalise_label`` (lower case, codes
and section references stripped), so "Sexual grooming (s.15 SOA 2003)" and "88A Sexual grooming"
both match the alias "Sexual grooming". Names follow the Home Office Counting Rules (HOCR) and
the Sexual Offences Act 2003 (SOA).
"""

from __future__ import annotations

from .vocabulary import Abbreviation, ForceNames, KeywordRule, Term, Vocabulary

OFFENCE = "offence"

RAPE = "Rape"
SEXUAL_ASSAULT = "Sexual assault"
SEXUAL_ACTIVITY = "Sexual activity involving a child"
GROOMING = "Sexual grooming"
COMMUNICATION = "Sexual communication with a child"
INDECENT_IMAGES = "Indecent images of children"
EXPLOITATION = "Sexual exploitation of children"
OTHER = "Other sexual offences"

CATEGORIES = (
    RAPE,
    SEXUAL_ASSAULT,
    SEXUAL_ACTIVITY,
    GROOMING,
    COMMUNICATION,
    INDECENT_IMAGES,
    EXPLOITATION,
    OTHER,
)

DEFAULT_TERMS: tuple[Term, ...] = (
    Term(
        OFFENCE,
        RAPE,
        (
            "Rape of a female child under 13",
            "Rape of a male child under 13",
            "Rape of a female child under 16",
            "Rape of a male child under 16",
            "Rape of a child under 13",
            "Rape of a child under 16",
            "Rape of a female aged under 16",
            "Rape of a male aged under 16",
            "Rape of a female aged 16 or over",
            "Rape of a male aged 16 or over",
            "Rape of a female",
            "Rape of a male",
            "Rape offences",
            "Assault by penetration of a child under 13",
        ),
    ),
    Term(
        OFFENCE,
        SEXUAL_ASSAULT,
        (
            "Sexual assault on a female child under 13",
            "Sexual assault on a male child under 13",
            "Sexual assault on a child under 13",
            "Sexual assault on a female aged 13 and over",
            "Sexual assault on a male aged 13 and over",
            "Sexual assault on a female",
            "Sexual assault on a male",
            "Sexual assault by penetration",
            "Assault by penetration",
            "Sexual assault of a child under 13",
        ),
    ),
    Term(
        OFFENCE,
        SEXUAL_ACTIVITY,
        (
            "Sexual activity involving a child under 13",
            "Sexual activity involving a child under 16",
            "Sexual activity with a child",
            "Sexual activity with a child under 13",
            "Sexual activity with a child under 16",
            "Causing or inciting a child to engage in sexual activity",
            "Causing or inciting a child under 13 to engage in sexual activity",
            "Engaging in sexual activity in the presence of a child",
            "Causing a child to watch a sexual act",
            "Child sex offences committed by children or young persons",
            "Sexual activity with a child family member",
            "Inciting a child family member to engage in sexual activity",
            "Familial child sex offences",
            "Arranging or facilitating commission of a child sex offence",
        ),
    ),
    Term(
        OFFENCE,
        GROOMING,
        (
            "Meeting a child following sexual grooming",
            "Meeting a child following sexual grooming etc",
            "Sexual grooming",
            "Grooming",
            "Child grooming",
        ),
    ),
    Term(
        OFFENCE,
        COMMUNICATION,
        (
            "Sexual communication with a child",
            "Sexual communication with a child under 16",
            "Sexual communications with a child",
        ),
    ),
    Term(
        OFFENCE,
        INDECENT_IMAGES,
        (
            "Indecent images of children",
            "Indecent images of a child",
            "Indecent photographs of children",
            "Obscene publications indecent photos of children",
            "Taking, permitting to be taken or making, distributing or publishing indecent "
            "photographs or pseudo photographs of children",
            "Taking or making indecent photographs of children",
            "Distributing indecent photographs of children",
            "Possession of indecent photograph of a child",
            "Possession of indecent photographs of children",
            "Possession of indecent images of children",
            "Possession of prohibited images of children",
            "Making indecent images of children",
        ),
    ),
    Term(
        OFFENCE,
        EXPLOITATION,
        (
            "Sexual exploitation of children",
            "Child sexual exploitation",
            "Abuse of children through sexual exploitation",
            "Abuse of children through prostitution and pornography",
            "Paying for sexual services of a child",
            "Causing or inciting child sexual exploitation",
            "Causing or inciting child prostitution or pornography",
            "Controlling a child in relation to sexual exploitation",
            "Controlling a child prostitute or a child involved in pornography",
            "Arranging or facilitating child sexual exploitation",
            "Arranging or facilitating child prostitution or pornography",
        ),
    ),
    Term(
        OFFENCE,
        OTHER,
        (
            "Other sexual offences",
            "Other sexual offence",
            "Other",
            "Exposure",
            "Voyeurism",
            "Abuse of position of trust",
            "Abuse of position of trust of a sexual nature",
            "Abuse of position of trust: sexual activity with a child",
            "Abuse of position of trust: causing a child to watch a sexual act",
            "Sexual activity with a person with a mental disorder",
            "Administering a substance with intent",
            "Trespass with intent to commit a sexual offence",
            "Committing an offence with intent to commit a sexual offence",
            "Outraging public decency",
            "Sexual offences - committing an act outraging public decency",
            "Sexual harassment",
            "Disclosing private sexual photographs and films",
            "Upskirting",
        ),
    ),
)

# Keyword rules catch spellings no alias lists. Each must fit one category only: a label that
# fits two rules is ambiguous and goes to a researcher (``none_of`` keeps them apart).
DEFAULT_RULES: tuple[KeywordRule, ...] = (
    KeywordRule(OFFENCE, RAPE, ("rape",), ("trust",)),
    KeywordRule(OFFENCE, SEXUAL_ASSAULT, ("sexual", "assault"), ("rape", "trust")),
    KeywordRule(OFFENCE, SEXUAL_ASSAULT, ("assault", "penetration"), ("rape",)),
    KeywordRule(
        OFFENCE,
        SEXUAL_ACTIVITY,
        ("sexual", "activity", "child"),
        ("trust", "mental", "disorder", "exploitation", "prostitution", "pornography"),
    ),
    KeywordRule(
        OFFENCE,
        SEXUAL_ACTIVITY,
        ("sexual", "act", "child"),
        ("trust", "mental", "disorder", "exploitation", "prostitution", "pornography"),
    ),
    KeywordRule(OFFENCE, SEXUAL_ACTIVITY, ("child", "sex", "offence"), ("exploitation", "trust")),
    KeywordRule(OFFENCE, SEXUAL_ACTIVITY, ("familial",), ("trust",)),
    KeywordRule(OFFENCE, GROOMING, ("grooming",), ()),
    KeywordRule(OFFENCE, COMMUNICATION, ("sexual", "communication"), ("grooming",)),
    KeywordRule(OFFENCE, INDECENT_IMAGES, ("indecent", "image"), ("exposure",)),
    KeywordRule(OFFENCE, INDECENT_IMAGES, ("indecent", "photo"), ("exposure",)),
    KeywordRule(OFFENCE, INDECENT_IMAGES, ("indecent", "pseudo"), ()),
    KeywordRule(OFFENCE, INDECENT_IMAGES, ("prohibited", "image"), ()),
    KeywordRule(OFFENCE, EXPLOITATION, ("exploitation",), ("trafficking",)),
    KeywordRule(OFFENCE, EXPLOITATION, ("prostitution",), ("trafficking",)),
    KeywordRule(OFFENCE, EXPLOITATION, ("sexual", "services", "child"), ()),
    KeywordRule(OFFENCE, OTHER, ("exposure",), ()),
    KeywordRule(OFFENCE, OTHER, ("voyeurism",), ()),
    KeywordRule(OFFENCE, OTHER, ("position", "trust"), ()),
    KeywordRule(OFFENCE, OTHER, ("other", "sexual"), ()),
)


# Police shorthand in offence labels, expanded before matching (whole words only).
POLICE_ABBREVIATIONS: tuple[Abbreviation, ...] = tuple(
    Abbreviation(short, expansion)
    for short, expansion in (
        ("iioc", "indecent images of children"),
        ("iiocs", "indecent images of children"),
        ("cse", "child sexual exploitation"),
        ("comms", "communication"),
        ("comm", "communication"),
        ("w/", "with"),
        ("w/o", "without"),
        ("u13", "under 13"),
        ("u16", "under 16"),
        ("u18", "under 18"),
        ("u/13", "under 13"),
        ("u/16", "under 16"),
        ("u/18", "under 18"),
        ("o13", "13 and over"),
        ("o16", "16 and over"),
        ("cause/incite", "causing or inciting"),
        ("causing/inciting", "causing or inciting"),
        ("incite", "inciting"),
        ("sex", "sexual"),
        ("sexl", "sexual"),
        ("sxl", "sexual"),
        ("sa", "sexual assault"),
        ("asslt", "assault"),
        ("aslt", "assault"),
        ("ch", "child"),
        ("chld", "child"),
        ("offs", "offences"),
        ("poss", "possession"),
        ("indec", "indecent"),
        ("img", "images"),
        ("imgs", "images"),
        ("abp", "assault by penetration"),
        ("pot", "position of trust"),
        ("servs", "services"),
        ("svcs", "services"),
        ("expl", "exploitation"),
        ("explt", "exploitation"),
    )
)


def default_vocabulary(
    periods: tuple[str, ...] | list[str], forces: tuple[ForceNames, ...] | list[ForceNames] = ()
) -> Vocabulary:
    """The default template's vocabulary for the financial years asked ("2015-16", ...)."""
    from .campaign_templates import ONLINE_CHILD_SEXUAL_OFFENCES

    return ONLINE_CHILD_SEXUAL_OFFENCES.vocabulary(periods, tuple(forces))
