"""The chase link in the representative's LINE push: inside LINE, a representative not signed
in on the site is signed in through LIFF (the LIFF ID token, verified by LINE) and lands on
their chase list; anyone else is told why, in Thai, and nothing opens."""

import time
from typing import Any
from unittest import mock

from django.test import override_settings
from django.urls import reverse

from tocnet.accounts.models import User
from tocnet.core.models import AuditEvent
from tocnet.messaging.responses import liff
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.testing import BaseTestCase

LIFF_ID = "1650000000-AbCdEfGh"
REP_LINE = "U" + "2" * 32
LINE_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari Line/14.9.0"


def claims(sub: str) -> dict[str, Any]:
    return {
        "iss": "https://access.line.me",
        "sub": sub,
        "aud": "1650000000",
        "exp": time.time() + 600,
    }


@override_settings(LIFF_ID=LIFF_ID)
class ChaseLiffSignInTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.announcement = sent_announcement([self.rep_member, self.in_register])
        User.objects.filter(pk=self.rep_user.pk).update(line_user_id=REP_LINE)
        self.url = f"{reverse('responses:chase_list')}?a={self.announcement.code}&via=line"

    def liff_session(self, sub: str) -> None:
        with mock.patch.object(liff, "liff_claims_verify", autospec=True, return_value=claims(sub)):
            response = self.client.post("/r/liff/session/", {"id_token": "t", "next": self.url})
        self.assertRedirects(response, self.url, fetch_redirect_response=False)

    def signed_in_user_id(self) -> object:
        return self.client.session.get("_auth_user_id")

    def test_inside_line_it_opens_liff_first(self) -> None:
        page = self.client.get(self.url)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, 'id="liff-boot"')
        self.assertContains(page, f'name="next" value="{self.url.replace("&", "&amp;")}"')
        self.assertContains(page, 'data-link="password-login"')  # a way out without LINE
        self.assertNotContains(page, "<script>")
        self.assertIsNone(self.signed_in_user_id())

    def test_the_representative_lands_on_their_list_signed_in(self) -> None:
        self.liff_session(REP_LINE)
        response = self.client.get(self.url)
        self.assertRedirects(response, self.url, fetch_redirect_response=False)
        self.assertEqual(str(self.signed_in_user_id()), str(self.rep_user.pk))
        page = self.client.get(self.url)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, f'data-member="{self.in_register.number}"')
        event = AuditEvent.objects.filter(action="login.succeeded").order_by("-id").first()
        self.assertIsNotNone(event)
        assert event is not None
        self.assertEqual(event.changes.get("method"), "liff")
        # Signed in, they can mark from the list.
        mark = reverse("responses:chase_mark", args=[self.announcement.code, self.in_register.code])
        self.assertEqual(
            self.client.post(mark, {"way": "rep_phone"}, HTTP_HX_REQUEST="true").status_code, 200
        )

    def test_in_lines_browser_without_the_marker_too(self) -> None:
        url = f"{reverse('responses:chase_list')}?a={self.announcement.code}"
        page = self.client.get(url, HTTP_USER_AGENT=LINE_UA)
        self.assertContains(page, 'id="liff-boot"')

    def test_a_line_user_with_no_representative_account_is_told_and_not_signed_in(self) -> None:
        self.liff_session(self.in_register.line_user_id)  # a member linked through the bot
        page = self.client.get(self.url)
        self.assertEqual(page.status_code, 403)
        self.assertContains(page, 'data-reason="not_tied"', status_code=403)
        self.assertContains(page, "data-refusal-link", status_code=403)
        self.assertContains(page, "<html", status_code=403)  # a page in the site's frame
        self.assertIsNone(self.signed_in_user_id())
        failed = AuditEvent.objects.get(action="login.failed")
        self.assertEqual(failed.changes["method"], "liff")

    def test_outside_line_it_is_the_password_sign_in(self) -> None:
        url = f"{reverse('responses:chase_list')}?a={self.announcement.code}"
        response = self.client.get(url)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/?next="), response)
        with override_settings(LIFF_ID=""):  # no LIFF app: the password, even inside LINE
            response = self.client.get(self.url)
        self.assertTrue(response["Location"].startswith("/accounts/login/?next="), response)

    def test_someone_signed_in_is_not_asked_again(self) -> None:
        self.login_as(self.rep_user)
        page = self.client.get(self.url)
        self.assertContains(page, f'data-member="{self.in_register.number}"')
        self.assertNotContains(page, 'id="liff-boot"')

    def test_the_liff_sign_in_goes_through_the_one_throttle(self) -> None:
        # #10 item 1: an account locked at the password form stays locked through LIFF, and
        # the refusal is a security event naming the way in; nobody is signed in.
        with override_settings(LOGIN_SLOW_AFTER=100, LOGIN_LOCK_AFTER=3):
            for _ in range(3):
                self.client.post(
                    reverse("accounts:login"),
                    {"username": self.rep_user.username, "password": "wrong"},
                )
            self.liff_session(REP_LINE)
            page = self.client.get(self.url)
        self.assertEqual(page.status_code, 429)
        self.assertContains(page, 'data-reason="locked"', status_code=429)
        self.assertIsNone(self.signed_in_user_id())
        refused = AuditEvent.objects.get(action="login.locked")
        self.assertEqual(refused.changes["method"], "liff")
        self.assertFalse(AuditEvent.objects.filter(action="login.succeeded").exists())
