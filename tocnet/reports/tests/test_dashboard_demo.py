"""The dashboard's numbers for the demo cooperative equal direct counts, unit by unit."""

from __future__ import annotations

from django.db.models import Count, Q
from django.test import TestCase

from tocnet.accounts.models import User
from tocnet.line.models import GroupMemberSighting, LineGroup
from tocnet.members.demo import demo_cooperative_create
from tocnet.members.models import Member, Phone, Unit
from tocnet.registers.models import Register, RegisterMembership
from tocnet.reports.selectors import coverage_for_user
from tocnet.reports.tests.builders import demo_registers_create


class DemoCooperativeDashboardTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        demo_cooperative_create(members=700, seed=7)
        cls.made = demo_registers_create(seed=3)

    def test_it_matches_direct_counts_for_every_unit(self) -> None:
        staff = User.objects.get(username="staff", role=User.Role.STAFF)
        coverage = coverage_for_user(staff)
        rows = {r.unit_code: r for r in coverage.units}
        self.assertEqual(len(rows), Unit.objects.count())
        active = Member.objects.filter(status=Member.Status.ACTIVE)
        seen_users = GroupMemberSighting.objects.filter(
            in_group=True, group__status=LineGroup.Status.VERIFIED
        )
        in_group_ids = set()
        for m_id, line_user, group_id in RegisterMembership.objects.filter(
            until__isnull=True, member__line_user_id__isnull=False
        ).values_list("member_id", "member__line_user_id", "register__line_group_id"):
            if (
                group_id
                and seen_users.filter(group__group_id=group_id, line_user_id=line_user).exists()
            ):
                in_group_ids.add(m_id)
        with_phone = set(Phone.objects.filter(valid=True).values_list("member_id", flat=True))
        per_unit = active.values("unit__code").annotate(n=Count("pk"))
        registers = (
            Register.objects.filter(retired_at__isnull=True)
            .values("unit__code")
            .annotate(n=Count("pk"), reps=Count("pk", filter=Q(representative__isnull=False)))
        )
        reg_counts = {str(r["unit__code"]): r for r in registers}
        members_by_unit: dict[str, list[Member]] = {}
        for m in active.select_related("unit"):
            members_by_unit.setdefault(str(m.unit.code), []).append(m)
        self.assertGreater(len(in_group_ids), 0)
        for item in per_unit:
            code = str(item["unit__code"])
            with self.subTest(unit=code):
                row = rows[code]
                members = members_by_unit[code]
                in_group = sum(1 for m in members if m.pk in in_group_ids)
                other = sum(
                    1
                    for m in members
                    if m.pk not in in_group_ids
                    and (m.pk in with_phone or (m.email and m.email_valid) or m.line_user_id)
                )
                self.assertEqual(row.members, item["n"])
                self.assertEqual(row.in_group, in_group)
                self.assertEqual(row.reachable_other, other)
                self.assertEqual(row.unreachable, item["n"] - in_group - other)
                self.assertEqual(row.registers, reg_counts.get(code, {}).get("n", 0))
                self.assertEqual(row.representatives, reg_counts.get(code, {}).get("reps", 0))
        self.assertEqual(coverage.total.members, active.count())
        self.assertEqual(coverage.total.registers, self.made["registers"])
        self.assertEqual(coverage.total.in_group, len(in_group_ids))
