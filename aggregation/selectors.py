"""Reads for the aggregation app: the campaign's question and vocabulary handed to the engine."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db.models import F, Prefetch, Q, QuerySet

from aggregation.extraction import vocabulary as v
from aggregation.extraction.campaign_templates import DEFAULT_TEMPLATE, TEMPLATES, Template
from aggregation.extraction.grid import Workbook
from aggregation.extraction.labels import clean as clean_label
from aggregation.models import (
    Alias,
    CampaignTemplate,
    Dimension,
    DimensionKind,
    KeywordRule,
    LabelMapping,
    ReadingHint,
    Term,
    split_words,
)
from requests_app.models import Campaign, Document, DocumentStatus, Force


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
        # The force's own readings after the campaign-wide ones: they win.
        mappings=tuple(
            v.LabelMap(m.dimension, m.label, m.value)
            for m in LabelMapping.objects.filter(for_force, campaign=campaign).order_by(
                F("force").asc(nulls_first=True), "pk"
            )
        ),
        measure=v.Measure(
            campaign.measure,
            split_words(campaign.measure_words),
            split_words(campaign.measure_subjects),
        ),
        scope=v.Scope(max_age=campaign.max_age, require_flag=campaign.require_flag),
    )


def document_hints(document: Document) -> tuple[v.Hint, ...]:
    """A researcher's corrections of this document's reading, as the engine takes them."""
    return tuple(
        v.Hint(h.sheet, v.HintKind(h.kind), h.row, h.column, h.period)
        for h in ReadingHint.objects.filter(document=document).order_by("pk")
    )


def force_names() -> tuple[v.ForceNames, ...]:
    return tuple(
        v.ForceNames(f.slug, (f.name, f.short_name, *(a.alias for a in f.aliases.all())))
        for f in Force.objects.prefetch_related("aliases")
    )


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("&", " and "))) + " "


def force_phrases() -> list[tuple[Force, list[str]]]:
    """Every force with the phrases that name it (slug, name, short name, aliases), as
    ``recognise_force`` matches them: built once for many files."""
    table = []
    for force in Force.objects.prefetch_related("aliases"):
        names = {force.slug.replace("-", " "), force.name, force.short_name}
        names |= {a.alias for a in force.aliases.all()}
        table.append((force, [phrase for name in names if (phrase := _words(name)).strip()]))
    return table


def _forces_named_in(text: str, phrases: list[tuple[Force, list[str]]]) -> list[Force]:
    """Forces whose slug, name, short name or alias appears in the text as whole words.

    A name inside a longer name that also matched ("Wales" in "South Wales") is not counted.
    """
    haystack = _words(text)
    hits: dict[str, tuple[Force, str]] = {}
    for force, names in phrases:
        for phrase in names:
            if phrase in haystack:
                best = hits.get(force.slug)
                if best is None or len(phrase) > len(best[1]):
                    hits[force.slug] = (force, phrase)
    found = [p for _, p in hits.values()]
    return [
        force
        for force, phrase in hits.values()
        if not any(phrase != other and phrase in other for other in found)
    ]


def recognise_force(
    name: str,
    read: Callable[[], Workbook | None],
    *,
    rows: int = 25,
    phrases: list[tuple[Force, list[str]]] | None = None,
) -> list[Force]:
    """The force a response file comes from: from its name, else from its first rows.

    ``read`` gives the file's workbook (None when it cannot be read); it is called only when
    the name does not tell. ``phrases`` (``force_phrases()``), when the caller recognises many
    files. Returns every candidate; the caller decides when there is not exactly one.
    """
    phrases = force_phrases() if phrases is None else phrases
    from_name = _forces_named_in(Path(name).stem, phrases)
    if from_name:
        return from_name
    workbook = read()
    if workbook is None:
        return []
    text = " ".join(
        str(value)
        for sheet in workbook.sheets
        for row in sheet.rows[:rows]
        for value in row
        if isinstance(value, str)
    )
    return _forces_named_in(text, phrases)


# Review: every open doubt of a campaign, grouped by what would fix it.

# What each kind of doubt is, in a researcher's words ("{dimension}" filled in).
DOUBT_WORDS = {
    "unknown_label": "{a_dimension} the campaign's vocabulary does not know",
    "total_mismatch": "a total disagrees with its parts",
    "tables_disagree": "two tables give different figures for the same thing",
    "no_period": "a table does not say which period it is for",
    "calendar_years": "counted by calendar year, not the campaign's period",
    "financial_years": "counted by financial year, not the campaign's period",
    "months": "counted by month, not the campaign's period",
    "rolling_years": "counted by rolling year",
    "no_figures": "tables were found but no figure could be read",
    "no_tables": "no table was found",
    "other_force": "the file names another force, not the request's",
    "unknown_breakdown": "rows split by labels of no dimension of the campaign's",
    "breakdown_not_asked": "figures split by something the campaign does not ask about",
    "other_measure": "counts another measure than the campaign's",
    "measure_unclear": "the title names another measure",
    "unreadable_value": "text where a figure should be",
    "formula_without_value": "a formula saved without its value",
    "not_available": "figures given as not available",
    "blank_cells": "empty cells among the figures",
    "hidden_by_merge": "a figure hidden under merged cells",
    "partial_period": "a period covered only in part",
    "age_unknown_rows": "rows with no age, in a list that includes adults",
    "total_includes_excluded": "a total that may include figures outside the request",
    "letter": "a letter: its figures must be entered by hand",
    "unclear_layout": "a layout that cannot be read safely",
}


@dataclass(frozen=True, slots=True)
class Doubt:
    """One thing to fix: a kind of doubt (a reason code), for one label where the doubt is
    about a label, with every document and cell it appears in."""

    kind: str
    dimension: str
    label: str
    words: str
    documents: list[int]
    cells: list[str]  # "Sheet!A1"

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "dimension": self.dimension,
            "label": self.label,
            "documents": self.documents,
            "cells": self.cells,
        }


def doubt_words(code: str, dimension: str = "") -> str:
    words = DOUBT_WORDS.get(code, code.replace("_", " "))
    named = dimension or "label"
    article = "an" if named[:1].lower() in "aeiou" else "a"
    return words.format(dimension=named, a_dimension=f"{article} {named}")


def _cells(reason: dict) -> list[str]:
    sheet, cells = reason.get("sheet") or "", reason.get("cells") or ""
    refs = [c for c in cells.split(",") if c and c != "…"]
    return [f"{sheet}!{c}" if sheet else c for c in refs] or ([sheet] if sheet else [])


def campaign_doubts(campaign: Campaign) -> list[Doubt]:
    """Every open doubt of the campaign's documents that need review, grouped by what would
    fix it (one label mapping fixes every document reporting the label), most documents first.
    """
    groups: dict[tuple[str, str, str], dict] = {}
    documents = Document.objects.filter(
        request__campaign=campaign, status=DocumentStatus.NEEDS_REVIEW
    ).values_list("pk", "result")
    for pk, result in documents.order_by("pk"):
        for reason in (result or {}).get("reasons", []):
            if not reason.get("blocking", True):
                continue
            label = reason.get("label") or ""
            dimension = reason.get("dimension") or ""
            key = (reason["code"], dimension, clean_label(label))
            group = groups.setdefault(key, {"label": label, "documents": [], "cells": []})
            if pk not in group["documents"]:
                group["documents"].append(pk)
            group["cells"] += [f"#{pk} {c}" for c in _cells(reason)]
    doubts = [
        Doubt(code, dimension, g["label"], doubt_words(code, dimension), g["documents"], g["cells"])
        for (code, dimension, _key), g in groups.items()
    ]
    return sorted(doubts, key=lambda d: (-len(d.documents), d.kind, d.label.lower()))


def campaign_document_statuses(campaign: Campaign) -> dict[int, str]:
    return dict(
        Document.objects.filter(request__campaign=campaign)
        .order_by("pk")
        .values_list("pk", "status")
    )


@dataclass(frozen=True, slots=True)
class ReasonLine:
    """A document's reasons, one line per distinct doubt: the same label's cells together."""

    code: str
    words: str
    message: str
    label: str
    dimension: str
    sheet: str
    cells: list[str]
    blocking: bool


def document_reasons(document: Document) -> list[ReasonLine]:
    lines: dict[tuple, ReasonLine] = {}
    for reason in (document.result or {}).get("reasons", []):
        label, dimension = reason.get("label") or "", reason.get("dimension") or ""
        key = (
            (reason["code"], dimension, clean_label(label))
            if label
            else (reason["code"], reason.get("sheet"), reason.get("message"))
        )
        cells = [c for c in (reason.get("cells") or "").split(",") if c]
        if key in lines:
            lines[key].cells.extend(c for c in cells if c not in lines[key].cells)
            continue
        lines[key] = ReasonLine(
            code=reason["code"],
            words=doubt_words(reason["code"], dimension),
            message=reason.get("message", ""),
            label=label,
            dimension=dimension,
            sheet=reason.get("sheet") or "",
            cells=cells,
            blocking=reason.get("blocking", True),
        )
    return sorted(lines.values(), key=lambda line: (not line.blocking, line.code))
