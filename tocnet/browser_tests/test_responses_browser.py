"""In a real browser at 390 px: a representative's chase list after the members' deadline, two
members marked informed by phone (htmx), and the report adding up for staff."""

from __future__ import annotations

from typing import Any

import pytest

from tocnet.browser_tests.conftest import chromium, screenshots  # noqa: F401 (fixtures)
from tocnet.browser_tests.test_reports_browser import PASSWORD, _cooperative, _login
from tocnet.messaging.responses.models import Ask, Response, Way
from tocnet.messaging.responses.selectors import announcement_report
from tocnet.messaging.responses.services import response_record
from tocnet.messaging.tests.response_builders import sent_announcement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
assert PASSWORD


def test_chase_list_on_a_phone(live_server: Any, chromium: Any, screenshots: Any) -> None:  # noqa: F811
    coop = _cooperative()
    members = coop["members"]
    announcement = sent_announcement(
        members[:7], kind=Ask.Kind.POLL, question="วันไหนสะดวก", options=["เสาร์", "อาทิตย์"]
    )
    option = announcement.ask.options.first()
    response_record(announcement=announcement, member=members[1], way=Way.LIFF, option=option)
    response_record(announcement=announcement, member=members[2], way=Way.GROUP_TEXT)
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
    page = context.new_page()
    try:
        _login(page, live_server.url, "rep-b")
        page.goto(f"{live_server.url}/r/chase/")
        rows = page.locator("li.chase-row")
        # 7 recipients, 2 answered, and the representative's own record is not on their list.
        assert rows.count() == 4
        page.screenshot(path=str(screenshots / "chase_list_phone.png"), full_page=False)
        for member in members[3:5]:
            row = page.locator(f'li.chase-row[data-member="{member.number}"]')
            row.locator('button[data-mark="rep_phone"]').click()
            page.locator(
                f'li.chase-row[data-member="{member.number}"] [data-marked="rep_phone"]'
            ).wait_for()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width  # nothing wider than the phone
        page.screenshot(path=str(screenshots / "chase_list_marked.png"), full_page=False)
    finally:
        context.close()
    assert Response.objects.filter(way=Way.REP_PHONE).count() == 2
    report = announcement_report(announcement)
    assert (report.responded, report.informed, report.informed_staff, report.unreached) == (
        2,
        2,
        0,
        3,
    )
    assert report.recipients == (
        report.responded + report.informed + report.informed_staff + report.unreached
    )
    assert report.poll == {"เสาร์": 1, "อาทิตย์": 0}


def test_my_register_folds_the_chase_list_per_announcement(
    live_server: Any,
    chromium: Any,  # noqa: F811
    screenshots: Any,  # noqa: F811
) -> None:
    """At 390 px on /my/register/ the chase list of three open announcements is three folds:
    the first open with its members, the others a line each with their counts; a tap opens
    one and its marks work there."""
    coop = _cooperative()
    members = coop["members"][:7]
    titles = ["ประชุมใหญ่สามัญประจำปี", "เงินปันผลและเงินเฉลี่ยคืน", "สวัสดิการสมาชิก"]
    announcements = [sent_announcement(members, title=t) for t in titles]
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="th-TH"
    )
    page = context.new_page()
    try:
        _login(page, live_server.url, "rep-b")
        page.goto(f"{live_server.url}/my/register/")
        folds = page.locator("#chase-slot details.chase-section")
        folds.first.wait_for()
        assert folds.count() == 3
        # 6 to chase in each (the representative's own record is not theirs to chase).
        for i in range(3):
            assert "ยังไม่ตอบ 6 จาก 6 คน" in folds.nth(i).locator(".chase-count").inner_text()
        visible = page.locator("#chase-slot li.chase-row:visible")
        assert visible.count() == 6  # the first fold's members only
        folded_height = page.evaluate("document.documentElement.scrollHeight")
        page.locator("#chase-slot").screenshot(
            path=str(screenshots / "my_register_chase_folded.png")
        )
        second = folds.nth(1)
        code = second.get_attribute("data-chase-announcement")
        assert code == str(announcements[1].code) or code == str(announcements[0].code)
        summary = second.locator(":scope > summary")
        box = summary.bounding_box()
        assert box is not None and box["height"] >= 44, box
        summary.tap()
        assert visible.count() == 12
        assert page.evaluate("document.documentElement.scrollHeight") > folded_height + 600
        member = members[3]
        row = second.locator(f'li.chase-row[data-member="{member.number}"]')
        row.locator('button[data-mark="rep_phone"]').click()
        second.locator(
            f'li.chase-row[data-member="{member.number}"] [data-marked="rep_phone"]'
        ).wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
    marked = Response.objects.get(way=Way.REP_PHONE)
    assert marked.member == members[3]
    assert str(marked.announcement.code) == code
