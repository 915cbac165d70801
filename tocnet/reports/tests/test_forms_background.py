"""#16.3 (a): a returned attachment 3 of a large unit is applied in the background: the page
counts the rows applied and updates itself; a failure changes nothing and brings the preview
back with the reason in Thai (and English)."""

from __future__ import annotations

from unittest import mock

from django.test import override_settings
from django.urls import reverse

from tocnet.core.models import AuditEvent
from tocnet.core.progress import APPLYING, progress_read, progress_write
from tocnet.members.importing.services import progress_key
from tocnet.members.models import ImportJob
from tocnet.reports.forms_io import importing
from tocnet.reports.models import MemberFormReport
from tocnet.reports.tests.builders import TwoRegistersTestCase

HX = {"HX-Request": "true"}


@override_settings(FORM_APPLY_INLINE_MAX_ROWS=1)
class BackgroundFormApplyTestCase(TwoRegistersTestCase):
    def _uploaded_form(self) -> ImportJob:
        """The agent downloads the unit's form, fills in an e-mail and "no LINE" for one
        member, and uploads it: a preview."""
        self.upload_filled_form({"F8": "new.mail@example.com", "G8": "ไม่ใช่"})  # G: uses LINE
        job = ImportJob.objects.get(kind=ImportJob.Kind.FORM)
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        self.assertGreater(len(job.summary["plan"]["rows"]), 1)  # over the (test) limit
        return job

    def _apply(self, job: ImportJob) -> list:  # type: ignore[type-arg]
        url = reverse("reports:upload_detail", args=[job.code])
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            response = self.client.post(url)
        self.assertRedirects(response, url, fetch_redirect_response=False)
        return callbacks

    def test_a_large_form_is_applied_by_a_job_with_a_row_count(self) -> None:
        job = self._uploaded_form()
        url = reverse("reports:upload_detail", args=[job.code])
        callbacks = self._apply(job)
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.APPLYING)
        self.assertEqual(job.result["commit"]["actor"], self.agent.pk)
        self.a_not_in_register.refresh_from_db()
        self.assertEqual(self.a_not_in_register.email, "")  # nothing yet
        # The page, in the site's frame and in Thai: a bar htmx refreshes every 2 s.
        page = self.client.get(url).content.decode()
        self.assertIn('<nav class="nav"', page)
        self.assertIn('hx-trigger="every 2s"', page)
        self.assertIn('data-progress="applying"', page)
        self.assertIn("กำลังบันทึกลงทะเบียน", page)
        # The worker has counted: the bar shows the rows.
        total = len(job.summary["plan"]["rows"])
        progress_write(progress_key(job), stage=APPLYING, done=1, total=total)
        poll = self.client.get(url + "?wait=1", headers=HX).content.decode()
        self.assertNotIn("<html", poll)
        self.assertIn(f'data-progress="1/{total}"', poll)
        self.assertIn(f"บันทึกแบบฟอร์มแล้วแถวที่ 1 จาก {total}", poll)
        for callback in callbacks:
            callback()  # the slow queue's worker
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.COMMITTED)
        self.assertIsNone(progress_read(progress_key(job)))  # the count is removed
        # The same result as applying in the request.
        self.a_not_in_register.refresh_from_db()
        self.assertEqual(self.a_not_in_register.email, "new.mail@example.com")
        self.assertTrue(self.a_not_in_register.no_line)
        self.assertIs(MemberFormReport.objects.get(member=self.a_not_in_register).uses_line, False)
        self.assertIn(f"{self.a_not_in_register.number}:email", job.result["applied"])
        self.assertTrue(
            AuditEvent.objects.filter(
                action="form.applied", actor=self.agent, changes__job=str(job.code)
            ).exists()
        )
        # The next poll sends the browser to the result.
        done = self.client.get(url + "?wait=1", headers=HX)
        self.assertEqual((done.status_code, done["HX-Redirect"]), (204, url))
        self.assertContains(self.client.get(url), 'id="result"')
        # Posting again changes nothing (already applied).
        self.assertEqual(self._apply(job), [])

    def test_a_failed_job_changes_nothing_and_says_why_in_thai(self) -> None:
        job = self._uploaded_form()
        url = reverse("reports:upload_detail", args=[job.code])
        callbacks = self._apply(job)
        events = AuditEvent.objects.count()
        # The member rows are written, then the register step fails: all is rolled back.
        with mock.patch.object(
            importing, "_apply_register_changes", side_effect=RuntimeError("disk full")
        ):
            for callback in callbacks:
                callback()
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        self.assertIsNone(job.committed_at)
        self.assertIn("บันทึกแบบฟอร์มไม่สำเร็จ ไม่มีการเปลี่ยนแปลงข้อมูลใด ๆ", job.error)
        self.assertIn("nothing was changed", job.error)  # and in English
        self.a_not_in_register.refresh_from_db()
        self.assertEqual(self.a_not_in_register.email, "")
        self.assertFalse(MemberFormReport.objects.exists())
        self.assertEqual(AuditEvent.objects.count(), events)
        self.assertIsNone(progress_read(progress_key(job)))
        # The preview is back, with the reason and the button to try again.
        page = self.client.get(url).content.decode()
        self.assertIn("data-apply-error", page)
        self.assertIn("บันทึกแบบฟอร์มไม่สำเร็จ", page)
        self.assertIn("data-apply", page)
        for callback in self._apply(job):
            callback()
        job.refresh_from_db()
        self.assertEqual((job.status, job.error), (ImportJob.Status.COMMITTED, ""))
        self.a_not_in_register.refresh_from_db()
        self.assertEqual(self.a_not_in_register.email, "new.mail@example.com")

    def test_a_person_who_lost_the_unit_meanwhile_changes_nothing(self) -> None:
        job = self._uploaded_form()
        callbacks = self._apply(job)
        self.agent.unit_links.all().delete()
        for callback in callbacks:
            callback()
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)
        self.assertIn("คุณไม่มีสิทธิ์อัปโหลดแบบฟอร์มของหน่วยงานนี้", job.error)
        self.a_not_in_register.refresh_from_db()
        self.assertEqual(self.a_not_in_register.email, "")
