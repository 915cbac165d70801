"""Coverage dashboard: numbers equal direct counts, scope per role, constant queries, export."""

from __future__ import annotations

import io
from unittest.mock import patch

from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tocnet.core.models import AuditEvent
from tocnet.members.models import Member, Phone, Unit
from tocnet.registers.models import Register, RegisterMembership
from tocnet.reports.selectors import (
    coverage_for_user,
    unit_completeness_problems,
    unit_completeness_warnings,
)
from tocnet.reports.tests.builders import add_member, add_register, verify_group
from tocnet.testing import BaseTestCase

URL = "/dashboard/"


class DashboardTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # Register 1 of กพ (from BaseTestCase) gets a verified group with in_register seen.
        verify_group(cls.register, seen=[cls.in_register])
        # A second register of กพ: one member without any contact, one with a reason.
        cls.silent = add_member(cls.unit_a, phone=False)
        cls.excused = add_member(cls.unit_a, phone=False, unreachable_reason="ย้ายไม่ทราบที่อยู่")
        cls.mailed = add_member(cls.unit_a, phone=False, email="a@example.com")
        cls.register_2 = add_register(
            cls.unit_a, 2, [cls.mailed, cls.silent, cls.excused], with_rep=True
        )
        # นว: one register without a representative and a badly typed group name.
        cls.b_members = [cls.b_member, add_member(cls.unit_b), add_member(cls.unit_b)]
        cls.register_b = add_register(cls.unit_b, None, cls.b_members, with_rep=False)
        Register.objects.filter(pk=cls.register_b.pk).update(line_group_name="กลุ่มนครสวรรค์")
        # A resigned member is never counted.
        add_member(cls.unit_a, status=Member.Status.RESIGNED)

    def _direct_counts(self, unit: Unit) -> dict[str, int]:
        active = Member.objects.filter(unit=unit, status=Member.Status.ACTIVE)
        with_phone = Phone.objects.filter(valid=True).values("member_id")
        return {
            "members": active.count(),
            "registers": Register.objects.filter(unit=unit, retired_at__isnull=True).count(),
            "no_way": active.exclude(pk__in=with_phone)
            .filter(email="", line_user_id__isnull=True)
            .count(),
            "not_in_register": active.exclude(
                pk__in=RegisterMembership.objects.filter(until__isnull=True).values("member_id")
            ).count(),
        }

    def test_it_matches_direct_counts(self) -> None:
        coverage = coverage_for_user(self.staff)
        units = {r.unit_code: r for r in coverage.units}
        for unit in (self.unit_a, self.unit_b):
            with self.subTest(unit=unit.abbreviation):
                row = units[str(unit.code)]
                direct = self._direct_counts(unit)
                self.assertEqual(row.members, direct["members"])
                self.assertEqual(row.registers, direct["registers"])
                self.assertEqual(row.unreachable, direct["no_way"])
                self.assertEqual(row.not_in_register, direct["not_in_register"])
                self.assertEqual(row.in_group + row.reachable_other + row.unreachable, row.members)
        a = units[str(self.unit_a.code)]
        self.assertEqual(a.in_group, 1)
        self.assertEqual((a.registers, a.representatives, a.valid_names), (2, 2, 2))
        self.assertEqual(a.groups_verified, 1)
        self.assertEqual((a.unreachable, a.unreachable_with_reason), (2, 1))
        b = units[str(self.unit_b.code)]
        self.assertEqual((b.registers, b.representatives, b.valid_names), (1, 0, 0))
        self.assertEqual(
            coverage.total.members, Member.objects.filter(status=Member.Status.ACTIVE).count()
        )

    def test_it_agrees_with_the_line_selectors(self) -> None:
        from tocnet.line.selectors import register_line_stats

        coverage = coverage_for_user(self.staff)
        stats = register_line_stats(Register.objects.all())
        by_code = {r.key: r for r in coverage.registers}
        for register in Register.objects.all():
            with self.subTest(register=register.line_group_name):
                row = by_code[str(register.code)]
                self.assertEqual(row.in_group, stats[register.pk].linked_in_group)
                self.assertEqual(row.groups_verified, int(stats[register.pk].verified))

    def test_it_applies_the_completeness_rule(self) -> None:
        units = {r.unit_code: r for r in coverage_for_user(self.staff).units}
        self.assertEqual(
            unit_completeness_warnings(units[str(self.unit_a.code)]), ["members_not_in_register"]
        )
        self.assertEqual(
            unit_completeness_problems(units[str(self.unit_a.code)]),
            ["members_unreachable_without_reason"],
        )
        self.assertEqual(
            unit_completeness_problems(units[str(self.unit_b.code)]),
            ["registers_without_representative", "invalid_group_names"],
        )

    def test_it_scopes_rows_per_role(self) -> None:
        agent = coverage_for_user(self.agent)
        self.assertEqual([r.unit_code for r in agent.units], [str(self.unit_a.code)])
        rep = coverage_for_user(self.rep_user)
        self.assertEqual([r.key for r in rep.registers], [str(self.register.code)])
        self.assertEqual(rep.total.members, 2)
        board = coverage_for_user(self.board)
        self.assertEqual(board.level, "totals")
        self.assertEqual(coverage_for_user(self.outsider).total.members, 0)

    def test_it_renders_per_role(self) -> None:
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                self.login_as(user)
                response = self.client.get(URL)
                if name in ("member", "outsider"):
                    self.assertEqual(response.status_code, 403)
                    continue
                self.assertEqual(response.status_code, 200)
                body = response.content.decode()
                self.assertIn('data-total="members"', body)
                if name == "board":
                    self.assertNotIn('id="units-table"', body)
                    self.assertNotIn(self.unit_a.name, body)
                else:
                    self.assertIn('id="units-table"', body)
                if name == "agent":
                    self.assertIn(f'data-unit="{self.unit_a.code}"', body)
                    self.assertNotIn(f'data-unit="{self.unit_b.code}"', body)

    def test_it_sorts(self) -> None:
        self.login_as(self.staff)
        response = self.client.get(URL, {"sort": "-members"})
        units = response.context["units"]
        self.assertEqual(units[0].unit_code, str(self.unit_a.code))
        self.assertGreaterEqual(units[0].members, units[1].members)
        response = self.client.get(URL, {"sort": "members"})
        self.assertLessEqual(response.context["units"][0].members, units[0].members)

    def test_it_exports_xlsx_and_logs_access(self) -> None:
        self.login_as(self.agent)
        before = AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).count()
        response = self.client.get(URL, {"export": "xlsx"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("spreadsheetml", response["Content-Type"])
        wb = load_workbook(io.BytesIO(response.content))
        units = wb.worksheets[2]
        rows = list(units.iter_rows(values_only=True))
        self.assertEqual(rows[1][0], self.unit_a.name)
        self.assertEqual(rows[1][2], 6)  # active members of กพ in this data
        self.assertEqual(len(rows), 2)
        self.assertEqual(AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).count(), before + 1)

    def test_it_loads_a_long_register_table_on_request(self) -> None:
        self.login_as(self.staff)
        with patch("tocnet.reports.views.REGISTERS_INLINE", 1):
            body = self.client.get(URL).content.decode()
            self.assertNotIn('id="registers-table"', body)
            self.assertIn('data-show="registers"', body)
            part = self.client.get(URL, {"part": "registers"}, headers={"HX-Request": "true"})
            self.assertIn('id="registers-table"', part.content.decode())
            self.assertNotIn('id="units-table"', part.content.decode())
            self.assertEqual(part.content.decode().count("data-register="), 3)
            full = self.client.get(URL, {"registers": "1"}).content.decode()
            self.assertIn('id="registers-table"', full)
        self.assertIn('id="registers-table"', self.client.get(URL).content.decode())

    def test_it_shows_deadline_and_map(self) -> None:
        self.login_as(self.staff)
        body = self.client.get(URL).content.decode()
        self.assertIn('data-deadline="2021-06-15"', body)
        self.assertIn("15 มิ.ย. 2564", body)
        self.assertIn('data-province="กำแพงเพชร"', body)
        self.assertEqual(
            body.count("data-province="), 77 + len(coverage_for_user(self.staff).provinces)
        )


class DashboardQueryCountTestCase(BaseTestCase):
    def _queries(self) -> int:
        self.login_as(self.staff)
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(URL)
        self.assertEqual(response.status_code, 200)
        return len(ctx.captured_queries)

    def test_it_keeps_queries_constant(self) -> None:
        # With no verified group at all, Django skips one empty "IN ()" query: start with one.
        verify_group(self.register, seen=[self.in_register])
        small = self._queries()
        for i in range(3):
            unit = Unit.objects.create(
                name=f"หน่วยเพิ่ม {i}", kind=Unit.Kind.OTHER, abbreviation=f"พม{i}", province="ตาก"
            )
            for number in (1, 2):
                members = [add_member(unit, email=f"x{i}{number}{k}@example.com") for k in range(6)]
                register = add_register(unit, number, members)
                verify_group(register, seen=members[:2])
        big = self._queries()
        self.assertEqual(small, big)
        with self.assertNumQueries(big):
            self.client.get(URL)
