"""Who may see and change what: campaign membership, applied one way to every campaign-owned row.

Record-level responses hold special-category data about child victims, so a campaign's rows are
seen only by its members: its owner, and the collaborators added with a role (``researcher``
reads and writes, ``reader`` reads). Active superusers see and change everything. Forces and
exemptions are reference data every signed-in user reads.

Writing also needs the ``researcher`` group (or a superuser): the group is what lets a user
create campaigns (becoming their owner) and be given the researcher role on other people's; a
user taken out of the group keeps reading the campaigns they belong to but writes nothing.

Each campaign-owned model declares the path from its rows to their campaign, and uses
:class:`CampaignScopedQuerySet` (or a subclass) as its manager::

    class Document(models.Model):
        campaign_lookup = "request__campaign"
        objects = CampaignScopedQuerySet.as_manager()

Its querysets then have ``visible_to(user)`` and ``editable_by(user)``; the admin mixin
(``requests_app.admin_base.CampaignScopedAdmin``), the API mixin
(``requests_app.api.CampaignScopedViewSetMixin``) and the helpers below all use them. Where the
path passes through a nullable foreign key (a reply no rule matched to a request), rows that reach
no campaign are the shared intake: members of the researcher group read and change them (a
researcher files an unmatched reply on a request of their own campaigns); readers do not see them.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Q

RESEARCHER_GROUP = "researcher"


class Role(models.TextChoices):
    """A user's role in one campaign. The owner is ``Campaign.owner``; the others are members."""

    OWNER = "owner", "Owner"
    RESEARCHER = "researcher", "Researcher (reads and writes)"
    READER = "reader", "Reader (reads only)"


READ_ROLES = (Role.OWNER, Role.RESEARCHER, Role.READER)
WRITE_ROLES = (Role.OWNER, Role.RESEARCHER)


def is_active_user(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_superuser(user: Any) -> bool:
    return is_active_user(user) and user.is_superuser


def in_researcher_group(user: Any) -> bool:
    """May write at all (and create campaigns): a superuser, or a member of the researcher group."""
    if not is_active_user(user):
        return False
    return user.is_superuser or user.groups.filter(name=RESEARCHER_GROUP).exists()


# The path from a model's rows to their campaign.


def campaign_path(model: type[models.Model]) -> tuple[str, bool]:
    """(lookup, shared) for a campaign-owned model: ``("request__campaign", False)``.

    ``shared`` is true when a nullable foreign key lies on the path, so that rows reaching no
    campaign exist (unmatched replies). Raises TypeError for a model that declares no path,
    and ValueError for a path that does not end at Campaign.
    """
    lookup = getattr(model, "campaign_lookup", None)
    if lookup is None:
        raise TypeError(f"{model.__name__} declares no campaign_lookup")
    campaign = apps.get_model("requests_app", "Campaign")
    current, shared = model, False
    for part in lookup.split("__"):
        if part == "pk":
            break
        field = current._meta.get_field(part)
        if not field.is_relation or field.many_to_many or field.one_to_many:
            raise ValueError(f"{model.__name__}.campaign_lookup: {part!r} is not a foreign key")
        shared = shared or field.null
        current = field.related_model
    if current is not campaign:
        raise ValueError(f"{model.__name__}.campaign_lookup {lookup!r} does not reach Campaign")
    return lookup, shared


def is_campaign_owned(model: type[models.Model]) -> bool:
    return getattr(model, "campaign_lookup", None) is not None


def _campaign_ids(user: Any, roles: tuple[Role, ...]) -> models.QuerySet:
    """The primary keys of the campaigns where the user holds one of the roles, as a subquery."""
    campaign = apps.get_model("requests_app", "Campaign")
    member = apps.get_model("requests_app", "CampaignMember")
    where = Q(pk__in=member.objects.filter(user=user, role__in=roles).values("campaign_id"))
    if Role.OWNER in roles:
        where |= Q(owner=user)
    return campaign.objects.filter(where).values("pk")


class CampaignScopedQuerySet(models.QuerySet):
    """Rows of a campaign-owned model, narrowed to what one user may see or change."""

    def visible_to(self, user: Any) -> CampaignScopedQuerySet:
        """The rows of campaigns the user belongs to (any role), and for members of the
        researcher group the rows reaching no campaign."""
        return self._scoped(user, write=False)

    def editable_by(self, user: Any) -> CampaignScopedQuerySet:
        """The rows of campaigns where the user is owner or researcher (and in the group), and
        the rows reaching no campaign."""
        return self._scoped(user, write=True)

    def _scoped(self, user: Any, *, write: bool) -> CampaignScopedQuerySet:
        if not is_active_user(user):
            return self.none()
        if user.is_superuser:
            return self
        if write and not in_researcher_group(user):
            return self.none()
        lookup, shared = campaign_path(self.model)
        ids = _campaign_ids(user, WRITE_ROLES if write else READ_ROLES)
        where = Q(**{f"{lookup}__in": ids})
        if shared and in_researcher_group(user):
            where |= Q(**{f"{lookup}__isnull": True})
        return self.filter(where)


# Checks for views and services.


def _allowed(user: Any, obj: models.Model, *, write: bool) -> bool:
    model = type(obj)
    if not is_campaign_owned(model) or obj.pk is None:
        # Reference data (forces, exemptions) or a row not saved yet: the group decides.
        return is_active_user(user) and (not write or in_researcher_group(user))
    rows = model._default_manager.filter(pk=obj.pk)
    return (rows.editable_by(user) if write else rows.visible_to(user)).exists()


def can_view(user: Any, obj: models.Model) -> bool:
    """Whether the user may see this row (a campaign, or anything a campaign owns)."""
    return _allowed(user, obj, write=False)


def can_edit(user: Any, obj: models.Model) -> bool:
    """Whether the user may change this row: owner or researcher of its campaign, in the group."""
    return _allowed(user, obj, write=True)


def may_manage_members(user: Any, campaign: models.Model) -> bool:
    """Only the owner (and superusers) add, change or remove a campaign's members."""
    return is_superuser(user) or (is_active_user(user) and campaign.owner_id == user.pk)
