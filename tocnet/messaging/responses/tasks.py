"""Periodic follow-up of announcements that ask for a response (imported by MessagingConfig)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from tocnet.messaging.responses.escalation import escalations_advance


@db_periodic_task(crontab(minute="*/15"))
def escalations_advance_task() -> None:
    """Every 15 minutes: deadlines passed → next stage; due notices sent. Idempotent."""
    escalations_advance()
