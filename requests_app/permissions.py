from rest_framework.permissions import SAFE_METHODS, BasePermission

RESEARCHER_GROUP = "researcher"


def is_researcher(user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and (user.is_superuser or user.groups.filter(name=RESEARCHER_GROUP).exists())
    )


class ResearcherWritesOthersRead(BasePermission):
    """Researchers may write; any other signed-in user may read; anonymous users get nothing."""

    message = "Only members of the researcher group may change data."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or is_researcher(request.user)
