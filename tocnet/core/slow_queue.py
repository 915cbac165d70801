"""A second huey queue for slow jobs (report builds), with its own consumer.

One consumer thread spent ~3 minutes on the all-units PDF zip while 3,000 LINE webhook events
waited behind it. Slow jobs go to this queue ("tocnet-slow", started by `tocnet run_huey_slow`)
so that webhooks and sends on the main queue (`tocnet run_huey`) are never behind a report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.contrib.djhuey import close_db

SLOW_QUEUE_NAME = "tocnet-slow"


def _make_huey() -> Huey:
    immediate = bool(settings.HUEY_IMMEDIATE)
    if settings.REDIS_URL:
        return RedisHuey(SLOW_QUEUE_NAME, url=settings.REDIS_URL, immediate=immediate)
    return SqliteHuey(
        SLOW_QUEUE_NAME,
        filename=str(settings.VAR_DIR / "huey-slow.sqlite3"),
        fsync=False,
        immediate=immediate,
    )


SLOW_HUEY = _make_huey()


def slow_db_task(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
    """Like djhuey's db_task, on the slow queue."""

    def decorator(fn: Callable[..., Any]) -> Any:
        wrapped = SLOW_HUEY.task(*args, **kwargs)(close_db(fn))
        wrapped.call_local = fn
        return wrapped

    return decorator


def slow_db_periodic_task(validate_datetime: Any) -> Callable[[Callable[..., Any]], Any]:
    """Like djhuey's db_periodic_task, on the slow queue (its consumer runs the schedule)."""

    def decorator(fn: Callable[..., Any]) -> Any:
        wrapped = SLOW_HUEY.periodic_task(validate_datetime)(close_db(fn))
        wrapped.call_local = fn
        return wrapped

    return decorator
