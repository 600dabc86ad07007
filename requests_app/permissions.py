from rest_framework.permissions import SAFE_METHODS, BasePermission

from requests_app import access


class ResearcherWritesOthersRead(BasePermission):
    """Signed-in users read the campaigns they belong to; researchers write to their own.

    Anonymous users get nothing. Writing needs the researcher group (or a superuser), then the
    owner or researcher role in the campaign the row belongs to: a row the user may see but not
    change answers 403; a row outside their campaigns never reaches this check, because the
    scoped querysets answer 404 first (see ``requests_app.access``).
    """

    message = "Only the campaign's owner and researchers may change its data."

    def has_permission(self, request, view) -> bool:
        if not access.is_active_user(request.user):
            return False
        return request.method in SAFE_METHODS or access.in_researcher_group(request.user)

    def has_object_permission(self, request, view, obj) -> bool:
        return request.method in SAFE_METHODS or access.can_edit(request.user, obj)
