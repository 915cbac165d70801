"""Test-wide guards: no network beyond 127.0.0.1, fast password hashing, local e-mail."""

import ipaddress
import socket

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _allowed(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # Unix socket paths (PostgreSQL, ...)
        return True
    host = address[0] if isinstance(address, tuple) else ""
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _allowed(address):
        raise RuntimeError(f"Network access blocked in tests: {address!r}")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _allowed(address):
        raise RuntimeError(f"Network access blocked in tests: {address!r}")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _fast_tests(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    settings.LANGUAGE_CODE = "th"  # type: ignore[attr-defined]


# Second factor: tests that sign a persona in with client.login()/force_login() get a session
# that passed it (a confirmed device of that user marked in the session), as a real sign-in
# followed by a code would. The check itself is untouched; tests of it set
# `client.otp_autoverify = False` or sign in through the real form.
from django.test.client import ClientMixin  # noqa: E402

_real_client_login = ClientMixin._login


def _login_with_second_factor(self: ClientMixin, user: object, backend: str | None = None) -> None:
    _real_client_login(self, user, backend)  # type: ignore[arg-type]
    if getattr(self, "otp_autoverify", True):
        from tocnet.testing.two_factor import session_mark_verified

        session_mark_verified(self, user)


ClientMixin._login = _login_with_second_factor  # type: ignore[method-assign]
