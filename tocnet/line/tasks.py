import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from tocnet.line import client
from tocnet.line.services.events import (
    webhook_event_process,
    webhook_events_purge,
    webhook_events_stale_ids,
)
from tocnet.line.services.groups import group_refresh, line_groups_to_refresh
from tocnet.privacy.services import retention_run

logger = logging.getLogger(__name__)


@db_task()
def webhook_events_process_task(webhook_event_ids: list[str]) -> None:
    """Process stored webhook events in order; each runs at most once (conditional claim)."""
    for webhook_event_id in webhook_event_ids:
        webhook_event_process(webhook_event_id=webhook_event_id)


@db_periodic_task(crontab(minute="*/5"))
def webhook_events_sweep_task() -> None:
    """Revive events whose enqueue was lost or whose processing hit a retryable error."""
    ids = webhook_events_stale_ids()
    if ids:
        webhook_events_process_task(ids)


@db_periodic_task(crontab(minute="17"))
def line_groups_refresh_task() -> None:
    """Hourly: re-read every group's name and member count (renames send no event)."""
    if not client.is_configured():
        return
    for group_id in line_groups_to_refresh():
        try:
            group_refresh(group_id=group_id)
        except client.ChannelError as exc:
            logger.warning("LINE group %s not refreshed: %s", group_id, exc)


@db_periodic_task(crontab(hour="3", minute="41"))
def webhook_events_purge_task() -> None:
    """Nightly: delete handled webhook events past their retention."""
    webhook_events_purge()


@db_periodic_task(crontab(hour="3", minute="45"))
def sightings_retention_task() -> None:
    """Nightly: sightings of people who left a group more than 180 days ago (PDPA retention)."""
    retention_run(name="line.sightings")
