"""Every LIFF page (the entry, the relay, the answer and link pages) links the privacy notice."""

import uuid
from types import SimpleNamespace

from django.template.loader import render_to_string
from django.test import RequestFactory, override_settings
from django.urls import reverse

from tocnet.testing import BaseTestCase

NOTICE = reverse("privacy:notice")
LINK = f'href="{NOTICE}"'


@override_settings(LIFF_ID="1234567890-abcdefgh")
class NoticeLinkTestCase(BaseTestCase):
    def test_the_liff_pages_members_open_link_the_notice(self) -> None:
        pages = [
            "/r/",  # the LIFF endpoint
            f"/r/?liff.state={reverse('responses:liff_link')}",
            reverse("responses:liff_home"),  # the boot page while LINE says who this is
            reverse("responses:liff_link"),
            reverse("responses:liff_announcement", args=[uuid.uuid4()]),
        ]
        for url in pages:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertLess(response.status_code, 500)
                self.assertContains(response, LINK, status_code=response.status_code)
                self.assertContains(
                    response, "data-privacy-notice", status_code=response.status_code
                )

    def test_the_relay_page_links_the_notice(self) -> None:
        request = RequestFactory().get("/r/relay/x/")
        relay = SimpleNamespace(code=uuid.uuid4(), status="pending", register="สอ.พช.กพ.1")
        html = render_to_string(
            "messaging/relay_page.html",
            {"relay": relay, "preview": {}, "card_json": {}, "liff_id": "x", "liff_sdk_url": ""},
            request=request,
        )
        self.assertIn(LINK, html)

    def test_every_page_in_the_sites_frame_links_the_notice(self) -> None:
        self.login_as(self.rep_user)
        self.assertContains(self.client.get("/conversations/my/"), LINK)
