"""Issue #14's pages at 1366 and 390 px: leaders and merge preview, new term, dashboard
badges, the plan with a vacancy and the representatives import's preview. Nothing may scroll
sideways on the phone; screenshots are kept in test-results/ to look at."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.members.models import Representative, Unit, UnitAgent
from tocnet.members.tests.import_builders import xlsx_bytes
from tocnet.registers.leaders import register_vacate
from tocnet.reports.tests.builders import add_member, add_register

from .test_reports_browser import PASSWORD, _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
DISTRICTS = ["อำเภอเมืองทดสอบ", "อ.นาดี", "บ้านนา"]


def _context(chromium: Any, size: str, state: Any = None) -> Any:
    phone = size == "phone"
    return chromium.new_context(
        viewport=SIZES[size], is_mobile=phone, has_touch=phone, locale="th-TH", storage_state=state
    )


def _fits(page: Any, size: str, what: str) -> None:
    if size == "phone":
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{what} scrolls sideways on a phone: {width}px"


def test_representatives_change_pages(live_server: Any, chromium: Any, screenshots: Path) -> None:
    today = timezone.localdate()
    unit = Unit.objects.create(
        name="สำนักงานพัฒนาชุมชนจังหวัดทดสอบวาระ", kind=Unit.Kind.PROVINCE, province="ตาก",
        abbreviation="ทว",
    )  # fmt: skip
    members = [add_member(unit, district=DISTRICTS[i % 3]) for i in range(36)]
    registers = [add_register(unit, n + 1, members[n * 12 : (n + 1) * 12]) for n in range(3)]
    first, vacant, ending = registers
    Representative.objects.filter(pk=ending.representative_id).update(
        term_start=today - dt.timedelta(days=1400), term_end=today + dt.timedelta(days=40)
    )
    newcomer = add_member(unit, district="บ้านนา")
    agent = User.objects.create_user(username="agent-t", password=PASSWORD, role=User.Role.AGENT)
    UnitAgent.objects.create(unit=unit, user=agent)
    register_vacate(register=vacant, reason="resigned", actor=agent)
    first_rep = first.representative
    assert first_rep is not None
    upload = Path(screenshots / "representatives-list.xlsx")
    upload.write_bytes(
        xlsx_bytes(
            {
                "ผู้แทน": [
                    ["เลขทะเบียนสมาชิก", "ชื่อ-สกุล", "กลุ่มไลน์", "ผู้ช่วยผู้แทน"],
                    [first_rep.member.number, first_rep.member.full_name, "สอ.พช.ทว.1", None],
                    [newcomer.number, newcomer.full_name, "สอ.พช.ทว.2", members[14].number],
                    [ending.representative.member.number, "", "สอ.พช.ทว.3", "-"],  # type: ignore[union-attr]
                ]
            }
        )
    )

    state = None  # signed in once: a one-time code cannot be typed twice
    for size in SIZES:
        context = _context(chromium, size, state)
        page = context.new_page()
        if state is None:
            _login(page, live_server.url, "agent-t")
            state = context.storage_state()

        page.goto(f"{live_server.url}/registers/{vacant.code}/leaders/?merge=preview")
        rows = page.locator('[data-table="merge-moves"] tr[data-move]')
        assert rows.count() == 12
        assert members[13].full_name in page.inner_text('[data-table="merge-moves"]')
        assert page.locator("[data-merge-targets] li").count() == 2
        _fits(page, size, "the merge preview")
        page.screenshot(path=str(screenshots / f"merge_preview_{size}.png"), full_page=True)

        page.goto(f"{live_server.url}/registers/{first.code}/leaders/")
        assert page.locator('[data-term="ended"]').count() == 1
        _fits(page, size, "the leaders page")
        page.screenshot(path=str(screenshots / f"leaders_{size}.png"), full_page=True)

        page.goto(f"{live_server.url}/dashboard/?registers=1")
        assert page.inner_text('[data-total="vacant"] .num') == "1"
        assert page.inner_text('[data-total="units_due"] .num') == "1"
        assert page.locator(f'[data-section="election"] [data-due="{unit.code}"]').count() == 1
        _fits(page, size, "the dashboard")
        page.screenshot(path=str(screenshots / f"dashboard_terms_{size}.png"), full_page=True)

        page.goto(f"{live_server.url}/registers/plan/{unit.code}/")
        _fits(page, size, "the unit's plan")
        page.screenshot(path=str(screenshots / f"plan_vacant_{size}.png"), full_page=True)

        page.goto(f"{live_server.url}/registers/terms/renew/")
        page.fill("textarea[name=numbers]", f"{first_rep.member.number}\n{members[20].number}")
        page.fill("input[name=term_start]", today.isoformat())
        page.fill("input[name=term_end]", (today + dt.timedelta(days=4 * 365)).isoformat())
        page.click('[data-form="renew"] button[type=submit]')
        page.locator('[data-section="preview"][data-renewed]').wait_for()
        assert page.locator('[data-section="preview"][data-renewed="1"]').count() == 1
        _fits(page, size, "the new-term page")
        page.screenshot(path=str(screenshots / f"terms_renew_{size}.png"), full_page=True)

        page.goto(f"{live_server.url}/members/import/")
        page.check("input[name=kind][value=representatives]")
        page.set_input_files("input[name=file]", str(upload))
        page.click("[data-upload]")
        page.locator('[data-table="leaders"]').wait_for()
        assert page.locator('[data-table="leaders"] [data-leader="successor"]').count() == 1
        assert page.locator('[data-table="leaders"] [data-leader="deputy"]').count() == 1
        _fits(page, size, "the import preview")
        page.screenshot(path=str(screenshots / f"import_leaders_{size}.png"), full_page=True)
        context.close()
