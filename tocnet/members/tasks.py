from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tocnet.core.slow_queue import slow_db_task
from tocnet.members.importing.retention import import_previews_expire


@db_periodic_task(crontab(hour="2", minute="40"))
def import_previews_expire_task() -> None:
    """Nightly: previews nobody confirmed within 7 days lose their parsed personal data."""
    import_previews_expire()


@slow_db_task()
def import_job_read_task(job_id: int) -> None:
    """Read an uploaded list into its preview on the slow queue (large files)."""
    from tocnet.members.importing.services import import_job_read

    import_job_read(job_id=job_id)


@slow_db_task()
def import_job_commit_task(job_id: int) -> None:
    """Write a confirmed large list on the slow queue, with progress."""
    from tocnet.members.importing.services import import_job_commit

    import_job_commit(job_id=job_id)


@db_periodic_task(crontab(minute="*/5"))
def import_jobs_sweep_task() -> None:
    """Every 5 minutes: uploads whose reading never ended (worker killed) fail with a message."""
    from tocnet.members.importing.services import import_jobs_sweep

    import_jobs_sweep()
