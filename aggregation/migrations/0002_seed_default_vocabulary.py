"""Seed the default campaign template (SPEC 5): offence categories, their aliases and rules."""

from django.db import migrations

from aggregation.extraction.default_vocabulary import DEFAULT_RULES, DEFAULT_TERMS


def seed(apps, schema_editor):
    Term = apps.get_model("aggregation", "Term")
    Alias = apps.get_model("aggregation", "Alias")
    KeywordRule = apps.get_model("aggregation", "KeywordRule")
    terms = {}
    for position, t in enumerate(DEFAULT_TERMS):
        term, _ = Term.objects.get_or_create(
            dimension=t.dimension, name=t.name, campaign=None, defaults={"position": position}
        )
        terms[t.name] = term
        seen = set()
        for alias in t.aliases:
            if alias.lower() not in seen:
                seen.add(alias.lower())
                Alias.objects.get_or_create(term=term, alias=alias, force=None)
    for rule in DEFAULT_RULES:
        KeywordRule.objects.get_or_create(
            term=terms[rule.term], all_of=", ".join(rule.all_of), none_of=", ".join(rule.none_of)
        )


class Migration(migrations.Migration):
    dependencies = [("aggregation", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
