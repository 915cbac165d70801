"""In a real browser at 390 px: the staff call queue, the live report that refreshes itself,
closing answers into the closing report, open feedback, and the representatives' follow-up
on the dashboard and on the representative's own page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tocnet.browser_tests.conftest import chromium, screenshots  # noqa: F401 (fixtures)
from tocnet.browser_tests.test_reports_browser import _cooperative, _login
from tocnet.messaging.models import Announcement
from tocnet.messaging.responses.models import (
    Ask,
    Chase,
    ClosingReport,
    Response,
    TimelineEntry,
    Way,
)
from tocnet.messaging.responses.services import response_record
from tocnet.messaging.tests.response_builders import sent_announcement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width


def _poll_past_deadlines(members: list[Any]) -> Announcement:
    announcement = sent_announcement(
        members, kind=Ask.Kind.POLL, question="วันไหนสะดวกประชุม", options=["เสาร์", "อาทิตย์"]
    )
    start = timezone.now() - dt.timedelta(hours=150)
    Announcement.objects.filter(pk=announcement.pk).update(send_started_at=start)
    announcement.refresh_from_db()
    Ask.objects.filter(announcement=announcement).update(
        opened_at=start, stage=Ask.Stage.STAFF, stage_at=start + dt.timedelta(hours=144)
    )
    TimelineEntry.objects.create(
        announcement=announcement,
        step=TimelineEntry.Step.MEMBER_DEADLINE,
        at=start + dt.timedelta(hours=48),
        count=5,
    )
    sat, sun = announcement.ask.options.all()
    response_record(
        announcement=announcement, member=members[1], way=Way.LIFF, option=sat,
        at=start + dt.timedelta(hours=2),
    )  # fmt: skip
    response_record(
        announcement=announcement, member=members[2], way=Way.SMS_LINK, option=sun,
        at=start + dt.timedelta(hours=60),
    )  # fmt: skip
    response_record(
        announcement=announcement, member=members[3], way=Way.REP_PHONE,
        at=start + dt.timedelta(hours=52),
    )  # fmt: skip
    for member in members[4:7]:
        Chase.objects.create(
            announcement=announcement, member=member, stage=Chase.Stage.STAFF,
            created_at=start + dt.timedelta(hours=144),
        )  # fmt: skip
    return announcement


def test_staff_pages_on_a_phone(live_server: Any, chromium: Any, screenshots: Any) -> None:  # noqa: F811
    coop = _cooperative()
    members = coop["members"]
    poll = _poll_past_deadlines(members[:7])
    feedback = sent_announcement(
        members[:7], kind=Ask.Kind.FEEDBACK, question="อยากให้สหกรณ์ปรับปรุงเรื่องใด"
    )
    response_record(
        announcement=feedback, member=members[1], way=Way.LIFF,
        text="อยากให้มีช่องทางกู้ฉุกเฉินผ่านไลน์ และแจ้งยอดหนี้คงเหลือทุกเดือน",
    )  # fmt: skip
    context = chromium.new_context(viewport=PHONE, locale="th-TH")
    page = context.new_page()
    try:
        _login(page, live_server.url, "staff-b")
        # The call queue: in the menu, three members, tap-to-call, one informed by phone.
        page.goto(f"{live_server.url}/r/calls/")
        assert page.locator("li.call-row").count() == 3
        first = members[4]
        row = page.locator(f'li.call-row[data-member="{first.number}"]')
        assert row.locator("a[href^='tel:+66']").count() >= 1
        _fits(page)
        page.screenshot(path=str(screenshots / "call_queue_phone.png"), full_page=True)
        row.locator('button[data-mark="staff_call"]').click()
        page.locator(
            f'li.call-row[data-member="{first.number}"] [data-marked="staff_call"]'
        ).wait_for()
        second = page.locator(f'li.call-row[data-member="{members[5].number}"]')
        second.locator("summary").click()
        second.locator("input[name=note]").fill("ปิดเครื่องทั้งสองเบอร์")
        second.locator('button[data-mark="staff_unreached"]').click()
        page.locator(
            f'li.call-row[data-member="{members[5].number}"] [data-marked="staff_unreached"]'
        ).wait_for()
        _fits(page)
        # The live report refreshes by itself when someone answers.
        page.goto(f"{live_server.url}/r/report/{poll.code}/")
        assert page.inner_text('[data-report="responded"] .num') == "2"
        _fits(page)
        page.screenshot(path=str(screenshots / "report_live_phone.png"), full_page=True)
        response_record(
            announcement=poll, member=members[6], way=Way.LIFF, option=poll.ask.options.first()
        )
        # htmx asks for the live part every 15 s: the count changes without a reload.
        expect(page.locator('[data-report="responded"] .num')).to_have_text("3", timeout=25_000)
        # Close answers: the closing report is stored and shown.
        page.locator("details.close-answers summary").click()
        page.locator('button[data-action="close-answers"]').click()
        page.locator('[data-closing-report="true"]').wait_for()
        assert page.inner_text('[data-report="unreached"] .num') == "2"  # 7 - 3 - 2 informed
        _fits(page)
        page.screenshot(path=str(screenshots / "closing_report_phone.png"), full_page=True)
        # Open feedback, for staff.
        page.goto(f"{live_server.url}/r/feedback/{feedback.code}/")
        assert page.locator("li.feedback").count() == 1
        _fits(page)
        page.screenshot(path=str(screenshots / "feedback_phone.png"), full_page=True)
        # The dashboard's follow-up section fits too.
        page.goto(f"{live_server.url}/dashboard/")
        box = page.locator("#follow-up").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390, box
        page.locator("#follow-up").screenshot(path=str(screenshots / "follow_up_dashboard.png"))
    finally:
        context.close()
    assert Response.objects.get(announcement=poll, member=members[4]).way == Way.STAFF_CALL
    assert ClosingReport.objects.get(announcement=poll).data["responded"] == 3


def test_representative_sees_their_follow_up(
    live_server: Any,
    chromium: Any,  # noqa: F811
    screenshots: Any,  # noqa: F811
) -> None:
    coop = _cooperative()
    _poll_past_deadlines(coop["members"][:7])
    context = chromium.new_context(viewport=PHONE, locale="th-TH")
    page = context.new_page()
    try:
        _login(page, live_server.url, "rep-b")
        page.goto(f"{live_server.url}/my/register/")
        section = page.locator("#follow-up")
        section.wait_for()
        # Five members unanswered at the deadline: one informed by the representative, one
        # answered afterwards.
        assert section.locator('[data-follow="brought_in"] .num').inner_text() == "2"
        _fits(page)
        section.screenshot(path=str(screenshots / "follow_up_my_register.png"))
    finally:
        context.close()
