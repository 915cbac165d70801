"""The dashboard's numbers for the demo cooperative equal direct counts, unit by unit."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile

import pytest
from django.db.models import Count, Q
from django.test import TestCase
from openpyxl import load_workbook

from tocnet.accounts.models import User
from tocnet.line.models import GroupMemberSighting, LineGroup
from tocnet.members.demo import demo_cooperative_create
from tocnet.members.models import Member, Phone, Unit
from tocnet.registers.models import Register, RegisterMembership
from tocnet.reports.forms_io.export import attachment3_build, attachment3_pdf, attachment3_xlsx
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

    @pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
    def test_forms_of_a_planned_unit_list_its_registers_exactly(self) -> None:
        unit = Unit.objects.get(abbreviation="กพ")
        registers = list(
            Register.objects.filter(unit=unit, retired_at__isnull=True)
            .select_related("representative__member")
            .order_by("number")
        )
        self.assertGreater(len(registers), 0)
        form = attachment3_build(unit=unit, user=None)
        wb = load_workbook(io.BytesIO(attachment3_xlsx(form)))
        self.assertEqual(wb.sheetnames, [r.line_group_name for r in registers] + ["_tocnet"])
        for register in registers:
            with self.subTest(register=register.line_group_name):
                ws = wb[register.line_group_name]
                expected = set(
                    RegisterMembership.objects.filter(
                        register=register, until__isnull=True, member__status="active"
                    ).values_list("member__number", flat=True)
                )
                numbers = {
                    str(row[1])
                    for row in ws.iter_rows(min_row=8, values_only=True)
                    if row[1] and str(row[1]).isdigit()
                }
                self.assertEqual(numbers, expected)
                self.assertEqual(ws["B4"].value, register.representative.member.full_name)
                self.assertEqual(ws["F4"].value, register.representative.member.number)
                self.assertEqual(ws["H5"].value, len(expected))
        pdf = attachment3_pdf(form)
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            text = subprocess.run(
                ["pdftotext", "-layout", handle.name, "-"], capture_output=True, check=True
            ).stdout.decode()
            info = subprocess.run(
                ["pdfinfo", handle.name], capture_output=True, check=True
            ).stdout.decode()
        pages = int(
            next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
        )
        self.assertIn(f"1/{pages}", text)
        self.assertIn(f"{pages}/{pages}", text)
        for register in registers:
            self.assertIn(register.line_group_name, text)
        for number in RegisterMembership.objects.filter(
            register__unit=unit, until__isnull=True, member__status="active"
        ).values_list("member__number", flat=True):
            self.assertIn(number, text)
