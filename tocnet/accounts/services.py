"""Sign-in throttling: failures slow, then lock, a username and an address."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tocnet.accounts.models import LoginFailure
from tocnet.core.audit import audit_record
from tocnet.core.models import AuditEvent


@dataclass(frozen=True)
class Throttle:
    locked: bool
    wait_seconds: int


MAX_USERNAME_DELAY = 60


def login_throttle_check(*, username: str, ip_address: str | None) -> Throttle:
    """Whether a sign-in may be tried now, and how long to wait.

    Locks the (username, address) pair after LOGIN_LOCK_AFTER failures and an address after
    twice that (it may be guessing many usernames). Failures for a username from anywhere only
    slow it down, up to a minute, so nobody can lock a colleague out by typing their name.
    """
    now = timezone.now()
    window_start = now - dt.timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)
    scope = Q(username__iexact=username)
    if ip_address:
        scope |= Q(ip_address=ip_address)
    failures = LoginFailure.objects.filter(scope, created_at__gte=window_start)
    by_user = failures.filter(username__iexact=username)
    by_pair = by_user.filter(ip_address=ip_address).count() if ip_address else by_user.count()
    by_address = failures.filter(ip_address=ip_address).count() if ip_address else 0
    if by_pair >= settings.LOGIN_LOCK_AFTER or by_address >= 2 * settings.LOGIN_LOCK_AFTER:
        return Throttle(locked=True, wait_seconds=settings.LOGIN_WINDOW_SECONDS)
    worst = max(by_pair, by_user.count(), by_address // 2)
    if worst >= settings.LOGIN_SLOW_AFTER:
        last = failures.order_by("-created_at").values_list("created_at", flat=True).first()
        delay = min(MAX_USERNAME_DELAY, 2 ** (worst - settings.LOGIN_SLOW_AFTER + 1))
        if last is not None:
            remaining = delay - int((now - last).total_seconds())
            if remaining > 0:
                return Throttle(locked=False, wait_seconds=remaining)
    return Throttle(locked=False, wait_seconds=0)


def login_failure_record(*, username: str, ip_address: str | None) -> None:
    """Count one failed sign-in and leave a security audit event."""
    LoginFailure.objects.create(username=username[:150], ip_address=ip_address)
    audit_record(
        actor=None,
        action="login.failed",
        target=None,
        changes={"username": username[:150]},
        kind=AuditEvent.Kind.SECURITY,
        ip_address=ip_address,
    )


def login_success_record(*, user: object, username: str, ip_address: str | None) -> None:
    """A good sign-in clears the username's failures."""
    LoginFailure.objects.filter(username__iexact=username).delete()
    audit_record(
        actor=user,
        action="login.succeeded",
        target=None,
        kind=AuditEvent.Kind.SECURITY,
        ip_address=ip_address,
    )
