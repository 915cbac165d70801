"""LINE Login (OAuth 2.0 code flow + OpenID Connect) for representatives and agents."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from tocnet.accounts.models import User
from tocnet.accounts.roles import can_use_line_login
from tocnet.core.audit import audit_record
from tocnet.core.jsontypes import JSONObject

ISSUER = "https://access.line.me"
LEEWAY_SECONDS = 60


class IdTokenError(ValueError):
    pass


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def id_token_verify(
    *, id_token: str, channel_id: str, channel_secret: str, nonce: str, now: float | None = None
) -> JSONObject:
    """Check a web-login ID token as LINE documents it: HS256 signed with the channel
    secret, iss https://access.line.me, aud = channel id, not expired, our nonce.
    Returns the claims; raises IdTokenError."""
    try:
        header_b64, payload_b64, signature_b64 = id_token.split(".")
        header = json.loads(_b64decode(header_b64))
        claims = json.loads(_b64decode(payload_b64))
        signature = _b64decode(signature_b64)
    except (ValueError, TypeError) as exc:
        raise IdTokenError("malformed token") from exc
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise IdTokenError("unexpected algorithm")  # never "none", never ES256 without JWKS
    expected = hmac.new(
        channel_secret.encode(), f"{header_b64}.{payload_b64}".encode(), hashlib.sha256
    ).digest()
    if not channel_secret or not hmac.compare_digest(signature, expected):
        raise IdTokenError("bad signature")
    if not isinstance(claims, dict):
        raise IdTokenError("malformed claims")
    now = time.time() if now is None else now
    if claims.get("iss") != ISSUER:
        raise IdTokenError("wrong issuer")
    audience = claims.get("aud")
    if audience != channel_id and not (isinstance(audience, list) and channel_id in audience):
        raise IdTokenError("wrong audience")
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] + LEEWAY_SECONDS < now:
        raise IdTokenError("expired")
    if not nonce or not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
        raise IdTokenError("wrong nonce")
    if not claims.get("sub"):
        raise IdTokenError("no subject")
    return claims


def login_claims_verify(*, id_token: str, nonce: str) -> JSONObject:
    return id_token_verify(
        id_token=id_token,
        channel_id=settings.LINE_LOGIN_CHANNEL_ID,
        channel_secret=settings.LINE_LOGIN_CHANNEL_SECRET,
        nonce=nonce,
    )


def user_for_line_login(*, line_user_id: str) -> User | None:
    """The active representative or agent account tied to this LINE user through the
    account's own LINE link (User.line_user_id), which is set only by connecting LINE while
    signed in with a password or by posting the register's one-time code in its group.
    Never through Member.line_user_id: the bot links a member with the member number and
    the last 4 digits of a phone, both printed on every attachment 3 form, which is enough
    to receive announcements but not to act as that person on the web."""
    if not line_user_id:
        return None
    user = User.objects.filter(line_user_id=line_user_id, is_active=True).first()
    if user is None or not can_use_line_login(user):
        return None
    return user


def user_line_connect(
    *,
    user: User,
    line_user_id: str,
    actor: Any = None,
    via: str = "",
    keep_existing: bool = False,
) -> bool:
    """Tie a representative's or agent's account to their LINE user: from the profile (LINE
    Login while signed in; ``actor`` defaults to the user) or by the bot when the register's
    one-time code is posted (``via``, ``keep_existing``: an account already tied stays as it
    is). False when nothing was tied, e.g. that LINE user belongs to another account."""
    if not can_use_line_login(user):
        return False
    if keep_existing and user.line_user_id:
        return False
    try:
        with transaction.atomic():
            taken = User.objects.filter(line_user_id=line_user_id).exclude(pk=user.pk).exists()
            if taken:
                return False
            before = user.line_user_id
            user.line_user_id = line_user_id
            user.save(update_fields=["line_user_id"])
            changes: dict[str, object] = {"line_user_id": {"before": bool(before), "after": True}}
            if via:
                changes["via"] = via
            audit_record(
                actor=user if actor is None else actor,
                action="line.login_connected",
                target=user,
                changes=changes,
            )
    except IntegrityError:
        return False
    return True
