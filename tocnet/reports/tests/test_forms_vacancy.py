"""Issue #14 item 1: a vacant register says so on attachment 3 (.xlsx and PDF) and the forms
page, and its form still goes out and comes back like any other."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tocnet.core.pdf import decompose_sara_am
from tocnet.members.models import ImportJob
from tocnet.registers.leaders import register_vacate
from tocnet.reports.forms_io import layout as L
from tocnet.reports.forms_io.export import attachment3_build, attachment3_pdf, attachment3_xlsx
from tocnet.reports.forms_io.importing import form_upload_preview, job_plan
from tocnet.reports.tests.builders import add_member, add_register
from tocnet.testing import BaseTestCase

VACANT_TH = "ว่าง — ต้องการผู้แทนคนใหม่"


class VacantFormTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.second_rep = add_member(cls.unit_a)
        cls.register_2 = add_register(cls.unit_a, 2, [cls.second_rep, cls.a_not_in_register])
        register_vacate(register=cls.register_2, reason="resigned", actor=cls.staff)

    def test_the_xlsx_marks_the_vacant_register_and_only_it(self) -> None:
        form = attachment3_build(unit=self.unit_a, user=self.agent)
        self.assertEqual([s.vacant for s in form.sections], [False, True])
        wb = load_workbook(io.BytesIO(attachment3_xlsx(form)))
        led, vacant = wb["สอ.พช.กพ.1"], wb["สอ.พช.กพ.2"]
        self.assertEqual(led["B4"].value, self.rep_member.full_name)
        self.assertEqual(vacant["B4"].value, VACANT_TH)
        self.assertTrue(vacant["B4"].font.bold)
        self.assertIsNone(vacant["F4"].value)  # no departed representative's number
        # The register keeps its name and its members on the form.
        self.assertEqual(vacant["H3"].value, "สอ.พช.กพ.2")
        numbers = {
            str(row[1].value)
            for row in vacant.iter_rows(min_row=L.TABLE_HEADER_ROW + 1)
            if row[1].value and str(row[1].value).isdigit()
        }
        # (the one who stopped leading it is still a member of it)
        self.assertEqual(numbers, {self.second_rep.number, self.a_not_in_register.number})
        # The signature line is left blank for whoever will lead it, not the flag.
        texts = [str(c.value) for row in vacant.iter_rows() for c in row if c.value]
        self.assertFalse(any(t.startswith("(") and VACANT_TH in t for t in texts))

    def test_a_returned_vacant_form_reads_back(self) -> None:
        data = attachment3_xlsx(attachment3_build(unit=self.unit_a, user=self.agent))
        job = form_upload_preview(
            unit=self.unit_a, actor=self.agent, data=data, file_name="attachment3-กพ.xlsx"
        )
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        plan = job_plan(job)
        self.assertEqual((plan.changes, plan.problems), ([], []))

    @pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
    def test_the_pdf_marks_the_vacant_register(self) -> None:
        pdf = attachment3_pdf(attachment3_build(unit=self.unit_a, user=self.agent))
        text = subprocess.run(
            ["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        pages = text.split("\f")
        self.assertNotIn(decompose_sara_am(VACANT_TH), pages[0])
        self.assertIn(decompose_sara_am(VACANT_TH), pages[1])

    def test_the_forms_page_names_the_vacancy(self) -> None:
        self.login_as(self.agent)
        page = self.client.get(reverse("reports:forms")).content.decode()
        self.assertIn("ทะเบียนว่าง — ต้องการผู้แทนคนใหม่ (1)", page)
