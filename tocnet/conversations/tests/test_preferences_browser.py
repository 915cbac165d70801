"""The member's privacy choices inside LINE, at 390 px: one tap per purpose and channel."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore

from tocnet.browser_tests.conftest import chromium, screenshots  # noqa: F401 - fixtures
from tocnet.members.tests.factories import make_member, make_unit
from tocnet.messaging.responses import liff
from tocnet.privacy.models import Consent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LINE_USER = "U" + "e" * 32


def test_a_member_sets_their_choices_on_the_phone(
    live_server: Any,
    chromium: Any,  # noqa: F811
    screenshots: Path,  # noqa: F811
) -> None:
    member = make_member(unit=make_unit(abbreviation="ทดป"), line_user_id=LINE_USER)
    session = SessionStore()
    session[liff.SESSION_KEY] = {"sub": LINE_USER, "at": time.time()}  # as after the ID token
    session.create()
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/r/privacy/")
    assert page.locator("fieldset[data-purpose]").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("[data-privacy-notice] a").count() >= 1
    page.screenshot(path=str(screenshots / "privacy-choices-phone.png"), full_page=True)
    # Boxes a member can tap: at least 20 px, each label a 44 px target.
    box = page.locator("input[name=news-sms]").bounding_box()
    assert box is not None and min(box["width"], box["height"]) >= 20, box
    label = page.locator("label[data-field=news-sms]").bounding_box()
    assert label is not None and label["height"] >= 44, label
    page.uncheck("input[name=news-sms]")
    page.check("input[name=rep_view-line]")
    page.click("[data-action=save-preferences]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".messages").count() == 1
    assert not page.is_checked("input[name=news-sms]")
    assert page.is_checked("input[name=rep_view-line]")
    assert {
        (c.purpose, c.channel, c.allowed, c.method) for c in Consent.objects.filter(member=member)
    } == {
        ("news", "sms", False, "line"),
        ("rep_view", "line", True, "line"),
    }
    context.close()
