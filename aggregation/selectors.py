"""Reads for the aggregation app: the campaign's question and vocabulary handed to the engine."""

from __future__ import annotations

import re
from pathlib import Path

from django.db.models import Prefetch, Q, QuerySet

from aggregation.extraction import vocabulary as v
from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE, TEMPLATES, Template
from aggregation.extraction.reading import UnreadableFile, read_workbook
from aggregation.models import (
    Alias,
    CampaignTemplate,
    Dimension,
    DimensionKind,
    KeywordRule,
    Term,
    split_words,
)
from requests_app.models import Campaign, Force


def template_of(slug: str) -> Template:
    """A template as the engine reads it, from its stored definition.

    Raises ``CampaignTemplate.DoesNotExist`` for an unknown slug.
    """
    return Template.from_json(CampaignTemplate.objects.get(slug=slug).definition)


def campaign_terms(campaign: Campaign) -> QuerySet[Term]:
    """The terms of every category dimension of the campaign, in order."""
    return Term.objects.filter(dimension__campaign=campaign).select_related("dimension")


def dimension_order(campaign_id: int) -> list[str]:
    """The campaign's own dimensions in order (force, a column of its own, left out)."""
    return list(
        Dimension.objects.filter(campaign_id=campaign_id)
        .exclude(kind=DimensionKind.FORCE)
        .values_list("name", flat=True)
    )


def campaign_vocabulary(campaign: Campaign | None, force: Force | None = None) -> v.Vocabulary:
    """Plain values for the engine: the campaign's question, and every alias and rule for all
    forces plus the force's own. Without a campaign, the default template's (SPEC 5)."""
    if campaign is None:
        return TEMPLATES[DEFAULT_TEMPLATE].vocabulary(forces=force_names())
    for_force = Q(force__isnull=True) | (Q(force=force) if force else Q(pk__in=[]))
    dimensions = list(
        Dimension.objects.filter(campaign=campaign).prefetch_related(
            Prefetch(
                "terms",
                queryset=Term.objects.prefetch_related(
                    Prefetch("aliases", queryset=Alias.objects.filter(for_force)),
                    Prefetch("rules", queryset=KeywordRule.objects.filter(for_force)),
                ),
            )
        )
    )
    terms, rules = [], []
    for dimension in dimensions:
        for term in dimension.terms.all():
            aliases = tuple(a.alias for a in term.aliases.all())
            terms.append(v.Term(dimension.name, term.name, aliases))
            rules += [
                v.KeywordRule(
                    dimension.name, term.name, split_words(r.all_of), split_words(r.none_of)
                )
                for r in term.rules.all()
            ]
    return v.Vocabulary(
        periods=tuple(campaign.periods),
        period_kind=v.PeriodKind(campaign.period_kind),
        dimensions=tuple(
            v.Dimension(d.name, v.DimensionKind(d.kind), d.title, split_words(d.words))
            for d in dimensions
        ),
        terms=tuple(terms),
        rules=tuple(rules),
        abbreviations=tuple(
            v.Abbreviation(a.short, a.expansion) for a in campaign.abbreviations.all()
        ),
        forces=force_names(),
        measure=v.Measure(
            campaign.measure,
            split_words(campaign.measure_words),
            split_words(campaign.measure_subjects),
        ),
        scope=v.Scope(max_age=campaign.max_age, require_flag=campaign.require_flag),
    )


def force_names() -> tuple[v.ForceNames, ...]:
    return tuple(
        v.ForceNames(f.slug, (f.name, f.short_name, *(a.alias for a in f.aliases.all())))
        for f in Force.objects.prefetch_related("aliases")
    )


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("&", " and "))) + " "


def _forces_named_in(text: str) -> list[Force]:
    """Forces whose slug, name, short name or alias appears in the text as whole words.

    A name inside a longer name that also matched ("Wales" in "South Wales") is not counted.
    """
    haystack = _words(text)
    hits: dict[str, tuple[Force, str]] = {}
    for force in Force.objects.prefetch_related("aliases"):
        names = {force.slug.replace("-", " "), force.name, force.short_name}
        names |= {a.alias for a in force.aliases.all()}
        for name in names:
            phrase = _words(name)
            if phrase.strip() and phrase in haystack:
                best = hits.get(force.slug)
                if best is None or len(phrase) > len(best[1]):
                    hits[force.slug] = (force, phrase)
    phrases = [p for _, p in hits.values()]
    return [
        force
        for force, phrase in hits.values()
        if not any(phrase != other and phrase in other for other in phrases)
    ]


def recognise_force(name: str, content: bytes, *, rows: int = 25) -> list[Force]:
    """The force a response file comes from: from its name, else from its first rows.

    Returns every candidate; the caller decides when there is not exactly one.
    """
    from_name = _forces_named_in(Path(name).stem)
    if from_name:
        return from_name
    try:
        workbook = read_workbook(content)
    except UnreadableFile:
        return []
    text = " ".join(
        str(value)
        for sheet in workbook.sheets
        for row in sheet.rows[:rows]
        for value in row
        if isinstance(value, str)
    )
    return _forces_named_in(text)
