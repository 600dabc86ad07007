"""Reads for the aggregation app: the vocabulary handed to the extraction engine."""

from __future__ import annotations

import re
from pathlib import Path

from django.db.models import Prefetch, Q

from aggregation.extraction import vocabulary as v
from aggregation.extraction.reading import UnreadableFile, read_workbook
from aggregation.models import Alias, KeywordRule, Term
from requests_app.models import Campaign, Force


def campaign_terms(campaign: Campaign | None):
    """The default template's terms plus the campaign's own."""
    scope = Q(campaign__isnull=True)
    if campaign is not None:
        scope |= Q(campaign=campaign)
    return Term.objects.filter(scope)


def campaign_vocabulary(campaign: Campaign | None, force: Force | None = None) -> v.Vocabulary:
    """Plain values for the engine: every alias and rule for all forces, plus the force's own."""
    for_force = Q(force__isnull=True) | (Q(force=force) if force else Q(pk__in=[]))
    terms = campaign_terms(campaign).prefetch_related(
        Prefetch("aliases", queryset=Alias.objects.filter(for_force)),
        Prefetch("rules", queryset=KeywordRule.objects.filter(for_force)),
    )
    engine_terms, rules = [], []
    for term in terms:
        engine_terms.append(
            v.Term(term.dimension, term.name, tuple(a.alias for a in term.aliases.all()))
        )
        rules += [
            v.KeywordRule(term.dimension, term.name, r.split(r.all_of), r.split(r.none_of))
            for r in term.rules.all()
        ]
    return v.Vocabulary(
        periods=tuple(campaign.periods) if campaign else (),
        terms=tuple(engine_terms),
        rules=tuple(rules),
        forces=force_names(),
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
