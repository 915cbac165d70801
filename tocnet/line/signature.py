"""Webhook signatures: base64(HMAC-SHA256(channel secret, raw body)) in ``x-line-signature``."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign_body(body: bytes | str, channel_secret: str) -> str:
    """The signature LINE would send for ``body`` (for tests, the bench and line_simulate)."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    digest = hmac.new(channel_secret.encode("utf-8"), raw, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def is_valid_signature(body: bytes, signature: str | None, channel_secret: str) -> bool:
    """Check with the SDK's validator over the raw body; missing header or secret is invalid."""
    if not signature or not channel_secret:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    from linebot.v3 import SignatureValidator  # imported on use: the SDK is slow to import

    return bool(SignatureValidator(channel_secret).validate(text, signature))
