"""Every URL of the product either is public on purpose or demands a signed-in user.

The walk covers URL patterns added later too: a new view that forgets @login_required fails
here until it is fixed or listed in PUBLIC with a reason.
"""

import re
import uuid

from django.test import TestCase
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tocnet.accounts.models import User

# name → why it is reachable without signing in
PUBLIC = {
    "healthz": "load-balancer probe, no data",
    "set_language": "language switch",
    "accounts:login": "the sign-in page",
    "accounts:logout": "signing out",
    "line:webhook": "LINE platform, authenticated by signature",
    "line:login": "LINE Login start",
    "line:login_callback": "LINE Login return, authenticated by state and ID token",
    "privacy:notice": "the privacy notice, linked from LINE and LIFF pages",
    "privacy:notice_version": "earlier versions of the privacy notice",
    "responses:liff_home": "members inside LINE: identity from a LIFF ID token LINE verifies",
    "responses:liff_session": "receives the LIFF ID token and asks LINE to verify it",
    "responses:liff_link": "links a LIFF-verified LINE user, under the bot's lock-out",
    "responses:liff_announcement": "members answer inside LINE (LIFF-verified, recipients only)",
    "responses:link": "members without LINE: a signed, expiring personal link",
    "messaging:public_list": "public announcements (no personal data)",
    "messaging:feed": "Atom feed of public announcements",
    "messaging:public_detail": "a public announcement, Open Graph card",
    "messaging:liff_entry": "the LIFF app's endpoint: opens the page LINE names, no data",
    "messaging:relay_page": "representative's LIFF relay page inside LINE: no personal data",
    "messaging:relay_report": "LIFF relay report, authenticated by a LINE-verified ID token",
    "preferences:edit": "a member's privacy choices inside LINE (LIFF-verified, own record only)",
}


def _walk(patterns: list[object], prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("admin/"):
                continue
            ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
            found += _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            name = f"{namespace}:{p.name}" if namespace else p.name
            found.append((name, prefix + str(p.pattern)))
    return found


def _concrete(route: str) -> str:
    route = re.sub(r"<uuid:\w+>", str(uuid.uuid4()), route)
    route = re.sub(r"<(?:str|slug):\w+>", "x", route)
    route = re.sub(r"<(?:int):\w+>", "1", route)
    route = re.sub(r"<\w+>", "x", route)
    return "/" + route.lstrip("^").rstrip("$")


class UrlGuardTestCase(TestCase):
    def test_it_demands_a_signed_in_user_on_every_private_url(self) -> None:
        routes = _walk(get_resolver().url_patterns)
        self.assertGreater(len(routes), 10)
        login = reverse("accounts:login")
        for name, route in routes:
            if name in PUBLIC:
                continue
            url = _concrete(route)
            with self.subTest(name=name, url=url):
                for method in (self.client.get, self.client.post):
                    response = method(url)
                    self.assertIn(response.status_code, (302, 405), url)
                    if response.status_code == 302:
                        self.assertTrue(response["Location"].startswith(login), url)

    def test_it_answers_404_to_unknown_codes_for_a_signed_in_outsider(self) -> None:
        outsider = User.objects.create_user("outsider", password="x", role=User.Role.MEMBER)
        self.client.force_login(outsider)
        for name, route in _walk(get_resolver().url_patterns):
            if name in PUBLIC or "<uuid:" not in route:
                continue
            url = _concrete(route)
            with self.subTest(name=name, url=url):
                self.assertIn(self.client.get(url).status_code, (404, 405))
