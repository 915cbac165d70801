"""Sign-in: one throttle for every way in (the form, /admin/, LINE Login, password checks).

Three counters per attempt, counted *before* the password is checked and under a row lock:

- the username at this address: slowed after LOGIN_SLOW_AFTER, locked after LOGIN_LOCK_AFTER;
- the username from anywhere: only slowed (up to a minute), so a stranger who types a
  colleague's name cannot lock them out;
- the address: only slowed (up to LOGIN_ADDRESS_MAX_DELAY seconds) after
  LOGIN_ADDRESS_SLOW_AFTER failures, so one guesser behind an office's NAT slows guessing
  without locking the office out.

Usernames are counted as the form reads them (NFKC, case-folded), so look-alikes such as
"ａｇｅｎｔ" count against "agent".
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tocnet.accounts.models import LoginFailure, SigninCounter
from tocnet.core.audit import audit_record
from tocnet.core.models import AuditEvent

MAX_USERNAME_DELAY = 60
THROTTLED_BACKEND = "tocnet.accounts.backends.ThrottledModelBackend"


@dataclass(frozen=True)
class Throttle:
    locked: bool
    wait_seconds: int


def username_normalize(username: str) -> str:
    """The form of a username that the throttle counts: NFKC, trimmed, case-folded."""
    folded = unicodedata.normalize("NFKC", username or "").strip().casefold()
    return unicodedata.normalize("NFKC", folded)[:150]


def _keys(username: str | None, ip_address: str | None) -> dict[str, str]:
    keys: dict[str, str] = {}
    if username is not None:
        name = username_normalize(username)
        keys["user"] = f"user:{name}"
        keys["pair"] = f"pair:{name}|{ip_address or '-'}"
    if ip_address:
        keys["addr"] = f"addr:{ip_address}"
    return keys


def _delay(attempts: int, threshold: int, cap: int) -> int:
    if attempts < threshold:
        return 0
    return int(min(cap, 2 ** min(attempts - threshold + 1, 16)))


def login_throttle_reserve(*, username: str | None, ip_address: str | None) -> Throttle | None:
    """Count one sign-in attempt before its password is checked; a Throttle if refused.

    Atomic: the counters are locked while they are read and incremented, so N parallel
    attempts are decided one after another. A refused attempt is not counted.
    """
    keys = _keys(username, ip_address)
    if not keys:
        return None
    now = timezone.now()
    window = dt.timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)
    ordered = sorted(keys.values())
    with transaction.atomic():
        SigninCounter.objects.bulk_create(
            [SigninCounter(key=k, window_start=now, last_attempt_at=now) for k in ordered],
            ignore_conflicts=True,
        )
        rows = {
            row.key: row
            for row in SigninCounter.objects.select_for_update()
            .filter(key__in=ordered)
            .order_by("key")
        }
        for row in rows.values():
            if row.window_start <= now - window:
                row.attempts = 0
                row.window_start = now
        pair = rows.get(keys.get("pair", ""))
        if pair is not None and pair.attempts >= settings.LOGIN_LOCK_AFTER:
            remaining = pair.window_start + window - now
            return Throttle(locked=True, wait_seconds=max(1, int(remaining.total_seconds())))
        rules = {
            "pair": (settings.LOGIN_SLOW_AFTER, MAX_USERNAME_DELAY),
            "user": (settings.LOGIN_SLOW_AFTER, MAX_USERNAME_DELAY),
            "addr": (settings.LOGIN_ADDRESS_SLOW_AFTER, settings.LOGIN_ADDRESS_MAX_DELAY),
        }
        wait = 0
        for name, key in keys.items():
            row = rows[key]
            threshold, cap = rules[name]
            delay = _delay(row.attempts, threshold, cap)
            if delay:
                elapsed = (now - row.last_attempt_at).total_seconds()
                wait = max(wait, int(delay - elapsed + 0.999))
        if wait > 0:
            return Throttle(locked=False, wait_seconds=wait)
        for row in rows.values():
            row.attempts += 1
            row.last_attempt_at = now
            row.save(update_fields=["attempts", "window_start", "last_attempt_at"])
    return None


def login_failure_record(
    *, username: str, ip_address: str | None, method: str = "password"
) -> None:
    """Log one failed sign-in (it was already counted) as a security audit event."""
    name = username_normalize(username)
    with transaction.atomic():
        LoginFailure.objects.create(username=name, ip_address=ip_address)
        audit_record(
            actor=None,
            action="login.failed",
            target=None,
            changes={"username": name, "method": method},
            kind=AuditEvent.Kind.SECURITY,
            ip_address=ip_address,
        )


def login_refusal_record(
    *, username: str | None, ip_address: str | None, throttle: Throttle, method: str
) -> None:
    """Log a sign-in refused by the throttle (its password was never checked)."""
    with transaction.atomic():
        audit_record(
            actor=None,
            action="login.locked" if throttle.locked else "login.slowed",
            target=None,
            changes={"username": username_normalize(username or ""), "method": method},
            kind=AuditEvent.Kind.SECURITY,
            ip_address=ip_address,
        )


def login_counters_clear(*, username: str, ip_address: str | None) -> None:
    """After a right password: the username's counters go; the address keeps only failures."""
    keys = _keys(username, ip_address)
    with transaction.atomic():
        SigninCounter.objects.filter(key__in=[keys["user"], keys["pair"]]).delete()
        if "addr" in keys:
            SigninCounter.objects.filter(key=keys["addr"], attempts__gt=0).update(
                attempts=F("attempts") - 1
            )
        LoginFailure.objects.filter(username__iexact=username_normalize(username)).delete()


def login_success_record(
    *, user: Any, username: str, ip_address: str | None, method: str = "password"
) -> None:
    """A good sign-in clears the username's counters and writes a security event."""
    with transaction.atomic():
        login_counters_clear(username=username, ip_address=ip_address)
        audit_record(
            actor=user,
            action="login.succeeded",
            target=None,
            changes={"method": method},
            kind=AuditEvent.Kind.SECURITY,
            ip_address=ip_address,
        )
