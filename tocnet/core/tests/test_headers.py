"""Issue #10 item 6: CSP, Permissions-Policy and no-store on every page.

Walks every page (as staff, agent and representative, with the personas' codes filled in)
and fails on a page that carries inline script or style the policy would block: the check
that keeps new templates within "no inline <script>/style" as the teams add pages.
"""

import re

from django.urls import get_resolver

from tocnet.core.tests.test_access_log import EXEMPT as NOT_PAGES
from tocnet.core.tests.test_url_guard import PUBLIC, _walk
from tocnet.testing import BaseTestCase

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.I)


class SecurityHeadersTestCase(BaseTestCase):
    def pages(self) -> list[tuple[str, str]]:
        codes = [str(c) for c in (self.rep_member.code, self.unit_a.code, self.register.code)]
        found = []
        for name, route in _walk(get_resolver().url_patterns):
            if name in NOT_PAGES:
                continue
            if "<" not in route:
                found.append((name, "/" + route))
            elif not re.search(r"<(?!uuid:)", route):
                found += [(name, "/" + re.sub(r"<uuid:\w+>", c, route)) for c in codes]
        return found

    def test_every_page_keeps_to_the_policy(self) -> None:
        self.client.raise_request_exception = False
        checked = 0
        for persona in ("staff", "agent", "rep", None):
            if persona:
                self.client.force_login(self.personas()[persona])
            else:
                self.client.logout()
            for name, url in self.pages():
                if persona is None and name not in PUBLIC:
                    continue
                response = self.client.get(url)
                if response.status_code != 200:
                    continue
                with self.subTest(persona=persona, page=name, url=url):
                    policy = response.get("Content-Security-Policy", "")
                    self.assertIn("default-src 'self'", policy)
                    self.assertIn("object-src 'none'", policy)
                    self.assertIn("frame-ancestors 'none'", policy)
                    script_src = re.search(r"script-src ([^;]*)", policy)
                    self.assertIsNotNone(script_src)
                    self.assertNotIn("unsafe", script_src.group(1))  # type: ignore[union-attr]
                    self.assertIn("camera=()", response.get("Permissions-Policy", ""))
                    if persona:
                        self.assertIn("no-store", response.get("Cache-Control", ""))
                    if not response.get("Content-Type", "").startswith("text/html"):
                        continue
                    checked += 1
                    html = response.content.decode(errors="replace")
                    for label, pattern in (
                        ("inline <script>", INLINE_SCRIPT),
                        ("on*= handler", INLINE_HANDLER),
                        ("style attribute", STYLE_ATTRIBUTE),
                        ("<style> element", STYLE_ELEMENT),
                        ("javascript: URL", JS_URL),
                    ):
                        match = pattern.search(html)
                        self.assertIsNone(match, f"{label}: {match and match.group(0)[:120]}")
        self.assertGreater(checked, 10)

    def test_htmx_injects_no_style(self) -> None:
        self.client.force_login(self.staff)
        html = self.client.get("/").content.decode()
        self.assertIn('"includeIndicatorStyles": false', html)

    def test_downloads_are_not_stored(self) -> None:
        self.client.force_login(self.staff)
        response = self.client.get("/dashboard/?export=xlsx")
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response["Content-Disposition"])
        self.assertIn("no-store", response["Cache-Control"])
