"""Returned forms and exports: scope, access log, signed stamps, phones, report job retention, fonts."""

from __future__ import annotations

import datetime as dt
import io

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tocnet.core.models import AuditEvent
from tocnet.members.models import ImportJob, Member, Phone, UnitAgent
from tocnet.members.services import ContactChange, member_contact_update
from tocnet.reports.forms_io import layout as L
from tocnet.reports.forms_io.export import attachment3_build, attachment3_xlsx
from tocnet.reports.forms_io.importing import (
    form_upload_apply,
    form_upload_preview,
    in_thai_and_english,
    job_plan,
)
from tocnet.reports.forms_io.reading import FormUploadError
from tocnet.reports.models import ReportJob
from tocnet.reports.services import report_job_expire
from tocnet.reports.tasks import report_jobs_expire_task
from tocnet.reports.tests.builders import add_member, add_register
from tocnet.testing import BaseTestCase


def _edit(data: bytes, edit) -> bytes:  # type: ignore[no-untyped-def]
    wb = load_workbook(io.BytesIO(data))
    edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _add_row(number: str, name: str = "ใครก็ได้"):  # type: ignore[no-untyped-def]
    def edit(wb) -> None:  # type: ignore[no-untyped-def]
        ws = next(w for w in wb.worksheets if w.title != L.META_SHEET)
        row = ws.max_row + 2
        ws.cell(row, 1).value = 99
        ws.cell(row, 2).value = number
        ws.cell(row, 3).value = name
        ws.cell(row, 5).value = "0812223333"

    return edit


def _set_meta(key: str, value: object):  # type: ignore[no-untyped-def]
    def edit(wb) -> None:  # type: ignore[no-untyped-def]
        for r in wb[L.META_SHEET].iter_rows():
            if r[0].value == key:
                r[1].value = value

    return edit


def _row_of(ws, number: str) -> int:  # type: ignore[no-untyped-def]
    for row in ws.iter_rows(min_row=L.TABLE_HEADER_ROW + 1):
        if str(row[1].value) == number:
            return int(row[0].row)
    raise AssertionError(number)


class FormUploadScopeTestCase(BaseTestCase):
    """An upload never tells the uploader whether, or in which unit, a number exists."""

    def _problems(self, actor, numbers: list[str]):  # type: ignore[no-untyped-def]
        data = attachment3_xlsx(attachment3_build(unit=self.unit_a, user=actor))
        for number in numbers:
            data = _edit(data, _add_row(number))
        job = form_upload_preview(unit=self.unit_a, actor=actor, data=data, file_name="f.xlsx")
        return job, job_plan(job)

    def test_other_units_member_and_unknown_number_look_the_same_to_an_agent(self) -> None:
        job, plan = self._problems(self.agent, [self.b_member.number, "999999"])
        messages = [in_thai_and_english(p.message) for p in plan.problems]
        self.assertEqual([p.code for p in plan.problems], ["not_in_unit", "not_in_unit"])
        self.assertFalse(any(self.unit_b.abbreviation in m for m in messages), messages)
        # The two messages differ only by the row and number from the file.
        first, second = (p.params for p in plan.problems)
        self.assertEqual(
            messages[0].replace(self.b_member.number, "#").replace(str(first["row"]), "?"),
            messages[1].replace("999999", "#").replace(str(second["row"]), "?"),
        )
        rows = {r.number: r for r in plan.rows}
        # Names and codes of out-of-scope members are never stored: the file's values only.
        self.assertEqual(rows[self.b_member.number].name, "ใครก็ได้")
        self.assertEqual(rows[self.b_member.number].member_code, "")
        self.assertNotIn(self.b_member.last_name, str(job.summary))
        self.assertNotIn(str(self.b_member.code), str(job.summary))

    def test_a_representative_learns_nothing_about_the_rest_of_the_unit(self) -> None:
        job, plan = self._problems(
            self.rep_user, [self.a_not_in_register.number, self.b_member.number, "999999"]
        )
        self.assertEqual([p.code for p in plan.problems], ["out_of_scope"] * 3)
        self.assertNotIn(self.a_not_in_register.last_name, str(job.summary))
        self.assertNotIn(self.b_member.last_name, str(job.summary))
        # Their own members still get their names from the system.
        own = next(r for r in plan.rows if r.number == self.in_register.number)
        self.assertEqual(own.name, self.in_register.full_name)


class FormPreviewAccessLogTestCase(BaseTestCase):
    def test_the_preview_of_a_returned_form_is_logged_as_access(self) -> None:
        self.login_as(self.agent)
        data = attachment3_xlsx(attachment3_build(unit=self.unit_a, user=self.agent))
        self.client.post(
            reverse("reports:upload", args=[self.unit_a.code]),
            {"file": SimpleUploadedFile("f.xlsx", data)},
        )
        job = ImportJob.objects.get(kind=ImportJob.Kind.FORM)
        response = self.client.get(reverse("reports:upload_detail", args=[job.code]))
        self.assertEqual(response.status_code, 200)
        event = AuditEvent.objects.get(action="reports.form_upload_viewed")
        self.assertEqual(event.kind, AuditEvent.Kind.ACCESS)
        self.assertEqual(event.actor, self.agent)
        self.assertEqual(event.target_id, str(self.unit_a.code))
        self.assertEqual(event.changes["job"], str(job.code))


class FormStampTestCase(BaseTestCase):
    def _export(self) -> bytes:
        return attachment3_xlsx(attachment3_build(unit=self.unit_a, user=self.agent))

    def _upload(self, data: bytes) -> ImportJob:
        return form_upload_preview(unit=self.unit_a, actor=self.agent, data=data, file_name="f")

    def test_a_changed_or_missing_signature_is_refused_naming_the_sheet(self) -> None:
        data = self._export()
        future = (timezone.now() + dt.timedelta(days=365)).isoformat()
        for label, edit in (
            ("later time", _set_meta("exported_at", future)),
            ("no signature", _set_meta("signature", None)),
            ("made-up signature", _set_meta("signature", "x:abc")),
        ):
            with self.subTest(label), self.assertRaises(FormUploadError) as ctx:
                self._upload(_edit(data, edit))
            self.assertEqual(ctx.exception.code, "bad_stamp")
            text = in_thai_and_english(ctx.exception.message)
            self.assertIn("_tocnet", text)
            self.assertIn(" / ", text)  # Thai, then English
            self.assertIn("ชีต", text)
        self.assertFalse(ImportJob.objects.exists())

    def test_a_signed_stamp_in_the_future_counts_as_the_upload_time(self) -> None:
        # A clock running ahead at export time must not hide a change staff make between the
        # preview and the apply.
        with time_machine.travel(timezone.now() + dt.timedelta(days=30), tick=False):
            data = self._export()

        def edit(wb) -> None:  # type: ignore[no-untyped-def]
            ws = wb["สอ.พช.กพ.1"]
            ws.cell(_row_of(ws, self.in_register.number), 5).value = "0812229999"

        job = self._upload(_edit(data, edit))
        self.assertLessEqual(
            dt.datetime.fromisoformat(job.summary["form"]["exported_at"]), timezone.now()
        )
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
            member_contact_update(
                member=self.in_register,
                actor=self.staff,
                change=ContactChange(
                    phones="0891000099", email="", line_id="", no_line=False, unreachable_reason=""
                ),
            )
            job = form_upload_apply(job=job, actor=self.agent)
        self.assertEqual(job.result["conflicts_kept"], [f"{self.in_register.number}:phones"])
        self.assertEqual(
            list(self.in_register.phones.values_list("e164", flat=True)), ["+66891000099"]
        )


class FormReadCostTestCase(BaseTestCase):
    """#10 item 2: the returned-form reader judged the stamp only after loading the whole
    workbook (every sheet, every cell, in memory). Now the stamp sheet is read first and alone,
    the rest streamed under the import's row, cell and time caps."""

    def _export(self) -> bytes:
        return attachment3_xlsx(attachment3_build(unit=self.unit_a, user=self.agent))

    def _sheets_read(self, data: bytes) -> tuple[list[str], FormUploadError | None]:
        from unittest import mock

        from tocnet.members.importing import readers

        titles: list[str] = []
        real = readers._sheet_rows

        def spy(worksheet, budget):  # type: ignore[no-untyped-def]
            titles.append(worksheet.title)
            yield from real(worksheet, budget)

        error = None
        with mock.patch.object(readers, "_sheet_rows", spy):
            try:
                form_upload_preview(unit=self.unit_a, actor=self.agent, data=data, file_name="f")
            except FormUploadError as exc:
                error = exc
        return titles, error

    def test_the_stamp_is_checked_before_any_other_sheet_is_read(self) -> None:
        data = self._export()
        titles, error = self._sheets_read(data)
        self.assertIsNone(error)
        self.assertEqual(titles[0], L.META_SHEET)  # first, though the workbook keeps it last
        self.assertGreater(len(titles), 1)

        def grow(wb) -> None:  # type: ignore[no-untyped-def]
            ws = next(w for w in wb.worksheets if w.title != L.META_SHEET)
            for row in range(ws.max_row + 1, ws.max_row + 3000):
                ws.cell(row, 2).value = str(row)
            wb[L.META_SHEET]["B1"].value = "something else"  # no longer TOC-Net's stamp

        titles, error = self._sheets_read(_edit(data, grow))
        self.assertIsNotNone(error)
        assert error is not None
        self.assertIn(error.code, ("no_stamp", "bad_stamp"))
        self.assertEqual(titles, [L.META_SHEET])  # the 3,000 rows were never read

        def unstamped(wb) -> None:  # type: ignore[no-untyped-def]
            del wb[L.META_SHEET]

        titles, error = self._sheets_read(_edit(data, unstamped))
        self.assertEqual((titles, error and error.code), ([], "no_stamp"))

    def test_rows_and_time_are_capped_while_reading_in_thai(self) -> None:
        data = self._export()
        with self.settings(FORM_MAX_ROWS=5), self.assertRaises(FormUploadError) as caught:
            form_upload_preview(unit=self.unit_a, actor=self.agent, data=data, file_name="f")
        self.assertEqual(caught.exception.code, "file")
        self.assertIn("5", in_thai_and_english(caught.exception.message))

    def test_a_form_padded_with_rows_is_refused_within_the_row_cap(self) -> None:
        # A real export (signed stamp) with 6,000 rows added: refused at FORM_MAX_ROWS (5,000)
        # after reading no more than that, not at the 60,000 rows of a member list.
        from unittest import mock

        from tocnet.members.importing import readers

        def pad(wb) -> None:  # type: ignore[no-untyped-def]
            ws = next(w for w in wb.worksheets if w.title != L.META_SHEET)
            start = ws.max_row + 1
            for row in range(start, start + 6000):
                ws.cell(row, 2).value = "x"

        data = _edit(self._export(), pad)
        spent = []
        real = readers._Budget.spend

        def counting(budget, cells):  # type: ignore[no-untyped-def]
            spent.append(cells)
            return real(budget, cells)

        with (
            mock.patch.object(readers._Budget, "spend", counting),
            self.assertRaises(FormUploadError) as caught,
        ):
            form_upload_preview(unit=self.unit_a, actor=self.agent, data=data, file_name="f")
        self.assertEqual(caught.exception.code, "file")
        self.assertIn(
            "5,000", in_thai_and_english(caught.exception.message).replace("5000", "5,000")
        )
        self.assertLessEqual(len(spent), 5001)
        self.assertFalse(ImportJob.objects.exists())
        with (
            self.settings(IMPORT_MAX_SECONDS=0),
            mock_grow_rows(600),
            self.assertRaises(FormUploadError) as caught,
        ):
            form_upload_preview(unit=self.unit_a, actor=self.agent, data=data, file_name="f")
        self.assertEqual(caught.exception.code, "file")
        self.assertIn(" / ", in_thai_and_english(caught.exception.message))
        self.assertFalse(ImportJob.objects.exists())


def mock_grow_rows(count: int):  # type: ignore[no-untyped-def]
    """Each sheet read as if it went on for ``count`` more empty rows (the time check runs
    every 256 rows)."""
    from unittest import mock

    from tocnet.members.importing import readers

    real = readers._sheet_rows

    def longer(worksheet, budget):  # type: ignore[no-untyped-def]
        last = 0
        for number, values in real(worksheet, budget):
            last = number
            yield number, values
        for extra in range(1, count + 1):
            budget.spend(0)
            yield last + extra, ()

    return mock.patch.object(readers, "_sheet_rows", longer)


class FormPhonesRuleTestCase(BaseTestCase):
    """The mobile cell shows, compares and replaces the same phones (one rule)."""

    def test_a_landline_only_member_round_trips_without_phantom_changes(self) -> None:
        landline = add_member(self.unit_a, phone=False)
        Phone.objects.create(
            member=landline, raw="02-123-4567", e164="+6621234567", kind=Phone.Kind.LANDLINE
        )
        add_register(self.unit_a, 2, [landline], with_rep=False)
        data = attachment3_xlsx(attachment3_build(unit=self.unit_a, user=self.agent))
        job = form_upload_preview(unit=self.unit_a, actor=self.agent, data=data, file_name="f")
        self.assertEqual(job_plan(job).changes, [])

        def edit(wb) -> None:  # type: ignore[no-untyped-def]
            ws = wb["สอ.พช.กพ.2"]
            ws.cell(_row_of(ws, landline.number), 5).value = "081-234-5678"

        job = form_upload_preview(
            unit=self.unit_a, actor=self.agent, data=_edit(data, edit), file_name="f"
        )
        self.assertEqual([c.field for c in job_plan(job).changes], ["phones"])
        form_upload_apply(job=job, actor=self.agent)
        # The cell showed the landline; what the unit wrote there replaces it.
        self.assertEqual(
            list(Member.objects.get(pk=landline.pk).phones.values_list("e164", flat=True)),
            ["+66812345678"],
        )


class ReportJobRetentionTestCase(BaseTestCase):
    def _job(self) -> ReportJob:
        self.login_as(self.agent)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("reports:forms_pdf_zip"))
        job = ReportJob.objects.get()
        self.assertEqual(job.status, ReportJob.Status.DONE)
        return job

    def test_a_user_who_lost_a_unit_can_no_longer_download(self) -> None:
        job = self._job()
        url = reverse("reports:report_job", args=[job.code])
        self.assertEqual(self.client.get(url).status_code, 200)
        self.assertEqual(job.unit_codes, [str(self.unit_a.code)])
        # A job made before its units were listed is not served.
        ReportJob.objects.filter(pk=job.pk).update(unit_codes=[])
        self.assertEqual(self.client.get(url).status_code, 404)
        ReportJob.objects.filter(pk=job.pk).update(unit_codes=job.unit_codes)
        self.assertEqual(self.client.get(url).status_code, 200)
        UnitAgent.objects.filter(user=self.agent).delete()
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_files_older_than_seven_days_are_refused_and_emptied(self) -> None:
        job = self._job()
        url = reverse("reports:report_job", args=[job.code])
        asked = job.created_at
        ReportJob.objects.filter(pk=job.pk).update(
            created_at=asked - dt.timedelta(days=6, hours=23)
        )
        self.assertEqual(self.client.get(url).status_code, 200)
        ReportJob.objects.filter(pk=job.pk).update(
            created_at=asked - dt.timedelta(days=7, minutes=1)
        )
        self.assertEqual(self.client.get(url).status_code, 404)
        # Before the sweep has run, the page already offers no link.
        self.assertNotIn(url, self.client.get(reverse("reports:forms")).content.decode())
        ReportJob.objects.filter(pk=job.pk).update(created_at=asked)
        with time_machine.travel(asked + dt.timedelta(days=6, hours=23)):
            report_jobs_expire_task.call_local()
        job.refresh_from_db()
        self.assertEqual(job.status, ReportJob.Status.DONE)
        self.assertGreater(len(bytes(job.content)), 0)
        with time_machine.travel(asked + dt.timedelta(days=7, minutes=1)):
            report_jobs_expire_task.call_local()
            self.assertEqual(report_job_expire(), 0)  # idempotent
        job.refresh_from_db()
        self.assertEqual(bytes(job.content), b"")
        self.assertEqual(job.status, ReportJob.Status.EXPIRED)
        page = self.client.get(reverse("reports:forms")).content.decode()
        self.assertIn(f'data-job="{job.code}" data-job-status="expired"', page)
        self.assertNotIn(url, page)


class OneScopeTestCase(BaseTestCase):
    """Reports read units and registers through the members/registers selectors only."""

    def test_a_representative_without_a_register_sees_no_unit_anywhere(self) -> None:
        from tocnet.accounts.models import User
        from tocnet.members.models import Representative
        from tocnet.members.selectors import unit_list_for_user
        from tocnet.reports.forms_io.export import exportable_units
        from tocnet.reports.selectors import coverage_for_user

        user = User.objects.create_user(username="rep2", role=User.Role.REPRESENTATIVE)
        Member.objects.filter(pk=self.b_member.pk).update(user=user)
        Representative.objects.create(
            member=self.b_member,
            unit=self.unit_b,
            term_start=dt.date(2018, 1, 1),
            term_end=dt.date(2030, 12, 31),
        )
        self.assertFalse(unit_list_for_user(user).exists())
        self.assertFalse(exportable_units(user).exists())
        self.assertEqual(coverage_for_user(user).units, [])
        # The representative who leads a register sees that register's unit, everywhere alike.
        for units in (unit_list_for_user(self.rep_user), exportable_units(self.rep_user)):
            self.assertEqual(list(units), [self.unit_a])

    def test_exports_follow_the_shared_unit_scope(self) -> None:
        from tocnet.members.selectors import unit_list_for_user
        from tocnet.reports.forms_io.export import exportable_units

        for name, user in self.personas().items():
            with self.subTest(persona=name):
                expected = (
                    set()
                    if name == "board"
                    else set(unit_list_for_user(user).values_list("pk", flat=True))  # type: ignore[arg-type]
                )
                self.assertEqual(
                    set(exportable_units(user).values_list("pk", flat=True)),  # type: ignore[arg-type]
                    expected,
                )


class FormFontTestCase(BaseTestCase):
    def test_the_xlsx_forms_are_in_sarabun_throughout(self) -> None:
        from tocnet.reports.forms_io.export import attachment2_xlsx

        for label, data in (
            (
                "attachment 3",
                attachment3_xlsx(attachment3_build(unit=self.unit_a, user=self.agent)),
            ),
            ("attachment 2", attachment2_xlsx(unit=self.unit_a, user=self.agent)),
        ):
            with self.subTest(label):
                wb = load_workbook(io.BytesIO(data))
                ws = wb.worksheets[0]
                cells = [c for row in ws.iter_rows() for c in row if c.value not in (None, "")]
                self.assertTrue(any(c.font.b for c in cells))  # headers are bold ...
                self.assertEqual({c.font.name for c in cells}, {"Sarabun"})  # ... in Sarabun too
                self.assertEqual({f.name for f in wb._fonts}, {"Sarabun"})
