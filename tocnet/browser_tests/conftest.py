"""Playwright on Debian's chromium (/usr/bin/chromium), against pytest-django's live_server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results"


_shared: dict[str, Any] = {"users": 0}


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless chromium for the whole run, shared by every module that uses the fixture.

    Other apps' browser tests import this fixture into their own modules, which makes pytest
    set it up once per place it is defined; Playwright allows only one sync session per
    thread, so every set-up shares the first one and the last tear-down closes it.
    """
    if not shutil.which(CHROMIUM):
        message = "Debian's chromium is not installed (scripts/setup installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the browser tests, never skip them
        pytest.skip(message)
    if _shared["users"] == 0:
        from playwright.sync_api import sync_playwright

        # Playwright's sync API keeps an event loop running in this thread; the ORM calls
        # the browser tests make to set up data are still plain synchronous calls. Allowed
        # only while the browser runs, so other tests keep Django's async-safety check.
        _shared["previous_env"] = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        _shared["playwright"] = sync_playwright().start()
        _shared["browser"] = _shared["playwright"].chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
    _shared["users"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] -= 1
        if _shared["users"] == 0:
            _shared.pop("browser").close()
            _shared.pop("playwright").stop()
            previous = _shared.pop("previous_env")
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
