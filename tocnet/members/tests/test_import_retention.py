"""Personal data an import keeps: national IDs never in clear in a job, previews expire."""

import datetime as dt
import json

import time_machine
from django.test import TestCase, override_settings
from django.urls import reverse

from tocnet.core.models import AuditEvent
from tocnet.members.importing.messages import describe
from tocnet.members.importing.services import (
    import_job_validate,
    import_previews_expire,
    member_import_commit,
)
from tocnet.members.models import ImportJob, Member
from tocnet.members.tasks import import_previews_expire_task
from tocnet.testing import BaseTestCase

from .import_builders import xlsx_bytes

VALID = "1101700230708"  # checksum-valid test number
TYPO = "1101700230706"  # one digit off: a real person's ID with a typo
HEADER = ["เลขทะเบียนสมาชิก", "คำนำหน้า", "ชื่อ", "นามสกุล", "หน่วยงาน", "เลขประจำตัวประชาชน"]
TAK = "สำนักงานพัฒนาชุมชนจังหวัดตาก"


def national_id_file() -> bytes:
    return xlsx_bytes(
        {
            "สมาชิก": [
                HEADER,
                ["300001", "นาย", "ก", "ข", TAK, VALID],
                ["300002", "นาย", "ค", "ง", TAK, "1-1017-00230-70-6"],  # TYPO, with dashes
            ]
        }
    )


class NationalIdRetentionTestCase(TestCase):
    def test_a_preview_holds_no_national_id_in_clear_and_the_commit_still_stores_it(
        self,
    ) -> None:
        job = import_job_validate(
            kind="members", data=national_id_file(), file_name="m.xlsx", actor="test"
        )
        stored = json.dumps(ImportJob.objects.get(pk=job.pk).result, ensure_ascii=False)
        for secret in (VALID, TYPO, "1-1017-00230-70-6", VALID[:9]):
            self.assertNotIn(secret, stored)
        warning = job.result["summary"]["warnings"][0]
        self.assertEqual((warning["row"], warning["reason"]), (3, "bad_national_id"))
        shown = job.result["preview"]["warnings"][0]
        self.assertEqual(shown["value"], "x-xxxx-xxxxx-70-6")
        self.assertIn("x-xxxx-xxxxx-70-6", describe(shown, language="en"))  # as pages show it

        member_import_commit(job=job, actor="test")
        self.assertEqual(Member.objects.get(number="300001").national_id, VALID)
        self.assertEqual(Member.objects.get(number="300002").national_id, "")
        job.refresh_from_db()
        text = json.dumps([job.result, job.summary], ensure_ascii=False)
        self.assertNotIn(VALID, text)
        events = json.dumps(list(AuditEvent.objects.values("changes")), ensure_ascii=False)
        self.assertNotIn(VALID, events)

    def test_a_preview_sealed_under_another_secret_key_cannot_be_committed(self) -> None:
        with override_settings(SECRET_KEY="another-key-" + "x" * 40):
            job = import_job_validate(
                kind="members", data=national_id_file(), file_name="m.xlsx", actor="test"
            )
        from tocnet.members.importing.services import ImportStateError

        with self.assertRaises(ImportStateError):
            member_import_commit(job=job, actor="test")
        self.assertFalse(Member.objects.exists())
        job.refresh_from_db()
        self.assertEqual(job.status, ImportJob.Status.PREVIEW)  # rolled back with the rest

    def test_the_old_key_still_opens_a_preview_after_a_key_rotation(self) -> None:
        old = "old-key-" + "y" * 40
        with override_settings(SECRET_KEY=old):
            job = import_job_validate(
                kind="members", data=national_id_file(), file_name="m.xlsx", actor="test"
            )
        with override_settings(SECRET_KEY="new-key-" + "z" * 40, SECRET_KEY_FALLBACKS=[old]):
            member_import_commit(job=job, actor="test")
        self.assertEqual(Member.objects.get(number="300001").national_id, VALID)


class SealedPreviewWebTestCase(BaseTestCase):
    def test_a_preview_that_no_longer_opens_asks_for_the_file_again(self) -> None:
        with override_settings(SECRET_KEY="rotated-away-" + "k" * 40):
            job = import_job_validate(
                kind="members", data=national_id_file(), file_name="m.xlsx", actor=self.staff
            )
        self.login_as(self.staff)
        response = self.client.post(reverse("members:import_commit", args=[job.code]), follow=True)
        self.assertContains(response, "กรุณาอัปโหลดไฟล์อีกครั้ง")
        self.assertFalse(Member.objects.filter(number="300001").exists())


class PreviewExpiryTestCase(TestCase):
    def validate(self) -> ImportJob:
        return import_job_validate(
            kind="members", data=national_id_file(), file_name="m.xlsx", actor="test"
        )

    def test_previews_older_than_seven_days_are_discarded_with_their_rows(self) -> None:
        start = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
        with time_machine.travel(start, tick=False):
            old = self.validate()
            committed = self.validate()
            member_import_commit(job=committed, actor="test")
        with time_machine.travel(start + dt.timedelta(days=2), tick=False):
            recent = self.validate()
        with time_machine.travel(start + dt.timedelta(days=7, minutes=1), tick=False):
            import_previews_expire_task.call_local()
        old.refresh_from_db()
        self.assertEqual(old.status, ImportJob.Status.DISCARDED)
        self.assertEqual(old.result, {})
        self.assertEqual(old.summary["created"], 2)  # the counts stay for the history
        recent.refresh_from_db()
        self.assertEqual(recent.status, ImportJob.Status.PREVIEW)
        self.assertIn("parsed", recent.result)
        committed.refresh_from_db()
        self.assertEqual(committed.status, ImportJob.Status.COMMITTED)
        self.assertIn("details", committed.result)
        self.assertEqual(
            list(AuditEvent.objects.filter(action="import.expire").values_list("target_id")),
            [(str(old.code),)],
        )
        with time_machine.travel(start + dt.timedelta(days=7, minutes=2), tick=False):
            self.assertEqual(import_previews_expire(), 0)  # nothing left to do
