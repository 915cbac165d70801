from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tocnet.accounts import roles
from tocnet.accounts.menu import menu_for_user


class RoleFlags:
    """The role predicates for templates: ``{% if roles.can_import %}``."""

    def __init__(self, user: object) -> None:
        self._user = user

    def __getattr__(self, name: str) -> Any:
        predicate = _PREDICATES.get(name)
        if predicate is None:
            raise AttributeError(name)
        return predicate(self._user)


_PREDICATES = {
    name: getattr(roles, name)
    for name in (
        "is_signed_in",
        "is_cooperative_staff",
        "is_agent",
        "is_representative",
        "is_board",
        "uses_the_site",
        "can_import",
        "can_plan",
        "can_manage_forms",
        "can_use_forms",
        "can_see_line_groups",
        "can_use_line_login",
        "sees_personal_data",
        "sees_whole_cooperative",
        "sees_unit_list",
        "dashboard_level",
    )
}


def menu(request: HttpRequest) -> dict[str, object]:
    """``menu``: the main menu's links for this user; ``roles``: the role predicates."""
    user = getattr(request, "user", None)
    return {
        "menu": SimpleLazyObject(lambda: menu_for_user(user)),
        "roles": RoleFlags(user),
    }
