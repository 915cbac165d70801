"""One LIFF app, one endpoint URL (SITE_URL/r/): the relay page and the members' pages open
through it. LINE lands on the endpoint with ``liff.state``; liff.init() opens the page."""

from __future__ import annotations

import urllib.request
from urllib.parse import parse_qs, urlsplit

from django.test import override_settings
from django.urls import reverse

from tocnet.messaging.models import Relay
from tocnet.messaging.responses import liff
from tocnet.messaging.tests.base import REP_LINE, MessagingTestCase

LIFF_ID = "1650000000-AbCdEfGh"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class LiffEntryTestCase(MessagingTestCase):
    def test_the_endpoint_is_the_sites_r_path(self) -> None:
        self.assertEqual(liff.endpoint_path(), "/r/")
        self.assertEqual(liff.endpoint_url(), "https://toc.example/r/")

    def test_links_open_pages_below_the_endpoint_through_the_liff_url(self) -> None:
        with self.settings(LIFF_ID=LIFF_ID, LIFF_URL_BASE="https://liff.line.me"):
            self.assertEqual(
                liff.liff_url("/r/relay/abc/"), f"https://liff.line.me/{LIFF_ID}/relay/abc/"
            )
            self.assertEqual(
                liff.liff_url("/r/liff/a/abc/"), f"https://liff.line.me/{LIFF_ID}/liff/a/abc/"
            )
            with self.assertRaises(ValueError):
                liff.liff_url("/announcements/")  # not below the endpoint: LINE cannot open it
        # Without a LIFF app (demo, tests) the page's own address.
        self.assertEqual(liff.liff_url("/r/relay/abc/"), "https://toc.example/r/relay/abc/")

    def test_the_relay_card_opens_the_relay_page_through_the_liff_app(self) -> None:
        with self.settings(LIFF_ID=LIFF_ID, LIFF_URL_BASE="https://liff.line.me"):
            announcement = self.send(self.approved(mode="relay"))
        relay = Relay.objects.get(announcement=announcement)
        pushed = [p for p in self.fake.pushes() if p["to"] == REP_LINE]
        self.assertEqual(len(pushed), 1)
        footer = pushed[0]["messages"][0]["contents"]["footer"]["contents"]
        self.assertEqual(footer[0]["action"]["label"], "ส่งต่อในกลุ่ม")
        self.assertEqual(
            footer[0]["action"]["uri"], f"https://liff.line.me/{LIFF_ID}/relay/{relay.code}/"
        )

    @override_settings(LIFF_ID=LIFF_ID, LIFF_SDK_URL="https://sdk.example/sdk.js")
    def test_the_endpoint_loads_the_sdk_for_the_page_liff_state_names(self) -> None:
        code = "0b1c2d3e-4f50-4a6b-8c7d-8e9fa0b1c2d3"
        response = self.client.get("/r/", {"liff.state": f"/relay/{code}/"})
        self.assertContains(response, 'src="https://sdk.example/sdk.js"')
        self.assertContains(response, f'data-liff-id="{LIFF_ID}"')
        self.assertContains(response, "messaging/liff_entry.js")
        # The fallback link, should liff.init() not open the page.
        self.assertContains(response, f'href="/r/relay/{code}/"')
        answer = self.client.get("/r/", {"liff.state": f"/liff/a/{code}/?x=1"})
        self.assertContains(answer, f'href="/r/liff/a/{code}/?x=1"')

    @override_settings(LIFF_ID=LIFF_ID)
    def test_the_endpoint_opens_nothing_outside_the_site_or_unknown(self) -> None:
        for state in ("//evil.example/", "https://evil.example/", "/nowhere/", "/\\evil", "/"):
            with self.subTest(state=state):
                response = self.client.get("/r/", {"liff.state": state})
                self.assertEqual(response.status_code, 404)
                self.assertNotContains(response, "liff_entry.js", status_code=404)
                self.assertNotContains(response, "evil", status_code=404)

    @override_settings(LIFF_ID=LIFF_ID)
    def test_the_bare_endpoint_is_the_members_liff_home(self) -> None:
        response = self.client.get("/r/")
        self.assertContains(response, 'id="liff-boot"')
        self.assertEqual(reverse("messaging:liff_entry"), "/r/")

    def test_the_fake_liff_url_goes_to_the_endpoint_with_liff_state(self) -> None:
        self.fake.add_liff_app(LIFF_ID, "https://toc.example/r/")
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(f"{self.fake.url}/liff/app/{LIFF_ID}/relay/abc/?g=1", timeout=5)
        except urllib.error.HTTPError as exc:
            self.assertEqual(exc.code, 302)
            location = exc.headers["Location"]
        else:
            self.fail("no redirect")
        split = urlsplit(location)
        self.assertEqual(f"{split.scheme}://{split.netloc}{split.path}", "https://toc.example/r/")
        self.assertEqual(parse_qs(split.query)["liff.state"], ["/relay/abc/?g=1"])
        with self.assertRaises(urllib.error.HTTPError) as unknown:
            opener.open(f"{self.fake.url}/liff/app/1-unknown/relay/abc/", timeout=5)
        self.assertEqual(unknown.exception.code, 404)
