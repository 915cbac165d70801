"""LINE (LINE Login, or the LIFF ID token of the chase link) is a first factor only: a user
who must use the second factor is asked for it next and sees no member before."""

from unittest import mock

from django.test import override_settings
from django.urls import reverse

from tocnet.accounts.models import User
from tocnet.line.tests import test_login
from tocnet.line.tests.base import LineTestCase
from tocnet.messaging.responses import liff
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.messaging.tests.test_chase_liff_sign_in import LIFF_ID, claims
from tocnet.testing import BaseTestCase
from tocnet.testing.two_factor import totp_code, totp_device_for

AGENT_LINE = "U" + "6" * 32


@override_settings(LIFF_ID=LIFF_ID)
class LiffSignInSecondFactorTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.client.otp_autoverify = False  # type: ignore[attr-defined]
        self.announcement = sent_announcement([self.in_register])
        User.objects.filter(pk=self.agent.pk).update(line_user_id=AGENT_LINE)
        self.url = f"{reverse('responses:chase_list')}?a={self.announcement.code}&via=line"

    def open_through_liff(self) -> object:
        with mock.patch.object(
            liff, "liff_claims_verify", autospec=True, return_value=claims(AGENT_LINE)
        ):
            self.client.post("/r/liff/session/", {"id_token": "t", "next": self.url})
        signed_in = self.client.get(self.url)  # the LIFF sign-in, then back to the list
        self.assertEqual(signed_in.status_code, 302)
        self.assertEqual(str(self.client.session.get("_auth_user_id")), str(self.agent.pk))
        return self.client.get(self.url)

    def test_an_agent_signed_in_through_liff_is_asked_the_second_factor(self) -> None:
        device = totp_device_for(self.agent)
        page = self.open_through_liff()
        self.assertEqual(page.status_code, 302)  # type: ignore[attr-defined]
        self.assertTrue(page["Location"].startswith(reverse("accounts:two_factor_verify")))  # type: ignore[index]
        self.assertNotContains(page, self.in_register.number, status_code=302)  # type: ignore[arg-type]
        verified = self.client.post(
            reverse("accounts:two_factor_verify"), {"code": totp_code(device), "next": self.url}
        )
        self.assertEqual(verified["Location"], self.url)
        listed = self.client.get(self.url)
        self.assertContains(listed, f'data-member="{self.in_register.number}"')

    def test_an_agent_not_enrolled_goes_to_enrolment_not_to_the_list(self) -> None:
        page = self.open_through_liff()
        self.assertEqual(page.status_code, 302)  # type: ignore[attr-defined]
        self.assertTrue(page["Location"].startswith(reverse("accounts:two_factor_setup")))  # type: ignore[index]


@override_settings(
    LINE_LOGIN_CHANNEL_ID=test_login.CHANNEL, LINE_LOGIN_CHANNEL_SECRET=test_login.SECRET
)
class LineLoginSecondFactorTestCase(LineTestCase):
    """LINE Login signs an agent in (first factor); the second factor is asked before any page."""

    sign_in_with_line = test_login.LineLoginTestCase.sign_in_with_line

    def setUp(self) -> None:
        super().setUp()
        self.fake.login_channel_id = test_login.CHANNEL
        self.fake.login_channel_secret = test_login.SECRET
        self.addCleanup(setattr, self.fake, "login_channel_secret", None)
        self.addCleanup(setattr, self.fake, "login_channel_id", None)
        authorize = override_settings(
            LINE_LOGIN_AUTHORIZE_URL=self.fake.url + "/oauth2/v2.1/authorize"
        )
        authorize.enable()
        self.addCleanup(authorize.disable)

    def test_an_agent_signed_in_with_line_login_is_asked_the_second_factor(self) -> None:
        self.client.otp_autoverify = False  # type: ignore[attr-defined]
        User.objects.filter(pk=self.agent.pk).update(line_user_id=test_login.REP_LINE)
        device = totp_device_for(self.agent)
        self.sign_in_with_line(test_login.REP_LINE)
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.agent.pk)
        page = self.client.get(reverse("members:member_list"))
        self.assertEqual(page.status_code, 302)
        self.assertTrue(page["Location"].startswith(reverse("accounts:two_factor_verify")))
        self.assertNotContains(page, self.in_register.number, status_code=302)
        self.client.post(reverse("accounts:two_factor_verify"), {"code": totp_code(device)})
        self.assertEqual(self.client.get(reverse("members:member_list")).status_code, 200)
