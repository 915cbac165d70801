"""What the benchmarks share to start: Django set up on a scratch SQLite database, a test
client signed in past the second factor staff and agents must pass (as a code typed at
/accounts/2fa/ would leave the session; the middleware's check itself still runs on every
request), and a member's LINE message timed from the webhook to the inbox. Import it beside
the benchmark (bench/ is the script's folder)."""

from __future__ import annotations

import os
import time
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


def message_to_inbox_ms(
    client: Any, *, line_user_id: str, text: str, secret: str, limit: float = 120.0
) -> float:
    """Milliseconds from POSTing a signed 1:1 message to /line/webhook until it is stored in
    the inbox (by the request itself, or by a huey worker of its own)."""
    from tocnet.conversations.models import Message
    from tocnet.line import simulate

    event = simulate.user_message_event(line_user_id, text)
    body, signature = simulate.signed([event], secret)
    start = time.perf_counter()
    response = client.post(
        "/line/webhook", data=body, content_type="application/json",
        HTTP_X_LINE_SIGNATURE=signature, secure=True,
    )  # fmt: skip
    assert response.status_code == 200, response.status_code
    stored = Message.objects.filter(line_message_id=event["message"]["id"])
    while not stored.exists():
        if time.perf_counter() - start > limit:
            raise SystemExit(f"message not in the inbox after {limit:.0f} s")
        time.sleep(0.005)
    return (time.perf_counter() - start) * 1000
