"""Attachment 3 out and back in: export, edit with openpyxl, upload, preview, apply, conflicts."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import tempfile
import zipfile

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from tocnet.core.models import AuditEvent
from tocnet.core.pdf import decompose_sara_am
from tocnet.members.models import ImportJob, Member
from tocnet.members.services import ContactChange, member_contact_update
from tocnet.registers.models import Register
from tocnet.reports.forms_io import layout as L
from tocnet.reports.forms_io.export import (
    ExportNotAllowed,
    attachment2_xlsx,
    attachment3_build,
    attachment3_pdf,
    attachment3_xlsx,
    forms_zip,
)
from tocnet.reports.forms_io.importing import (
    form_upload_apply,
    form_upload_preview,
    job_plan,
)
from tocnet.reports.forms_io.reading import FormUploadError
from tocnet.reports.models import MemberFormReport, UnitSubmission
from tocnet.reports.tests.builders import add_member, add_register, verify_group
from tocnet.testing import BaseTestCase

EXPORTED = dt.datetime(2021, 6, 1, 3, 0, tzinfo=dt.UTC)


def _sheet_rows(ws) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Member number -> row index of an attachment 3 sheet."""
    out = {}
    for row in ws.iter_rows(min_row=L.TABLE_HEADER_ROW + 1):
        if row[1].value and str(row[1].value).isdigit():
            out[str(row[1].value)] = row[0].row
    return out


class Attachment3RoundTripTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        verify_group(cls.register, seen=[cls.in_register])
        cls.formula = add_member(cls.unit_a, email='=HYPERLINK("http://x")@example.com')
        cls.changed_in_system = add_member(cls.unit_a, email="old@example.com")
        cls.register_2 = add_register(
            cls.unit_a, 2, [cls.a_not_in_register, cls.formula, cls.changed_in_system]
        )
        # Everything existed before the form was exported.
        before = EXPORTED - dt.timedelta(days=30)
        Member.objects.update(updated_at=before)
        Register.objects.update(updated_at=before)

    def _export(self) -> bytes:
        with time_machine.travel(EXPORTED, tick=False):
            form = attachment3_build(unit=self.unit_a, user=self.agent)
            return attachment3_xlsx(form)

    def test_it_exports_one_sheet_per_register_with_header_and_stamp(self) -> None:
        wb = load_workbook(io.BytesIO(self._export()))
        self.assertEqual(wb.sheetnames, ["สอ.พช.กพ.1", "สอ.พช.กพ.2", L.META_SHEET])
        self.assertEqual(wb[L.META_SHEET].sheet_state, "hidden")
        ws = wb["สอ.พช.กพ.1"]
        self.assertEqual(ws["A1"].value, "แบบฟอร์มทะเบียนรายชื่อสมาชิก (เอกสารแนบ 3)")
        self.assertEqual(ws["A2"].value, "สหกรณ์ออมทรัพย์กรมการพัฒนาชุมชน จำกัด")
        self.assertEqual(ws["A3"].value, "หน่วยงาน")
        self.assertIn("(กพ)", ws["B3"].value)
        self.assertEqual((ws["E3"].value, ws["F3"].value), ("ทะเบียนที่", "1"))
        self.assertIn(
            L.normalise_label(ws["G3"].value), L.label_variants(L.HEADER_FIELDS["line_group_name"])
        )
        self.assertTrue(ws["G3"].value.startswith("ชื่อกลุ่ม"))
        self.assertEqual(ws["H3"].value, "สอ.พช.กพ.1")
        self.assertEqual(ws["B4"].value, self.rep_member.full_name)
        self.assertEqual(ws["F4"].value, self.rep_member.number)
        self.assertEqual(ws["H4"].value, "081-000-0001")
        self.assertEqual(ws["F5"].value, "1 มิ.ย. 2564")
        header = [c.value for c in ws[L.TABLE_HEADER_ROW]]
        self.assertEqual(
            header,
            ["ลำดับ", "เลขทะเบียนสมาชิก", "ชื่อ-สกุล", "สังกัด/อำเภอ", "โทรศัพท์มือถือ",
             "อีเมล", "ใช้ LINE", "อยู่ในกลุ่มแล้ว", "หมายเหตุ"],
        )  # fmt: skip
        rows = _sheet_rows(ws)
        self.assertEqual(set(rows), {self.rep_member.number, self.in_register.number})
        seen_row = rows[self.in_register.number]
        self.assertEqual(ws.cell(seen_row, 7).value, "ใช่")  # uses LINE
        self.assertEqual(ws.cell(seen_row, 8).value, "ใช่")  # seen in the verified group
        signatures = [c.value for row in ws.iter_rows() for c in row if c.value]
        self.assertTrue(any(str(v).startswith("ลงชื่อ") for v in signatures))

    def test_it_never_writes_formulas(self) -> None:
        data = self._export()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            xml = "".join(
                zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/worksheets/")
            )
        self.assertNotIn("<f>", xml)
        ws = load_workbook(io.BytesIO(data))["สอ.พช.กพ.2"]
        row = _sheet_rows(ws)[self.formula.number]
        self.assertEqual(ws.cell(row, 6).data_type, "s")
        self.assertEqual(ws.cell(row, 6).value, self.formula.email)

    def test_it_exports_only_own_registers_for_a_representative(self) -> None:
        form = attachment3_build(unit=self.unit_a, user=self.rep_user)
        self.assertEqual([s.register_name for s in form.sections], ["สอ.พช.กพ.1"])
        with self.assertRaises(ExportNotAllowed):
            attachment3_build(unit=self.unit_b, user=self.agent)
        with self.assertRaises(ExportNotAllowed):
            attachment3_build(unit=self.unit_a, user=self.board)
        with self.assertRaises(ExportNotAllowed):
            attachment2_xlsx(unit=self.unit_a, user=self.rep_user)

    def test_attachment2_lists_every_active_member(self) -> None:
        ws = load_workbook(io.BytesIO(attachment2_xlsx(unit=self.unit_a, user=self.agent))).active
        numbers = {str(r[1]) for r in ws.iter_rows(min_row=5, values_only=True) if r[1]}
        expected = set(
            Member.objects.filter(unit=self.unit_a, status=Member.Status.ACTIVE).values_list(
                "number", flat=True
            )
        )
        self.assertEqual(numbers, expected)

    def test_zip_has_a_file_per_unit(self) -> None:
        data = forms_zip(units=[self.unit_a, self.unit_b], user=None, fmt="xlsx")
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        self.assertEqual(
            names,
            {"attachment3-กพ.xlsx", "attachment2-กพ.xlsx", "attachment3-นว.xlsx",
             "attachment2-นว.xlsx"},
        )  # fmt: skip

    def test_it_round_trips_with_conflicts_shown_and_nothing_lost(self) -> None:
        data = self._export()
        # After the export, someone changes a member's e-mail in the system.
        with time_machine.travel(EXPORTED + dt.timedelta(days=2), tick=False):
            member_contact_update(
                member=self.changed_in_system,
                actor=self.staff,
                change=ContactChange(
                    phones="0891000099", email="new@example.com", line_id="",
                    no_line=False, unreachable_reason="",
                ),
            )  # fmt: skip
        # The unit fills the form in.
        wb = load_workbook(io.BytesIO(data))
        ws1, ws2 = wb["สอ.พช.กพ.1"], wb["สอ.พช.กพ.2"]
        rows1, rows2 = _sheet_rows(ws1), _sheet_rows(ws2)
        ws1.cell(rows1[self.rep_member.number], 5).value = "089-123-4567"
        ws1.cell(rows1[self.rep_member.number], 9).value = "ผู้แทนคนใหม่ปี 2565"
        ws2.cell(rows2[self.changed_in_system.number], 6).value = "form@example.com"
        ws2.cell(rows2[self.a_not_in_register.number], 7).value = "ไม่ใช่"
        ws2.cell(rows2[self.a_not_in_register.number], 8).value = "ไม่ใช่"
        # A row added at the very bottom, below the signature lines, is still read.
        extra = ws2.max_row + 2
        ws2.cell(extra, 1).value = 99
        ws2.cell(extra, 2).value = "999999"
        ws2.cell(extra, 3).value = "นายไม่มี ในทะเบียน"
        ws2.cell(extra + 1, 3).value = "นางไม่มี เลขทะเบียน"
        ws2.cell(extra + 1, 5).value = "0812223333"
        buffer = io.BytesIO()
        wb.save(buffer)

        with time_machine.travel(EXPORTED + dt.timedelta(days=3), tick=False):
            job = form_upload_preview(
                unit=self.unit_a, actor=self.agent, data=buffer.getvalue(), file_name="กพ.xlsx"
            )
        self.assertEqual(job.kind, ImportJob.Kind.FORM)
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        plan = job_plan(job)
        changes = {c.key: c for c in plan.changes}
        self.assertEqual(
            set(changes),
            {f"{self.rep_member.number}:phones", f"{self.changed_in_system.number}:email",
             f"{self.changed_in_system.number}:phones", f"{self.a_not_in_register.number}:no_line"},
        )  # fmt: skip
        # The form still carries the old phone and a new e-mail; the system changed both
        # after the export: both are conflicts.
        self.assertTrue(changes[f"{self.changed_in_system.number}:email"].conflict)
        self.assertTrue(changes[f"{self.changed_in_system.number}:phones"].conflict)
        self.assertFalse(changes[f"{self.rep_member.number}:phones"].conflict)
        self.assertEqual(
            [(p.code, p.params.get("number") or p.params.get("name")) for p in plan.problems],
            [("missing_number", "นางไม่มี เลขทะเบียน"), ("not_in_unit", "999999")],
        )
        self.assertEqual(
            UnitSubmission.objects.get(unit=self.unit_a).status, UnitSubmission.Status.IN_PROGRESS
        )
        # Nothing changed yet.
        self.changed_in_system.refresh_from_db()
        self.assertEqual(self.changed_in_system.email, "new@example.com")

        events_before = AuditEvent.objects.count()
        job = form_upload_apply(job=job, actor=self.agent)
        self.assertEqual(job.status, ImportJob.Status.COMMITTED)
        self.assertEqual(
            sorted(job.result["conflicts_kept"]),
            [f"{self.changed_in_system.number}:email", f"{self.changed_in_system.number}:phones"],
        )
        self.assertEqual(job.result["unknown_members"], ["999999"])
        self.changed_in_system.refresh_from_db()
        self.assertEqual(self.changed_in_system.email, "new@example.com")  # not overwritten
        self.assertEqual(
            list(self.rep_member.phones.values_list("e164", flat=True)), ["+66891234567"]
        )
        self.a_not_in_register.refresh_from_db()
        self.assertTrue(self.a_not_in_register.no_line)
        report = MemberFormReport.objects.get(member=self.a_not_in_register)
        self.assertIs(report.in_group, False)
        self.assertEqual(
            MemberFormReport.objects.get(member=self.rep_member).note, "ผู้แทนคนใหม่ปี 2565"
        )
        self.assertGreater(AuditEvent.objects.count(), events_before)
        self.assertTrue(
            AuditEvent.objects.filter(
                action="member.contact_updated", target_id=str(self.rep_member.code)
            ).exists()
        )
        # Applying twice changes nothing more.
        count = AuditEvent.objects.count()
        form_upload_apply(job=job, actor=self.agent)
        self.assertEqual(AuditEvent.objects.count(), count)

        # A second upload of the same file where the person accepts the conflict.
        job2 = form_upload_preview(
            unit=self.unit_a, actor=self.agent, data=buffer.getvalue(), file_name="กพ.xlsx"
        )
        key = f"{self.changed_in_system.number}:email"
        self.assertEqual(
            sorted(c.key for c in job_plan(job2).conflicts),
            [key, f"{self.changed_in_system.number}:phones"],
        )
        form_upload_apply(job=job2, actor=self.agent, accept_conflicts=[key])
        self.changed_in_system.refresh_from_db()
        self.assertEqual(self.changed_in_system.email, "form@example.com")
        self.assertEqual(
            list(self.changed_in_system.phones.values_list("e164", flat=True)), ["+66891000099"]
        )

    def test_a_remark_on_an_unreachable_member_becomes_the_reason(self) -> None:
        lost = add_member(self.unit_a, phone=False)
        add_register(self.unit_a, 3, [lost], with_rep=False)
        Member.objects.update(updated_at=EXPORTED - dt.timedelta(days=30))
        wb = load_workbook(io.BytesIO(self._export()))
        ws = wb.worksheets[2]
        ws.cell(_sheet_rows(ws)[lost.number], 9).value = "ย้ายไปต่างประเทศ ติดต่อไม่ได้"
        ws1 = wb.worksheets[0]
        ws1.cell(_sheet_rows(ws1)[self.in_register.number], 9).value = "มี LINE แล้ว"
        buffer = io.BytesIO()
        wb.save(buffer)
        job = form_upload_preview(
            unit=self.unit_a, actor=self.agent, data=buffer.getvalue(), file_name="f.xlsx"
        )
        self.assertEqual(
            [c.key for c in job_plan(job).changes], [f"{lost.number}:unreachable_reason"]
        )
        form_upload_apply(job=job, actor=self.agent)
        lost.refresh_from_db()
        self.assertEqual(lost.unreachable_reason, "ย้ายไปต่างประเทศ ติดต่อไม่ได้")
        self.in_register.refresh_from_db()
        self.assertEqual(self.in_register.unreachable_reason, "")

    def test_it_updates_the_group_name_through_the_parser(self) -> None:
        Register.objects.filter(pk=self.register_2.pk).update(line_group_name="")
        data = self._export()
        wb = load_workbook(io.BytesIO(data))
        wb.worksheets[1]["H3"].value = "สอ พช กพ ๒"
        wb["สอ.พช.กพ.1"]["H3"].value = "สอ.พช.กพ.7"
        buffer = io.BytesIO()
        wb.save(buffer)
        job = form_upload_preview(
            unit=self.unit_a, actor=self.agent, data=buffer.getvalue(), file_name="f.xlsx"
        )
        plan = job_plan(job)
        self.assertEqual(
            [(c["form"], c["conflict"]) for c in plan.register_changes], [("สอ.พช.กพ.2", False)]
        )
        self.assertEqual([p.code for p in plan.problems], ["bad_group_name"])
        form_upload_apply(job=job, actor=self.agent)
        self.register_2.refresh_from_db()
        self.assertEqual(self.register_2.line_group_name, "สอ.พช.กพ.2")
        self.register.refresh_from_db()
        self.assertEqual(self.register.line_group_name, "สอ.พช.กพ.1")

    def test_it_refuses_outsiders_other_units_and_unstamped_files(self) -> None:
        data = self._export()
        with self.assertRaises(FormUploadError) as ctx:
            form_upload_preview(unit=self.unit_a, actor=self.board, data=data, file_name="f.xlsx")
        self.assertEqual(ctx.exception.code, "not_allowed")
        with self.assertRaises(FormUploadError) as ctx:
            form_upload_preview(unit=self.unit_b, actor=self.staff, data=data, file_name="f.xlsx")
        self.assertEqual(ctx.exception.code, "other_unit")
        wb = load_workbook(io.BytesIO(data))
        del wb[L.META_SHEET]
        buffer = io.BytesIO()
        wb.save(buffer)
        with self.assertRaises(FormUploadError) as ctx:
            form_upload_preview(
                unit=self.unit_a, actor=self.agent, data=buffer.getvalue(), file_name="f.xlsx"
            )
        self.assertEqual(ctx.exception.code, "no_stamp")
        self.assertFalse(ImportJob.objects.exists())

    def test_a_representative_changes_only_their_register(self) -> None:
        data = self._export()
        wb = load_workbook(io.BytesIO(data))
        ws2 = wb["สอ.พช.กพ.2"]
        ws2.cell(_sheet_rows(ws2)[self.formula.number], 6).value = "rep@example.com"
        ws1 = wb["สอ.พช.กพ.1"]
        ws1.cell(_sheet_rows(ws1)[self.in_register.number], 6).value = "mine@example.com"
        buffer = io.BytesIO()
        wb.save(buffer)
        job = form_upload_preview(
            unit=self.unit_a, actor=self.rep_user, data=buffer.getvalue(), file_name="f.xlsx"
        )
        plan = job_plan(job)
        self.assertEqual([c.key for c in plan.changes], [f"{self.in_register.number}:email"])
        self.assertIn("out_of_scope", {p.code for p in plan.problems})
        form_upload_apply(job=job, actor=self.rep_user)
        self.formula.refresh_from_db()
        self.assertNotEqual(self.formula.email, "rep@example.com")


def _fold(text: str) -> str:
    """Thai text as the PDF's text layer spells it (sara am as nikhahit + sara aa)."""
    return decompose_sara_am(text)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
class Attachment3PdfTestCase(BaseTestCase):
    def test_it_renders_thai_text_sections_and_page_numbers(self) -> None:
        verify_group(self.register, seen=[self.in_register])
        add_register(self.unit_a, 2, [self.a_not_in_register])
        form = attachment3_build(unit=self.unit_a, user=self.agent)
        pdf = attachment3_pdf(form)
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = subprocess.run(
            ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        self.assertIn("แบบฟอร์มทะเบียนรายชื่อสมาชิก", text)
        self.assertIn(_fold("สหกรณ์ออมทรัพย์กรมการพัฒนาชุมชน จำกัด"), text)
        self.assertIn("TOC-Net", text)
        self.assertIn("สอ.พช.กพ.2", text)
        for member in (self.rep_member, self.in_register, self.a_not_in_register):
            self.assertIn(member.number, text)
            self.assertIn(_fold(member.full_name), text)
        self.assertIn(_fold(self.unit_a.name), text)
        self.assertIn("หน้า 1/2", text)
        self.assertIn("หน้า 2/2", text)
        self.assertIn("ลงชื่อ", text)
        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            fonts = subprocess.run(
                ["pdffonts", handle.name], capture_output=True, check=True
            ).stdout.decode()
        self.assertIn("Sarabun", fonts)
        self.assertIn(
            timezone.localdate().year + 543, [int(w) for w in text.split() if w.isdigit()]
        )


class ExportFormsCommandTestCase(BaseTestCase):
    def test_it_writes_files_and_logs_access(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            out = io.StringIO()
            call_command(
                "export_forms", "--unit", "กพ", "--format", "xlsx", "--out", folder, stdout=out
            )
            self.assertEqual(
                sorted(os.listdir(folder)), ["attachment2-กพ.xlsx", "attachment3-กพ.xlsx"]
            )
            self.assertIn("2 files written", out.getvalue())
            call_command(
                "export_forms", "--unit", "นว", "--format", "pdf", "--out", folder, stdout=out
            )
            with open(os.path.join(folder, "attachment3-นว.pdf"), "rb") as handle:
                self.assertEqual(handle.read(4), b"%PDF")
        event = AuditEvent.objects.filter(action="reports.forms_exported").first()
        self.assertIsNotNone(event)
        self.assertEqual(event.kind, AuditEvent.Kind.ACCESS)
        self.assertEqual(event.actor_repr, "command line")
