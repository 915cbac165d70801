from huey import crontab

from tocnet.core.slow_queue import slow_db_periodic_task


# 19:30 UTC = 02:30 in Bangkok, when nobody imports or sends (huey schedules in UTC).
@slow_db_periodic_task(crontab(minute="30", hour="19"))
def backup_nightly_task() -> None:
    """Nightly on the slow queue: an archive in BACKUP_DIR, the newest BACKUP_KEEP kept; off
    when BACKUP_DIR is unset."""
    from tocnet.core.backup import backup_scheduled

    backup_scheduled()
