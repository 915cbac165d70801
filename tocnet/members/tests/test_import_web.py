"""Import pages: preview then commit as staff, agents kept to their units, error report."""

import io
import json
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from openpyxl import load_workbook

from tocnet.core.models import AuditEvent
from tocnet.members.models import ImportJob, Member, Representative, Unit, UnitAgent
from tocnet.testing import BaseTestCase

from .import_builders import MEMBER_HEADER, member_row, xlsx_bytes

KP = "สำนักงานพัฒนาชุมชนจังหวัดกำแพงเพชร"
NW = "สำนักงานพัฒนาชุมชนจังหวัดนครสวรรค์"


class ImportWebTestCase(BaseTestCase):
    def upload(self, data: bytes, name: str = "members.xlsx", kind: str = "members"):  # type: ignore[no-untyped-def]
        return self.client.post(
            reverse("members:import_upload"),
            {"kind": kind, "file": SimpleUploadedFile(name, data)},
        )

    def members_file(self, *rows: list[object]) -> bytes:
        return xlsx_bytes({"สมาชิก": [["บัญชีรายชื่อสมาชิก"], MEMBER_HEADER, *rows]})

    def test_it_previews_then_commits_as_staff(self) -> None:
        self.login_as(self.staff)
        data = self.members_file(
            member_row("300001", unit=KP, email='=HYPERLINK("http://x")'),
            member_row("300002", unit="ศพช.กำแพงเพชร"),
            member_row(
                "100003", first="ประเสริฐ", last="ทองคำ", unit="จ.กำแพงเพชร", phone="0899999999"
            ),
            member_row("", unit=KP),
        )
        response = self.upload(data)
        job = ImportJob.objects.get()
        self.assertRedirects(response, reverse("members:import_detail", args=[job.code]))
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        self.assertFalse(Member.objects.filter(number__in=["300001", "300002"]).exists())

        page = self.client.get(reverse("members:import_detail", args=[job.code]))
        self.assertContains(page, 'data-count="rows_read"')
        self.assertTrue(
            AuditEvent.objects.filter(
                action="import.view", actor=self.staff, target_id=str(job.code)
            ).exists()
        )
        self.assertEqual(
            (job.summary["rows_read"], job.summary["created"], job.summary["updated"]), (4, 1, 1)
        )
        self.assertContains(page, 'data-reason="missing_number"')
        self.assertContains(page, 'data-reason="bad_email"')
        self.assertContains(page, 'data-unknown-unit="ศพช.กำแพงเพชร"')
        # Members of กพ missing from the file are listed, never deleted.
        self.assertEqual(job.summary["not_in_file"], 2)
        self.assertContains(page, self.rep_member.number)

        response = self.client.post(
            reverse("members:import_commit", args=[job.code]), {"unit_0": "create"}
        )
        self.assertRedirects(response, reverse("members:import_detail", args=[job.code]))
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.COMMITTED)
        self.assertEqual((job.summary["created"], job.summary["updated"]), (2, 1))
        centre = Unit.objects.get(abbreviation="ศพช.กพ")
        self.assertEqual(centre.kind, Unit.Kind.CENTRE)
        self.assertEqual(Member.objects.get(number="300002").unit, centre)
        self.assertEqual(
            list(self.a_not_in_register.phones.values_list("e164", flat=True)), ["+66899999999"]
        )
        self.assertTrue(Member.objects.filter(number=self.rep_member.number).exists())
        self.assertTrue(AuditEvent.objects.filter(action="import.commit_members").exists())
        self.assertEqual(AuditEvent.objects.filter(action="member.import_create").count(), 2)

        # The error report: every rejected and warned row; formula-like text stays text.
        report = self.client.get(reverse("members:import_errors", args=[job.code]))
        self.assertEqual(report.status_code, 200)
        self.assertIn("errors-members.xlsx", report["Content-Disposition"])
        sheet = load_workbook(io.BytesIO(report.content)).active
        header = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
        self.assertEqual(len(header), 7)  # Thai only: no code column, no English column
        rows = list(sheet.iter_rows(min_row=3))
        self.assertEqual(len(rows), 2)  # the bad e-mail and the missing member number
        self.assertEqual(rows[0][3].value, "อีเมล")
        for row in rows:
            self.assertRegex(row[5].value, "[ก-๙]")
        value_cell = rows[0][6]
        self.assertEqual(value_cell.value, '=HYPERLINK("http://x")')
        self.assertEqual(value_cell.data_type, "s")
        self.assertTrue(value_cell.quotePrefix)
        self.assertTrue(AuditEvent.objects.filter(action="import.error_report").exists())

        # Confirming twice does nothing more.
        self.client.post(reverse("members:import_commit", args=[job.code]), {"unit_0": "create"})
        self.assertEqual(AuditEvent.objects.filter(action="member.import_create").count(), 2)

        history = self.client.get(reverse("members:import_list"))
        self.assertContains(history, f'data-job="{job.code}"')

    def test_an_agent_cannot_import_rows_of_another_unit(self) -> None:
        self.login_as(self.agent)  # agent of กพ only
        data = self.members_file(
            member_row("300001", unit=KP),
            member_row("300002", unit=NW),
            member_row(self.b_member.number, first="วิชัย", last="บุญมา", unit=KP),
        )
        self.upload(data)
        job = ImportJob.objects.get()
        self.assertEqual(job.unit, self.unit_a)
        self.assertEqual(
            [(r["row"], r["reason"]) for r in job.result["summary"]["rejected"]],
            # 300001 is used by nobody, b_member's number by another unit: the same answer
            # (issue #10 item 4: creating one and refusing the other revealed which exist).
            [(3, "not_a_member_here"), (4, "not_a_member_here"), (5, "not_a_member_here")],
        )
        response = self.client.post(reverse("members:import_commit", args=[job.code]), {})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Member.objects.filter(number="300001").exists())
        self.assertFalse(Member.objects.filter(number="300002").exists())
        self.b_member.refresh_from_db()
        self.assertEqual(self.b_member.unit, self.unit_b)

    def test_an_agent_cannot_create_units_or_see_other_jobs(self) -> None:
        self.login_as(self.staff)
        self.upload(self.members_file(member_row("300001", unit=NW)))
        staff_job = ImportJob.objects.get()
        self.login_as(self.agent)
        for name in ("import_detail", "import_errors"):
            with self.subTest(url=name):
                response = self.client.get(reverse(f"members:{name}", args=[staff_job.code]))
                self.assertEqual(response.status_code, 404)
        response = self.client.post(reverse("members:import_commit", args=[staff_job.code]))
        self.assertEqual(response.status_code, 404)
        self.assertNotContains(self.client.get(reverse("members:import_list")), str(staff_job.code))

        self.upload(self.members_file(member_row("300003", unit="ศพช.กำแพงเพชร")))
        job = ImportJob.objects.get(uploaded_by=self.agent)
        page = self.client.get(reverse("members:import_detail", args=[job.code]))
        self.assertNotContains(page, 'value="create"')
        self.client.post(reverse("members:import_commit", args=[job.code]), {"unit_0": "create"})
        self.assertFalse(Unit.objects.filter(abbreviation="ศพช.กพ").exists())
        self.assertFalse(Member.objects.filter(number="300003").exists())

    def test_only_staff_and_agents_may_import(self) -> None:
        url = reverse("members:import_upload")
        for persona, user in self.personas().items():
            self.login_as(user)
            with self.subTest(persona=persona):
                expected = 200 if persona in ("staff", "agent") else 403
                self.assertEqual(self.client.get(url).status_code, expected)
                if expected == 403:
                    self.assertEqual(
                        self.upload(self.members_file(member_row("1"))).status_code, 403
                    )
        self.assertFalse(
            ImportJob.objects.exclude(uploaded_by__in=[self.staff, self.agent]).exists()
        )
        self.client.logout()
        self.assertEqual(self.client.get(url).status_code, 302)

    def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_stored(self) -> None:
        self.login_as(self.staff)
        response = self.upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo.xlsx")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "data-file-error", status_code=400)
        with self.settings(IMPORT_MAX_BYTES=1000):
            response = self.upload(self.members_file(*[member_row(str(n)) for n in range(1, 50)]))
        self.assertEqual(response.status_code, 400)
        self.assertFalse(ImportJob.objects.exists())
        self.assertFalse(AuditEvent.objects.exists())

    def test_an_upload_over_the_limit_is_cut_off_and_refused_with_its_size(self) -> None:
        self.login_as(self.staff)
        data = self.members_file(member_row("300001", unit=KP)) + b"\0" * (3 * 2**20 // 2)
        with self.settings(IMPORT_MAX_BYTES=2**20, FILE_UPLOAD_MAX_MEMORY_SIZE=64 * 1024):
            response = self.upload(data)
        self.assertContains(response, "ไฟล์มีขนาด 1.5 MB เกินขีดจำกัด 1 MB", status_code=400)
        self.assertFalse(ImportJob.objects.exists())

    def test_a_clash_with_another_import_writes_nothing_and_can_be_retried(self) -> None:
        self.login_as(self.staff)
        self.upload(self.members_file(member_row("300001", unit=KP)))
        job = ImportJob.objects.get()
        url = reverse("members:import_commit", args=[job.code])
        # The job is claimed, then the write fails: the claim must roll back with it.
        with mock.patch(
            "tocnet.members.importing.services.apply_members",
            autospec=True,
            side_effect=IntegrityError("UNIQUE constraint failed: members_member.number"),
        ):
            response = self.client.post(url, follow=True)
        self.assertContains(response, "msg-error")
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        self.client.post(url)
        self.assertTrue(Member.objects.filter(number="300001").exists())

    def test_discard_leaves_the_register_alone(self) -> None:
        self.login_as(self.staff)
        self.upload(self.members_file(member_row("300001", unit=KP)))
        job = ImportJob.objects.get()
        self.client.post(reverse("members:import_discard", args=[job.code]))
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.DISCARDED)
        self.client.post(reverse("members:import_commit", args=[job.code]))
        self.assertFalse(Member.objects.filter(number="300001").exists())

    def test_representatives_through_the_web(self) -> None:
        self.login_as(self.staff)
        data = xlsx_bytes(
            {
                "ผู้แทน": [
                    ["ลำดับ", "เลขทะเบียนสมาชิก", "ชื่อ-สกุล", "หน่วยงาน"],
                    [1, self.a_not_in_register.number, "นายประเสริฐ ทองคำ", KP],
                    [2, self.b_member.number, "นายวิชัย บุญมา", KP],
                ]
            }
        )
        self.upload(data, "reps.xlsx", kind="representatives")
        job = ImportJob.objects.get()
        self.assertEqual([r["reason"] for r in job.result["summary"]["rejected"]], ["wrong_unit"])
        self.assertEqual(job.summary["not_in_file"], 1)  # the current กพ representative
        response = self.client.post(
            reverse("members:import_commit", args=[job.code]),
            {"term_start": "01/01/2565", "term_end": "31/12/2568"},
        )
        self.assertEqual(response.status_code, 302)
        new = Representative.objects.get(member=self.a_not_in_register)
        self.assertEqual((new.term_start.year, new.term_end.year), (2022, 2025))
        self.representative.refresh_from_db()
        self.assertIsNotNone(self.representative.ended_on)

    def test_a_returned_form_job_is_not_reachable_through_the_member_import_pages(self) -> None:
        # Returned attachment 3 forms (tocnet.reports) are ImportJobs too, with another result.
        job = ImportJob.objects.create(
            kind=ImportJob.Kind.FORM,
            file_name="form.xlsx",
            uploaded_by=self.agent,
            unit=self.unit_a,
            result={"plan": {}},
        )
        self.login_as(self.agent)
        self.client.raise_request_exception = False
        for name in ("import_detail", "import_errors"):
            with self.subTest(url=name):
                response = self.client.get(reverse(f"members:{name}", args=[job.code]))
                self.assertEqual(response.status_code, 404)
        for name in ("import_commit", "import_discard"):
            with self.subTest(url=name):
                response = self.client.post(reverse(f"members:{name}", args=[job.code]))
                self.assertEqual(response.status_code, 404)
        self.assertNotContains(self.client.get(reverse("members:import_list")), str(job.code))
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)


class ImportScopeLeakTestCase(BaseTestCase):
    """An agent learns nothing about a member outside their units: not the unit, not the name,
    not even whether the number exists (one reason, built from the file's own values)."""

    def upload(self, rows: list[list[object]], kind: str) -> ImportJob:
        header = (
            ["ลำดับ", "เลขทะเบียนสมาชิก", "ชื่อ-สกุล", "หน่วยงาน"]
            if kind == "representatives"
            else MEMBER_HEADER
        )
        data = xlsx_bytes({"รายชื่อ": [header, *rows]})
        self.client.post(
            reverse("members:import_upload"),
            {"kind": kind, "file": SimpleUploadedFile("list.xlsx", data)},
        )
        return ImportJob.objects.get(uploaded_by=self.agent, kind=kind)

    def assert_nothing_of_b(self, job: ImportJob) -> None:
        secrets = [self.unit_b.name, self.b_member.full_name]
        stored = json.dumps([job.result, job.summary], ensure_ascii=False)
        page = self.client.get(reverse("members:import_detail", args=[job.code]))
        report = self.client.get(reverse("members:import_errors", args=[job.code]))
        cells = " ".join(
            str(cell.value)
            for row in load_workbook(io.BytesIO(report.content)).active.iter_rows()
            for cell in row
        )
        for secret in secrets:
            with self.subTest(secret=secret):
                self.assertNotIn(secret, stored)
                self.assertNotContains(page, secret)
                self.assertNotIn(secret, cells)
        events = AuditEvent.objects.filter(target_id=str(job.code))
        self.assertFalse(
            any(s in json.dumps(e.changes, ensure_ascii=False) for e in events for s in secrets)
        )

    def test_a_representatives_list_never_tells_an_agent_another_units_member(self) -> None:
        self.login_as(self.agent)  # agent of กพ only
        for row in (
            [1, self.b_member.number, "", ""],  # unit cell blank: was "out_of_scope (นว)"
            [1, self.b_member.number, "", KP],  # the agent's unit: was "wrong_unit (นว)"
            [1, self.b_member.number, "", NW],  # the right unit, not theirs
            [1, "299999", "", KP],  # no such member at all: the same answer
        ):
            with self.subTest(row=row):
                ImportJob.objects.all().delete()
                job = self.upload([row], "representatives")
                rejected = job.result["summary"]["rejected"]
                self.assertEqual([r["reason"] for r in rejected], ["not_a_member_here"])
                if NW not in row:  # otherwise the file itself names นว
                    self.assert_nothing_of_b(job)

    def test_a_member_list_never_tells_an_agent_of_several_units_another_units_member(
        self,
    ) -> None:
        UnitAgent.objects.create(unit=Unit.objects.get(abbreviation="ตก"), user=self.agent)
        self.login_as(self.agent)  # agent of กพ and ตก: no default unit for a blank cell
        row = member_row(self.b_member.number, first="", last="", unit="")
        job = self.upload([row], "members")
        self.assertEqual(
            [(r["row"], r["reason"]) for r in job.result["summary"]["rejected"]],
            [(2, "not_a_member_here")],
        )
        self.assert_nothing_of_b(job)
        self.client.post(reverse("members:import_commit", args=[job.code]))
        self.b_member.refresh_from_db()
        self.assertEqual(self.b_member.unit, self.unit_b)

    def test_staff_keep_the_precise_wrong_unit_message(self) -> None:
        self.login_as(self.staff)
        data = xlsx_bytes(
            {
                "ผู้แทน": [
                    ["ลำดับ", "เลขทะเบียนสมาชิก", "ชื่อ-สกุล", "หน่วยงาน"],
                    [1, self.b_member.number, "", KP],
                ]
            }
        )
        self.client.post(
            reverse("members:import_upload"),
            {"kind": "representatives", "file": SimpleUploadedFile("r.xlsx", data)},
        )
        job = ImportJob.objects.get()
        page = self.client.get(reverse("members:import_detail", args=[job.code]))
        self.assertContains(page, 'data-reason="wrong_unit"')
        self.assertContains(page, self.unit_b.name)
