"""Personal response links for members LINE cannot reach (SMS, e-mail).

A link carries an 18-character token: 12 random characters (72 bits, the lookup key of a
stored link with its expiry) and a 6-character HMAC of them under SECRET_KEY. A forged or
mistyped token is refused before any database read; a guessed one would need the key. The
token is short so that an SMS with the link still fits one Thai segment (70 characters).
"""

from __future__ import annotations

import hmac
import secrets
import string

from django.utils.crypto import salted_hmac

SALT = "tocnet.messaging.responses.link"
KEY_LENGTH = 12
MAC_LENGTH = 6
TOKEN_LENGTH = KEY_LENGTH + MAC_LENGTH
_ALPHABET = string.ascii_letters + string.digits  # no "-" or "_": SMS apps cut links there


def _mac(key: str) -> str:
    digest = salted_hmac(SALT, key, algorithm="sha256").digest()
    number = int.from_bytes(digest[:8], "big")
    out = []
    for _ in range(MAC_LENGTH):
        number, rest = divmod(number, len(_ALPHABET))
        out.append(_ALPHABET[rest])
    return "".join(out)


def link_token_new() -> tuple[str, str]:
    """A fresh (key, token): store the key with the link's row, send the token."""
    key = "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))
    return key, key + _mac(key)


def link_token_for_key(key: str) -> str:
    """The token of a stored key (the same link again, e.g. in a reminder)."""
    return key + _mac(key)


def link_token_key(token: str) -> str | None:
    """The stored key a token names, or None when the token is malformed or not ours."""
    if not isinstance(token, str) or len(token) != TOKEN_LENGTH:
        return None
    if any(ch not in _ALPHABET for ch in token):
        return None
    key, mac = token[:KEY_LENGTH], token[KEY_LENGTH:]
    if not hmac.compare_digest(mac, _mac(key)):
        return None
    return key
