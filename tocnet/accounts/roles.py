"""Who may do what: every question the code asks about a user's role, answered in one place.

Views, selectors, services and templates (through ``tocnet.accounts.context_processors``) ask
these predicates instead of comparing ``user.role``. Each predicate is false for anonymous and
inactive users. A superuser counts as cooperative staff whatever their role.

- staff: the whole cooperative, personal data included
- coop agent: their own units (``UnitAgent`` links)
- representative: the registers they currently lead
- board: totals only, no personal data
- member: nothing on the web (members use LINE)
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeGuard

from django.db.models import QuerySet

from tocnet.accounts.models import User


class DashboardLevel(StrEnum):
    """What the dashboard shows: compares equal to its value ("all", ...) in templates."""

    ALL = "all"
    UNITS = "units"
    REGISTER = "register"
    TOTALS = "totals"
    NONE = "none"


def is_signed_in(user: object) -> TypeGuard[User]:
    """A signed-in, active account."""
    return isinstance(user, User) and user.is_authenticated and user.is_active


def _role(user: object) -> str | None:
    """The role that counts: staff for a superuser, None when not signed in."""
    if not is_signed_in(user):
        return None
    return User.Role.STAFF if user.is_superuser else user.role


def is_cooperative_staff(user: object) -> bool:
    """Cooperative staff (or a superuser): sees and manages the whole cooperative."""
    return _role(user) == User.Role.STAFF


def is_agent(user: object) -> bool:
    """A coop agent: scoped to the units they are linked to."""
    return _role(user) == User.Role.AGENT


def is_representative(user: object) -> bool:
    """A member representative: scoped to the registers they currently lead."""
    return _role(user) == User.Role.REPRESENTATIVE


def is_board(user: object) -> bool:
    """A board or committee member: cooperative totals, no personal data."""
    return _role(user) == User.Role.BOARD


def uses_the_site(user: object) -> bool:
    """Has pages of their own on the site (and a second factor to manage): every role but
    members, who use LINE."""
    return _role(user) not in (None, User.Role.MEMBER)


def _manages_units(user: object) -> bool:
    return _role(user) in (User.Role.STAFF, User.Role.AGENT)


def can_import(user: object) -> bool:
    """Uploads member and representative lists: staff (any unit), agents (their units)."""
    return _manages_units(user)


def can_plan(user: object) -> bool:
    """Reviews and approves register plans: staff (every unit), agents (their units)."""
    return _manages_units(user)


def can_manage_forms(user: object) -> bool:
    """Downloads every form of a unit, uploads returned forms: staff and agents."""
    return _manages_units(user)


def can_use_forms(user: object) -> bool:
    """The forms page: staff and agents (their units), representatives (their registers)."""
    return _role(user) in (User.Role.STAFF, User.Role.AGENT, User.Role.REPRESENTATIVE)


def can_see_line_groups(user: object) -> bool:
    """The LINE group list: staff (all), agents (their units' groups)."""
    return _manages_units(user)


def can_use_line_login(user: object) -> bool:
    """Signs in with LINE and connects a LINE account: representatives and agents only.

    Not staff: an administrator's account stays behind a password.
    """
    return is_signed_in(user) and user.role in (User.Role.REPRESENTATIVE, User.Role.AGENT)


def is_dpo(user: object) -> bool:
    """The data protection officer: handles members' personal-data requests (permission
    ``privacy.dpo``, given in the admin)."""
    return is_signed_in(user) and user.has_perm("privacy.dpo")


def sees_personal_data(user: object) -> bool:
    """Sees members' names and contacts (within their scope): staff, agents, representatives."""
    return _role(user) in (User.Role.STAFF, User.Role.AGENT, User.Role.REPRESENTATIVE)


def sees_whole_cooperative(user: object) -> bool:
    """Sees every unit and register (personal data aside): staff and board."""
    return _role(user) in (User.Role.STAFF, User.Role.BOARD)


def sees_unit_list(user: object) -> bool:
    """The unit list page in the menu: staff, agents and board."""
    return _role(user) in (User.Role.STAFF, User.Role.AGENT, User.Role.BOARD)


def signs_forms_by_name(user: object) -> bool:
    """Attachment 3 carries the downloader's name as reporter: agents and representatives."""
    return _role(user) in (User.Role.AGENT, User.Role.REPRESENTATIVE)


def dashboard_level(user: object) -> DashboardLevel:
    """What the dashboard shows this user."""
    levels: dict[str | None, DashboardLevel] = {
        User.Role.STAFF: DashboardLevel.ALL,
        User.Role.AGENT: DashboardLevel.UNITS,
        User.Role.REPRESENTATIVE: DashboardLevel.REGISTER,
        User.Role.BOARD: DashboardLevel.TOTALS,
    }
    return levels.get(_role(user), DashboardLevel.NONE)


# --- accounts by role (queries) ------------------------------------------------------------


def staff_accounts() -> QuerySet[User]:
    """Active accounts with the staff role: those a conversation can be assigned to."""
    return User.objects.filter(role=User.Role.STAFF, is_active=True)


def representative_accounts() -> QuerySet[User]:
    """Active accounts with the representative role: those who sign in for a register."""
    return User.objects.filter(role=User.Role.REPRESENTATIVE, is_active=True)


def site_accounts() -> QuerySet[User]:
    """Active accounts that use the site: every role but members, and members given the admin."""
    return User.objects.filter(is_active=True).exclude(role=User.Role.MEMBER, is_staff=False)
