"""Reads of the LINE app. For the dashboard: :func:`register_line_stats` (per register:
verified, group member count, linked members seen in the group) in constant queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.thai import thai_sort_key
from tocnet.line.models import GroupMemberSighting, LineGroup, RegisterCode
from tocnet.members.models import Member
from tocnet.registers.models import Register, RegisterMembership


@dataclass(frozen=True)
class RegisterLineStats:
    verified: bool
    group_member_count: int | None  # from LINE's member count (excludes the bot)
    linked_in_group: int  # members of the register whose linked LINE user is in the group
    members_on_register: int


def register_line_stats(registers: Iterable[Register]) -> dict[int, RegisterLineStats]:
    """Per register pk: verified, member count, linked members in the group. Two queries."""
    registers = list(registers)
    group_ids = [r.line_group_id for r in registers if r.line_group_id]
    counts = dict(
        LineGroup.objects.filter(
            group_id__in=group_ids, status=LineGroup.Status.VERIFIED
        ).values_list("group_id", "member_count")
    )
    seen = GroupMemberSighting.objects.filter(
        group__group_id=OuterRef("register__line_group_id"),
        line_user_id=OuterRef("member__line_user_id"),
        in_group=True,
    )
    rows = (
        RegisterMembership.objects.filter(
            register_id__in=[r.pk for r in registers], until__isnull=True
        )
        .annotate(seen=Exists(seen))
        .values("register_id")
        .annotate(total=Count("id"), in_group=Count("id", filter=Q(seen=True)))
    )
    by_register = {row["register_id"]: row for row in rows}
    stats = {}
    for register in registers:
        row = by_register.get(register.pk, {"total": 0, "in_group": 0})
        verified = bool(register.line_group_id) and register.line_group_id in counts
        stats[register.pk] = RegisterLineStats(
            verified=verified,
            group_member_count=counts.get(register.line_group_id or "") if verified else None,
            linked_in_group=row["in_group"] if verified else 0,
            members_on_register=row["total"],
        )
    return stats


def register_awaits_new_representative(register: Register) -> bool:
    """The register's group waits for the successor's one-time code."""
    return (
        bool(register.line_group_id)
        and LineGroup.objects.filter(
            group_id=register.line_group_id, status=LineGroup.Status.AWAITING_NEW
        ).exists()
    )


@dataclass
class MemberPresence:
    member: Member
    state: str  # "in_group", "linked_not_seen", "not_linked", "no_line"


@dataclass
class RegisterLineStatus:
    register: Register
    verified_group: LineGroup | None
    pending_groups: list[LineGroup]
    problem_groups: list[LineGroup]
    code: RegisterCode | None
    members: list[MemberPresence] = field(default_factory=list)
    # The register's group, verified by the previous representative, waiting for the
    # successor's own code ("รอผู้แทนใหม่ยืนยัน").
    awaiting_new: LineGroup | None = None

    @property
    def missing(self) -> list[MemberPresence]:
        return [p for p in self.members if p.state != "in_group"]

    @property
    def in_group_count(self) -> int:
        return sum(1 for p in self.members if p.state == "in_group")

    @property
    def no_line_count(self) -> int:
        return sum(1 for p in self.members if p.state == "no_line")

    @property
    def follow_up_count(self) -> int:
        """Not yet in the group and using LINE: the members the representative follows up."""
        return sum(1 for p in self.members if p.state in ("linked_not_seen", "not_linked"))

    @property
    def breakdown(self) -> list[tuple[str, int, float, float]]:
        """The register's members as one bar: (part, count, start %, width %) for the members
        in the group, to follow up and not using LINE, in that order (empty parts left out)."""
        total = len(self.members)
        parts = [
            ("in_group", self.in_group_count),
            ("follow_up", self.follow_up_count),
            ("no_line", self.no_line_count),
        ]
        out, start = [], 0.0
        for part, count in parts:
            if not count:
                continue
            width = 100 * count / total
            out.append((part, count, round(start, 2), round(width, 2)))
            start += width
        return out


def register_line_status(*, register: Register, code: RegisterCode | None) -> RegisterLineStatus:
    """Everything the representative's page shows about the register's LINE group."""
    groups = list(LineGroup.objects.filter(Q(register=register) | Q(unit_id=register.unit_id)))
    verified = next(
        (g for g in groups if g.group_id == register.line_group_id and g.is_verified), None
    )
    awaiting_new = next(
        (
            g
            for g in groups
            if g.group_id == register.line_group_id and g.status == LineGroup.Status.AWAITING_NEW
        ),
        None,
    )
    pending = [
        g
        for g in groups
        if g.register_id == register.pk and g.status == LineGroup.Status.AWAITING_CODE
    ]
    problems = [
        g
        for g in groups
        if g.status == LineGroup.Status.UNMATCHED
        and (g.register_id in (None, register.pk))
        and g.problem
    ]
    in_group: set[str] = set()
    if verified is not None:
        in_group = set(
            verified.sightings.filter(in_group=True).values_list("line_user_id", flat=True)
        )
    memberships = RegisterMembership.objects.filter(
        register=register, until__isnull=True
    ).select_related("member")
    presence = []
    for membership in memberships:
        member = membership.member
        if member.line_user_id and member.line_user_id in in_group:
            state = "in_group"
        elif member.line_user_id:
            state = "linked_not_seen"
        elif member.no_line:
            state = "no_line"
        else:
            state = "not_linked"
        presence.append(MemberPresence(member=member, state=state))
    presence.sort(key=lambda p: thai_sort_key(p.member.sort_name))
    return RegisterLineStatus(
        register=register,
        verified_group=verified,
        pending_groups=pending,
        problem_groups=problems,
        code=code if verified is None else None,
        members=presence,
        awaiting_new=awaiting_new,
    )


def line_group_list_for_user(user: User) -> QuerySet[LineGroup]:
    """Groups staff see (all) and agents see (their units' groups); nobody else sees any."""
    qs = LineGroup.objects.select_related(
        "unit", "register__unit", "register__representative"
    ).order_by("status", "name")
    if roles.is_cooperative_staff(user):
        return qs
    if roles.is_agent(user):
        units = user.unit_links.values("unit_id")
        return qs.filter(Q(unit_id__in=units) | Q(register__unit_id__in=units))
    return qs.none()


def register_without_group_list_for_user(user: User) -> QuerySet[Register]:
    """Current registers in the user's scope whose LINE group is not verified yet."""
    from tocnet.registers.selectors import register_list_for_user

    if not roles.can_see_line_groups(user):
        return Register.objects.none()
    return (
        register_list_for_user(user)
        .filter(Q(line_group_id__isnull=True) | Q(line_group_id=""))
        .order_by("unit__name", "number")
    )
