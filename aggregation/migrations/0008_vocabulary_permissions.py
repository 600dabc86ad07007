"""The roles' permissions on each campaign's question: readers look; researchers tune a
dimension's title and heading words and keep the campaign's abbreviations (a campaign's
dimensions themselves come from its template and are never added or removed by hand)."""

from django.db import migrations

from aggregation.migrations._grants import grant_permissions

GRANTS = {
    "reader": ["view_dimension", "view_abbreviation"],
    "researcher": [
        "view_dimension",
        "change_dimension",
        "view_abbreviation",
        "add_abbreviation",
        "change_abbreviation",
        "delete_abbreviation",
    ],
}


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("aggregation", "0007_drop_shared_vocabulary"),
        ("requests_app", "0008_campaign_members_downloads_retention"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
