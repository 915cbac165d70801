"""In a real browser: a representative reads their code, the group is verified through the
fake LINE API, then they sign in with LINE Login on the fake's authorize page."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.browser_tests.conftest import chromium, screenshots  # noqa: F401 - fixtures
from tocnet.line import simulate
from tocnet.line.tests.base import SECRET, TOKEN
from tocnet.members.models import Representative
from tocnet.members.tests.factories import make_member, make_unit
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing.fakes.line_server import FakeLineServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-line-password-2564"


def test_representative_verifies_the_group_then_signs_in_with_line(
    live_server: Any,
    chromium: Any,  # noqa: F811
    screenshots: Path,  # noqa: F811
    settings: Any,
) -> None:
    unit = make_unit(abbreviation="ทบ")
    rep_user = User.objects.create_user(
        username="rep-line", password=PASSWORD, role=User.Role.REPRESENTATIVE
    )
    rep_member = make_member(unit=unit, phone="0812345678", user=rep_user, first_name="ละเอียด")
    representative = Representative.objects.create(
        member=rep_member,
        unit=unit,
        term_start=dt.date(2024, 1, 1),
        term_end=dt.date(2027, 12, 31),
    )
    register = Register.objects.create(
        unit=unit, number=3, representative=representative, line_group_name="สอ.พช.ทบ.3"
    )
    for member in [rep_member, make_member(unit=unit, first_name="สมใจ")]:
        RegisterMembership.objects.create(register=register, member=member, since=timezone.now())

    with FakeLineServer(access_token=TOKEN) as fake:
        settings.LINE_CHANNEL_SECRET, settings.LINE_CHANNEL_ACCESS_TOKEN = SECRET, TOKEN
        settings.LINE_API_BASE_URL = fake.url
        settings.LINE_LOGIN_CHANNEL_ID, settings.LINE_LOGIN_CHANNEL_SECRET = "1650", "login-s"
        settings.LINE_LOGIN_AUTHORIZE_URL = fake.url + "/oauth2/v2.1/authorize"
        context = chromium.new_context(viewport={"width": 400, "height": 860}, locale="th-TH")
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", "rep-line")
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.goto(f"{live_server.url}/my/register/")
        code = page.get_attribute("[data-line-code]", "data-line-code")
        assert code and code.startswith("TOC-")
        assert page.get_attribute("#line-status", "data-line-verified") == "false"

        webhook = f"{live_server.url}/line/webhook"
        out = StringIO()
        call_command(
            "line_simulate", "join", "--group-name", "สอ.พช.ทบ.3", "--url", webhook, stdout=out
        )
        call_command(
            "line_simulate", "message", "--group-name", "สอ.พช.ทบ.3", "--user", "rep",
            "--display-name", "ละเอียด (LINE)", "--text", code, "--url", webhook, stdout=out,
        )  # fmt: skip
        page.reload()
        assert page.get_attribute("#line-status", "data-line-verified") == "true"
        page.locator("#line-status").screenshot(path=str(screenshots / "line-verified.png"))

        page.click("form[action$='logout/'] button")
        page.goto(f"{live_server.url}/line/login/")
        assert "Fake LINE Login" in page.title()
        page.click("text=ละเอียด (LINE)")
        page.wait_for_load_state("networkidle")
        assert page.url.startswith(live_server.url)
        assert page.get_attribute("[data-role]", "data-role") == "representative"
        context.close()
    register.refresh_from_db()
    assert register.line_group_id == simulate.group_id_for("สอ.พช.ทบ.3")
