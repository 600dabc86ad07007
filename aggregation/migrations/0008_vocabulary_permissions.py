"""The roles' permissions on each campaign's question: readers look; researchers tune a
dimension's title and heading words and keep the campaign's abbreviations (a campaign's
dimensions themselves come from its template and are never added or removed by hand)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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
    config = apps.get_app_config("aggregation")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="aggregation", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("aggregation", "0007_drop_shared_vocabulary"),
        ("requests_app", "0008_campaign_members_downloads_retention"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
