"""Phone layouts of #16 in a real browser (390 px): the dashboard's charts readable and its
tables fitting the screen, the representative's LINE counts drawn as well as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tocnet.accounts.models import User
from tocnet.members.models import Unit
from tocnet.reports.tests.builders import add_member, add_register, verify_group
from tocnet.testing.two_factor import browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "phone-layout-password-2564"  # noqa: S105
# The rendered size of every piece of text in an element, SVG text scaled as drawn.
TEXT_SIZES = """(root) => {
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('title')) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg && svg.getScreenCTM()) size *= svg.getScreenCTM().a;
    out.push([node.textContent.trim().slice(0, 40), Math.round(size * 10) / 10]);
  }
  return out;
}"""
# Headers whose words do not fit their column: the browser would break inside a Thai word
# (ความครอบค|ลุม). Words as Intl.Segmenter finds them, measured in the header's own font.
HEADER_WORDS_TOO_WIDE = """(table) => {
  const canvas = document.createElement('canvas').getContext('2d');
  const segmenter = new Intl.Segmenter('th', {granularity: 'word'});
  const out = [];
  for (const th of table.tHead.querySelectorAll('th')) {
    if (!th.offsetWidth) continue;
    const style = getComputedStyle(th);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room = th.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    for (const {segment, isWordLike} of segmenter.segment(th.innerText)) {
      const width = canvas.measureText(segment).width;
      if (isWordLike && width > room + 0.5) out.push([segment, Math.round(width), Math.round(room)]);
    }
  }
  return out;
}"""


def _cooperative() -> dict[str, Any]:
    units = []
    for i, province in enumerate(["ตาก", "นครศรีธรรมราช", "พระนครศรีอยุธยา", "กรุงเทพมหานคร"]):
        unit, _created = Unit.objects.get_or_create(
            name=f"สำนักงานพัฒนาชุมชนจังหวัด{province}",
            defaults={"kind": Unit.Kind.PROVINCE, "province": province, "abbreviation": f"ท{i}"},
        )  # the provincial offices are seeded; a flushing test may have removed them
        members = [add_member(unit) for _ in range(6)]
        register = add_register(unit, 1, members)
        verify_group(register, seen=members[1:3])
        units.append(unit)
    users = {
        "staff": User.objects.create_user(
            username="phone-staff", password=PASSWORD, role=User.Role.STAFF, is_staff=True
        ),
        "board": User.objects.create_user(
            username="phone-board", password=PASSWORD, role=User.Role.BOARD
        ),
    }
    return {"units": units, "users": users}


def _phone_page(chromium: Any, base: str, username: str) -> tuple[Any, Any]:
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="th-TH"
    )
    page = context.new_page()
    browser_sign_in(page, base, username, PASSWORD)
    return context, page


@pytest.mark.parametrize("role", ["staff", "board"])
def test_dashboard_charts_readable_and_tables_fit_a_phone(
    role: str, live_server: Any, chromium: Any, screenshots: Path
) -> None:
    _cooperative()
    context, page = _phone_page(chromium, live_server.url, f"phone-{role}")
    page.goto(f"{live_server.url}/dashboard/")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(screenshots / f"dashboard-{role}-390.png"), full_page=True)
    charts = ["#status-chart", "#province-map"] + (["#unit-chart"] if role == "staff" else [])
    for selector in charts:
        sizes = page.eval_on_selector(selector, TEXT_SIZES)
        assert sizes, f"{selector}: no text found"
        small = [(text, size) for text, size in sizes if size < 11]
        assert small == [], f"{selector}: text under 11 px at 390 px: {small}"
    # Neither the page nor any table scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    tables = page.eval_on_selector_all(
        "table.coverage",
        "els => els.map(t => [t.id, t.parentElement.scrollWidth, t.parentElement.clientWidth,"
        " t.tHead.getBoundingClientRect().height])",
    )
    assert {t[0] for t in tables} >= {"provinces-table"}
    if role == "staff":
        assert {t[0] for t in tables} >= {"units-table"}
    for table_id, scroll, client, head in tables:
        assert scroll <= client + 1, f"#{table_id} scrolls sideways: {scroll} > {client} px"
        assert head < 100, f"#{table_id}: a {head:.0f} px tall header"
    # Thai headers wrap between words: the coverage column's short header on a phone.
    for width in (360, 390):
        page.set_viewport_size({"width": width, "height": 844})
        for table in page.query_selector_all("table.coverage"):
            assert table.evaluate(HEADER_WORDS_TOO_WIDE) == [], f"at {width} px"
    coverage_head = page.locator('#provinces-table th[data-sort-key="coverage"]')
    assert coverage_head.inner_text().split() == ["ร้อยละในกลุ่ม"]
    assert coverage_head.locator("abbr").get_attribute("title") == "ความครอบคลุม"
    # The essential columns are there; the others wait for a wider screen.
    row = page.locator("#provinces-table tbody tr").first
    assert row.locator('[data-col="members"]').is_visible()
    assert row.locator('[data-col="coverage"]').is_visible()
    assert not row.locator('[data-col="valid_names"]').is_visible()
    page.set_viewport_size({"width": 1366, "height": 900})
    assert row.locator('[data-col="valid_names"]').is_visible()
    if role == "staff":
        # The forms table: one card per unit on a phone, its download links not cut off.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server.url}/reports/forms/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(screenshots / "forms-staff-390.png"), full_page=True)
        frame = page.eval_on_selector(
            ".forms-table", "t => [t.parentElement.scrollWidth, t.parentElement.clientWidth]"
        )
        assert frame[0] <= frame[1] + 1, f"the forms table scrolls sideways: {frame}"
        links = page.locator(".forms-table [data-download]")
        assert links.count() >= 8
        for i in range(links.count()):
            box = links.nth(i).bounding_box()
            assert box is not None and box["x"] + box["width"] <= 390, box
    context.close()


def _representative_pages() -> dict[str, tuple[str, int]]:
    """A register with its representative's account, a sent announcement to chase, a relay to
    forward, a member's answer link and a knowledge-base article: every page a representative
    opens, with the status it must answer (refusals: the site's Thai 403 and 404 pages)."""
    from django.utils import timezone

    from tocnet.conversations.models import Article
    from tocnet.members.models import Representative
    from tocnet.messaging.models import Channel, Delivery, DeliveryStatus, Relay
    from tocnet.messaging.responses.models import Ask
    from tocnet.messaging.responses.services import response_link_create
    from tocnet.messaging.tests.response_builders import sent_announcement

    unit, _created = Unit.objects.get_or_create(
        name="สำนักงานพัฒนาชุมชนจังหวัดพระนครศรีอยุธยา",
        defaults={"kind": Unit.Kind.PROVINCE, "province": "พระนครศรีอยุธยา", "abbreviation": "ทอย"},
    )  # seeded; a flushing test may have removed it
    members = [add_member(unit) for _ in range(6)]
    members.append(add_member(unit, email="somsri.longname.cooperative.member@example.co.th"))
    register = add_register(unit, 1, members)
    verify_group(register, seen=members[1:3])
    rep_user = User.objects.create_user(
        username="phone-rep", password=PASSWORD, role=User.Role.REPRESENTATIVE
    )
    rep = Representative.objects.get(registers=register)
    rep.member.user = rep_user
    rep.member.save(update_fields=["user"])
    announcement = sent_announcement(members, title="เงินปันผลและเงินเฉลี่ยคืนประจำปี 2569")
    feedback = sent_announcement(members, kind=Ask.Kind.FEEDBACK, question="ปรับปรุงอะไร")
    relay = Relay.objects.create(
        announcement=announcement,
        register=register,
        representative=rep.member,
        representative_line_user_id="U" + "1" * 32,
        push=Delivery.objects.create(
            announcement=announcement, channel=Channel.LINE_RELAY, member=rep.member,
            status=DeliveryStatus.SENT,
        ),
        group_delivery=Delivery.objects.get(announcement=announcement, register=register),
        fallback_due_at=timezone.now() + timezone.timedelta(hours=6),
    )  # fmt: skip
    token = response_link_create(announcement=announcement, member=members[3], channel="sms")
    article = Article.objects.create(
        title="เงินกู้ฉุกเฉิน ใช้เอกสารอะไรบ้าง", answer="สำเนาบัตรประชาชนและสลิปเงินเดือน"
    )
    member = members[-1]
    return {
        "my register": ("/my/register/", 200),
        "chase list": ("/r/chase/", 200),
        "member": (f"/members/{member.code}/", 200),
        "contact edit": (f"/members/{member.code}/contact/", 200),
        "member list": ("/members/", 200),
        "dashboard": ("/dashboard/", 200),
        "knowledge base": ("/conversations/kb/", 200),
        "article": (f"/conversations/kb/{article.code}/", 200),
        "members' questions": ("/conversations/my/", 200),
        "relay (LIFF)": (f"/r/relay/{relay.code}/", 200),
        "LIFF home": ("/r/liff/", 200),
        "LINE privacy (LIFF)": ("/r/privacy/", 200),
        "member's answer link": (f"/r/{token}", 200),
        "news": ("/news/", 200),
        "privacy notice": ("/privacy/notice/", 200),
        "password": ("/accounts/password/", 200),
        "feedback (staff only)": (f"/r/feedback/{feedback.code}/", 404),
        "plan (refused)": ("/registers/plan/", 403),
        "no such page": ("/no-such-page/", 404),
    }


def test_every_representative_page_fits_360_and_390_px(live_server: Any, chromium: Any) -> None:
    """No page a representative may open scrolls sideways on a 360 or 390 px phone, the refused
    ones included (Thai, in the site's frame with its menu)."""
    pages = _representative_pages()
    for width in (360, 390):
        context = chromium.new_context(
            viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True,
            locale="th-TH",
        )  # fmt: skip
        page = context.new_page()
        browser_sign_in(page, live_server.url, "phone-rep", PASSWORD)
        wide = []
        for name, (path, status) in pages.items():
            response = page.goto(live_server.url + path)
            page.wait_for_load_state("networkidle")
            assert response is not None and response.status == status, (name, response)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                wide.append((name, scroll))
            if name == "member list":  # the number under the name, the name not squeezed
                assert page.locator("tr[data-member] .number-sm").first.is_visible()
            if status >= 400:
                assert page.locator("nav.nav a").count() > 0, f"{name}: no menu"
                assert page.evaluate("document.documentElement.lang") == "th"
        assert wide == [], f"sideways scroll at {width} px: {wide}"
        context.close()
