"""In a real browser: sign in, the dashboard, a representative's page on a phone, a download."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tocnet.accounts.models import User
from tocnet.members.models import Representative, Unit, UnitAgent
from tocnet.registers.models import Register
from tocnet.reports.tests.builders import add_member, add_register, verify_group
from tocnet.testing.two_factor import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-test-password-2564"  # noqa: S105


def _cooperative() -> dict[str, Any]:
    unit = Unit.objects.create(
        name="สำนักงานพัฒนาชุมชนจังหวัดทดสอบ", kind=Unit.Kind.PROVINCE, province="ตาก",
        abbreviation="ทบ",
    )  # fmt: skip
    members = [add_member(unit, email=f"m{i}@example.com" if i % 2 else "") for i in range(12)]
    members.append(add_member(unit, phone=False))  # cannot be reached
    register_1 = add_register(unit, 1, members[:7])
    add_register(unit, 2, members[7:])
    verify_group(register_1, seen=members[1:4])
    staff = User.objects.create_user(
        username="staff-b", password=PASSWORD, role=User.Role.STAFF, is_staff=True
    )
    agent = User.objects.create_user(username="agent-b", password=PASSWORD, role=User.Role.AGENT)
    UnitAgent.objects.create(unit=unit, user=agent)
    rep_user = User.objects.create_user(
        username="rep-b", password=PASSWORD, role=User.Role.REPRESENTATIVE
    )
    rep = Representative.objects.get(registers=register_1)
    rep.member.user = rep_user
    rep.member.save(update_fields=["user"])
    assert rep.term_end >= dt.date(2021, 1, 1)
    return {"unit": unit, "members": members, "register": register_1, "staff": staff,
            "agent": agent, "rep": rep_user}  # fmt: skip


def _login(page: Any, base: str, username: str) -> None:
    browser_sign_in(page, base, username, PASSWORD)


def test_staff_sees_the_dashboard(live_server: Any, chromium: Any, screenshots: Path) -> None:
    data = _cooperative()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH")
    page = context.new_page()
    _login(page, live_server.url, "staff-b")
    page.goto(f"{live_server.url}/dashboard/")
    active = sum(1 for m in data["members"] if m.status == "active")
    assert page.inner_text('[data-total="members"] .num').replace(",", "") == str(active)
    assert page.inner_text('[data-total="in_group"] .num') == "3"
    row = page.locator(f'tr[data-unit="{data["unit"].code}"]')
    assert row.locator('[data-col="members"]').inner_text() == str(active)
    assert page.locator('#province-map path[data-province="ตาก"]').count() == 1
    assert page.locator("#province-map path").count() == 77
    # sort by members, largest first
    page.click('#units-table th[data-sort-key="members"] a')
    page.click('#units-table th[data-sort-key="members"] a')
    assert "sort=-members" in page.url
    first = page.locator("#units-table tbody tr").first
    assert first.get_attribute("data-unit") == str(data["unit"].code)
    page.goto(f"{live_server.url}/dashboard/")
    page.screenshot(path=str(screenshots / "dashboard.png"), full_page=False)
    context.close()


def test_representative_page_fits_a_phone(
    live_server: Any, chromium: Any, screenshots: Path
) -> None:
    data = _cooperative()
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="th-TH"
    )
    page = context.new_page()
    _login(page, live_server.url, "rep-b")
    page.goto(f"{live_server.url}/my/register/")
    register: Register = data["register"]
    assert page.locator(f'[data-register="{register.code}"]').count() == 1
    assert page.locator(".member-cards li").count() == 7
    assert page.locator('.member-cards li[data-state="in_group"]').count() == 3
    assert page.locator('[data-check="group_verified"]').get_attribute("data-done") == "true"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone: {width}px"
    page.screenshot(path=str(screenshots / "my_register_phone.png"), full_page=False)
    context.close()


def test_agent_downloads_a_form(live_server: Any, chromium: Any, tmp_path: Path) -> None:
    data = _cooperative()
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    _login(page, live_server.url, "agent-b")
    page.goto(f"{live_server.url}/reports/forms/")
    with page.expect_download() as info:
        page.click(f'[data-unit="{data["unit"].code}"] [data-download="attachment3-xlsx"]')
    download = info.value
    assert download.suggested_filename == "attachment3-ทบ.xlsx"
    target = tmp_path / "form.xlsx"
    download.save_as(str(target))
    wb = load_workbook(io.BytesIO(target.read_bytes()))
    assert wb.sheetnames == ["สอ.พช.ทบ.1", "สอ.พช.ทบ.2", "_tocnet"]
    with page.expect_download() as info:
        page.click(f'[data-unit="{data["unit"].code}"] [data-download="attachment3-pdf"]')
    pdf = tmp_path / "form.pdf"
    info.value.save_as(str(pdf))
    assert pdf.read_bytes()[:4] == b"%PDF"
    context.close()


# LINE's in-app browser on an iPhone (what representatives open links in).
LINE_IN_APP = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Safari Line/14.9.0"
)


def test_representative_gets_their_pdf_through_a_progress_page_in_line(
    live_server: Any, chromium: Any, tmp_path: Path, screenshots: Path
) -> None:
    """#16 (c): a representative's PDF is drawn in the background; in LINE's browser at 390 px
    the progress line updates itself (htmx) and then offers the download."""
    from tocnet.reports.models import ReportJob
    from tocnet.reports.services import report_job_run

    data = _cooperative()
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="th-TH",
        user_agent=LINE_IN_APP, accept_downloads=True,
    )  # fmt: skip
    page = context.new_page()
    _login(page, live_server.url, "rep-b")
    page.goto(f"{live_server.url}/my/register/")
    page.click('[data-download="my-attachment3-pdf"]')
    page.wait_for_url("**/reports/jobs/*/status/")
    job = ReportJob.objects.get(requested_by=data["rep"])
    assert job.kind == ReportJob.Kind.UNIT_PDF
    # A job still waiting when the page opens: the line polls until the file is ready.
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJob.Status.PENDING, content=b"", size=0, progress=0
    )
    page.reload()
    assert page.locator(f'#job-{job.code}[data-job-status="pending"]').count() == 1
    assert page.locator("main").inner_text().count("กำลังจัดทำไฟล์ PDF") == 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the progress page scrolls sideways on a phone: {width}px"
    page.screenshot(path=str(screenshots / "report_job_phone_waiting.png"), full_page=False)
    report_job_run(job_id=job.pk)  # the slow queue's worker
    link = page.wait_for_selector(f'[data-job-download="{job.code}"]', timeout=10_000)
    assert link is not None
    page.screenshot(path=str(screenshots / "report_job_phone_ready.png"), full_page=False)
    with page.expect_download() as info:
        link.click()
    pdf = tmp_path / "mine.pdf"
    info.value.save_as(str(pdf))
    assert pdf.read_bytes()[:4] == b"%PDF"
    back = page.locator('main a[href="/my/register/"]', has_text="กลับไปหน้าทะเบียนของฉัน")
    assert back.count() == 1  # the way back to their page
    context.close()
