"""What the benchmarks share to start: Django set up on a scratch SQLite database, and a test
client signed in past the second factor staff and agents must pass (as a code typed at
/accounts/2fa/ would leave the session; the middleware's check itself still runs on every
request). Import it beside the benchmark (bench/ is the script's folder)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def setup_django(database: Path, *, huey_immediate: bool = False) -> None:
    """Production-like settings (DEBUG off, so templates come from the cached loader) on the
    SQLite file `database`; `huey_immediate`: background jobs run inline, as they are queued."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "tocnet.settings"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + os.urandom(16).hex())
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    if huey_immediate:
        os.environ["HUEY_IMMEDIATE"] = "1"
    import django

    django.setup()


def signed_in_client(user: Any) -> Any:
    """A django.test.Client signed in as ``user``."""
    from django.test import Client

    from tocnet.testing.two_factor import session_mark_verified

    client = Client()
    client.force_login(user)
    session_mark_verified(client, user)
    return client
