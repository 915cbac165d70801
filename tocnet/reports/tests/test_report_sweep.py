"""Issue #10 item 7: report jobs whose worker died are swept; slow jobs have their own queue."""

import datetime as dt
from unittest import mock

from django.utils import timezone

from tocnet.reports.models import ReportJob
from tocnet.reports.services import report_jobs_sweep
from tocnet.testing import BaseTestCase


class ReportSweepTestCase(BaseTestCase):
    def job(self, status: str, minutes_ago: int, attempts: int) -> ReportJob:
        job = ReportJob.objects.create(
            kind=ReportJob.Kind.FORMS_XLSX_ZIP, requested_by=self.staff, status=status
        )
        started = timezone.now() - dt.timedelta(minutes=minutes_ago)
        ReportJob.objects.filter(pk=job.pk).update(
            started_at=started, attempts=attempts, created_at=started
        )
        return job

    def test_a_job_whose_worker_died_is_retried_once_then_failed(self) -> None:
        stale = self.job(ReportJob.Status.RUNNING, 31, attempts=1)
        again = self.job(ReportJob.Status.RUNNING, 31, attempts=2)
        fresh = self.job(ReportJob.Status.RUNNING, 5, attempts=1)
        done = self.job(ReportJob.Status.DONE, 90, attempts=1)
        with (
            mock.patch("tocnet.reports.tasks.report_job_run_task") as enqueue,
            self.captureOnCommitCallbacks(execute=True),
        ):
            counts = report_jobs_sweep()
        self.assertEqual(counts, {"retried": 1, "failed": 1})
        enqueue.assert_called_once_with(stale.pk)
        statuses = dict(ReportJob.objects.values_list("pk", "status"))
        self.assertEqual(
            [statuses[j.pk] for j in (stale, again, fresh, done)],
            ["pending", "failed", "running", "done"],
        )
        self.assertIn("ไม่เสร็จ", ReportJob.objects.get(pk=again.pk).error)
        # Running the sweep again changes nothing more.
        with mock.patch("tocnet.reports.tasks.report_job_run_task") as enqueue:
            self.assertEqual(report_jobs_sweep(), {"retried": 0, "failed": 0})

    def test_a_lost_enqueue_is_picked_up(self) -> None:
        waiting = self.job(ReportJob.Status.PENDING, 40, attempts=0)
        ReportJob.objects.filter(pk=waiting.pk).update(started_at=None)
        with (
            mock.patch("tocnet.reports.tasks.report_job_run_task") as enqueue,
            self.captureOnCommitCallbacks(execute=True),
        ):
            self.assertEqual(report_jobs_sweep(), {"retried": 1, "failed": 0})
        enqueue.assert_called_once_with(waiting.pk)

    def test_reports_run_on_their_own_queue_apart_from_webhooks(self) -> None:
        from huey.contrib.djhuey import HUEY

        from tocnet.core.slow_queue import SLOW_HUEY
        from tocnet.line.tasks import webhook_events_process_task
        from tocnet.reports.tasks import report_job_run_task, report_jobs_sweep_task

        self.assertIs(report_job_run_task.huey, SLOW_HUEY)
        self.assertIsNot(SLOW_HUEY, HUEY)
        self.assertNotEqual(SLOW_HUEY.name, HUEY.name)
        self.assertIs(webhook_events_process_task.huey, HUEY)
        self.assertIs(report_jobs_sweep_task.huey, HUEY)

    def test_every_long_job_is_on_the_slow_queue_and_started_everywhere(self) -> None:
        # #10 item 7: reports, large imports (read and write), large returned forms and the
        # backup all wait on the slow queue; webhooks and sends stay on the main one; the
        # slow worker is started by scripts/run and by the README's production commands.
        from pathlib import Path

        from huey.contrib.djhuey import HUEY

        from tocnet.core.slow_queue import SLOW_HUEY
        from tocnet.core.tasks import backup_nightly_task
        from tocnet.members.tasks import import_job_commit_task, import_job_read_task
        from tocnet.messaging.tasks import announcement_process_task
        from tocnet.reports.tasks import form_upload_apply_task

        for task in (
            import_job_read_task,
            import_job_commit_task,
            form_upload_apply_task,
            backup_nightly_task,
        ):
            with self.subTest(task=task.name):
                self.assertIs(task.huey, SLOW_HUEY)
        self.assertIs(announcement_process_task.huey, HUEY)
        root = Path(__file__).resolve().parents[3]
        self.assertIn("tocnet run_huey_slow", (root / "scripts" / "run").read_text())
        production = (root / "README.md").read_text().split("## Production", 1)[1]
        self.assertIn("tocnet run_huey_slow", production.split("\n## ", 1)[0])
