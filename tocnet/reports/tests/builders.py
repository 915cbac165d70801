"""Test data for reports: registers with members, verified LINE groups, sightings."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tocnet.line.models import GroupMemberSighting, LineGroup
from tocnet.members.models import Member, Phone, Representative, Unit
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing import BaseTestCase

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


class TwoRegistersTestCase(BaseTestCase):
    """BaseTestCase with register 1 of กพ on a verified group (in_register seen) and a register
    2 of กพ holding a_not_in_register: the unit the forms tests download and upload."""

    register_2: Register

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        verify_group(cls.register, seen=[cls.in_register])
        cls.register_2 = add_register(cls.unit_a, 2, [cls.a_not_in_register])

    def upload_filled_form(self, cells: dict[str, str]) -> HttpResponse:
        """The agent downloads กพ's attachment 3, writes ``cells`` ({"F8": value}) on register
        2's sheet and uploads it back (a preview, or the page saying why not)."""
        self.login_as(self.agent)
        data = self.client.get(
            reverse("reports:attachment3", args=[self.unit_a.code, "xlsx"])
        ).content
        wb = load_workbook(io.BytesIO(data))
        ws = wb["สอ.พช.กพ.2"]
        for cell, value in cells.items():
            ws[cell] = value
        buffer = io.BytesIO()
        wb.save(buffer)
        buffer.name = "กพ.xlsx"
        buffer.seek(0)
        response: HttpResponse = self.client.post(
            reverse("reports:upload", args=[self.unit_a.code]), {"file": buffer}
        )
        return response
