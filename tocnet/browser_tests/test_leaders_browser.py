"""On a phone: the deputy's register page and the leaders page fit 390 px; screenshots kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tocnet.accounts.models import User
from tocnet.members.models import Unit, UnitAgent
from tocnet.registers.leaders import register_deputy_set, register_vacate
from tocnet.reports.tests.builders import add_member, add_register

from .test_reports_browser import PASSWORD, _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _phone(chromium: Any) -> Any:
    return chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="th-TH"
    )


def test_deputy_and_leaders_pages_fit_a_phone(
    live_server: Any, chromium: Any, screenshots: Path
) -> None:
    unit = Unit.objects.create(
        name="สำนักงานพัฒนาชุมชนจังหวัดทดสอบผู้แทน", kind=Unit.Kind.PROVINCE, province="ตาก",
        abbreviation="ทผ",
    )  # fmt: skip
    members = [add_member(unit) for _ in range(8)]
    register = add_register(unit, 1, members[:5])
    add_register(unit, 2, members[5:])
    agent = User.objects.create_user(username="agent-l", password=PASSWORD, role=User.Role.AGENT)
    UnitAgent.objects.create(unit=unit, user=agent)
    deputy_user = User.objects.create_user(
        username="deputy-l", password=PASSWORD, role=User.Role.REPRESENTATIVE
    )
    deputy = members[2]
    deputy.user = deputy_user
    deputy.save(update_fields=["user"])
    register_deputy_set(register=register, member=deputy, actor=agent)
    register_vacate(register=register, reason="resigned", actor=agent)

    context = _phone(chromium)
    page = context.new_page()
    _login(page, live_server.url, "deputy-l")
    page.goto(f"{live_server.url}/my/register/")
    assert page.locator('[data-you-are="deputy"]').count() == 1
    assert page.locator('[data-leader-notice][data-vacant="1"]').count() == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the deputy's page scrolls sideways: {width}px"
    page.screenshot(path=str(screenshots / "deputy_my_register_phone.png"), full_page=False)
    context.close()

    context = _phone(chromium)
    page = context.new_page()
    _login(page, live_server.url, "agent-l")
    page.goto(f"{live_server.url}/registers/{register.code}/leaders/?merge=preview")
    assert page.locator('[data-section="merge"] [data-table="merge-moves"]').count() == 1
    assert page.locator('[data-state="vacant"]').count() >= 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the leaders page scrolls sideways: {width}px"
    page.screenshot(path=str(screenshots / "leaders_phone.png"), full_page=True)
    context.close()
