"""#16: a list too large to read while the person waits is read in the background: the page
shows a progress bar htmx refreshes, then opens the preview (or says why the file failed)."""

from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from tocnet.core.models import AuditEvent
from tocnet.core.progress import (
    CHECKING,
    READING,
    WRITING,
    progress_clear,
    progress_read,
    progress_write,
)
from tocnet.members.importing.services import progress_key
from tocnet.members.models import ImportJob, Member
from tocnet.testing import BaseTestCase

from .import_builders import MEMBER_HEADER, member_row, xlsx_bytes

KP = "สำนักงานพัฒนาชุมชนจังหวัดกำแพงเพชร"
HX = {"HX-Request": "true"}


@override_settings(IMPORT_INLINE_MAX_BYTES=100)
class BackgroundImportTestCase(BaseTestCase):
    def _upload(self, data: bytes, name: str = "members.xlsx") -> tuple[object, list[object]]:
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            response = self.client.post(
                reverse("members:import_upload"),
                {"kind": "members", "file": SimpleUploadedFile(name, data)},
            )
        return response, callbacks

    def test_a_large_list_is_read_in_the_background_then_previewed(self) -> None:
        self.login_as(self.staff)
        data = xlsx_bytes(
            {"สมาชิก": [MEMBER_HEADER, member_row("300001", unit=KP), member_row("300002", unit=KP)]}
        )
        self.assertGreater(len(data), settings.IMPORT_INLINE_MAX_BYTES)
        response, callbacks = self._upload(data)
        job = ImportJob.objects.get()
        detail = reverse("members:import_detail", args=[job.code])
        self.assertRedirects(response, detail, fetch_redirect_response=False)
        self.assertEqual(job.status, ImportJob.Status.READING)
        stored = Path(settings.VAR_DIR) / "uploads" / f"import-{job.code}.bin"
        self.assertEqual(stored.read_bytes(), data)
        self.assertEqual(stored.stat().st_mode & 0o777, 0o600)
        # The page, in the site's frame: a progress bar that polls every 2 s.
        page = self.client.get(detail).content.decode()
        self.assertIn('<nav class="nav"', page)
        self.assertIn('data-progress="reading"', page)
        self.assertIn('hx-trigger="every 2s"', page)
        self.assertNotIn('data-count="rows_read"', page)
        poll = self.client.get(detail + "?wait=1", headers=HX)
        self.assertNotIn("<html", poll.content.decode())
        self.assertIn('data-import-reading="', poll.content.decode())
        for callback in callbacks:
            callback()  # the slow queue's worker reads the file
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        self.assertEqual((job.summary["rows_read"], job.summary["created"]), (2, 2))
        self.assertFalse(stored.exists())  # the upload is not kept once read
        self.assertTrue(
            AuditEvent.objects.filter(action="import.validate", target_id=str(job.code)).exists()
        )
        # The next poll sends the browser to the preview; nothing was imported yet.
        done = self.client.get(detail + "?wait=1", headers=HX)
        self.assertEqual(done.status_code, 204)
        self.assertEqual(done["HX-Redirect"], detail)
        self.assertContains(self.client.get(detail), 'data-count="rows_read"')
        self.assertFalse(Member.objects.filter(number="300001").exists())
        # Someone else cannot follow it.
        self.login_as(self.rep_user)
        self.assertIn(self.client.get(detail).status_code, (403, 404))

    def test_a_file_that_cannot_be_read_says_why_on_the_page(self) -> None:
        self.login_as(self.agent)
        _response, callbacks = self._upload(b"not a workbook " * 20, name="members.xlsx")
        job = ImportJob.objects.get()
        for callback in callbacks:
            callback()
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.FAILED)
        self.assertTrue(job.error)
        page = self.client.get(reverse("members:import_detail", args=[job.code]))
        self.assertContains(page, "data-import-error")
        self.assertContains(page, job.error)
        self.assertContains(page, reverse("members:import_upload"))

    def test_a_small_list_is_still_previewed_at_once(self) -> None:
        self.login_as(self.staff)
        data = xlsx_bytes({"สมาชิก": [MEMBER_HEADER, member_row("300001", unit=KP)]})
        with override_settings(IMPORT_INLINE_MAX_BYTES=len(data)):
            self._upload(data)
        self.assertEqual(ImportJob.objects.get().status, ImportJob.Status.PREVIEW)


def _recording_progress() -> tuple[list[tuple[str, int, int | None]], object]:
    """Every progress record a job writes (still written to the file as usual)."""
    from tocnet.core import progress as progress_module

    seen: list[tuple[str, int, int | None]] = []
    real = progress_module.progress_write

    def record(key: str, *, stage: str, done: int, total: int | None) -> None:
        seen.append((stage, done, total))
        real(key, stage=stage, done=done, total=total)

    patches = mock.patch.multiple(progress_module, progress_write=record, WRITE_INTERVAL=0)
    return seen, patches


@override_settings(IMPORT_INLINE_MAX_BYTES=100)
class BackgroundImportCommitTestCase(BaseTestCase):
    """#16.3 (d, e): a list read in the background is also written in the background once
    confirmed; both phases count rows on the page ("row 300 of 603"); a failure writes
    nothing and brings the preview back with the reason in Thai (and English)."""

    ROWS = 300

    def _previewed(self) -> ImportJob:
        self.login_as(self.staff)
        rows = [member_row(f"4{n:05d}", unit=KP) for n in range(1, self.ROWS + 1)]
        data = xlsx_bytes({"สมาชิก": [MEMBER_HEADER, *rows]})
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            self.client.post(
                reverse("members:import_upload"),
                {"kind": "members", "file": SimpleUploadedFile("big.xlsx", data)},
            )
        job = ImportJob.objects.get()
        seen, recording = _recording_progress()
        with recording:
            for callback in callbacks:
                callback()  # the worker reads the file
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        # (e) Reading counted the rows against the sheet's size, then checking them.
        read = [(done, total) for stage, done, total in seen if stage == READING]
        self.assertIn((256, self.ROWS + 1), read)
        self.assertEqual(read[-1], (self.ROWS + 1, self.ROWS + 1))
        self.assertIn((CHECKING, 256, self.ROWS), seen)
        self.assertIsNone(progress_read(progress_key(job)))  # removed once read
        return job

    def _confirm(self, job: ImportJob) -> list:  # type: ignore[type-arg]
        detail = reverse("members:import_detail", args=[job.code])
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            response = self.client.post(reverse("members:import_commit", args=[job.code]))
        self.assertRedirects(response, detail, fetch_redirect_response=False)
        return callbacks

    def test_the_reading_page_shows_the_rows_counted(self) -> None:
        self.login_as(self.staff)
        data = xlsx_bytes({"สมาชิก": [MEMBER_HEADER, member_row("300001", unit=KP)]})
        with self.captureOnCommitCallbacks(execute=False):
            self.client.post(
                reverse("members:import_upload"),
                {"kind": "members", "file": SimpleUploadedFile("m.xlsx", data)},
            )
        job = ImportJob.objects.get()
        detail = reverse("members:import_detail", args=[job.code])
        progress_write(progress_key(job), stage=READING, done=3200, total=10700)
        poll = self.client.get(detail + "?wait=1", headers=HX).content.decode()
        self.assertIn('data-progress="3200/10700"', poll)
        self.assertIn("อ่านแล้วแถวที่ 3,200 จาก 10,700", poll)
        progress_write(progress_key(job), stage=CHECKING, done=512, total=10669)
        page = self.client.get(detail).content.decode()
        self.assertIn("ตรวจกับทะเบียนแล้วแถวที่ 512 จาก 10,669", page)
        progress_write(progress_key(job), stage=READING, done=768, total=None)
        self.assertContains(self.client.get(detail), "อ่านแล้ว 768 แถว")
        progress_clear(progress_key(job))
        (Path(settings.VAR_DIR) / "uploads" / f"import-{job.code}.bin").unlink()  # never read

    def test_a_confirmed_large_list_is_written_by_a_job_with_counts(self) -> None:
        job = self._previewed()
        detail = reverse("members:import_detail", args=[job.code])
        callbacks = self._confirm(job)
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.APPLYING)
        self.assertEqual(job.summary["commit"]["actor"], self.staff.pk)
        self.assertFalse(Member.objects.filter(number__startswith="4").exists())
        page = self.client.get(detail).content.decode()
        self.assertIn('<nav class="nav"', page)
        self.assertIn('hx-trigger="every 2s"', page)
        self.assertIn('data-import-status="applying"', page)
        self.assertIn("กำลังบันทึกลงทะเบียน", page)
        # Confirming twice does not start a second write.
        again = self.client.post(reverse("members:import_commit", args=[job.code]))
        self.assertRedirects(again, detail, fetch_redirect_response=False)
        seen, recording = _recording_progress()
        with recording:
            for callback in callbacks:
                callback()  # the slow queue's worker
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.COMMITTED)
        self.assertEqual(Member.objects.filter(number__startswith="4").count(), self.ROWS)
        self.assertEqual(job.summary["created"], self.ROWS)
        self.assertNotIn("commit", job.summary)  # the counts only, once written
        self.assertIn((CHECKING, 256, self.ROWS), seen)
        self.assertEqual(seen[-1], (WRITING, self.ROWS, self.ROWS))
        self.assertIsNone(progress_read(progress_key(job)))
        commit = AuditEvent.objects.get(action="import.commit_members", target_id=str(job.code))
        self.assertEqual(commit.actor, self.staff)
        self.assertEqual(
            AuditEvent.objects.filter(action="member.import_create").count(), self.ROWS
        )
        done = self.client.get(detail + "?wait=1", headers=HX)
        self.assertEqual((done.status_code, done["HX-Redirect"]), (204, detail))
        self.assertContains(self.client.get(detail), 'data-status="committed"')

    def test_a_failed_write_changes_nothing_and_says_why_in_thai(self) -> None:
        from tocnet.members.importing import services

        job = self._previewed()
        callbacks = self._confirm(job)
        members, events = Member.objects.count(), AuditEvent.objects.count()
        real = services.apply_members

        def write_then_fail(*args: object, **kwargs: object) -> None:
            real(*args, **kwargs)  # type: ignore[arg-type]
            raise RuntimeError("disk full")

        with mock.patch.object(services, "apply_members", write_then_fail):
            for callback in callbacks:
                callback()
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        self.assertIsNone(job.committed_at)
        self.assertIn("นำเข้าไม่สำเร็จ ไม่มีการบันทึกข้อมูลใด ๆ", job.error)
        self.assertNotIn("commit", job.summary)
        self.assertIn("nothing was written", job.error)
        self.assertEqual((Member.objects.count(), AuditEvent.objects.count()), (members, events))
        self.assertIsNone(progress_read(progress_key(job)))
        page = self.client.get(reverse("members:import_detail", args=[job.code]))
        self.assertContains(page, "data-import-error")
        self.assertContains(page, "นำเข้าไม่สำเร็จ")
        self.assertContains(page, reverse("members:import_commit", args=[job.code]))
        # Confirmed again, it is written.
        for callback in self._confirm(job):
            callback()
        job.refresh_from_db()
        self.assertEqual((job.status, job.error), (ImportJob.Status.COMMITTED, ""))
        self.assertEqual(Member.objects.filter(number__startswith="4").count(), self.ROWS)

    def test_a_write_whose_worker_died_returns_to_the_preview(self) -> None:
        import datetime as dt

        from django.utils import timezone

        from tocnet.members.importing.services import import_jobs_sweep

        job = self._previewed()
        self._confirm(job)  # the worker never runs
        later = timezone.now() + dt.timedelta(hours=3)
        self.assertEqual(import_jobs_sweep(now=later), 1)
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        self.assertIn("นำเข้าไม่สำเร็จ", job.error)
        self.assertFalse(Member.objects.filter(number__startswith="4").exists())


@override_settings(IMPORT_INLINE_MAX_BYTES=100)
class BackgroundRepresentativesImportTestCase(BaseTestCase):
    """#10 item 2: a representatives list read and written in the background counts its rows
    at every stage as a member list does (reading, checking, then the representatives
    written), so its page shows "row 256 of 300" rather than a bar without numbers."""

    ROWS = 300

    def test_a_large_representatives_list_counts_every_stage(self) -> None:
        from tocnet.core.progress import APPOINTING, progress_label
        from tocnet.members.models import Representative

        members = Member.objects.bulk_create(
            [
                Member(number=f"5{n:05d}", unit=self.unit_a, first_name="ผู้แทน", last_name=f"ที่{n}")
                for n in range(1, self.ROWS + 1)
            ]
        )
        header = ["ลำดับ", "เลขทะเบียนสมาชิก", "ชื่อ-สกุล", "หน่วยงาน"]
        rows = [
            [n, m.number, f"{m.first_name} {m.last_name}", self.unit_a.name]
            for n, m in enumerate(members, start=1)
        ]
        data = xlsx_bytes({"ผู้แทน": [header, *rows]})
        self.login_as(self.staff)
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            self.client.post(
                reverse("members:import_upload"),
                {"kind": "representatives", "file": SimpleUploadedFile("reps.xlsx", data)},
            )
        job = ImportJob.objects.get()
        self.assertEqual(job.status, ImportJob.Status.READING)
        seen, recording = _recording_progress()
        with recording:
            for callback in callbacks:
                callback()  # the slow queue reads the list
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.PREVIEW, job.error)
        self.assertIn((READING, 256, self.ROWS + 1), seen)
        self.assertIn((CHECKING, 256, self.ROWS), seen)
        self.assertEqual(seen[-1], (CHECKING, self.ROWS, self.ROWS))

        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            self.client.post(reverse("members:import_commit", args=[job.code]))
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.APPLYING)
        seen, recording = _recording_progress()
        with recording:
            for callback in callbacks:
                callback()  # the slow queue writes it
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.COMMITTED, job.error)
        self.assertEqual(
            Representative.objects.filter(
                member__number__startswith="5", ended_on__isnull=True
            ).count(),
            self.ROWS,
        )
        self.assertIn((CHECKING, 256, self.ROWS), seen)
        appointed = [(done, total) for stage, done, total in seen if stage == APPOINTING]
        self.assertEqual(appointed[0], (1, appointed[0][1]))
        self.assertEqual(appointed[-1][0], appointed[-1][1])
        self.assertGreaterEqual(appointed[-1][1], self.ROWS)
        self.assertEqual(len(appointed), appointed[-1][1])  # every one counted
        # What the page says while it writes.
        progress_write(progress_key(job), stage=APPOINTING, done=120, total=self.ROWS)
        label = progress_label(progress_read(progress_key(job)))
        self.assertIn("120", label)
        self.assertIn("300", label)
        progress_clear(progress_key(job))
