"""Done when (#12), walked in a real browser against the fake LINE server and SMS gateway.

Staff write an announcement with a poll, a second staff member approves it, it is sent
(groups by LINE push, members on no register by SMS). Then:

- two members answer on the LIFF page, opened from the card's button through the fake's
  stand-in of liff.line.me: the page loads the fake's stand-in LIFF SDK, which gives an ID
  token the server verifies at the fake's verify endpoint; one of them links their LINE
  account there first (member number + last four phone digits); who the fake LIFF says is
  signed in is set with ``tocnet line_simulate liff``, as in the demo;
- two type an acknowledgement in their group (signed webhook events, one redelivered; one
  through ``tocnet line_simulate ack``), an unlinked LINE user's "รับทราบ" counts for nobody;
- two follow the link of the SMS the fake gateway recorded;

after the members' deadline (the escalation run with a later ``now``) the representative gets
a LINE push linking to the chase list, which at 390 px shows exactly the rest of their
register; they mark two informed by phone; the report adds up and its poll per unit is right.
Screenshots: test-results/responses-walk-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.request
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from tocnet.accounts.models import User
from tocnet.browser_tests.conftest import chromium, screenshots  # noqa: F401 - fixtures
from tocnet.line import simulate
from tocnet.line.models import LineFriend, LineGroup
from tocnet.members.models import Member, Unit
from tocnet.messaging.models import Announcement, Channel, Recipient
from tocnet.messaging.responses.escalation import escalations_advance
from tocnet.messaging.responses.models import Ask, Response, TimelineEntry, Way
from tocnet.messaging.responses.selectors import announcement_report
from tocnet.registers.models import Register
from tocnet.reports.tests.builders import add_member, add_register
from tocnet.testing.fakes.line_server import FakeLineServer
from tocnet.testing.fakes.sms_server import FakeSmsGateway
from tocnet.testing.two_factor import browser_sign_in, totp_device_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "responses-walk-2569"  # noqa: S105
SECRET, TOKEN = "walk-channel-secret", "walk-access-token"
LIFF_ID = "1657000000-WalkResp"
BANGKOK = ZoneInfo("Asia/Bangkok")
PHONE = {"width": 390, "height": 844}


def _group(register: Register, fake: FakeLineServer, count: int) -> str:
    """A verified group under the id ``line_simulate`` derives from the group's name."""
    group_id = simulate.group_id_for(register.line_group_name)
    Register.objects.filter(pk=register.pk).update(line_group_id=group_id)
    LineGroup.objects.create(
        group_id=group_id,
        name=register.line_group_name,
        status=LineGroup.Status.VERIFIED,
        unit=register.unit,
        register=register,
        member_count=count,
        verified_at=timezone.now(),
    )
    fake.add_group(group_id, register.line_group_name, count=count)
    return group_id


def _link_line(member: Member, label: str) -> str:
    line_user = simulate.user_id_for(label)
    Member.objects.filter(pk=member.pk).update(line_user_id=line_user)
    LineFriend.objects.create(line_user_id=line_user, step=LineFriend.Step.LINKED)
    member.line_user_id = line_user
    return line_user


def _cooperative(fake: FakeLineServer) -> dict[str, Any]:
    # The units of the migration's seed when present (a flushing test may have removed them).
    tak, _new = Unit.objects.get_or_create(
        abbreviation="ตก",
        defaults={"name": "สำนักงานพัฒนาชุมชนจังหวัดตาก", "kind": Unit.Kind.PROVINCE,
                  "province": "ตาก"},
    )  # fmt: skip
    lampang, _new = Unit.objects.get_or_create(
        abbreviation="ลป",
        defaults={"name": "สำนักงานพัฒนาชุมชนจังหวัดลำปาง", "kind": Unit.Kind.PROVINCE,
                  "province": "ลำปาง"},
    )  # fmt: skip
    a = [add_member(tak) for _ in range(7)]  # a[0] leads register ตก.1
    b = [add_member(lampang) for _ in range(5)]  # b[0] leads register ลป.1
    sms_only = [add_member(tak), add_member(tak), add_member(lampang)]  # on no register
    register_a, register_b = add_register(tak, 1, a), add_register(lampang, 1, b)
    _group(register_a, fake, count=len(a))
    _group(register_b, fake, count=len(b))
    rep_line = _link_line(a[0], "walk-rep-a")
    fake.add_profile(rep_line, "ผู้แทนตาก")
    for member, label in ((a[2], "walk-a2"), (a[3], "walk-a3"), (b[1], "walk-b1")):
        _link_line(member, label)
    users = {
        "author": User.objects.create_user(
            username="walk12-author", password=PASSWORD, role=User.Role.STAFF, is_staff=True
        ),
        "approver": User.objects.create_user(
            username="walk12-approver", password=PASSWORD, role=User.Role.STAFF, is_staff=True
        ),
        "rep": User.objects.create_user(
            username="walk12-rep", password=PASSWORD, role=User.Role.REPRESENTATIVE
        ),
    }
    Member.objects.filter(pk=a[0].pk).update(user=users["rep"])
    for name, user in users.items():
        if name != "rep":  # staff need a second factor; a representative has none here
            totp_device_for(user)
    return {"a": a, "b": b, "sms": sms_only, "users": users, "units": (tak, lampang)}


def _sign_in(browser_: Any, base: str, username: str, **context: Any) -> tuple[Any, Any]:
    browser = browser_.new_context(locale="th-TH", **context)
    page = browser.new_page()
    browser_sign_in(page, base, username, PASSWORD)
    return browser, page


def _submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _phone(browser_: Any) -> Any:
    return browser_.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="th-TH")


def _post_webhook(base: str, events: list[dict[str, Any]]) -> int:
    body, signature = simulate.signed(events, SECRET)
    request = urllib.request.Request(  # noqa: S310 - the live server on 127.0.0.1
        f"{base}/line/webhook",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Line-Signature": signature},
    )
    with urllib.request.urlopen(request, timeout=15) as answer:  # noqa: S310
        return int(answer.status)


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide on a 390px phone"


def _walk_start() -> dt.datetime:
    """Today 10:00 in Bangkok: the send and the SMS go out in office hours whenever it runs."""
    return timezone.now().astimezone(BANGKOK).replace(hour=10, minute=0, second=0, microsecond=0)


def test_poll_answered_by_every_way_then_chased_and_reported(
    live_server: Any,
    chromium: Any,  # noqa: F811
    screenshots: Path,  # noqa: F811
    settings: Any,
) -> None:
    base = live_server.url
    with (
        time_machine.travel(_walk_start(), tick=True),
        FakeLineServer(access_token=TOKEN) as fake,
        FakeSmsGateway(api_key="key") as sms,
    ):
        settings.LINE_CHANNEL_SECRET, settings.LINE_CHANNEL_ACCESS_TOKEN = SECRET, TOKEN
        settings.LINE_API_BASE_URL = fake.url
        settings.SMS_PROVIDER, settings.SMS_API_KEY = "thaibulksms", "key"
        settings.SMS_API_SECRET, settings.SMS_API_BASE_URL = "secret", sms.url
        settings.SITE_URL = base
        settings.LIFF_ID, settings.LIFF_SDK_URL = LIFF_ID, f"{fake.url}/liff/sdk.js"
        # LIFF URLs go to the fake's stand-in of liff.line.me, which opens the app's endpoint.
        settings.LIFF_URL_BASE = f"{fake.url}/liff/app"
        fake.add_liff_app(LIFF_ID, f"{base}/r/")
        coop = _cooperative(fake)
        a, b, sms_only = coop["a"], coop["b"], coop["sms"]
        desk = {"viewport": {"width": 1280, "height": 900}}

        # 1. Staff write the announcement and its poll; another staff member approves; send.
        author_ctx, page = _sign_in(chromium, base, "walk12-author", **desk)
        page.goto(f"{base}/announcements/new/")
        page.fill("input[name=title]", "วันประชุมใหญ่สามัญประจำปี 2570")
        page.fill("textarea[name=body]", "สหกรณ์ขอทราบวันที่สมาชิกสะดวกเข้าร่วมประชุมใหญ่")
        page.fill("input[name=sms_text]", "สอ.พช.: เลือกวันประชุมใหญ่")
        page.select_option("select[name=mode]", Announcement.Mode.DIRECT)
        _submit(page, "button[data-action=save]")
        assert "/announcements/" in page.url and "/new/" not in page.url, page.url
        announcement = Announcement.objects.get()
        _submit(page, "a[data-link=ask]")
        page.check("input[name=kind][value=poll]")
        page.fill("input[name=question]", "วันไหนสะดวก")
        page.fill("textarea[name=options]", "เสาร์\nอาทิตย์")
        _submit(page, "button[data-action=save-ask]")
        ask = Ask.objects.get(announcement=announcement)
        assert ask.kind == Ask.Kind.POLL
        assert list(ask.options.values_list("label", flat=True)) == ["เสาร์", "อาทิตย์"]
        _submit(page, "a[data-back=announcement]")
        _submit(page, "button[data-action=submit]")
        approver_ctx, approver = _sign_in(chromium, base, "walk12-approver", **desk)
        approver.goto(f"{base}/announcements/{announcement.code}/")
        _submit(approver, "button[data-action=approve]")
        approver_ctx.close()
        page.reload()
        assert page.inner_text('[data-plan="recipients"]') == "15"
        assert page.inner_text('[data-plan="sms"]').startswith("3")
        _submit(page, "button[data-action=send]")
        announcement.refresh_from_db()
        assert announcement.state == Announcement.State.SENT, announcement.state
        assert Recipient.objects.filter(announcement=announcement).count() == 15
        author_ctx.close()

        # The group card's button opens the LIFF page; the SMS carries a personal link.
        card_uris = [
            button["action"]["uri"]
            for push in fake.pushes()
            if push["to"].startswith("C")
            for button in push["messages"][0]["contents"].get("footer", {}).get("contents", [])
        ]
        liff_path = f"/r/liff/a/{announcement.code}/"
        card_uri = f"{fake.url}/liff/app/{LIFF_ID}/liff/a/{announcement.code}/"
        assert card_uris == [card_uri, card_uri], card_uris  # one card per group
        links = {}
        for member in sms_only:
            phone = member.phones.get().e164
            (text,) = [m.text for m in sms.messages if m.to[-9:] == phone[-9:]]
            found = re.search(rf"{re.escape(base)}/r/\w{{18}}", text)
            assert found, text
            links[member.pk] = found.group(0)

        # 2. LIFF: a[1] is not linked yet: links with number + last four digits, answers เสาร์.
        new_line_user = simulate.user_id_for("walk-a1-phone")
        out = StringIO()
        call_command(
            "line_simulate", "liff", "--user-id", new_line_user, "--path", liff_path,
            "--url", f"{base}/line/webhook", "--fake-url", fake.url, "--secret", SECRET,
            stdout=out,
        )  # fmt: skip
        assert f"{base}{liff_path}" in out.getvalue()
        member_ctx = _phone(chromium)
        liff = member_ctx.new_page()
        liff.goto(card_uri)  # the card's button, as LINE opens it
        liff.wait_for_url("**/r/liff/link/**")
        liff.fill("input[name=number]", a[1].number)
        liff.fill("input[name=last4]", a[1].phones.get().last4)
        _fits(liff)
        liff.screenshot(path=str(screenshots / "responses-walk-liff-link.png"), full_page=True)
        _submit(liff, "form button[type=submit]")
        assert liff.url.endswith(liff_path), liff.url
        assert liff.get_attribute("article.respond", "data-responded") == "false"
        liff.screenshot(path=str(screenshots / "responses-walk-liff-poll.png"), full_page=True)
        _fits(liff)
        _submit(liff, "button[data-option='1']")
        liff.wait_for_selector("[data-done=true]")
        _fits(liff)
        liff.screenshot(path=str(screenshots / "responses-walk-liff-done.png"), full_page=True)
        member_ctx.close()
        a[1].refresh_from_db()
        assert a[1].line_user_id == new_line_user
        # b[1] (linked already) opens the page as themselves through line_simulate, answers อาทิตย์.
        call_command(
            "line_simulate", "liff", "--user", "walk-b1", "--path", liff_path,
            "--url", f"{base}/line/webhook", "--fake-url", fake.url, "--secret", SECRET,
            stdout=StringIO(),
        )  # fmt: skip
        member_ctx = _phone(chromium)
        liff = member_ctx.new_page()
        liff.goto(card_uri)
        liff.wait_for_selector("button[data-option='2']")
        _submit(liff, "button[data-option='2']")
        liff.wait_for_selector("[data-done=true]")
        member_ctx.close()
        # Both verified at the fake's endpoint for the LIFF app's channel.
        verified = fake.requests_to("/oauth2/v2.1/verify")
        assert len(verified) == 2 and all(r.status == 200 for r in verified)
        assert {r.form["client_id"] for r in verified} == {LIFF_ID.split("-")[0]}

        # 3. The group: a[2] through line_simulate, a[3] by a redelivered event, an unlinked
        #    LINE user's รับทราบ and an ordinary chat message count for nobody.
        group_a = simulate.group_id_for("สอ.พช.ตก.1")
        call_command(
            "line_simulate", "ack", "--group-name", "สอ.พช.ตก.1", "--user", "walk-a2",
            "--url", f"{base}/line/webhook", "--fake-url", fake.url, "--secret", SECRET,
            stdout=StringIO(),
        )  # fmt: skip
        event = simulate.group_message_event(group_a, a[3].line_user_id, "ทราบแล้วครับ")
        assert _post_webhook(base, [event]) == 200
        redelivered = {**event, "deliveryContext": {"isRedelivery": True}}
        assert _post_webhook(base, [redelivered]) == 200
        stranger = simulate.user_id_for("walk-stranger")
        assert _post_webhook(base, [simulate.group_message_event(group_a, stranger, "รับทราบ")])
        assert _post_webhook(base, [simulate.group_message_event(group_a, stranger, "สวัสดีครับ")])

        # 4. SMS links: sms_only[0] answers เสาร์, sms_only[2] (ลำปาง) อาทิตย์.
        for member, option in ((sms_only[0], "1"), (sms_only[2], "2")):
            member_ctx = _phone(chromium)
            link_page = member_ctx.new_page()
            link_page.goto(links[member.pk])
            _submit(link_page, f"button[data-option='{option}']")
            link_page.wait_for_selector("[data-done=true]")
            _fits(link_page)
            if option == "1":
                link_page.screenshot(
                    path=str(screenshots / "responses-walk-sms-link.png"), full_page=True
                )
            member_ctx.close()

        ways = dict(
            Response.objects.filter(announcement=announcement).values_list("member_id", "way")
        )
        assert ways == {
            a[1].pk: Way.LIFF,
            b[1].pk: Way.LIFF,
            a[2].pk: Way.GROUP_TEXT,
            a[3].pk: Way.GROUP_TEXT,
            sms_only[0].pk: Way.SMS_LINK,
            sms_only[2].pk: Way.SMS_LINK,
        }

        # 5. Time travel: the members' deadline (48 h) has passed; the escalation runs.
        sent_at = announcement.send_started_at
        assert sent_at is not None
        later = sent_at + dt.timedelta(hours=49)
        escalations_advance(now=later)
        ask.refresh_from_db()
        assert ask.stage == Ask.Stage.REPRESENTATIVES
        # One 1:1 push to the representative with the chase list (not into the group). They
        # have not answered either, but they are the one chasing: no reminder of their own,
        # and they are not on their own list.
        rep_texts = [
            p["messages"][0]["text"] for p in fake.pushes() if p["to"] == a[0].line_user_id
        ]
        chase_texts = [t for t in rep_texts if "/chase/" in t]
        assert len(rep_texts) == 1 and len(chase_texts) == 1, rep_texts
        assert not any("/chase/" in str(p) for p in fake.pushes() if p["to"].startswith("C"))
        text = chase_texts[0]
        chase = re.search(
            rf"{re.escape(fake.url)}/liff/app/{LIFF_ID}/chase/\?a=[0-9a-f-]+&via=line", text
        )
        assert chase, text
        assert "3 " in text  # a[4], a[5], a[6] of register ตก.1 (not a[0], the representative)
        # Reminders by each member's next channel: the group's unanswered by SMS; the member
        # the SMS already reached has no other channel; nobody who answered is reminded.
        reminded = {m.to[-9:] for m in sms.messages if "/r/" in m.text} - {
            m.phones.get().e164[-9:] for m in sms_only
        }
        assert reminded == {m.phones.get().e164[-9:] for m in (a[4], a[5], a[6], b[0], *b[2:])}
        assert (
            len([m for m in sms.messages if m.to[-9:] == sms_only[1].phones.get().e164[-9:]]) == 1
        )

        # 6. The representative taps the link in LINE, not signed in on the site: LIFF tells
        #    the site who they are (their account is tied to their LINE user; representatives
        #    need no second factor) and their chase list opens: exactly the rest of ตก.1.
        User.objects.filter(username="walk12-rep").update(line_user_id=a[0].line_user_id)
        with fake.lock:
            fake.liff_user = a[0].line_user_id
        rep_ctx = chromium.new_context(
            locale="th-TH", viewport=PHONE, is_mobile=True, has_touch=True
        )
        rep_page = rep_ctx.new_page()
        rep_page.goto(chase.group(0))
        rep_page.wait_for_url(f"{base}/r/chase/?a={announcement.code}&via=line")
        rep_page.locator("li.chase-row").first.wait_for()
        assert "/accounts/" not in rep_page.url, rep_page.url
        rows = rep_page.locator("li.chase-row")
        listed = set(rows.evaluate_all("els => els.map(e => e.dataset.member)"))
        assert listed == {m.number for m in (a[4], a[5], a[6])}, listed
        _fits(rep_page)
        rep_page.screenshot(path=str(screenshots / "responses-walk-chase.png"), full_page=True)
        # The channel tried and the reminder the follow-up sent by the next one (SMS).
        reminder = rep_page.locator(f'li.chase-row[data-member="{a[4].number}"] [data-reminder]')
        assert "SMS" in reminder.inner_text(), reminder.inner_text()
        for member in (a[4], a[5]):
            row = rep_page.locator(f'li.chase-row[data-member="{member.number}"]')
            assert row.locator(f'a[href="tel:{member.phones.get().e164}"]').count() == 1
            row.locator('button[data-mark="rep_phone"]').click()
            rep_page.locator(
                f'li.chase-row[data-member="{member.number}"] [data-marked="rep_phone"]'
            ).wait_for()
        _fits(rep_page)
        rep_page.screenshot(
            path=str(screenshots / "responses-walk-chase-marked.png"), full_page=True
        )
        rep_page.reload()
        listed = set(rows.evaluate_all("els => els.map(e => e.dataset.member)"))
        assert listed == {a[6].number}, listed
        rep_ctx.close()

        # 7. The report adds up, on the staff member's phone.
        staff_ctx, report_page = _sign_in(
            chromium, base, "walk12-author", viewport=PHONE, is_mobile=True, has_touch=True
        )
        report_page.goto(f"{base}/announcements/{announcement.code}/")
        _submit(report_page, "a[data-link=report]")

        def number(key: str) -> int:
            return int(report_page.inner_text(f'[data-report="{key}"] .num').replace(",", ""))

        recipients, responded = number("recipients"), number("responded")
        informed, unreached = number("informed"), number("unreached")
        informed_staff = number("informed_staff")
        assert (recipients, responded, informed, informed_staff, unreached) == (15, 6, 2, 0, 7)
        assert responded + informed + informed_staff + unreached == recipients

        def poll(unit: str, answer: str) -> int:
            cell = f'#poll-results tr[data-poll-unit="{unit}"] td[data-answer="{answer}"]'
            return int(report_page.inner_text(cell))

        tak, lampang = coop["units"]
        assert (poll("all", "เสาร์"), poll("all", "อาทิตย์")) == (2, 2)
        assert (poll(tak.name, "เสาร์"), poll(tak.name, "อาทิตย์")) == (2, 0)
        assert (poll(lampang.name, "เสาร์"), poll(lampang.name, "อาทิตย์")) == (0, 2)
        # The poll per register comes apart when scrolled to (the page's first answer stays
        # quick), then shows the registers' answers.
        assert report_page.locator("details.poll-registers").count() == 0
        report_page.locator("#poll-registers").scroll_into_view_if_needed()
        report_page.locator('#poll-registers[data-poll-registers="loaded"]').wait_for()
        per_register = report_page.inner_text("details.poll-registers")
        assert "–" not in per_register and "ยังไม่อยู่ในทะเบียน" in per_register, per_register
        assert report_page.locator('#timeline [data-step="representatives_told"]').count() == 1
        report_page.screenshot(path=str(screenshots / "responses-walk-report.png"), full_page=True)
        _fits(report_page)
        # The tables' figures are seen without scrolling sideways inside them either.
        cut = report_page.evaluate(
            "[...document.querySelectorAll('.table-wrap')]"
            ".filter(w => w.scrollWidth > w.clientWidth + 1).map(w => w.closest('section').id"
            " || w.closest('section').querySelector('h2').textContent)"
        )
        assert cut == [], cut
        staff_ctx.close()

    report = announcement_report(announcement)
    assert report.by_way == {Way.LIFF: 2, Way.GROUP_TEXT: 2, Way.SMS_LINK: 2, Way.REP_PHONE: 2}
    by_register = {row.name: row for row in report.by_register}
    row_a = by_register["สอ.พช.ตก.1"]
    assert (row_a.recipients, row_a.responded, row_a.informed, row_a.unreached) == (7, 3, 2, 2)
    assert TimelineEntry.objects.filter(
        announcement=announcement, step=TimelineEntry.Step.REPRESENTATIVES_TOLD, count=1
    ).exists()
    assert Recipient.objects.filter(announcement=announcement, channel=Channel.SMS).count() == 3
