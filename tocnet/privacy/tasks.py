"""Periodic retention jobs, one per kind of data (docs/retention.md).

Kinds of the apps before privacy run here; later apps schedule theirs in their own tasks.py
with `retention_run(name=...)`. Import previews, webhook events and report files keep the jobs
their apps already had.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tocnet.privacy.digest import unusual_access_digest_send
from tocnet.privacy.services import retention_run


@db_periodic_task(crontab(hour="3", minute="5"))
def audit_events_retention_task() -> None:
    """Nightly: audit events older than five years."""
    retention_run(name="core.audit_events")


@db_periodic_task(crontab(hour="3", minute="10"))
def login_failures_retention_task() -> None:
    """Nightly: failed sign-ins older than 90 days."""
    retention_run(name="accounts.login_failures")


@db_periodic_task(crontab(hour="3", minute="15"))
def sessions_retention_task() -> None:
    """Nightly: expired sessions."""
    retention_run(name="sessions.expired")


@db_periodic_task(crontab(hour="3", minute="20"))
def closed_requests_retention_task() -> None:
    """Nightly: members' requests closed more than five years ago."""
    retention_run(name="privacy.closed_requests")


@db_periodic_task(crontab(hour="3", minute="25"))
def progress_files_retention_task() -> None:
    """Nightly: background jobs' progress files left for two days (var/progress)."""
    retention_run(name="core.progress_files")


@db_periodic_task(crontab(hour="3", minute="30"))
def inactive_second_factors_retention_task() -> None:
    """Nightly: second-factor devices of accounts deactivated over 30 days ago."""
    retention_run(name="accounts.inactive_second_factors")


@db_periodic_task(crontab(day_of_week="1", hour="0", minute="30"))
def unusual_access_digest_task() -> None:
    """Mondays 07:30 Bangkok: the DPO's digest of unusual access, by e-mail."""
    unusual_access_digest_send()
