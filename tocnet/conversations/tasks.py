import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from tocnet.conversations import services

logger = logging.getLogger(__name__)


@on_startup()
def conversations_warm_up() -> None:
    """Load the Thai word tokeniser once per worker, not on a member's first question."""
    from tocnet.conversations.routing import warm_up

    warm_up()


@db_task(retries=3, retry_delay=30)
def conversation_send_task(conversation_id: int) -> None:
    """Send the conversation's pending answers (idempotent; retryable errors retry)."""
    services.conversation_send_pending(conversation_id=conversation_id)


@db_periodic_task(crontab(minute="*/5"))
def conversations_send_sweep_task() -> None:
    """Revive answers whose send was lost (a crash between commit and enqueue)."""
    for conversation_id in services.conversations_with_stale_answers():
        conversation_send_task(conversation_id)


@db_periodic_task(crontab(minute="*/15"))
def conversations_overdue_task() -> None:
    """Tell representatives about their members who waited longer than the target."""
    services.conversations_overdue_notify()


@db_periodic_task(crontab(hour="3", minute="20"))
def conversations_purge_task() -> None:
    """Delete conversations older than the retention period (CONVERSATIONS_RETENTION_DAYS)."""
    deleted = services.conversations_purge()
    logger.info("conversations purged: %s", deleted)
