"""Issue #11's "Done when", in a real browser against the fake LINE server and SMS gateway.

Staff write an announcement (live preview), a second staff member approves it (both signed in
with the second factor), the author sees the cost of relay and direct and sends it to two units
by relay, and watches the progress. The representative of the first unit opens the card's
"ส่งต่อในกลุ่ม" link: the fake's LIFF URL lands on the LIFF endpoint (/r/), the stand-in SDK's
liff.init() opens the relay page, the representative shares the card (the fake records what the
page shared) and the page reports it. The second unit's representative never forwards: after the
delay (the send task called with a later "now") the card is pushed into that group directly. The
public page and the feed show it; the representative sees how each of their members was reached.

Screenshots of the compose, cost, progress and relay pages at 1366 and 390 px go to
test-results/announce/.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tocnet.accounts.models import User
from tocnet.browser_tests.conftest import chromium, screenshots  # noqa: F401 (fixtures)
from tocnet.browser_tests.test_reports_browser import PASSWORD, _login
from tocnet.line.models import LineFriend
from tocnet.members.models import Member, Unit
from tocnet.messaging.models import Announcement, Delivery, Reason, Relay
from tocnet.messaging.sending import announcement_process
from tocnet.reports.tests.builders import add_member, add_register, verify_group
from tocnet.testing.fakes.line_server import FakeLineServer
from tocnet.testing.fakes.sms_server import FakeSmsGateway
from tocnet.testing.two_factor import totp_device_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TOKEN = "announce-browser-token"  # noqa: S105
LOGIN_CHANNEL = "1650000000"
LIFF_ID = f"{LOGIN_CHANNEL}-TocRelay"
REP_A_LINE = "U" + "a" * 32
REP_B_LINE = "U" + "b" * 32
TITLE = "ปันผลประจำปี 2569 เข้าบัญชี 15 มกราคม"
BODY = "สหกรณ์จะโอน**เงินปันผล**เข้าบัญชีสมาชิก\n\n- ตรวจสอบเลขบัญชี\n- สอบถามผู้แทนของท่าน"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def fakes(settings: Any, live_server: Any) -> Any:
    line = FakeLineServer(access_token=TOKEN).start()
    sms = FakeSmsGateway(api_key="key").start()
    settings.LINE_CHANNEL_SECRET = "secret"  # noqa: S105
    settings.LINE_CHANNEL_ACCESS_TOKEN = TOKEN
    settings.LINE_API_BASE_URL = line.url
    settings.LINE_LOGIN_CHANNEL_ID = LOGIN_CHANNEL
    settings.SMS_PROVIDER = "thaibulksms"
    settings.SMS_API_KEY = "key"
    settings.SMS_API_SECRET = "secret"  # noqa: S105
    settings.SMS_API_BASE_URL = sms.url
    settings.SITE_URL = live_server.url
    # One LIFF app whose endpoint URL is SITE_URL/r/; links go through the fake's LIFF URLs.
    settings.LIFF_ID = LIFF_ID
    settings.LIFF_SDK_URL = f"{line.url}/liff/sdk.js"
    settings.LIFF_URL_BASE = f"{line.url}/liff/app"
    line.add_liff_app(LIFF_ID, f"{live_server.url}/r/")
    try:
        yield line
    finally:
        line.stop()
        sms.stop()


def _network(line: FakeLineServer) -> dict[str, Any]:
    """Two units, each with one register and a verified LINE group whose representative
    follows the official account (so both relay); one member by e-mail, one unreachable."""
    units = [
        Unit.objects.create(
            name=f"สำนักงานพัฒนาชุมชนจังหวัดทดสอบประกาศ{i}", kind=Unit.Kind.PROVINCE,
            province="ตาก", abbreviation=abbr,
        )
        for i, abbr in ((1, "ทปก"), (2, "ทปข"))
    ]  # fmt: skip
    registers, members = [], []
    for unit, rep_line, count in ((units[0], REP_A_LINE, 6), (units[1], REP_B_LINE, 5)):
        people = [add_member(unit, phone=False) for _ in range(count)]
        register = add_register(unit, 1, people)
        group = verify_group(register, seen=people[1:3])
        line.add_group(group.group_id, group.name, count=group.member_count)
        Member.objects.filter(pk=people[0].pk).update(line_user_id=rep_line)
        LineFriend.objects.create(line_user_id=rep_line, step=LineFriend.Step.LINKED)
        line.add_profile(rep_line, f"ผู้แทน {unit.abbreviation}")
        registers.append(register)
        members.append(people)
    add_member(units[0], phone=False, email="only.email@example.com")  # by e-mail
    add_member(units[0], phone=False)  # no way to reach them
    users = {
        name: User.objects.create_user(
            username=f"ann-{name}", password=PASSWORD, role=User.Role.STAFF, is_staff=True
        )
        for name in ("author", "approver")
    }
    for user in users.values():
        totp_device_for(user)  # staff must pass the second factor
    rep_user = User.objects.create_user(
        username="ann-rep", password=PASSWORD, role=User.Role.REPRESENTATIVE
    )
    Member.objects.filter(pk=members[0][0].pk).update(user=rep_user)
    return {"units": units, "registers": registers, "members": members}


def _shoot(page: Any, folder: Path, name: str, *, element: str | None = None) -> None:
    """The same page at 1366 and at 390 px (full page, or one element of it)."""
    before = page.viewport_size
    for label, size in (("1366", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        path = str(folder / f"{name}_{label}.png")
        if element:
            page.locator(element).screenshot(path=path)
        else:
            page.screenshot(path=path, full_page=True)
        if label == "390":
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{name} is {width} px wide on a phone"
    page.set_viewport_size(before)


def _number(page: Any, selector: str) -> int:
    found = re.match(r"\s*([\d,]+)", page.locator(selector).inner_text())
    assert found, page.locator(selector).inner_text()
    return int(found.group(1).replace(",", ""))


def test_announcement_relayed_by_one_representative_pushed_for_the_other(
    live_server: Any,
    chromium: Any,  # noqa: F811
    screenshots: Path,  # noqa: F811
    fakes: FakeLineServer,
) -> None:
    line = fakes
    net = _network(line)
    folder = screenshots / "announce"
    folder.mkdir(exist_ok=True)
    base = live_server.url
    author_ctx = chromium.new_context(viewport=DESKTOP, locale="th-TH")
    approver_ctx = chromium.new_context(viewport=DESKTOP, locale="th-TH")
    rep_ctx = chromium.new_context(viewport=PHONE, locale="th-TH", is_mobile=True)
    try:
        # --- write, with the preview following as one types ---------------------------------
        page = author_ctx.new_page()
        _login(page, base, "ann-author")
        page.goto(f"{base}/announcements/new/")
        page.fill("#id_title", TITLE)
        page.fill("#id_body", BODY)
        page.select_option("#id_category", "welfare")
        page.check("#id_is_public")
        page.fill("#id_sms_text", "สหกรณ์ฯ: ปันผลเข้าบัญชี 15 ม.ค.")
        page.select_option("#id_mode", "relay")
        page.select_option("#id_scope", "units")
        page.select_option("#id_units", [str(u.code) for u in net["units"]])
        page.locator('[data-preview="line"] .flex-title', has_text=TITLE).wait_for()
        page.locator('[data-preview="email"] strong', has_text="เงินปันผล").wait_for()
        assert page.locator("#sms-count").get_attribute("data-segments") == "1"
        _shoot(page, folder, "compose")
        page.click('button[data-action="save"]')
        page.wait_for_url(re.compile(r"/announcements/[0-9a-f-]{36}/$"))
        detail = page.url
        announcement = Announcement.objects.get(title=TITLE)
        assert announcement.audience["scope"] == "units"
        page.click('button[data-action="submit"]')
        page.locator('[data-approval-refusal="true"]').wait_for()  # not by the author

        # --- a second staff member approves -------------------------------------------------
        approver = approver_ctx.new_page()
        _login(approver, base, "ann-approver")
        approver.goto(detail)
        approver.click('button[data-action="approve"]')
        approver.locator('[data-cost="true"]').wait_for()

        # --- the author sees what relay and direct would cost, and sends by relay -----------
        page.goto(detail)
        page.locator('[data-cost="true"]').wait_for()
        assert _number(page, '[data-plan="recipients"]') == 13
        assert _number(page, '[data-plan="line_group"]') == 11
        assert _number(page, '[data-plan="email"]') == 1
        assert _number(page, '[data-plan="unreachable"]') == 1
        relay_cost = _number(page, '[data-alt="relay"]')
        direct_cost = _number(page, '[data-alt="direct"]')
        assert relay_cost == 2  # one message to each representative
        assert direct_cost == 6 + 5  # everyone in the two groups
        _shoot(page, folder, "cost", element='[data-cost="true"]')
        page.click('button[data-action="send"]')
        page.locator("#progress").wait_for()
        announcement.refresh_from_db()
        assert announcement.state == Announcement.State.SENDING  # the groups wait for relays
        pushes = {p["to"]: p for p in line.pushes()}
        assert set(pushes) == {REP_A_LINE, REP_B_LINE}  # nothing into the groups yet
        relay_a = Relay.objects.get(announcement=announcement, register=net["registers"][0])
        button = pushes[REP_A_LINE]["messages"][0]["contents"]["footer"]["contents"][0]
        assert button["action"]["label"] == "ส่งต่อในกลุ่ม"
        assert button["action"]["uri"] == f"{line.url}/liff/app/{LIFF_ID}/relay/{relay_a.code}/"
        _shoot(page, folder, "progress")

        # --- representative A opens the LIFF link on their phone and forwards ---------------
        line.liff_user = REP_A_LINE
        line.liff_context = "utou"
        rep = rep_ctx.new_page()
        rep.goto(button["action"]["uri"])  # fake LIFF URL -> /r/?liff.state=... -> the page
        rep.wait_for_url(f"{base}/r/relay/{relay_a.code}/")
        rep.locator('#relay[data-state="ready"]').wait_for()
        assert rep.locator("#relay-share").is_enabled()
        _shoot(rep, folder, "relay")
        rep.click("#relay-share")
        rep.locator('#relay[data-state="done"]').wait_for()
        assert rep.locator("#relay-share").is_hidden()
        assert len(line.liff_shares) == 1
        shared = line.liff_shares[0]
        assert shared["kind"] == "share" and shared["userId"] == REP_A_LINE
        assert f"/r/relay/{relay_a.code}/" in shared["page"]
        card = shared["messages"][0]
        assert card["type"] == "flex" and TITLE in card["altText"]
        assert "ส่งต่อในกลุ่ม" not in json.dumps(card, ensure_ascii=False)  # the members' card
        rep.screenshot(path=str(folder / "relay_done_390.png"), full_page=True)
        relay_a.refresh_from_db()
        assert relay_a.status == Relay.Status.FORWARDED
        assert relay_a.group_delivery is not None
        assert relay_a.group_delivery.reason == Reason.RELAYED
        # The author's page follows by itself (htmx polling): register A relayed.
        # 6 in group A (relayed) + the e-mail
        expect(page.locator('[data-count="sent"]')).to_have_text("7", timeout=15_000)
        row_a = page.locator(f'[data-register-row="{net["registers"][0]}"]')
        expect(row_a).to_have_attribute("data-relay", "forwarded")

        # --- representative B never forwards: after the delay, pushed into the group ---------
        relay_b = Relay.objects.get(announcement=announcement, register=net["registers"][1])
        assert relay_b.status == Relay.Status.WAITING
        group_b = net["registers"][1].line_group_id
        announcement_process(announcement.pk, now=timezone.now())  # not due yet: nothing
        assert not [p for p in line.pushes() if p["to"].startswith("C")]
        announcement_process(announcement.pk, now=relay_b.fallback_due_at + dt.timedelta(minutes=1))
        relay_b.refresh_from_db()
        assert relay_b.status == Relay.Status.FALLBACK
        group_pushes = [p["to"] for p in line.pushes() if p["to"].startswith("C")]
        assert group_pushes == [group_b]  # group A was relayed: never pushed
        assert Delivery.objects.get(pk=relay_b.group_delivery_id).reason == Reason.FALLBACK
        announcement.refresh_from_db()
        assert announcement.state == Announcement.State.SENT
        page.locator('#progress[data-state="sent"]').wait_for(timeout=15_000)
        assert page.locator('[data-count="sent"]').inner_text().strip() == "12"
        assert page.locator('[data-count="unreachable"]').inner_text().strip() == "1"
        _shoot(page, folder, "progress_sent")

        # --- the public page and the feed ---------------------------------------------------
        public = author_ctx.new_page()
        public.goto(f"{base}/news/{announcement.code}/")
        assert public.locator("h1").inner_text().strip() == TITLE
        og = public.locator('meta[property="og:title"]').get_attribute("content")
        assert og == TITLE
        feed = public.request.get(f"{base}/news/feed.atom")
        assert feed.ok and TITLE in feed.text()
        assert str(announcement.code) in feed.text()

        # --- the representative sees how each of their members was reached ------------------
        _login(rep, base, "ann-rep")
        rep.goto(f"{base}/my/register/")
        rep.locator("#register-deliveries").wait_for()
        for member in net["members"][0]:
            item = rep.locator(f'#register-deliveries li[data-member="{member.number}"]')
            assert item.get_attribute("data-channel") == "line_group"
            assert item.get_attribute("data-status") == "sent"
            assert "ผู้แทน" in item.inner_text()  # how: relayed by the representative
        assert rep.locator("#register-deliveries li").count() == 6  # their register only
        width = rep.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        rep.locator("#register-deliveries").screenshot(path=str(folder / "rep_reached_390.png"))
    finally:
        for context in (author_ctx, approver_ctx, rep_ctx):
            context.close()
