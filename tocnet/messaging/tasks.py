"""Background jobs of announcements: a task takes an id, loads rows, calls a service."""

from __future__ import annotations

import logging
import time

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from tocnet.messaging.models import Announcement
from tocnet.messaging.sending import announcement_process
from tocnet.messaging.services import AnnouncementError, announcement_send

logger = logging.getLogger(__name__)

RUN_SECONDS = 20  # one task run works this long, then hands over (a big send starves nobody)


@db_task()
def announcement_process_task(announcement_id: int) -> None:
    """Send what is due for one announcement; re-enqueues itself while work remains.

    Idempotent: rows are claimed conditionally, sent rows are skipped."""
    started = time.monotonic()
    while True:
        next_at = announcement_process(announcement_id)
        if next_at is None:
            return
        if next_at > timezone.now():
            if not HUEY.immediate:
                announcement_process_task.schedule((announcement_id,), eta=next_at)
            return
        if time.monotonic() - started > RUN_SECONDS:
            announcement_process_task(announcement_id)
            return


@db_periodic_task(crontab(minute="*"))
def announcements_sweep_task() -> None:
    """Every minute: start scheduled announcements that are due, and nudge every send in
    progress (relay fallbacks, quiet hours ending, retries, rows a dead worker left)."""
    now = timezone.now()
    for announcement in Announcement.objects.filter(
        state=Announcement.State.SCHEDULED, scheduled_at__lte=now
    ):
        try:
            announcement_send(announcement=announcement, actor="scheduler", now=now)
        except AnnouncementError as exc:
            logger.warning("scheduled announcement %s not sent: %s", announcement.pk, exc)
    for pk in Announcement.objects.filter(state=Announcement.State.SENDING).values_list(
        "pk", flat=True
    ):
        announcement_process_task(pk)


@db_periodic_task(crontab(hour="3", minute="50"))
def delivery_addresses_retention_task() -> None:
    """Nightly: delivery addresses and provider errors older than a year (PDPA retention)."""
    from tocnet.privacy.services import retention_run

    retention_run(name="messaging.delivery_addresses")


@db_periodic_task(crontab(hour="3", minute="52"))
def response_texts_retention_task() -> None:
    """Nightly: answers' free text, notes and sources older than a year (PDPA retention)."""
    from tocnet.privacy.services import retention_run

    retention_run(name="messaging.response_texts")


@db_periodic_task(crontab(hour="3", minute="54"))
def follow_up_retention_task() -> None:
    """Nightly: chase-list and call-queue rows, reminders and notices older than a year."""
    from tocnet.privacy.services import retention_run

    retention_run(name="messaging.chase_marks")
    retention_run(name="messaging.notices")


@db_periodic_task(crontab(hour="3", minute="56"))
def answer_links_retention_task() -> None:
    """Nightly: personal answer links expired more than a month ago."""
    from tocnet.privacy.services import retention_run

    retention_run(name="messaging.answer_links")
