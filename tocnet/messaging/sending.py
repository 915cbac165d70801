"""The sending worker: claims due deliveries, calls the channel, records the outcome.

State lives in rows, never in the queue: a run claims rows with a conditional update
(``queued → sending``), calls the provider outside any transaction, and records the result.
A run killed half-way leaves rows "sending" with an old ``claimed_at``; the next run puts LINE
rows back in the queue (their retry key makes LINE answer 409 instead of sending again) and
marks SMS/e-mail rows "unknown" (no idempotency key there: a person checks before resending).
The provider calls go out on up to ANNOUNCE_SEND_CONCURRENCY threads (_Lanes), so a slow answer
or a timeout does not hold up the rest; claims and records stay on the worker's own thread.

Outcomes: success or LINE 409 → sent; 5xx, rate-limit 429, timeouts → retried with backoff
(full jitter) up to ANNOUNCE_RETRY_LIMIT tries; other 4xx → failed, not retried; LINE's
"monthly limit" 429 → the announcement pauses with the reason, no further LINE calls.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import random
import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Min, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tocnet.line import client as line_client
from tocnet.line.client import ChannelError, SendResult
from tocnet.messaging import content
from tocnet.messaging.channels.sms import AmbiguousSendError, reused_session, send_sms
from tocnet.messaging.models import (
    Announcement,
    Channel,
    Delivery,
    DeliveryStatus,
    LineBatch,
    Reason,
    Relay,
)
from tocnet.messaging.planning import sms_allowed_from, sms_body
from tocnet.messaging.responses.content import personal_url, respond_buttons

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=5)  # a claim older than this belongs to a dead worker
BACKOFF_BASE = 2.0  # seconds
BACKOFF_CAP = 300.0
LINE_CHANNELS = (Channel.LINE_GROUP, Channel.LINE_RELAY, Channel.LINE_BROADCAST)


class QuotaExhausted(Exception):
    pass


def backoff(attempts: int) -> dt.timedelta:
    """Full jitter: random(0, min(cap, base·2^attempts)), at least one second."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    return dt.timedelta(seconds=max(1.0, random.uniform(0, ceiling)))


def _due(now: dt.datetime) -> Q:
    return (
        Q(status=DeliveryStatus.QUEUED)
        & (Q(not_before__isnull=True) | Q(not_before__lte=now))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    )


def revive_stale(announcement: Announcement, *, now: dt.datetime) -> int:
    """Rows a dead worker left "sending": LINE back to the queue, SMS/e-mail to "unknown"."""
    stale = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_AFTER)
    revived = Delivery.objects.filter(
        stale, announcement=announcement, channel__in=LINE_CHANNELS
    ).update(status=DeliveryStatus.QUEUED, next_attempt_at=None, updated_at=now)
    revived += LineBatch.objects.filter(stale, announcement=announcement).update(
        status=DeliveryStatus.QUEUED, next_attempt_at=None
    )
    revived += Delivery.objects.filter(
        stale, announcement=announcement, channel__in=(Channel.SMS, Channel.EMAIL)
    ).update(
        status=DeliveryStatus.UNKNOWN,
        reason=Reason.TIMEOUT,
        last_error="worker stopped while sending; check the provider's log before resending",
        updated_at=now,
    )
    return revived


_ROW_SQL: dict[str, str] = {}


def _row_update_sql(
    model: type[Delivery] | type[LineBatch], fields: tuple[str, ...], *, count: str = ""
) -> str:
    """``UPDATE <table> SET <field> = %s, ... [, <count> = <count> + 1] WHERE <pk> = %s AND
    <status> = %s``, built once per table and fields: the statement the ORM's
    ``filter(pk=pk, status=...).update(...)`` runs, without compiling a query for every row
    (that cost as much as the SMS request itself against the local fake)."""
    from django.db import connection

    key = f"{connection.vendor}:{model._meta.db_table}:{','.join(fields)}:{count}"
    if key not in _ROW_SQL:
        q = connection.ops.quote_name
        columns = {f.name: q(str(f.column)) for f in model._meta.concrete_fields}
        assignments = [f"{columns[name]} = %s" for name in fields]
        if count:
            assignments.append(f"{columns[count]} = {columns[count]} + 1")
        # Only quoted table and column names of our own models go into the text; values are
        # parameters.
        _ROW_SQL[key] = (
            f"UPDATE {q(model._meta.db_table)} SET {', '.join(assignments)} "  # noqa: S608
            f"WHERE {columns[model._meta.pk.name]} = %s AND {columns['status']} = %s"
        )
    return _ROW_SQL[key]


def _claim(model: type[Delivery] | type[LineBatch], pk: int, now: dt.datetime) -> bool:
    """Conditional claim: True for the one worker whose UPDATE moved the row from queued."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            _row_update_sql(model, ("status", "claimed_at"), count="attempts"),
            [
                DeliveryStatus.SENDING.value,
                connection.ops.adapt_datetimefield_value(now),
                pk,
                DeliveryStatus.QUEUED.value,
            ],
        )
        return bool(cursor.rowcount == 1)


def _record_failure(row: Delivery | LineBatch, exc: ChannelError, *, now: dt.datetime) -> None:
    """Retry later, or end failed/unknown; the row is "sending" (claimed) when called."""
    row.refresh_from_db(fields=["attempts"])
    model = type(row)
    fields: dict[str, object] = {"last_error": str(exc)[:500]}
    if isinstance(exc, AmbiguousSendError):
        fields.update(status=DeliveryStatus.UNKNOWN, reason=Reason.TIMEOUT)
    elif exc.quota_exhausted:
        # Not this row's fault: back in the queue for when the quota allows.
        fields.update(status=DeliveryStatus.QUEUED)
    elif exc.permanent or row.attempts >= settings.ANNOUNCE_RETRY_LIMIT:
        fields.update(status=DeliveryStatus.FAILED)
        if model is Delivery:
            fields["reason"] = Reason.PERMANENT if exc.permanent else Reason.TIMEOUT
    else:
        fields.update(status=DeliveryStatus.QUEUED, next_attempt_at=now + backoff(row.attempts))
    if model is LineBatch:
        fields.pop("reason", None)
        LineBatch.objects.filter(pk=row.pk).update(**fields)
        if fields["status"] == DeliveryStatus.FAILED:
            Delivery.objects.filter(batch_id=row.pk).update(
                status=DeliveryStatus.FAILED,
                reason=Reason.PERMANENT,
                last_error=fields["last_error"],
                updated_at=now,
            )
    else:
        Delivery.objects.filter(pk=row.pk).update(updated_at=now, **fields)
    if exc.quota_exhausted:
        raise QuotaExhausted(str(exc))


RECORD_BATCH = 20  # rows marked sent per UPDATE during a run ...
RECORD_SECONDS = 0.5  # ... or after this long, whichever comes first


class _Sent:
    """Rows sent in this run, not yet marked sent: written together (one UPDATE for up to
    RECORD_BATCH rows instead of one each). A worker that dies before writing them leaves the
    rows "sending", as if it had died between the request and its write: the sweep puts LINE
    rows back in the queue (their retry key makes LINE answer 409, counted as sent) and marks
    SMS and e-mail "unknown" (never resent blindly). So batching loses no exactly-once."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str, str]] = []  # (pk, provider message id, reason)
        self.now: dt.datetime | None = None
        self.first_at = 0.0

    def add(self, pk: int, message_id: str, reason: str, now: dt.datetime) -> None:
        if not self.items:
            self.first_at = time.monotonic()
        self.items.append((pk, message_id[:100], reason))
        self.now = now
        if len(self.items) >= RECORD_BATCH or time.monotonic() - self.first_at >= RECORD_SECONDS:
            self.flush()

    def flush(self) -> None:
        """One prepared UPDATE per row, run together in one transaction."""
        from django.db import connection, transaction

        items, self.items = self.items, []
        if not items or self.now is None:
            return
        sql = _row_update_sql(
            Delivery,
            ("status", "sent_at", "provider_message_id", "last_error", "reason", "updated_at"),
        )
        now = connection.ops.adapt_datetimefield_value(self.now)
        sent, sending = DeliveryStatus.SENT.value, DeliveryStatus.SENDING.value
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                sql,
                [
                    (sent, now, message_id, "", reason, now, pk, sending)
                    for pk, message_id, reason in items
                ],
            )


_sent: ContextVar[_Sent | None] = ContextVar("tocnet_messaging_sent", default=None)


@contextmanager
def _recording() -> Iterator[_Sent]:
    """Collect "sent" marks for the run; write them at its end (or when an error leaves it).
    A BaseException that is not an Exception (the worker stopped) writes nothing: see _Sent."""
    sent = _Sent()
    token = _sent.set(sent)
    try:
        yield sent
    except Exception:
        sent.flush()
        raise
    else:
        sent.flush()
    finally:
        _sent.reset(token)


def _record_sent(row: Delivery, result: SendResult, *, now: dt.datetime, reason: str = "") -> None:
    pending = _sent.get()
    if pending is not None:
        pending.add(row.pk, result.request_id or "", reason, now)
        return
    Delivery.objects.filter(pk=row.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT,
        sent_at=now,
        provider_message_id=(result.request_id or "")[:100],
        last_error="",
        reason=reason,
        updated_at=now,
    )


# --- per channel -----------------------------------------------------------------------------


class _Run:
    """What one run of announcement_process reads once instead of per row: the members' card,
    the response buttons, whether a response is asked, the relays by group delivery."""

    def __init__(self, announcement: Announcement) -> None:
        from tocnet.messaging.responses.models import Ask

        self.buttons = respond_buttons(announcement)
        self.asks = Ask.objects.filter(announcement=announcement).exists()
        self.relays = {
            r.group_delivery_id: r
            for r in Relay.objects.filter(announcement=announcement, group_delivery__isnull=False)
        }
        self._card: list[object] | None = None
        self.emails: dict[str, tuple[str, str]] = {}  # e-mail bodies without a personal link
        self.checked_at = 0.0  # monotonic time the announcement's state was last read


def _run(announcement: Announcement) -> _Run:
    run = getattr(announcement, "_send_run", None)
    if run is None:
        run = _Run(announcement)
        announcement._send_run = run  # type: ignore[attr-defined]
    return run


def _flex(announcement: Announcement, *, relay: Relay | None = None) -> list[object]:
    from linebot.v3.messaging import FlexMessage

    run = _run(announcement)
    if relay is None and run._card is not None:
        return run._card
    relay_url = (
        content.liff_url(reverse("messaging:relay_page", args=[relay.code])) if relay else ""
    )
    card = content.announcement_card(announcement, relay_url=relay_url, extra_buttons=run.buttons)
    messages: list[object] = [FlexMessage.from_dict(card)]
    if relay is None:
        run._card = messages
    return messages


@dataclass(eq=False)
class _Job:
    """One claimed row's provider request (``call``, run on a lane) and what to write when
    it is accepted (``on_sent``, run on the worker's own thread, which holds the DB)."""

    row: Delivery | LineBatch
    kind: str
    call: Callable[[], SendResult]
    on_sent: Callable[[SendResult], None]


def _line_row_job(row: Delivery, announcement: Announcement, now: dt.datetime) -> _Job:
    retry_key = str(row.retry_key)
    if row.channel == Channel.LINE_GROUP:
        relay = _run(announcement).relays.get(row.pk)
        messages = _flex(announcement)

        def call() -> SendResult:
            return line_client.push_messages(to=row.address, messages=messages, retry_key=retry_key)

        def on_sent(result: SendResult) -> None:
            if relay is None:
                _record_sent(row, result, now=now)
                return
            _record_sent(row, result, now=now, reason=Reason.FALLBACK)
            Relay.objects.filter(pk=relay.pk, status=Relay.Status.WAITING).update(
                status=Relay.Status.FALLBACK
            )

        return _Job(row, row.channel, call, on_sent)
    if row.channel == Channel.LINE_RELAY:
        relay = Relay.objects.get(push=row)
        card = _flex(announcement, relay=relay)

        def call() -> SendResult:
            return line_client.push_messages(to=row.address, messages=card, retry_key=retry_key)

        def on_sent(result: SendResult) -> None:
            _record_sent(row, result, now=now)
            Relay.objects.filter(pk=relay.pk).update(pushed_at=now)

        return _Job(row, row.channel, call, on_sent)
    messages = _flex(announcement)  # broadcast
    return _Job(
        row,
        row.channel,
        lambda: line_client.broadcast_messages(messages=messages, retry_key=retry_key),
        lambda result: _record_sent(row, result, now=now),
    )


def _batch_job(batch: LineBatch, announcement: Announcement, now: dt.datetime) -> _Job:
    messages = _flex(announcement)

    def on_sent(result: SendResult) -> None:
        LineBatch.objects.filter(pk=batch.pk).update(
            status=DeliveryStatus.SENT, sent_at=now, request_id=(result.request_id or "")[:64]
        )
        Delivery.objects.filter(batch=batch, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SENT, sent_at=now, attempts=batch.attempts + 1, updated_at=now
        )

    return _Job(
        batch,
        "batch",
        lambda: line_client.multicast_messages(
            to=batch.to, messages=messages, retry_key=str(batch.retry_key)
        ),
        on_sent,
    )


def _sms_job(row: Delivery, announcement: Announcement, now: dt.datetime) -> _Job:
    text = sms_body(announcement)
    if _run(announcement).asks and row.member is not None:  # the member's own short link
        url = personal_url(announcement, row.member, channel="sms")
        text = f"{text} {url}" if url else text
    return _Job(
        row,
        Channel.SMS,
        lambda: send_sms(to=row.address, text=text, reference=str(row.retry_key)),
        lambda result: _record_sent(row, result, now=now),
    )


def _email_bodies(announcement: Announcement, respond_url: str) -> tuple[str, str]:
    """The e-mail's text and HTML, rendered once per run for every member without a personal
    link (the Markdown alone took 2 ms an e-mail)."""
    emails = _run(announcement).emails
    if respond_url not in emails:
        context = {
            "announcement": announcement,
            "body_html": content.body_html(announcement.body),
            "body_text": content.body_text(announcement.body),
            "read_more_url": content.read_more_url(announcement),
            "image_url": content.image_url(announcement),
            "respond_url": respond_url,
        }
        bodies = (
            render_to_string("messaging/email/announcement.txt", context),
            render_to_string("messaging/email/announcement.html", context),
        )
        if not respond_url:
            emails[respond_url] = bodies
        return bodies
    return emails[respond_url]


def _email_job(row: Delivery, announcement: Announcement, now: dt.datetime) -> _Job:
    respond_url = (
        personal_url(announcement, row.member, channel="email")
        if _run(announcement).asks and row.member is not None
        else ""
    )
    text, html = _email_bodies(announcement, respond_url)
    message = EmailMultiAlternatives(
        subject=f"[สหกรณ์] {announcement.title}"[:200],
        body=text,
        to=[row.address],
        headers={"X-TOCNet-Delivery": str(row.retry_key)},
    )
    message.attach_alternative(html, "text/html")
    return _Job(
        row,
        Channel.EMAIL,
        lambda: _send_email(message),
        lambda result: _record_sent(row, result, now=now),
    )


def _send_email(message: EmailMultiAlternatives) -> SendResult:
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise ChannelError(f"e-mail refused: {exc}", permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        raise ChannelError(
            f"e-mail {exc.smtp_code}", permanent=exc.smtp_code >= 500, status=exc.smtp_code
        ) from exc
    except (TimeoutError, smtplib.SMTPServerDisconnected) as exc:
        raise AmbiguousSendError(f"e-mail: {type(exc).__name__}") from exc
    except (ConnectionError, OSError) as exc:
        raise ChannelError(f"e-mail: {type(exc).__name__}", permanent=False) from exc
    return SendResult()


JOBS: dict[str, Callable[[Delivery, Announcement, dt.datetime], _Job]] = {
    Channel.LINE_RELAY: _line_row_job,
    Channel.LINE_GROUP: _line_row_job,
    Channel.LINE_BROADCAST: _line_row_job,
    Channel.SMS: _sms_job,
    Channel.EMAIL: _email_job,
}
ORDER = (
    Channel.LINE_RELAY,
    Channel.LINE_GROUP,
    "batch",
    Channel.LINE_BROADCAST,
    Channel.SMS,
    Channel.EMAIL,
)


PATIENCE = 0.01  # seconds: a request answered slower than this lets the next one start


class _Lanes:
    """Provider requests on up to ANNOUNCE_SEND_CONCURRENCY threads ("lanes"), so that a slow
    answer or a timeout (10 s in production) does not hold up the rest of the send.

    After each request the worker waits up to PATIENCE for its answer: a quick provider is
    sent to one request after another (threads that run Python at the same time slow each
    other down), a slow one gets the next requests while it answers, up to ``size`` at once.
    Each lane has its own LINE client and SMS session and only makes the request: claims and
    records stay on the worker's thread (its database connection). A row is claimed only when
    a lane is free, so at most ``size`` rows are claimed and not yet recorded; a worker killed
    then leaves them "sending", as one that sends a row at a time leaves one (see _Sent)."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.pending: set[_Job] = set()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[tuple[_Job, SendResult | Exception]] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._lane, name=f"tocnet-send-{i}", daemon=True)
            for i in range(self.size)
        ]
        for thread in self._threads:
            thread.start()

    def _lane(self) -> None:
        with line_client.reused_api(), reused_session():
            while (job := self._jobs.get()) is not None:
                try:
                    outcome: SendResult | Exception = job.call()
                except Exception as exc:  # handed to the worker's thread, raised there
                    outcome = exc
                self._done.put((job, outcome))

    def submit(self, job: _Job) -> None:
        self.pending.add(job)
        self._jobs.put(job)

    def next_done(self, timeout: float | None = None) -> tuple[_Job, SendResult | Exception] | None:
        """The next answer, or None if none came within ``timeout`` seconds."""
        try:
            job, outcome = self._done.get(timeout=timeout)
        except queue.Empty:
            return None
        self.pending.discard(job)
        return job, outcome

    def close(self, *, wait: bool = True) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads if wait else ():
            thread.join()


def _finish(job: _Job, outcome: SendResult | Exception, *, now: dt.datetime) -> None:
    """Record one request's outcome (on the worker's thread)."""
    if isinstance(outcome, SendResult):
        job.on_sent(outcome)
        return
    if not isinstance(outcome, ChannelError):
        raise outcome
    try:
        _record_failure(job.row, outcome, now=now)
    finally:
        if job.kind == Channel.LINE_RELAY and outcome.permanent and not outcome.quota_exhausted:
            # The representative cannot get it: push into the group now.
            Delivery.objects.filter(relay__push_id=job.row.pk, status=DeliveryStatus.QUEUED).update(
                not_before=now
            )


def _drain(lanes: _Lanes, *, now: dt.datetime, until: int = 0, newest: _Job | None = None) -> None:
    """Record answers as they come: all of them until at most ``until`` requests are in
    flight, then (``newest``) until that request is answered or PATIENCE has passed. A
    QuotaExhausted is raised once every request in flight is recorded (they went out)."""
    quota: QuotaExhausted | None = None
    deadline = time.monotonic() + PATIENCE
    while lanes.pending:
        if quota is not None or len(lanes.pending) > until:
            done = lanes.next_done()
        elif newest in lanes.pending and (left := deadline - time.monotonic()) > 0:
            done = lanes.next_done(timeout=left)
        else:
            done = lanes.next_done(timeout=0)  # only answers already there
        if done is None:
            break
        try:
            _finish(*done, now=now)
        except QuotaExhausted as exc:
            quota = quota or exc
    if quota is not None:
        raise quota


def _queue(announcement: Announcement, channel: str, now: dt.datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(_due(now), announcement=announcement, channel=channel).order_by(
        "id"
    )


def announcement_process(
    announcement_id: int, *, now: dt.datetime | None = None, budget: int = 200
) -> dt.datetime | None:
    """Send up to ``budget`` due items of one announcement. Idempotent; skips sent rows.

    Returns when to run again: now (more due work), later (retries, relay fallback, quiet
    hours), or None (nothing left, or not sending). The requests go out on lanes (_Lanes),
    each keeping its LINE connection and SMS session for the run."""
    lanes = _Lanes(settings.ANNOUNCE_SEND_CONCURRENCY)
    try:
        with _recording():
            next_at = _announcement_process(announcement_id, lanes=lanes, now=now, budget=budget)
    except BaseException as exc:
        # A worker being stopped (not an Exception) waits for no answer still in flight:
        # those rows stay "sending", as after a kill.
        lanes.close(wait=isinstance(exc, Exception))
        raise
    lanes.close()
    return next_at


def _due_work(
    announcement: Announcement, kind: str, now: dt.datetime, limit: int
) -> Iterator[tuple[type[Delivery] | type[LineBatch], Delivery | LineBatch]]:
    if kind == "batch":
        for batch in LineBatch.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            announcement=announcement,
            status=DeliveryStatus.QUEUED,
        ).order_by("id")[:limit]:
            yield LineBatch, batch
        return
    for row in _queue(announcement, kind, now)[:limit]:
        yield Delivery, row


def _announcement_process(
    announcement_id: int, *, lanes: _Lanes, now: dt.datetime | None, budget: int
) -> dt.datetime | None:
    now = now or timezone.now()
    announcement = Announcement.objects.get(pk=announcement_id)
    if announcement.state != Announcement.State.SENDING:
        return None
    revive_stale(announcement, now=now)
    done = 0
    try:
        for kind in ORDER:
            if done >= budget:
                break
            if kind == Channel.SMS and sms_allowed_from(now) > now:
                # Quiet hours: hold SMS (also retries) until 09:00.
                Delivery.objects.filter(
                    _due(now), announcement=announcement, channel=Channel.SMS
                ).update(not_before=sms_allowed_from(now))
                continue
            for model, row in _due_work(announcement, kind, now, budget - done):
                _drain(lanes, now=now, until=lanes.size - 1)  # a free lane before a claim
                if not _still_sending(announcement):
                    _drain(lanes, now=now)
                    return None
                if not _claim(model, row.pk, now):
                    continue
                done += 1
                if model is LineBatch:
                    row.refresh_from_db()
                    job = _batch_job(row, announcement, now)  # type: ignore[arg-type]
                else:
                    job = JOBS[kind](row, announcement, now)  # type: ignore[arg-type]
                lanes.submit(job)
                _drain(lanes, now=now, until=lanes.size, newest=job)
        _drain(lanes, now=now)
    except QuotaExhausted as exc:
        _flush_sent()
        Announcement.objects.filter(pk=announcement.pk, state=Announcement.State.SENDING).update(
            state=Announcement.State.PAUSED,
            halted_reason=f"quota: {exc}"[:300],
            updated_at=now,
        )
        logger.warning("announcement %s paused: LINE monthly quota reached", announcement.pk)
        return None
    _flush_sent()  # before counting what is still open
    return _next_run(announcement, now=now)


def _flush_sent() -> None:
    pending = _sent.get()
    if pending is not None:
        pending.flush()


STATE_CHECK_SECONDS = 0.5  # a pause is honoured within this long (a cancel at once: claims)


def _still_sending(announcement: Announcement) -> bool:
    """Whether the send was not paused or cancelled; read at most every STATE_CHECK_SECONDS
    (a cancel also turns queued rows "cancelled", so no claim succeeds after it)."""
    run = _run(announcement)
    now = time.monotonic()
    if now - run.checked_at < STATE_CHECK_SECONDS:
        return True
    run.checked_at = now
    return Announcement.objects.filter(
        pk=announcement.pk, state=Announcement.State.SENDING
    ).exists()


def _next_run(announcement: Announcement, *, now: dt.datetime) -> dt.datetime | None:
    open_rows = Delivery.objects.filter(
        announcement=announcement, status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
    )
    open_batches = LineBatch.objects.filter(
        announcement=announcement, status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING)
    )
    if not open_rows.exists() and not open_batches.exists():
        Announcement.objects.filter(pk=announcement.pk, state=Announcement.State.SENDING).update(
            state=Announcement.State.SENT, finished_at=now, updated_at=now
        )
        return None
    if (
        # Rows in a multicast batch go with their batch (counted below): a batch another
        # worker has in flight must not make this one spin.
        open_rows.filter(_due(now), batch__isnull=True).exists()
        or open_batches.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            status=DeliveryStatus.QUEUED,
        ).exists()
    ):
        return now
    times = [
        t
        for t in (
            open_rows.filter(status=DeliveryStatus.QUEUED)
            .aggregate(a=Min("not_before"), b=Min("next_attempt_at"))
            .values()
        )
        if t is not None
    ]
    batch_time = open_batches.aggregate(t=Min("next_attempt_at"))["t"]
    if batch_time:
        times.append(batch_time)
    if (
        open_rows.filter(status=DeliveryStatus.SENDING).exists()
        or open_batches.filter(status=DeliveryStatus.SENDING).exists()
    ):
        times.append(now + STALE_AFTER)
    later = [t for t in times if t > now]
    return min(later) if later else now + dt.timedelta(minutes=1)
