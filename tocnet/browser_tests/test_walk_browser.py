"""Every role walks every page it may open, at desktop (1366 px) and phone (390 px) width.

The walk starts from the menu and follows the links in each page's main content (one page per
URL pattern), so pages other work streams add are walked too. On each page, with Thai selected:

- it answers 200 and the main content holds no English: no untranslated catalogue msgid and no
  Latin word outside a short list of names (LINE, PDF, ...), e-mail addresses and web addresses;
- counts of people are printed with thousands separators (the cooperative gets 1,200 more
  members than the registers hold, so totals reach four digits);
- a representative's (and the board's) pages fit a 390 px and a 360 px screen without
  sideways scrolling;
- every parameterless URL of the URL conf the role may not open answers with the Thai refusal
  page in the site's frame, with the menu.

Screenshots of every page at both widths go to test-results/walk/.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from tocnet.accounts.models import User
from tocnet.members.models import Member, Unit, UnitAgent
from tocnet.reports.tests.builders import add_member, add_register, verify_group
from tocnet.testing.two_factor import browser_sign_in, totp_device_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "walk-test-password-2564"  # noqa: S105
ROOT = Path(__file__).resolve().parents[2]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Names that stay Latin in Thai text, as the catalogue keeps them.
LATIN_OK = {
    "LINE", "TOC", "Net", "PDF", "Excel", "xlsx", "csv", "zip", "ID", "OA", "QR", "LIFF",
    "SMS", "PDPA", "URL", "OK", "Sarabun", "Android", "iPhone", "iOS", "Messaging", "API",
    "Login", "Official", "Account", "CSV", "MB", "KB", "Atom", "RSS",
}  # fmt: skip
SKIP_PATHS = ("/accounts/logout", "/i18n/", "/admin/", "/line/login", "/line/webhook", "/r/")
SKIP_SUFFIXES = (".xlsx", ".pdf", ".zip", ".csv", ".png", ".svg", ".txt", ".atom", ".xml", ".json")
# Problems found on other work streams' pages, reported to the coordinator rather than fixed
# here; listed so the walk still fails on anything new. Remove an entry once it is fixed.
KNOWN_PROBLEMS: dict[tuple[str, str], str] = {}
MAX_PAGES = 40
EXTRA_MEMBERS = 1_200
# A count of 1,000 or more printed without its thousands separator ("1213 คน"): four or five
# digits standing alone. Years (พ.ศ. 2400-2700, ค.ศ. 1900-2100), times, phone numbers and
# member numbers (six digits) are not counts.
BARE_NUMBER = re.compile(r"(?<![\w,.:/#-])(\d{4,5})(?![\w,.:/-])")


def _bare_counts(text: str) -> list[str]:
    found = []
    for match in BARE_NUMBER.finditer(text):
        value = int(match.group(1))
        if 1900 <= value <= 2100 or 2400 <= value <= 2700:
            continue
        found.append(text[max(0, match.start() - 25) : match.end() + 10].replace("\n", " "))
    return found


def _catalogue_msgids() -> set[str]:
    """English msgids whose Thai differs: seeing one on a Thai page means it was not translated."""
    mo = ROOT / "locale/th/LC_MESSAGES/django.mo"
    with mo.open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    found = set()
    for key, value in catalogue._catalog.items():  # type: ignore[attr-defined]
        msgid = key[0] if isinstance(key, tuple) else key
        if not isinstance(msgid, str) or len(msgid) < 8 or msgid == value:
            continue
        if "%(" in msgid or "\n" in msgid or not re.search(r"[a-z]{3} [a-z]{2,}", msgid):
            continue
        found.add(msgid)
    return found


def _cooperative() -> dict[str, Any]:
    unit = Unit.objects.create(
        name="สำนักงานพัฒนาชุมชนจังหวัดทดสอบ", kind=Unit.Kind.PROVINCE, province="ตาก",
        abbreviation="ทบ",
    )  # fmt: skip
    members = [
        add_member(unit, email=f"member.with.a.rather.long.address.{i}@example-cooperative.com")
        for i in range(12)
    ]
    members.append(add_member(unit, phone=False, no_line=True))
    # Enough members that counts of people reach four digits (thousands separators checked);
    # they are on no register yet, so the representative's pages stay small.
    Member.objects.bulk_create(
        Member(number=f"{800_000 + i}", unit=unit, title="นาย", first_name=f"ทดสอบ{i}",
               last_name="จำนวนมาก", district="เมือง")
        for i in range(EXTRA_MEMBERS)
    )  # fmt: skip
    register_1 = add_register(unit, 1, members[:7])
    add_register(unit, 2, members[7:])
    verify_group(register_1, seen=members[1:4])
    users = {
        "staff": User.objects.create_user(
            username="walk-staff", password=PASSWORD, role=User.Role.STAFF, is_staff=True
        ),
        "agent": User.objects.create_user(
            username="walk-agent", password=PASSWORD, role=User.Role.AGENT
        ),
        "representative": User.objects.create_user(
            username="walk-rep", password=PASSWORD, role=User.Role.REPRESENTATIVE
        ),
        "board": User.objects.create_user(
            username="walk-board", password=PASSWORD, role=User.Role.BOARD
        ),
    }
    UnitAgent.objects.create(unit=unit, user=users["agent"])
    from tocnet.accounts.two_factor import needs_second_factor

    for user in users.values():  # those who must pass a second factor are enrolled here
        if needs_second_factor(user):
            totp_device_for(user)
    rep = register_1.representative
    assert rep is not None
    rep.member.user = users["representative"]
    rep.member.save(update_fields=["user"])
    return {"unit": unit, "users": users, "members": members}


def _parameterless_paths() -> list[str]:
    """Every URL of the URL conf that takes no argument (the pages one can type)."""
    paths: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                full = prefix + route
                if "<" in full or "(" in full or "^" in full:
                    continue
                paths.append("/" + full)

    walk(get_resolver().url_patterns, "")
    return sorted({p for p in paths if not p.startswith(SKIP_PATHS) and p != "/favicon.ico"})


def _login(page: Any, base: str, username: str) -> None:
    browser_sign_in(page, base, username, PASSWORD)


def _pattern(path: str) -> str:
    return UUID.sub("{code}", path)


def _english_in(text: str, msgids: set[str], known_latin: set[str]) -> list[str]:
    problems = [f"untranslated: {m!r}" for m in msgids if m in text]
    text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses
    text = re.sub(r"\b[A-Z0-9]+(?:_[A-Z0-9]+)+\b", " ", text)  # setting names for staff
    text = re.sub(r"https?://\S+|\b[\w.-]+\.(?:com|coop|th|org)\b\S*", " ", text)
    for word in re.findall(r"[A-Za-z][A-Za-z'’]+", text):
        if word not in LATIN_OK and word not in known_latin:
            problems.append(word)
    return problems


def _links(page: Any, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "nav.nav a[href], main a[href]:not([download])", "els => els.map(e => e.href)"
    )
    found = []
    host = urlsplit(base).netloc
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc != host or parts.scheme not in ("http", "https"):
            continue
        path = parts.path
        if path.startswith(SKIP_PATHS) or path.endswith(SKIP_SUFFIXES):
            continue
        if "export=" in parts.query or "download" in parts.query:
            continue
        found.append(path + (f"?{parts.query}" if parts.query else ""))
    return found


def _walk_role(
    chromium: Any, base: str, role: str, username: str, screenshots: Path, msgids: set[str]
) -> dict[str, list[str]]:
    """Visit every page the role reaches; return the problems found per page."""
    folder = screenshots / "walk"
    folder.mkdir(exist_ok=True)
    known_latin = {"walk", "staff", "agent", "rep", "board"}  # the walk's user names
    problems: dict[str, list[str]] = {}
    desktop = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="th-TH")
    desktop_page = desktop.new_page()
    _login(desktop_page, base, username)  # once: a one-time code cannot be typed twice
    phone = chromium.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="th-TH",
        storage_state=desktop.storage_state(),
    )
    pages = {"desktop": desktop_page, "phone": phone.new_page()}
    queue = ["/"]
    seen_patterns: set[str] = set()
    visited: list[str] = []
    while queue and len(visited) < MAX_PAGES:
        path = queue.pop(0)
        pattern = _pattern(urlsplit(path).path)
        if pattern in seen_patterns:
            continue
        seen_patterns.add(pattern)
        visited.append(path)
        slug = re.sub(r"[^a-z0-9]+", "-", pattern.lower()).strip("-") or "home"
        page_problems: list[str] = []
        for size, page in pages.items():
            response = page.goto(base + path)
            page.wait_for_load_state("networkidle")
            status = response.status if response else 0
            if status != 200:
                page_problems.append(f"{size}: status {status}")
                continue
            main = page.inner_text("main") if page.locator("main").count() else ""
            page_problems += [
                f"{size}: English {w}" for w in _english_in(main, msgids, known_latin)
            ]
            page_problems += [f"{size}: no thousands separator: {t!r}" for t in _bare_counts(main)]
            if size == "phone":
                for width in (390, 360):
                    page.set_viewport_size({"width": width, "height": 844})
                    scroll = page.evaluate("document.documentElement.scrollWidth")
                    if scroll > width and role in ("representative", "board"):
                        page_problems.append(f"phone: {scroll}px wide on a {width}px screen")
                page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=str(folder / f"{role}-{slug}-{size}.png"), full_page=True)
            if size == "desktop":
                queue += [link for link in _links(page, base) if link not in visited]
        if page_problems:
            problems[path] = sorted(set(page_problems))
    problems["_visited"] = visited
    # Refused pages: every URL one could type that this role may not open.
    page = pages["phone"]
    for path in _parameterless_paths():
        if _pattern(path) in seen_patterns:
            continue
        try:
            response = page.goto(base + path)
        except Exception:  # noqa: S112 - an empty 405 body: a POST-only address, not a page
            continue
        status = response.status if response else 0
        if status in (403, 404):
            slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
            page.screenshot(path=str(folder / f"{role}-refused-{slug}-phone.png"), full_page=True)
            if page.locator("main h1").count() == 0:
                problems.setdefault(path, []).append(f"refused ({status}) without the Thai page")
            elif page.locator("nav.nav a").count() == 0:
                problems.setdefault(path, []).append(f"refused ({status}) without the menu")
            elif _english_in(page.inner_text("main"), msgids, known_latin):
                problems.setdefault(path, []).append(f"refused ({status}) with English")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                problems.setdefault(path, []).append(f"refused page {width}px wide")
    desktop.close()
    phone.close()
    return problems


@pytest.mark.parametrize("role", ["representative", "board", "agent", "staff"])
def test_every_page_a_role_may_open(
    role: str, live_server: Any, chromium: Any, screenshots: Path
) -> None:
    assert settings.LANGUAGE_CODE == "th"
    data = _cooperative()
    user: User = data["users"][role]
    problems = _walk_role(
        chromium, live_server.url, role, user.username, screenshots, _catalogue_msgids()
    )
    visited = problems.pop("_visited")
    for (known_role, path), _why in KNOWN_PROBLEMS.items():
        if known_role == role:
            problems.pop(path, None)
    assert len(visited) >= 3, visited
    assert problems == {}, f"{role} visited {visited}; problems: {problems}"
