"""Done when (#13): a member writes through the fake LINE server, picks สินเชื่อ, the credit
team answers within the reply token's life (free) and again later (push, counted), the member's
representative sees it on their phone, an article answers a common question automatically."""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tocnet.accounts.models import Department, User
from tocnet.accounts.two_factor import needs_second_factor
from tocnet.browser_tests.conftest import chromium, screenshots  # noqa: F401 - fixtures
from tocnet.conversations.models import Article, Conversation, Message
from tocnet.line.tests.base import SECRET, TOKEN
from tocnet.members.models import Representative
from tocnet.members.tests.factories import make_member, make_unit
from tocnet.privacy.models import Consent
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing.fakes.line_server import FakeLineServer
from tocnet.testing.two_factor import browser_pass_second_factor, totp_device_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "browser-conversation-2569"
MEMBER_LINE = "U" + "a" * 32
OTHER_LINE = "U" + "b" * 32
LINE_IN_APP = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Safari Line/14.9.0"
)


def _sign_in(page: Any, base: str, username: str) -> None:
    user = User.objects.get(username=username)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    browser_pass_second_factor(page, user)


def _quick(fake: FakeLineServer, label: str) -> str:
    for body in reversed(fake.replies()):
        for item in (body["messages"][-1].get("quickReply") or {}).get("items", []):
            if item["action"]["label"] == label:
                return str(item["action"]["data"])
    raise AssertionError(f"no quick reply {label!r}")


def _restore_seeded_departments() -> None:
    """A live-server test that ran earlier flushed the tables, the migration's departments too."""
    seeded = importlib.import_module("tocnet.accounts.migrations.0003_seed_departments")
    for position, (code, name) in enumerate(seeded.DEPARTMENTS, start=1):
        Department.objects.get_or_create(
            code=code, defaults={"name": name, "ordering": position * 10}
        )


def test_member_question_answered_free_then_by_push_seen_by_the_representative(
    live_server: Any,
    chromium: Any,  # noqa: F811
    screenshots: Path,  # noqa: F811
    settings: Any,
) -> None:
    _restore_seeded_departments()
    unit = make_unit(abbreviation="ทดค")
    rep_user = User.objects.create_user(
        username="rep-conv", password=PASSWORD, role=User.Role.REPRESENTATIVE
    )
    rep_member = make_member(unit=unit, user=rep_user, first_name="ผู้แทน", last_name="ใจดี")
    representative = Representative.objects.create(
        member=rep_member, unit=unit, term_start=dt.date(2024, 1, 1), term_end=dt.date(2027, 12, 31)
    )
    register = Register.objects.create(
        unit=unit, number=1, representative=representative, line_group_name="สอ.พช.ชม.1"
    )
    member = make_member(unit=unit, first_name="สมหญิง", line_user_id=MEMBER_LINE)
    other = make_member(unit=unit, first_name="สมปอง", line_user_id=OTHER_LINE)
    for m in (rep_member, member, other):
        RegisterMembership.objects.create(register=register, member=m, since=timezone.now())
    staff = User.objects.create_user(
        username="credit-staff", password=PASSWORD, role=User.Role.STAFF
    )
    staff.departments.add(Department.objects.get(code="credit"))
    totp_device_for(staff)
    if needs_second_factor(rep_user):
        totp_device_for(rep_user)
    Article.objects.create(
        department=Department.objects.get(code="credit"),
        title="เงินกู้ฉุกเฉิน ใช้เอกสารอะไรบ้าง",
        keywords="กู้ฉุกเฉิน, เงินกู้ฉุกเฉิน, เอกสาร",
        answer="ใช้คำขอกู้ สำเนาบัตรประชาชน และสลิปเงินเดือน",
    )

    with FakeLineServer(access_token=TOKEN) as fake:
        settings.LINE_CHANNEL_SECRET, settings.LINE_CHANNEL_ACCESS_TOKEN = SECRET, TOKEN
        settings.LINE_API_BASE_URL = fake.url
        webhook = f"{live_server.url}/line/webhook"
        common = ["--url", webhook, "--fake-url", fake.url, "--secret", SECRET]

        def line(*args: str) -> str:
            out = StringIO()
            call_command("line_simulate", *args, *common, stdout=out)
            return out.getvalue()

        # 1. The member writes 1:1; the bot offers the departments; they pick สินเชื่อ.
        said = line("say", "--user-id", MEMBER_LINE, "--text", "สวัสดีค่ะ ขอสอบถามหน่อย")
        assert "[สินเชื่อ]" in said and "conversation " in said
        line("postback", "--user-id", MEMBER_LINE, "--data", _quick(fake, "สินเชื่อ"))
        line("postback", "--user-id", MEMBER_LINE, "--data", _quick(fake, "ยินยอม"))
        conversation = Conversation.objects.get(member=member)
        assert conversation.department.code == "credit"
        assert Consent.objects.get(member=member, purpose="rep_view").allowed

        # 2. The credit team answers while the reply token lives: free.
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH")
        page = context.new_page()
        _sign_in(page, live_server.url, "credit-staff")
        page.goto(f"{live_server.url}/conversations/?department=credit")
        page.click(f"[data-conversation='{conversation.code}'] a")
        assert page.get_attribute("[data-cost]", "data-cost") == "free"
        page.fill("textarea[name=text]", "สวัสดีค่ะ ฝ่ายสินเชื่อยินดีให้ข้อมูลค่ะ")
        page.click("form.answer-form button[type=submit]")
        page.wait_for_selector("[data-direction=out][data-via=reply]")
        assert fake.replies()[-1]["messages"][0]["text"].startswith("สวัสดีค่ะ ฝ่ายสินเชื่อ")

        # 3. Later (the token has expired): the answer goes by push, billed and counted.
        Conversation.objects.filter(pk=conversation.pk).update(
            reply_token_at=timezone.now() - dt.timedelta(minutes=10)
        )
        page.reload()
        assert page.get_attribute("[data-cost]", "data-cost") == "billed"
        page.fill("textarea[name=text]", "เอกสารครบแล้ว อนุมัติภายใน 3 วันค่ะ")
        page.click("form.answer-form button[type=submit]")
        page.wait_for_selector("[data-direction=out][data-via=push]")
        assert fake.pushes()[-1]["to"] == MEMBER_LINE
        assert Message.objects.filter(billed=True).count() == 1
        page.goto(f"{live_server.url}/conversations/")
        assert page.inner_text("[data-count=pushes] strong") == "1"
        page.screenshot(path=str(screenshots / "conversations-inbox.png"), full_page=True)
        context.close()

        # 4. The member's representative sees it on their phone (390 px, LINE's in-app
        # browser), with the rule of what they may answer, and sends a handbook article.
        phone = chromium.new_context(
            viewport={"width": 390, "height": 844}, locale="th-TH", user_agent=LINE_IN_APP
        )
        page = phone.new_page()
        _sign_in(page, live_server.url, "rep-conv")
        page.goto(f"{live_server.url}/conversations/my/")
        assert "คำถามที่ท่านตอบได้" in page.inner_text("[data-rep-rule]")
        row = f"[data-conversation='{conversation.code}']"
        assert page.get_attribute(f"{row} [data-answer]", "data-answer") == "article"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click(f"{row} a")
        assert page.locator("[data-direction=out]").count() == 2
        # a loan question: staff answer it in words, the page says why in Thai
        assert page.get_attribute("[data-rep-may-answer]", "data-rep-may-answer") == "0"
        assert "เงินกู้" in page.inner_text("[data-rep-may-answer]")
        assert page.locator("form.answer-form").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(screenshots / "conversations-rep-phone.png"), full_page=True)
        page.select_option("select[name=article]", label="เงินกู้ฉุกเฉิน ใช้เอกสารอะไรบ้าง")
        page.click("form.article-form button[type=submit]")
        page.wait_for_selector("[data-direction=out] >> nth=2")
        assert "สลิปเงินเดือน" in fake.pushes()[-1]["messages"][0]["text"]
        assert Message.objects.filter(billed=True).count() == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(f"{live_server.url}/conversations/kb/")
        assert page.locator("[data-article]").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.click("[data-article] a")
        assert page.locator("a[href^='https://line.me/R/share']").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # a question outside their members' (a made-up code): a Thai page in the site's frame
        page.goto(f"{live_server.url}/conversations/{uuid.uuid4()}/")
        assert page.get_attribute("[data-error]", "data-error") == "404"
        assert "ไม่พบ" in page.inner_text("h1")
        assert page.locator("footer").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        phone.close()

        # 5. An article answers a common question automatically.
        said = line("say", "--user-id", OTHER_LINE, "--text", "เงินกู้ฉุกเฉินใช้เอกสารอะไรบ้างคะ")
        assert "สลิปเงินเดือน" in said and "[คุยกับเจ้าหน้าที่]" in said
        assert Conversation.objects.get(member=other).article is not None
