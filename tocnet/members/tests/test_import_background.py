"""#16: a list too large to read while the person waits is read in the background: the page
shows a progress bar htmx refreshes, then opens the preview (or says why the file failed)."""

from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from tocnet.core.models import AuditEvent
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
