from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tocnet.core.slow_queue import slow_db_task
from tocnet.reports.services import report_job_expire, report_job_run, report_jobs_sweep


@slow_db_task()
def report_job_run_task(job_id: int) -> None:
    """Build one ReportJob's file on the slow queue; a job already claimed is left alone."""
    report_job_run(job_id=job_id)


@slow_db_task()
def form_upload_apply_task(job_id: int) -> None:
    """Apply a confirmed large returned form on the slow queue, with progress."""
    from tocnet.reports.forms_io.importing import form_upload_apply_job

    form_upload_apply_job(job_id=job_id)


@db_periodic_task(crontab(minute="*/5"))
def report_jobs_sweep_task() -> None:
    """Every 5 minutes: retry once, then fail, report jobs whose worker died."""
    report_jobs_sweep()


@db_periodic_task(crontab(minute="20", hour="*"))
def report_jobs_expire_task() -> None:
    """Hourly: empty the files of report jobs older than seven days (PDPA retention)."""
    report_job_expire()
