"""Webhook events: store once by webhookEventId, then process each exactly once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import override

from tocnet.core.jsontypes import JSONObject
from tocnet.line import client, handlers
from tocnet.line.models import LinkAttempt, WebhookEvent
from tocnet.line.services.payload import MalformedPayloadError as MalformedPayloadError
from tocnet.line.services.payload import (
    ParsedEvent,
    timestamp_to_datetime,
    webhook_body_parse,
)
from tocnet.line.services.replies import reply_message

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
STALE_AFTER = dt.timedelta(minutes=2)


def _event_id(event: JSONObject) -> str:
    value = event.get("webhookEventId")
    if isinstance(value, str) and 0 < len(value) <= 64:
        return value
    # LINE always sends webhookEventId; a stable hash keeps duplicates idempotent anyway.
    digest = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
    return "sha256:" + digest[:57]


def _as_dict(value: object) -> JSONObject:
    return value if isinstance(value, dict) else {}


def _row(parsed: ParsedEvent, now: dt.datetime) -> WebhookEvent:
    if parsed.payload is None:
        # Recorded, never processed: redeliveries of the same body find it and skip it.
        return WebhookEvent(
            webhook_event_id=parsed.event_id or parsed.fingerprint,
            event_type="invalid",
            status=WebhookEvent.Status.FAILED,
            error=f"rejected: {parsed.reason}",
            payload={"rejected": parsed.reason},
            processed_at=now,
        )
    event = parsed.payload
    source: JSONObject = _as_dict(event.get("source"))
    delivery: JSONObject = _as_dict(event.get("deliveryContext"))
    return WebhookEvent(
        webhook_event_id=_event_id(event),
        event_type=str(event.get("type", ""))[:40],
        source_type=str(source.get("type", ""))[:10],
        group_id=str(source.get("groupId") or source.get("roomId") or "")[:64],
        line_user_id=str(source.get("userId") or "")[:64],
        is_redelivery=bool(delivery.get("isRedelivery")),
        occurred_at=timestamp_to_datetime(event.get("timestamp")),
        payload=event,
    )


def webhook_events_store(*, body: bytes) -> list[str]:
    """Store the events of a verified webhook body, each judged on its own: sound events are
    stored (duplicates skipped by the unique webhookEventId) and processed after commit;
    unsound ones (NaN timestamps, deep nesting, ...) are recorded as failed, never processed.
    Raises MalformedPayloadError only when the body has no events list. Returns the ids of
    the sound events."""
    parsed = webhook_body_parse(body)
    now = timezone.now()
    rows = [_row(event, now) for event in parsed]
    for event in parsed:
        if not event.sound:
            logger.warning("LINE webhook event rejected: %s", event.reason)
    if not rows:
        return []
    ids = [row.webhook_event_id for row in rows if row.status == WebhookEvent.Status.PENDING]
    with transaction.atomic():
        WebhookEvent.objects.bulk_create(rows, ignore_conflicts=True)
        if ids:
            transaction.on_commit(lambda: _enqueue(ids))
    return ids


def _enqueue(ids: list[str]) -> None:
    from tocnet.line.tasks import webhook_events_process_task

    webhook_events_process_task(ids)


def _minimised(payload: JSONObject) -> JSONObject:
    """The event without what people sent: the bot sees every message in a group, and keeps
    none of it once handled (PDPA data minimisation). Of any message (text, location, file,
    sticker, image...) only its id and type stay: no text, address, coordinates, file name,
    keywords, mentions, quotes or content links."""
    message = payload.get("message")
    if not isinstance(message, dict):
        return payload
    return {**payload, "message": {k: message[k] for k in ("id", "type") if k in message}}


def _claim(row: WebhookEvent, status: str) -> bool:
    """Mark a pending event finished; run inside the transaction that does its work, so the
    work and the mark commit together and a second worker's claim finds nothing."""
    return (
        WebhookEvent.objects.filter(pk=row.pk, status=WebhookEvent.Status.PENDING).update(
            status=status,
            attempts=F("attempts") + 1,
            processed_at=timezone.now(),
            payload=_minimised(row.payload),
        )
        == 1
    )


# A handler does its LINE reads first (no transaction held during HTTP calls) and returns a
# function that makes the writes; that function runs in one transaction with marking the
# event done, so a crash either leaves nothing done or the event finished. Which handlers an
# event reaches is decided by the registry in tocnet.line.handlers.
Apply = handlers.Apply
Handler = handlers.Handler


def webhook_event_process(*, webhook_event_id: str) -> WebhookEvent.Status | None:
    """Process one stored event at most once: its LINE reads first, then its writes and the
    claim in one transaction; answer with the reply token after that commits. Unknown types
    end IGNORED. Returns the final status, or None when the event was not pending."""
    row = WebhookEvent.objects.filter(
        webhook_event_id=webhook_event_id, status=WebhookEvent.Status.PENDING
    ).first()
    if row is None:
        return None
    payload = row.payload
    from linebot.v3.webhooks import Event  # imported on use: the SDK is slow to import

    try:
        Event.from_dict(payload)
        known = True
    except (ValueError, TypeError, KeyError):
        known = False
    if not known or payload.get("mode") == "standby":
        return WebhookEvent.Status.IGNORED if _claim(row, WebhookEvent.Status.IGNORED) else None
    try:
        with override("th"):
            apply = handlers.line_event_resolve(payload)
            if apply is None:
                ignored = _claim(row, WebhookEvent.Status.IGNORED)
                return WebhookEvent.Status.IGNORED if ignored else None
            with transaction.atomic():
                if not _claim(row, WebhookEvent.Status.DONE):
                    return None
                replies = apply()
            messages = [reply_message(r) for r in replies]
    except client.ChannelError as exc:
        retry = not exc.permanent and row.attempts + 1 < MAX_ATTEMPTS
        status = WebhookEvent.Status.PENDING if retry else WebhookEvent.Status.FAILED
        _failed(row, status, error=str(exc))
        return status
    except Exception as exc:
        logger.exception("LINE event %s failed", webhook_event_id)
        _failed(row, WebhookEvent.Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        return WebhookEvent.Status.FAILED
    token = payload.get("replyToken")
    if messages and token:
        try:
            client.reply_messages(reply_token=token, messages=messages[:5])
        except client.ChannelError as exc:
            # A reply token lives about a minute; a late reply is lost, the work is not.
            logger.warning("LINE reply for %s failed: %s", webhook_event_id, exc)
    return WebhookEvent.Status.DONE


def _failed(row: WebhookEvent, status: str, *, error: str) -> None:
    WebhookEvent.objects.filter(pk=row.pk, status=WebhookEvent.Status.PENDING).update(
        status=status,
        attempts=F("attempts") + 1,
        error=error[:2000],
        payload=row.payload if status == WebhookEvent.Status.PENDING else _minimised(row.payload),
        processed_at=timezone.now(),
    )


def webhook_events_stale_ids(*, now: dt.datetime | None = None) -> list[str]:
    """Events still waiting after STALE_AFTER (a lost enqueue or a retryable failure)."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    return list(
        WebhookEvent.objects.filter(
            status=WebhookEvent.Status.PENDING, received_at__lt=cutoff
        ).values_list("webhook_event_id", flat=True)[:500]
    )


RETENTION = dt.timedelta(days=30)


def webhook_events_purge(*, now: dt.datetime | None = None) -> int:
    """Delete handled events and wrong linking answers older than RETENTION (long past any
    redelivery or lock-out); returns how many rows went."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _by_model = WebhookEvent.objects.filter(
        received_at__lt=cutoff,
        status__in=[
            WebhookEvent.Status.DONE,
            WebhookEvent.Status.IGNORED,
            WebhookEvent.Status.FAILED,
        ],
    ).delete()
    attempts, _by_model = LinkAttempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted + attempts
