"""Test data for reports: registers with members, verified LINE groups, sightings."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from tocnet.line.models import GroupMemberSighting, LineGroup
from tocnet.members.models import Member, Phone, Representative, Unit
from tocnet.registers.models import Register, RegisterMembership

_seq = itertools.count(1)


def add_member(unit: Unit, *, phone: bool = True, email: str = "", **extra: object) -> Member:
    n = next(_seq)
    member = Member.objects.create(
        number=str(700_000 + n),
        unit=unit,
        title="นาง",
        first_name=f"สมศรี{n}",
        last_name="ทดสอบ",
        email=email,
        **extra,
    )
    if phone:
        Phone.objects.create(
            member=member, raw=f"0891{n:06d}", e164=f"+66891{n:06d}", kind=Phone.Kind.MOBILE
        )
    return member


def add_register(
    unit: Unit, number: int | None, members: list[Member], *, with_rep: bool = True
) -> Register:
    rep = None
    if with_rep and members:
        rep = Representative.objects.create(
            member=members[0],
            unit=unit,
            term_start=dt.date(2018, 1, 1),
            term_end=dt.date(2021, 12, 31),
        )
    abbr = unit.abbreviation
    name = f"สอ.พช.{abbr}." + ("" if number is None else str(number))
    register = Register.objects.create(
        unit=unit, number=number, representative=rep, line_group_name=name
    )
    now = timezone.now()
    RegisterMembership.objects.bulk_create(
        [RegisterMembership(register=register, member=m, since=now) for m in members]
    )
    return register


def verify_group(register: Register, *, seen: list[Member]) -> LineGroup:
    """Attach a verified LINE group to the register and mark members as seen in it."""
    group_id = f"C{register.pk:032d}"
    Register.objects.filter(pk=register.pk).update(line_group_id=group_id)
    register.line_group_id = group_id
    group, _created = LineGroup.objects.get_or_create(
        group_id=group_id,
        defaults={
            "name": register.line_group_name,
            "status": LineGroup.Status.VERIFIED,
            "unit": register.unit,
            "register": register,
            "member_count": len(seen) + 3,
            "verified_at": timezone.now(),
        },
    )
    now = timezone.now()
    for member in seen:
        if not member.line_user_id:
            member.line_user_id = f"U{member.pk:032d}"
            Member.objects.filter(pk=member.pk).update(line_user_id=member.line_user_id)
        GroupMemberSighting.objects.create(
            group=group, line_user_id=member.line_user_id, first_seen_at=now, last_seen_at=now
        )
    return group


def demo_registers_create(*, seed: int = 11) -> dict[str, int]:
    """Registers for the demo cooperative by the real planner (register_plan_apply), then 60 %
    of the groups verified and 70 % of the LINE users of those registers seen in their group.
    For tests and the bench only."""
    import random

    from tocnet.registers.services import register_plan_apply

    rng = random.Random(seed)
    now = timezone.now()
    if not Register.objects.exists():
        register_plan_apply(units=list(Unit.objects.all()), actor=None)
    saved = list(Register.objects.filter(retired_at__isnull=True).order_by("pk"))
    groups = []
    for register in saved:
        if rng.random() < 0.6:
            register.line_group_id = f"C{register.pk:032d}"
            groups.append(
                LineGroup(
                    group_id=register.line_group_id,
                    name=register.line_group_name,
                    status=LineGroup.Status.VERIFIED,
                    unit_id=register.unit_id,
                    register=register,
                    member_count=40,
                    verified_at=now,
                )
            )
    Register.objects.bulk_update(saved, ["line_group_id"])
    LineGroup.objects.bulk_create(groups)
    group_of = {g.register_id: g for g in LineGroup.objects.filter(register__isnull=False)}
    register_of = dict(
        RegisterMembership.objects.filter(until__isnull=True).values_list(
            "member_id", "register_id"
        )
    )
    linked, sightings = [], []
    for member in Member.objects.filter(status=Member.Status.ACTIVE).only("pk", "line_id"):
        group = group_of.get(register_of.get(member.pk))
        if group is None or not member.line_id or rng.random() > 0.7:
            continue
        member.line_user_id = f"U{member.pk:032d}"
        linked.append(member)
        sightings.append(
            GroupMemberSighting(
                group=group, line_user_id=member.line_user_id, first_seen_at=now, last_seen_at=now
            )
        )
    Member.objects.bulk_update(linked, ["line_user_id"], batch_size=2000)
    GroupMemberSighting.objects.bulk_create(sightings, batch_size=5000)
    return {"registers": len(saved), "verified": len(groups), "seen": len(sightings)}
