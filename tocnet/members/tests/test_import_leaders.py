"""Successors and deputies named through the import of representatives (issue #14)."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
from django.core.management import call_command
from django.utils import timezone

from tocnet.core.models import AuditEvent
from tocnet.line.models import LineGroup
from tocnet.members.importing.headers import match_header
from tocnet.members.importing.leaders import normalize_role
from tocnet.members.importing.messages import describe_both
from tocnet.members.importing.services import representative_import_file
from tocnet.members.models import Member, Representative
from tocnet.members.tests.import_builders import xlsx_bytes
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing import BaseTestCase

HEADER = ["ลำดับ", "เลขทะเบียนสมาชิก", "ชื่อ-สกุล", "หน่วยงาน", "กลุ่มไลน์", "ผู้ช่วยผู้แทน"]


def test_roles_as_offices_write_them() -> None:
    assert normalize_role("") == "representative"
    assert normalize_role(" ผู้แทนสมาชิก ") == "representative"
    assert normalize_role("ผู้ช่วย ผู้แทน") == "deputy"
    assert normalize_role("รองผู้แทน") == "deputy"
    assert normalize_role("ผู้สืบทอด (คะแนนลำดับ 2)") == "successor"
    assert normalize_role("ผู้ได้คะแนนลำดับถัดไป") == "successor"
    assert normalize_role("Successor") == "successor"
    assert normalize_role("ประธาน") is None


def test_leader_columns_as_offices_head_them() -> None:
    columns, _labels = match_header(
        [
            "เลขทะเบียนสมาชิก",
            "ชื่อ - สกุล",
            "ชื่อกลุ่ม LINE",
            "ผู้ช่วยผู้แทน (เลขทะเบียนสมาชิก)",
            "ชื่อ-สกุล ผู้ช่วยผู้แทน",
            "แทน (ผู้แทนเดิม)",
            "บทบาท",
        ]
    )
    assert columns == {
        "number": 0,
        "full_name": 1,
        "register": 2,
        "deputy": 3,
        "deputy_name": 4,
        "successor_of": 5,
        "role": 6,
    }
    assert match_header(["เลขทะเบียน", "ทะเบียน / กลุ่มไลน์ที่ดูแล", "Deputy"])[0] == {
        "number": 0,
        "register": 1,
        "deputy": 2,
    }


class ImportLeadersTestCase(BaseTestCase):
    """กพ has สอ.พช.กพ.1 (led by 100001, with 100002) and สอ.พช.กพ.2 (led by 100003, with
    100004 and 100005); 100006 is a new member not yet on a register."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        unit = cls.unit_a
        cls.m4 = Member.objects.create(
            number="100004", unit=unit, title="นาง", first_name="มานี", last_name="มีสุข"
        )
        cls.m5 = Member.objects.create(
            number="100005", unit=unit, title="นาย", first_name="ปิติ", last_name="รักไทย"
        )
        cls.m6 = Member.objects.create(
            number="100006", unit=unit, title="นางสาว", first_name="ชูใจ", last_name="ใจงาม"
        )
        cls.rep2 = Representative.objects.create(
            member=cls.a_not_in_register,
            unit=unit,
            term_start=dt.date(2026, 1, 1),
            term_end=dt.date(2029, 12, 31),
        )
        cls.register2 = Register.objects.create(
            unit=unit, number=2, representative=cls.rep2, line_group_name="สอ.พช.กพ.2"
        )
        now = timezone.now()
        for m in (cls.a_not_in_register, cls.m4, cls.m5):
            RegisterMembership.objects.create(register=cls.register2, member=m, since=now)
        Register.objects.filter(pk=cls.register.pk).update(line_group_id="C" + "7" * 32)
        LineGroup.objects.create(
            group_id="C" + "7" * 32,
            name="สอ.พช.กพ.1",
            register=cls.register,
            status=LineGroup.Status.VERIFIED,
        )

    def run_import(self, rows: list[list[Any]], header: list[str] = HEADER) -> dict[str, Any]:
        data = xlsx_bytes({"ผู้แทน": [header, *rows]})
        outcome = representative_import_file(data=data, file_name="ผู้แทน.xlsx", actor=self.staff)
        return {"summary": outcome.summary, "details": outcome.details}

    def unit(self) -> str:
        return self.unit_a.name

    def test_a_successor_named_by_the_register_takes_it_as_it_is(self) -> None:
        members_before = set(
            self.register.memberships.filter(until__isnull=True).values_list("member", flat=True)
        )
        result = self.run_import(
            [
                [1, "๑๐๐๐๐๓", "นายประเสริฐ ทองคำ", self.unit(), "สอ.พช.กพ.2", "100004"],
                # The office's way: a space, a Thai digit, the deputy by name only.
                [2, 100006, "นางสาวชูใจ ใจงาม", self.unit(), "สอ.พช. กพ. ๑", "นายสมศักดิ์ ศรีสุข"],
            ]
        )
        self.assertEqual(result["summary"]["rejected"], [])
        self.assertEqual(result["summary"]["warnings"], [])
        self.register.refresh_from_db()
        rep = self.register.representative
        assert rep is not None
        self.assertEqual((rep.member, rep.ended_on), (self.m6, None))
        # Same number, name and members (the successor joined), same LINE group, awaiting code.
        self.assertEqual((self.register.number, self.register.line_group_name), (1, "สอ.พช.กพ.1"))
        self.assertEqual(self.register.line_group_id, "C" + "7" * 32)
        self.assertEqual(
            set(
                self.register.memberships.filter(until__isnull=True).values_list(
                    "member", flat=True
                )
            ),
            members_before | {self.m6.pk},
        )
        self.assertEqual(
            LineGroup.objects.get(group_id="C" + "7" * 32).status, LineGroup.Status.AWAITING_NEW
        )
        old = Representative.objects.get(pk=self.representative.pk)
        self.assertIsNotNone(old.ended_on)
        self.assertEqual(self.register.deputy, self.in_register)
        self.register2.refresh_from_db()
        self.assertEqual(self.register2.deputy, self.m4)
        self.assertEqual(self.register2.representative, self.rep2)  # unchanged
        actions = {
            (a["kind"], a["number"], a["register_name"]) for a in result["details"]["leaders"]
        }
        self.assertEqual(
            actions,
            {
                ("successor", "100006", "สอ.พช.กพ.1"),
                ("deputy", "100002", "สอ.พช.กพ.1"),
                ("deputy", "100004", "สอ.พช.กพ.2"),
            },
        )
        self.assertTrue(AuditEvent.objects.filter(action="register.successor_set").exists())
        self.assertEqual(AuditEvent.objects.filter(action="register.deputy_set").count(), 2)

    def test_the_command_line_prints_successors_deputies_and_problems(self) -> None:
        data = xlsx_bytes(
            {
                "ผู้แทน": [
                    HEADER,
                    [1, "100003", "นายประเสริฐ ทองคำ", self.unit(), "สอ.พช.กพ.2", "100099"],
                    [2, "100006", "นางสาวชูใจ ใจงาม", self.unit(), "สอ.พช.กพ.1", "100002"],
                ]
            }
        )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "ผู้แทน.xlsx"
            path.write_bytes(data)
            out = io.StringIO()
            call_command("import_representatives", str(path), stdout=out)
        text = out.getvalue()
        self.assertIn("สอ.พช.กพ.1: successor 100006 นางสาวชูใจ ใจงาม", text)
        self.assertIn("สอ.พช.กพ.1: deputy 100002", text)
        self.assertIn("แผ่นงาน ผู้แทน แถว 2", text)  # the unknown deputy, in Thai
        self.assertIn("Sheet ผู้แทน, row 2, field deputy representative", text)  # and English

    def test_a_successor_named_by_whom_they_replace(self) -> None:
        header = ["เลขทะเบียน", "ชื่อ-สกุล", "แทน (ผู้แทนเดิม)"]
        result = self.run_import(
            [["100003", "นายประเสริฐ ทองคำ", None], ["100006", "นางสาวชูใจ ใจงาม", "๑๐๐๐๐๑"]],
            header=header,
        )
        self.assertEqual(result["summary"]["rejected"], [])
        self.register.refresh_from_db()
        self.assertEqual(self.register.representative.member, self.m6)  # type: ignore[union-attr]

    def test_a_role_column_names_deputies_and_successors_in_rows_of_their_own(self) -> None:
        header = ["เลขทะเบียนสมาชิก", "ชื่อ", "นามสกุล", "บทบาท", "ทะเบียนที่"]
        result = self.run_import(
            [
                ["100001", "สมชาย", "ใจดี", "ผู้แทนสมาชิก", "1"],
                ["100003", "ประเสริฐ", "ทองคำ", "ผู้แทน", "2"],
                ["100002", "สมศักดิ์", "ศรีสุข", "ผู้ช่วยผู้แทน", "๑"],
                ["100005", "ปิติ", "รักไทย", "ผู้ช่วย", "กพ.2"],
                ["100006", "ชูใจ", "ใจงาม", "ผู้สืบทอด", None],
                ["100004", "มานี", "มีสุข", "ประธาน", "2"],
            ],
            header=header,
        )
        rejected = {r["row"]: r["reason"] for r in result["summary"]["rejected"]}
        self.assertEqual(rejected, {6: "register_needed", 7: "bad_role"})
        self.register.refresh_from_db()
        self.register2.refresh_from_db()
        self.assertEqual((self.register.deputy, self.register2.deputy), (self.in_register, self.m5))
        # Deputies are not made representatives; nobody listed lost their term.
        self.assertFalse(Representative.objects.filter(member=self.in_register).exists())
        self.assertEqual(Representative.objects.filter(ended_on__isnull=False).count(), 0)
        entry = next(r for r in result["details"]["rejected"] if r["row"] == 6)
        thai, english = describe_both(entry)
        self.assertIn("แถว 6", thai)
        self.assertIn("Sheet ผู้แทน, row 6", english)
        self.assertIn("กลุ่มไลน์", english)

    def test_wrong_registers_refuse_the_row_and_change_nothing_of_it(self) -> None:
        result = self.run_import(
            [
                [1, "100001", "นายสมชาย ใจดี", self.unit(), "สอ.พช.กพ.1", None],
                [2, "100003", "นายประเสริฐ ทองคำ", self.unit(), "สอ.พช.กพ.2", None],
                [3, "100006", "นางสาวชูใจ ใจงาม", self.unit(), "สอ.พช.กพ.9", None],
                [4, "100005", "นายปิติ รักไทย", self.unit(), "สอ.พช.นว.1", None],
                [5, "100004", "นางมานี มีสุข", self.unit(), "สอ.พช.กพ.2", None],
            ]
        )
        rejected = {r["row"]: r for r in result["details"]["rejected"]}
        self.assertEqual(
            {row: r["reason"] for row, r in rejected.items()},
            {4: "unknown_register", 5: "register_other_unit", 6: "register_named_twice"},
        )
        thai, english = describe_both(rejected[4])
        self.assertIn("สอ.พช.กพ.9", thai)
        self.assertIn("สอ.พช.กพ.1, สอ.พช.กพ.2", english)
        self.assertIn("field register (LINE group)", english)
        self.assertEqual(result["summary"]["created"], 0)
        self.assertEqual(Representative.objects.filter(ended_on__isnull=True).count(), 2)
        self.assertEqual(result["details"]["leaders"], [])

    def test_a_register_led_by_someone_listed_is_not_taken_over(self) -> None:
        result = self.run_import(
            [
                [1, "100001", "นายสมชาย ใจดี", self.unit(), None, None],
                [2, "100003", "นายประเสริฐ ทองคำ", self.unit(), "2", None],
                [3, "100006", "นางสาวชูใจ ใจงาม", self.unit(), "1", None],
                [4, "100005", "นายปิติ รักไทย", self.unit(), "", None],
            ]
        )
        rejected = {r["row"]: r["reason"] for r in result["summary"]["rejected"]}
        self.assertEqual(rejected, {4: "register_led_by_listed"})
        self.register.refresh_from_db()
        self.assertEqual(self.register.representative, self.representative)
        # The representative of register 2 cannot also take register 1.
        result = self.run_import(
            [[1, "100003", "นายประเสริฐ ทองคำ", self.unit(), "1", None]],
        )
        self.assertEqual(
            [r["reason"] for r in result["summary"]["rejected"]], ["leads_another_register"]
        )
        self.register2.refresh_from_db()
        self.assertEqual(self.register2.representative, self.rep2)

    def test_a_wrong_deputy_is_a_warning_and_the_representative_is_imported(self) -> None:
        header = [*HEADER, "ชื่อผู้ช่วยผู้แทน"]
        result = self.run_import(
            [
                [1, "100001", "นายสมชาย ใจดี", self.unit(), "1", "100004", None],  # not on reg 1
                [2, "100003", "นายประเสริฐ ทองคำ", self.unit(), "2", "200001", None],  # นว
                [3, "100006", "นางสาวชูใจ ใจงาม", self.unit(), None, "100002", None],  # no register
            ],
            header=header,
        )
        self.assertEqual(result["summary"]["rejected"], [])
        warnings = {w["row"]: w["reason"] for w in result["details"]["warnings"]}
        self.assertEqual(
            warnings,
            {2: "deputy_not_in_register", 3: "deputy_unknown", 4: "deputy_needs_register"},
        )
        thai, english = describe_both(
            next(w for w in result["details"]["warnings"] if w["row"] == 3)
        )
        self.assertIn("200001", english)
        self.assertNotIn("วิชัย", thai + english)  # another unit's member is not named
        self.assertIn("field deputy representative", english)
        self.assertIsNone(Register.objects.get(pk=self.register.pk).deputy)
        self.assertTrue(Representative.objects.filter(member=self.m6, ended_on=None).exists())
        result = self.run_import(
            [[1, "100001", "นายสมชาย ใจดี", self.unit(), "1", "100002", "นายมานี มีสุข"]],
            header=header,
        )
        self.assertEqual(
            [w["reason"] for w in result["details"]["warnings"]], ["deputy_name_mismatch"]
        )
        self.assertIsNone(Register.objects.get(pk=self.register.pk).deputy)

    def test_the_preview_lists_successors_and_deputies_and_confirming_applies_them(self) -> None:
        data = xlsx_bytes(
            {
                "ผู้แทน": [
                    HEADER,
                    [1, "100003", "นายประเสริฐ ทองคำ", self.unit(), "สอ.พช.กพ.2", None],
                    [2, "100006", "นางสาวชูใจ ใจงาม", self.unit(), "สอ.พช.กพ.1", "100002"],
                ]
            }
        )
        self.login_as(self.agent)
        upload = io.BytesIO(data)
        upload.name = "ผู้แทน.xlsx"
        response = self.client.post("/members/import/", {"kind": "representatives", "file": upload})
        self.assertEqual(response.status_code, 302)
        page = self.client.get(response["Location"]).content.decode()
        self.assertIn('data-table="leaders"', page)
        self.assertIn('data-leader="successor"', page)
        self.assertIn("นางสาวชูใจ ใจงาม", page)
        self.register.refresh_from_db()
        self.assertEqual(self.register.representative, self.representative)  # not yet
        commit = self.client.post(response["Location"] + "commit/", {})
        self.assertEqual(commit.status_code, 302)
        self.register.refresh_from_db()
        self.assertEqual(self.register.representative.member, self.m6)  # type: ignore[union-attr]
        self.assertEqual(self.register.deputy, self.in_register)


class RepresentativesTemplateTestCase(BaseTestCase):
    def test_the_exported_list_is_the_template_and_imports_unchanged(self) -> None:
        url = "/registers/representatives.xlsx"
        self.login_as(self.agent)
        self.assertIn(url, self.client.get("/registers/plan/").content.decode())
        self.assertIn(url, self.client.get("/members/import/").content.decode())
        Representative.objects.create(
            member=self.b_member,
            unit=self.unit_b,
            term_start=dt.date(2026, 1, 1),
            term_end=dt.date(2029, 12, 31),
        )
        for refused in (self.rep_user, self.board, self.member_user):
            self.login_as(refused)
            self.assertEqual(self.client.get(url).status_code, 403)
        self.login_as(self.agent)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(
            AuditEvent.objects.filter(
                action="registers.representatives_exported",
                actor_id=self.agent.pk,
                kind=AuditEvent.Kind.ACCESS,
            ).exists()
        )
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        rows = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        header = next(r for r in rows if r and "เลขทะเบียนสมาชิก" in r)
        self.assertIn("กลุ่มไลน์", header)
        self.assertIn("ผู้ช่วยผู้แทน", header)
        data = [r for r in rows if r and "สอ.พช.กพ.1" in r]
        self.assertEqual(len(data), 1)
        self.assertIn("100001", data[0])
        self.assertFalse(any(r and "200001" in r for r in rows))  # another unit
        self.login_as(self.staff)
        everyone = openpyxl.load_workbook(io.BytesIO(self.client.get(url).content))
        cells = [c for r in everyone.worksheets[0].iter_rows(values_only=True) for c in r]
        self.assertIn("200001", cells)
        self.login_as(self.staff)
        everyone = openpyxl.load_workbook(io.BytesIO(self.client.get(url).content))
        cells = [c for r in everyone.worksheets[0].iter_rows(values_only=True) for c in r]
        self.assertIn("200001", cells)
        outcome = representative_import_file(
            data=response.content, file_name="export.xlsx", actor=self.staff
        )
        self.assertEqual(outcome.summary["rejected"], [])
        self.assertEqual(outcome.summary["warnings"], [])
        self.assertEqual(outcome.summary["unchanged"], 1)
        self.assertEqual(outcome.details["leaders"], [])
