"""Reads of units and members, always through the user's scope.

Scope is decided here and nowhere else: staff see everything; a coop agent sees their own
units; a representative sees the members of the registers they currently lead, and a deputy
(ผู้ช่วยผู้แทน, a user of role representative named deputy of a register) sees exactly the
register they stand in for; board members see no personal data (aggregates only); anyone else
sees nothing.
"""

import re
import uuid

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.accounts.roles import is_signed_in
from tocnet.core.thai import clean_text, to_arabic_digits
from tocnet.members.models import Member, Phone, Unit
from tocnet.members.scope import hidden_member_ids, scope_rule_for


def member_scope_q(user: User) -> Q | None:
    """The filter of members this user may see; None means all, Q(pk__in=[]) none."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if roles.is_cooperative_staff(user):
        return None
    if roles.is_agent(user):
        return Q(unit__agent_links__user=user)
    rule = scope_rule_for(user)  # registers: a representative's registers
    if rule is not None:
        return Q(pk__in=rule.member_ids(user))
    return Q(pk__in=[])


def member_list_for_user(user: User, *, include_restricted: bool = False) -> QuerySet[Member]:
    """Members the user may see, with unit loaded. Board and outsiders get an empty set.

    Restricted members are left out unless `include_restricted` (privacy pages only).
    """
    scope = member_scope_q(user)
    qs = Member.objects.select_related("unit")
    if not include_restricted:
        # privacy: a member under restriction of processing (PDPA s.34) is hidden from every
        # list and search; the privacy pages reach them for the data protection officer.
        for hidden in hidden_member_ids():
            qs = qs.exclude(pk__in=hidden)
    if scope is None:
        return qs
    # The scope joins to-many relations; collect ids so rows are never duplicated.
    return qs.filter(pk__in=Member.objects.filter(scope).values("pk"))


def as_uuid(code: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(code))
    except ValueError as exc:
        raise Http404 from exc


def get_member_for_user(user: User, code: object) -> Member:
    """One member by code, or 404 when it does not exist or is outside the user's scope."""
    try:
        return member_list_for_user(user).prefetch_related("phones").get(code=as_uuid(code))
    except Member.DoesNotExist as exc:
        raise Http404 from exc


def unit_list_for_user(user: User) -> QuerySet[Unit]:
    """Units the user may see: all for staff and board, their own for agents and representatives."""
    if not is_signed_in(user):
        return Unit.objects.none()
    if roles.sees_whole_cooperative(user):
        return Unit.objects.all()
    if roles.is_agent(user):
        return Unit.objects.filter(pk__in=user.unit_links.values("unit_id"))
    rule = scope_rule_for(user)  # registers: the units of a representative's registers
    if rule is not None:
        return Unit.objects.filter(pk__in=rule.unit_ids(user))
    return Unit.objects.none()


def get_unit_for_user(user: User, code: object) -> Unit:
    """One unit by code, or 404 when outside the user's scope."""
    try:
        return unit_list_for_user(user).get(code=as_uuid(code))
    except Unit.DoesNotExist as exc:
        raise Http404 from exc


def unit_list_with_counts(units: QuerySet[Unit]) -> QuerySet[Unit]:
    """Units annotated with active members and current representatives, in one query."""
    return units.annotate(
        active_members=Count(
            "members", filter=Q(members__status=Member.Status.ACTIVE), distinct=True
        ),
        current_representatives=Count(
            "representatives", filter=Q(representatives__ended_on__isnull=True), distinct=True
        ),
    ).order_by("kind", "name")


def member_search(members: QuerySet[Member], query: str) -> QuerySet[Member]:
    """Filter by member number, name or phone; Thai digits, dashes and spaces are forgiven."""
    text = to_arabic_digits(clean_text(query))
    if not text:
        return members
    digits = re.sub(r"[\s\-+()]", "", text)
    condition = Q(first_name__icontains=text) | Q(last_name__icontains=text)
    parts = text.split(" ", 1)
    if len(parts) == 2:
        condition |= Q(first_name__icontains=parts[0], last_name__icontains=parts[1])
    if digits.isdigit():
        condition |= Q(number__startswith=digits) | Q(number=digits.lstrip("0"))
        if len(digits) >= 4:
            tail = digits.lstrip("0")
            condition |= Q(
                pk__in=Phone.objects.filter(e164__contains=tail).values("member_id")
            ) | Q(pk__in=Phone.objects.filter(raw__contains=digits).values("member_id"))
    return members.filter(condition)
