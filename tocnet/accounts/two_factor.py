"""The second factor (django-otp): TOTP in an authenticator app, ten one-time recovery codes,
"remember this device" for at most 30 days, reset by another staff member.

It sits on the one sign-in path: a password (or LINE Login, a first factor only) signs the
user in; SecondFactorMiddleware then lets a user who must verify reach nothing but the
verify/enrol pages until a code is accepted. Codes go through the sign-in throttle under the
username "2fa:<username>", so guessing codes is slowed and locked like guessing passwords.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from base64 import b32encode
from dataclasses import dataclass
from typing import Any, TypeGuard

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.accounts.services import (
    Throttle,
    login_counters_clear,
    login_failure_record,
    login_refusal_record,
    login_throttle_reserve,
)
from tocnet.core.audit import audit_record
from tocnet.core.http import client_ip
from tocnet.core.models import AuditEvent

RECOVERY_CODES = 10
SESSION_KEY = "tocnet_2fa"
REMEMBER_COOKIE = "tocnet_2fa_device"
REMEMBER_SALT = "tocnet.accounts.two_factor.remember"
REMEMBER_MAX = dt.timedelta(days=30)


def needs_second_factor(user: object) -> bool:
    """Staff, agents and anyone who can open the admin must use a second factor."""
    if not roles.is_signed_in(user):
        return False
    return bool(roles.is_cooperative_staff(user) or roles.is_agent(user) or user.is_staff)


def may_use_second_factor(user: object) -> bool:
    """Representatives and the board may turn it on; members sign in only through LINE."""
    return needs_second_factor(user) or roles.is_representative(user) or roles.is_board(user)


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def has_second_factor(user: User) -> bool:
    return bool(getattr(user, "second_factor_enabled", False))


def must_verify(user: object) -> TypeGuard[User]:
    """Whether this signed-in user has to pass the second factor before any page."""
    if not roles.is_signed_in(user):
        return False
    return needs_second_factor(user) or has_second_factor(user)


def _session_mark(user: User) -> str:
    return f"{user.pk}:{user.second_factor_epoch}"


def is_verified(request: HttpRequest) -> bool:
    """This session passed the second factor since the user's last reset (no query)."""
    user = getattr(request, "user", None)
    if not roles.is_signed_in(user) or not has_second_factor(user):
        return False
    return bool(request.session.get(SESSION_KEY) == _session_mark(user))


def session_verify(request: HttpRequest, user: User) -> None:
    """Mark this session as past the second factor."""
    request.session[SESSION_KEY] = _session_mark(user)


# --- enrolment -------------------------------------------------------------------------------

# Who may enrol an authenticator with what (docs/decisions/0007-second-factor-enrolment.md):
ENROL_OPEN = "open"  # the password alone: a new account's first days, or an optional user
ENROL_CODE = "code"  # the one-time enrolment code another staff member was given at a reset
ENROL_CLOSED = "closed"  # nothing: ask another staff member for an enrolment code

ENROL_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
ENROL_CODE_LENGTH = 10


def _first_enrol_window() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "TWO_FACTOR_FIRST_ENROL_DAYS", 3)))


def _enrol_code_life() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "TWO_FACTOR_ENROL_CODE_HOURS", 24)))


def enrol_code_pending(user: User, now: dt.datetime | None = None) -> bool:
    """An enrolment code was issued to this user and still works."""
    until = user.second_factor_enrol_until
    return bool(
        user.second_factor_enrol_code and until is not None and (now or timezone.now()) < until
    )


def enrolment_state(user: User, now: dt.datetime | None = None) -> str:
    """How this (not yet enrolled) user may enrol: ENROL_OPEN, ENROL_CODE or ENROL_CLOSED.

    A pending enrolment code is always asked for. Otherwise a user for whom the second factor
    is optional enrols with the password; one who must use it only during the first days after
    the account was made and never after a reset (a reset issues a code instead), so a stolen
    password cannot enrol the thief's phone on an account that has been waiting for weeks.
    """
    now = now or timezone.now()
    if enrol_code_pending(user, now):
        return ENROL_CODE
    if not needs_second_factor(user):
        return ENROL_OPEN
    if user.second_factor_epoch == 0 and now < user.date_joined + _first_enrol_window():
        return ENROL_OPEN
    return ENROL_CLOSED


def _normalise_enrol_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def enrol_code_issue(
    *, user: User, actor: Any, ip_address: str | None = None
) -> tuple[str, dt.datetime]:
    """A new one-time enrolment code for ``user`` (replacing any earlier one): returned once,
    to be shown to the staff member who gives it to the user out of band; stored hashed.
    Audited. Returns (the code as shown, when it stops working)."""
    raw = "".join(secrets.choice(ENROL_CODE_ALPHABET) for _i in range(ENROL_CODE_LENGTH))
    until = timezone.now() + _enrol_code_life()
    User.objects.filter(pk=user.pk).update(
        second_factor_enrol_code=make_password(raw), second_factor_enrol_until=until
    )
    user.second_factor_enrol_code = "set"  # the hash stays in the database only
    user.second_factor_enrol_until = until
    audit_record(
        actor=actor,
        action="2fa.enrol_code_issued",
        target=user,
        changes={"valid_until": until.isoformat()},
        kind=AuditEvent.Kind.SECURITY,
        ip_address=ip_address,
    )
    half = ENROL_CODE_LENGTH // 2
    return f"{raw[:half]}-{raw[half:]}", until


def _enrol_code_matches(user: User, code: str) -> bool:
    stored = User.objects.filter(pk=user.pk).values_list("second_factor_enrol_code", flat=True)
    hashed = stored.first() or ""
    normalised = _normalise_enrol_code(code)
    return bool(hashed and normalised and check_password(normalised, hashed))


def totp_pending(user: User) -> TOTPDevice:
    """The unconfirmed device shown as a QR code while the user enrols (one at a time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The key as base32, in groups of four, for typing into an app by hand."""
    raw = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2
    )
    return image.to_string(encoding="unicode")  # type: ignore[no-any-return]


def recovery_codes_issue(*, user: User, actor: Any) -> list[str]:
    """Replace the user's recovery codes by ten new one-time codes; returns them (shown once)."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
        audit_record(
            actor=actor,
            action="2fa.recovery_codes_issued",
            target=user,
            kind=AuditEvent.Kind.SECURITY,
        )
    return codes


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user).count())


# --- verification, throttled -----------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    throttle: Throttle | None = None
    method: str = ""


def _throttle_name(user: User) -> str:
    return f"2fa:{user.get_username()}"


def code_check(
    *,
    request: HttpRequest,
    user: User,
    code: str,
    device: TOTPDevice | None = None,
    enrol_code: str = "",
) -> CodeCheck:
    """Check a TOTP or recovery code through the sign-in throttle; log in the device if good.

    `device` given: only that (unconfirmed) TOTP device is tried (enrolment), and only as
    :func:`enrolment_state` allows: with `enrol_code` when one is pending, never when closed.
    A recovery code works once. A TOTP code is refused when replayed (django-otp keeps the
    last step used).
    """
    code = "".join(code.split()).lower()
    name = _throttle_name(user)
    ip = client_ip(request)
    refusal = login_throttle_reserve(username=name, ip_address=ip)
    if refusal is not None:
        login_refusal_record(username=name, ip_address=ip, throttle=refusal, method="2fa")
        return CodeCheck(ok=False, throttle=refusal)
    if device is not None:
        state = enrolment_state(user)
        if state == ENROL_CLOSED or (
            state == ENROL_CODE and not _enrol_code_matches(user, enrol_code)
        ):
            login_failure_record(username=name, ip_address=ip, method="2fa_enrol")
            return CodeCheck(ok=False, method="enrol_code")
    matched: Any = None
    method = ""
    with transaction.atomic():
        if device is not None:
            locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(code):
                matched, method = locked, "totp"
        else:
            totp = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
            for candidate in totp:
                if len(code) == 6 and code.isdigit() and candidate.verify_token(code):
                    matched, method = candidate, "totp"
                    break
            if matched is None and len(code) == 8:
                for static in StaticDevice.objects.select_for_update().filter(user=user):
                    if static.verify_token(code):
                        matched, method = static, "recovery_code"
                        break
    if matched is None:
        login_failure_record(username=name, ip_address=ip, method="2fa")
        return CodeCheck(ok=False)
    with transaction.atomic():
        login_counters_clear(username=name, ip_address=ip)
        if device is not None:
            matched.confirmed = True
            matched.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=matched.pk).delete()
            user.second_factor_enabled = True
            user.second_factor_enrol_code = ""  # used: it works once
            user.second_factor_enrol_until = None
            user.save(
                update_fields=[
                    "second_factor_enabled",
                    "second_factor_enrol_code",
                    "second_factor_enrol_until",
                ]
            )
        session_verify(request, user)
        audit_record(
            actor=user,
            action="2fa.enrolled" if device is not None else "2fa.verified",
            target=None,
            changes={"method": method},
            kind=AuditEvent.Kind.SECURITY,
            ip_address=ip,
        )
    return CodeCheck(ok=True, method=method)


# --- remember this device --------------------------------------------------------------------


def _password_mark(user: User) -> str:
    # A password change (or reset) forgets every remembered device.
    return hashlib.sha256(f"{user.pk}:{user.password}".encode()).hexdigest()[:16]


def remember_device(response: HttpResponse, *, user: User, request: HttpRequest) -> None:
    """Set the signed cookie that skips the second factor on this browser for 30 days."""
    if not has_second_factor(user):
        return
    value = signing.dumps(
        {"u": user.pk, "e": user.second_factor_epoch, "p": _password_mark(user)},
        salt=REMEMBER_SALT,
    )
    response.set_cookie(
        REMEMBER_COOKIE,
        value,
        max_age=int(REMEMBER_MAX.total_seconds()),
        secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
        httponly=True,
        samesite="Lax",
    )
    audit_record(
        actor=user,
        action="2fa.device_remembered",
        target=None,
        kind=AuditEvent.Kind.SECURITY,
        ip_address=client_ip(request),
    )


def is_remembered(request: HttpRequest, user: User) -> bool:
    """A valid remember cookie for this user, since their last reset and password change."""
    raw = request.COOKIES.get(REMEMBER_COOKIE)
    if not raw or not has_second_factor(user):
        return False
    try:
        data = signing.loads(raw, salt=REMEMBER_SALT, max_age=REMEMBER_MAX)
    except signing.BadSignature:
        return False
    return bool(
        data.get("u") == user.pk
        and data.get("e") == user.second_factor_epoch
        and data.get("p") == _password_mark(user)
    )


# --- reset by another staff member -----------------------------------------------------------


def can_reset_second_factor(actor: object, target: User) -> bool:
    """Staff reset someone else's (the page that calls this is behind the second factor)."""
    return bool(roles.is_cooperative_staff(actor) and getattr(actor, "pk", None) != target.pk)


@dataclass(frozen=True)
class Reset:
    devices_removed: int
    enrol_code: str  # shown once to the staff member who reset, given to the user out of band
    enrol_code_until: dt.datetime


@transaction.atomic
def second_factor_reset(*, user: User, actor: Any, ip_address: str | None = None) -> Reset:
    """Remove a user's authenticator and recovery codes and issue a one-time enrolment code;
    the user enrols again at next sign-in with that code (within TWO_FACTOR_ENROL_CODE_HOURS).

    Done by another staff member only; audited. Remembered browsers stop working too, since
    the epoch they name has moved on. Also how a staff member gives a code to someone whose
    first-enrolment window closed before they enrolled (nothing to remove then).
    """
    if not can_reset_second_factor(actor, user):
        raise PermissionError("a second factor is reset by another, verified staff member")
    totp, _by_model = TOTPDevice.objects.filter(user=user).delete()
    static, _by_model = StaticDevice.objects.filter(user=user).delete()
    User.objects.filter(pk=user.pk).update(
        second_factor_enabled=False, second_factor_epoch=F("second_factor_epoch") + 1
    )
    audit_record(
        actor=actor,
        action="2fa.reset",
        target=user,
        changes={"devices_removed": totp + static},
        kind=AuditEvent.Kind.SECURITY,
        ip_address=ip_address,
    )
    code, until = enrol_code_issue(user=user, actor=actor, ip_address=ip_address)
    return Reset(int(totp + static), code, until)


class SecondFactorAdminSite(AdminSite):
    """The admin: staff who passed the second factor in this session."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and is_verified(request)
