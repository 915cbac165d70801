"""Every LIFF page, and every page under /r/ (the LIFF endpoint), links the current privacy
notice by its version. The walk takes the routes from the URL configuration: a page added
under /r/ later fails here until it is walked (or listed as no page, with the reason)."""

import datetime as dt
import time
from collections.abc import Callable
from unittest import mock

from django.http import HttpResponse
from django.test import override_settings
from django.urls import get_resolver, reverse
from django.utils import timezone

from tocnet.core.tests.test_url_guard import _walk
from tocnet.messaging.models import Channel, Delivery, DeliveryStatus, Relay
from tocnet.messaging.responses import liff
from tocnet.messaging.responses.links import link_token_new
from tocnet.messaging.responses.models import Ask, ResponseLink
from tocnet.messaging.responses.services import ask_close
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.privacy.notice import current_notice
from tocnet.testing import BaseTestCase

VERSION = current_notice().version
LINK = f'href="{reverse("privacy:notice_version", args=[VERSION])}"'
MARK = f'data-privacy-notice="{VERSION}"'
UNLINKED = "U" + "8" * 32

# Routes under /r/ that answer no page a person reads (so no footer to link from).
NOT_PAGES = {
    "messaging:relay_report": "JSON answer to the relay page's script",
    "responses:chase_mark": "a chase-list row returned to htmx inside the list page",
    "responses:call_mark": "a call-queue row returned to htmx inside the queue page",
    "responses:report_close": "POST that redirects to the report",
}


@override_settings(LIFF_ID="1234567890-abcdefgh")
class NoticeLinkTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.announcement = sent_announcement([self.in_register, self.rep_member])

    def as_line_user(self, sub: str) -> None:
        session = self.client.session
        session[liff.SESSION_KEY] = {"sub": sub, "at": time.time()}
        session.save()

    def signed_in(self, user: object) -> None:
        self.client.logout()
        self.login_as(user)  # type: ignore[arg-type]

    def relay(self) -> Relay:
        push = Delivery.objects.create(
            announcement=self.announcement,
            channel=Channel.LINE_DIRECT,
            member=self.rep_member,
            status=DeliveryStatus.SENT,
        )
        group = Delivery.objects.create(
            announcement=self.announcement,
            channel=Channel.LINE_RELAY,
            register=self.register,
            status=DeliveryStatus.QUEUED,
        )
        return Relay.objects.create(
            announcement=self.announcement,
            register=self.register,
            representative=self.rep_member,
            representative_line_user_id="U" + "2" * 32,
            push=push,
            group_delivery=group,
            fallback_due_at=timezone.now() + dt.timedelta(hours=2),
        )

    def link_token(self) -> str:
        key, token = link_token_new()
        ResponseLink.objects.create(
            key=key,
            announcement=self.announcement,
            member=self.in_register,
            channel=ResponseLink.Channel.SMS,
            expires_at=timezone.now() + dt.timedelta(days=7),
        )
        return token

    def pages(self) -> dict[str, list[tuple[str, Callable[[], HttpResponse]]]]:
        """Per route name: (what state, how to open it) for each state a person can meet."""
        a = self.announcement.code
        member_line = self.in_register.line_user_id or ""

        def get(
            url: str, *, line_user: str = "", user: object = None, **extra: str
        ) -> Callable[[], HttpResponse]:
            def open_page() -> HttpResponse:
                self.client.logout()
                if line_user:
                    self.as_line_user(line_user)
                if user is not None:
                    self.login_as(user)  # type: ignore[arg-type]
                return self.client.get(url, **extra)  # type: ignore[arg-type]

            return open_page

        def refused_token() -> HttpResponse:
            self.client.logout()
            error = liff.LiffTokenError("expired", reason="expired")
            with mock.patch.object(liff, "liff_claims_verify", autospec=True, side_effect=error):
                return self.client.post(reverse("responses:liff_session"), {"id_token": "t"})  # type: ignore[return-value]

        relay = self.relay()
        token = self.link_token()
        other = sent_announcement([self.b_member], title="ประกาศของหน่วยอื่น").code
        feedback = sent_announcement([self.in_register], kind=Ask.Kind.FEEDBACK).code
        closed = sent_announcement([self.in_register], title="ปิดแล้ว")
        ask_close(ask=Ask.objects.get(announcement=closed), reason="staff", actor=self.staff)
        return {
            "messaging:liff_entry": [
                ("boot", get("/r/")),
                ("to a page", get(f"/r/?liff.state=/relay/{relay.code}/")),
                ("home", get("/r/", line_user=member_line)),
            ],
            "messaging:relay_page": [("relay", get(f"/r/relay/{relay.code}/"))],
            "preferences:edit": [
                ("boot", get(reverse("preferences:edit"))),
                ("choices", get(reverse("preferences:edit"), line_user=member_line)),
            ],
            "responses:liff_home": [
                ("boot", get(reverse("responses:liff_home"))),
                ("home", get(reverse("responses:liff_home"), line_user=member_line)),
            ],
            "responses:liff_session": [("token refused", refused_token)],
            "responses:liff_link": [
                ("form", get(reverse("responses:liff_link"), line_user=UNLINKED)),
            ],
            "responses:liff_announcement": [
                (
                    "answer",
                    get(reverse("responses:liff_announcement", args=[a]), line_user=member_line),
                ),
                (
                    "not sent to them",
                    get(
                        reverse("responses:liff_announcement", args=[other]), line_user=member_line
                    ),
                ),
            ],
            "responses:link": [
                ("answer", get(reverse("responses:link", args=[token]))),
                ("forged", get(reverse("responses:link", args=["x" * len(token)]))),
            ],
            "responses:chase_list": [
                ("LIFF boot", get(f"{reverse('responses:chase_list')}?a={a}&via=line")),
                ("list", get(f"{reverse('responses:chase_list')}?a={a}", user=self.rep_user)),
            ],
            "responses:call_queue": [
                ("queue", get(reverse("responses:call_queue"), user=self.staff))
            ],
            "responses:report": [
                ("report", get(reverse("responses:report", args=[a]), user=self.staff))
            ],
            "responses:closing_report": [
                (
                    "closing",
                    get(reverse("responses:closing_report", args=[closed.code]), user=self.staff),
                )
            ],
            "responses:feedback": [
                ("feedback", get(reverse("responses:feedback", args=[feedback]), user=self.staff))
            ],
            "responses:ask": [("ask", get(reverse("responses:ask", args=[a]), user=self.staff))],
        }

    def test_every_page_under_the_liff_endpoint_links_the_current_notice(self) -> None:
        pages = self.pages()
        under_r = {
            name for name, route in _walk(get_resolver().url_patterns) if route.startswith("r/")
        }
        self.assertEqual(under_r - set(NOT_PAGES), set(pages), "walk every page under /r/")
        rendered = 0
        for name, states in pages.items():
            for state, open_page in states:
                with self.subTest(page=name, state=state):
                    response = open_page()
                    self.assertLess(response.status_code, 500)
                    self.assertNotEqual(response.status_code, 302, response.get("Location"))
                    self.assertContains(response, MARK, status_code=response.status_code)
                    self.assertContains(response, LINK, status_code=response.status_code)
                    rendered += 1
        self.assertGreaterEqual(rendered, 20)

    def test_linking_in_liff_names_the_notice_on_the_next_page(self) -> None:
        member = self.a_not_in_register
        self.as_line_user(UNLINKED)
        response = self.client.post(
            reverse("responses:liff_link"),
            {"number": member.number, "last4": member.phones.get().last4, "next": "/r/liff/"},
        )
        self.assertEqual(response.status_code, 302)
        page = self.client.get(response["Location"])
        self.assertContains(page, f"อ่านประกาศความเป็นส่วนตัว (ฉบับที่ {VERSION})")
        self.assertContains(page, LINK)
        again = self.client.get(response["Location"])
        self.assertNotContains(again, "อ่านประกาศความเป็นส่วนตัว")  # said once

    def test_the_link_opens_the_notice_of_that_version(self) -> None:
        page = self.client.get(reverse("privacy:notice_version", args=[VERSION]))
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "ประกาศความเป็นส่วนตัว")

    def test_every_page_in_the_sites_frame_links_the_notice(self) -> None:
        self.login_as(self.rep_user)
        self.assertContains(self.client.get("/conversations/my/"), LINK)
