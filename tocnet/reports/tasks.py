from huey.contrib.djhuey import db_task

from tocnet.reports.services import report_job_run


@db_task()
def report_job_run_task(job_id: int) -> None:
    """Build one ReportJob's file; a job already claimed is left alone."""
    report_job_run(job_id=job_id)
