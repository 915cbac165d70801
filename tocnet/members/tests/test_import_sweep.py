"""An upload whose background reading never ended (the worker was killed) does not stay
"being read" for ever: the sweep fails it with a message and removes the kept file."""

import datetime as dt
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tocnet.members.importing.services import import_jobs_sweep
from tocnet.members.models import ImportJob
from tocnet.testing import BaseTestCase

from .import_builders import MEMBER_HEADER, member_row, xlsx_bytes

KP = "สำนักงานพัฒนาชุมชนจังหวัดกำแพงเพชร"


@override_settings(IMPORT_INLINE_MAX_BYTES=100, REPORT_JOB_TIME_LIMIT=1800)
class ImportSweepTestCase(BaseTestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.var = Path(folder.name)

    def upload(self) -> ImportJob:
        data = xlsx_bytes({"สมาชิก": [MEMBER_HEADER, member_row("300001", unit=KP)]})
        # The read is never run: as if the worker was killed before or while reading.
        with self.captureOnCommitCallbacks(execute=False):
            self.client.post(
                reverse("members:import_upload"),
                {"kind": "members", "file": SimpleUploadedFile("members.xlsx", data)},
            )
        return ImportJob.objects.latest("id")

    def test_it_fails_reads_that_never_ended_and_leaves_recent_ones(self) -> None:
        self.login_as(self.staff)
        with self.settings(TOCNET_VAR_DIR=self.var, VAR_DIR=self.var):
            stale, recent = self.upload(), self.upload()
            files = sorted((self.var / "uploads").iterdir())
            self.assertEqual(len(files), 2)
            self.assertEqual({stale.status, recent.status}, {ImportJob.Status.READING})
            ImportJob.objects.filter(pk=stale.pk).update(
                created_at=timezone.now() - dt.timedelta(hours=1, minutes=1)
            )
            self.assertEqual(import_jobs_sweep(), 1)
            self.assertEqual(import_jobs_sweep(), 0)  # once
            stale.refresh_from_db()
            recent.refresh_from_db()
            self.assertEqual(stale.status, ImportJob.Status.FAILED)
            self.assertEqual(recent.status, ImportJob.Status.READING)
            self.assertEqual(
                [p.name for p in (self.var / "uploads").iterdir()], [f"import-{recent.code}.bin"]
            )
            page = self.client.get(reverse("members:import_detail", args=[stale.code]))
        self.assertContains(page, stale.error)
        self.assertNotContains(page, 'hx-trigger="every')
