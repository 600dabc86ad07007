"""Seed the 46 forces (with FOI contact emails and aliases) and the exemptions police cite."""

import csv
from pathlib import Path

from django.db import migrations

FORCES_CSV = Path(__file__).resolve().parent.parent / "data" / "forces.csv"

EXEMPTIONS = [
    ("s12", "Cost of compliance exceeds the appropriate limit"),
    ("s14", "Vexatious or repeated request"),
    ("s21", "Information reasonably accessible by other means"),
    ("s23", "Information supplied by, or relating to, security bodies"),
    ("s24", "National security"),
    ("s30", "Investigations and proceedings"),
    ("s31", "Law enforcement"),
    ("s38", "Health and safety"),
    ("s40", "Personal information"),
    ("other", "Other exemption"),
]


def seed(apps, schema_editor):
    Force = apps.get_model("requests_app", "Force")
    ForceAlias = apps.get_model("requests_app", "ForceAlias")
    Exemption = apps.get_model("requests_app", "Exemption")
    with FORCES_CSV.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            aliases = [a for a in row.pop("aliases").split("|") if a]
            force, _ = Force.objects.update_or_create(slug=row.pop("slug"), defaults=row)
            for alias in aliases:
                ForceAlias.objects.get_or_create(force=force, alias=alias)
    for code, label in EXEMPTIONS:
        Exemption.objects.update_or_create(code=code, defaults={"label": label})


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
