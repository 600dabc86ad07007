"""The two roles as Django groups, with the model permissions the admin checks.

`researcher`: may add and change the tracked records and run the review (the API also lets this
group write); may delete only vocabulary entries and force aliases, which are corrections.
`reader`: may look at everything in the admin (when staff) and change nothing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = {
    "requests_app": [
        "force",
        "forcealias",
        "exemption",
        "campaign",
        "foirequest",
        "requestevent",
        "document",
    ],
    "aggregation": ["term", "alias", "keywordrule", "observation", "reviewaction"],
}
RESEARCHER_WRITES = {
    "requests_app": {
        "forcealias": ["add", "change", "delete"],
        "force": ["change"],
        "campaign": ["add", "change"],
        "foirequest": ["change"],
        "requestevent": ["add"],
        "document": ["add", "change"],
    },
    "aggregation": {
        "term": ["add", "change", "delete"],
        "alias": ["add", "change", "delete"],
        "keywordrule": ["add", "change", "delete"],
        "reviewaction": ["add"],
    },
}


def codenames(app_label: str, actions: dict[str, list[str]]) -> list[str]:
    return [f"{action}_{model}" for model, acts in actions.items() for action in acts]


def create_groups(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for label in ("requests_app", "aggregation"):
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, apps=apps, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(app_label: str, names: list[str]):
        found = Permission.objects.filter(content_type__app_label=app_label, codename__in=names)
        missing = set(names) - set(found.values_list("codename", flat=True))
        assert not missing, f"missing permissions {sorted(missing)}"
        return list(found)

    view = {label: [f"view_{m}" for m in models] for label, models in MODELS.items()}
    reader, _ = Group.objects.get_or_create(name="reader")
    researcher, _ = Group.objects.get_or_create(name="researcher")
    for label, names in view.items():
        reader.permissions.add(*perms(label, names))
        researcher.permissions.add(*perms(label, names))
    for label, actions in RESEARCHER_WRITES.items():
        researcher.permissions.add(*perms(label, codenames(label, actions)))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["reader", "researcher"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0004_document_pinned"),
        ("aggregation", "0002_seed_default_vocabulary"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
