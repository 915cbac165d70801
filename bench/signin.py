"""A test client signed in for a benchmark, past the second factor staff and agents must pass
(as a code typed at /accounts/2fa/ would leave the session; the middleware's check itself
still runs on every request). Import after django.setup()."""

from __future__ import annotations

from typing import Any


def signed_in_client(user: Any) -> Any:
    """A django.test.Client signed in as ``user``."""
    from django.test import Client

    from tocnet.testing.two_factor import session_mark_verified

    client = Client()
    client.force_login(user)
    session_mark_verified(client, user)
    return client
