"""Granting the role groups permissions from a data migration (not a migration: the loader
skips modules whose names start with an underscore)."""


def grant_permissions(apps, grants: dict[str, list[str]]) -> None:
    """Give each group (created if missing) the aggregation permissions named for it; the
    permissions are created first, as they are only after migrate otherwise."""
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("aggregation")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in grants.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="aggregation", codename__in=codenames
        )
        group.permissions.add(*permissions)
