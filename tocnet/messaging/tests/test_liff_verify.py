"""The LIFF page's ID token is checked at LINE's verify endpoint (the fake LINE server's here,
no mock): a genuine token for our LIFF app's channel opens the page; a token for another
channel, an expired or a forged one is refused with a clear Thai page, and nothing counts."""

from __future__ import annotations

from typing import Any

from django.test import override_settings

from tocnet.core.models import AuditEvent
from tocnet.members.models import Member
from tocnet.messaging.responses import liff
from tocnet.messaging.responses.models import Ask, Response, Way
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.testing import BaseTestCase
from tocnet.testing.fakes.line_server import FakeLineServer

LIFF_ID = "1650000000-AbCdEfGh"
CHANNEL = "1650000000"
LINE_USER = "U" + "1" * 32  # BaseTestCase's in_register member


class LiffTokenVerifyTestCase(BaseTestCase):
    fake: FakeLineServer

    @classmethod
    def setUpClass(cls) -> None:
        cls.fake = FakeLineServer().start()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        cls.fake.stop()

    def setUp(self) -> None:
        super().setUp()
        self.fake.reset()
        overrides = override_settings(LIFF_ID=LIFF_ID, LINE_API_BASE_URL=self.fake.url)
        overrides.enable()
        self.addCleanup(overrides.disable)
        self.poll = sent_announcement(
            [self.in_register], kind=Ask.Kind.POLL, question="วันไหน", options=["เสาร์", "อาทิตย์"]
        )
        self.page = f"/r/liff/a/{self.poll.code}/"

    def post_token(self, token: str) -> Any:
        return self.client.post("/r/liff/session/", {"id_token": token, "next": self.page})

    def assert_refused(self, token: str, reason: str) -> None:
        response = self.post_token(token)
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, f'data-reason="{reason}"', status_code=403)
        self.assertContains(response, "ยังไม่ได้บันทึกสิ่งใด", status_code=403)  # Thai, clear
        self.assertNotIn(liff.SESSION_KEY, self.client.session)
        # The page still does not know who this is: answering counts for nobody.
        answer = self.client.post(self.page, {"option": "1"})
        self.assertContains(answer, 'id="liff-boot"')
        self.assertFalse(Response.objects.exists())
        event = AuditEvent.objects.filter(action="responses.liff_token_refused").latest("pk")
        self.assertEqual(event.changes["reason"], reason)
        self.assertEqual(event.kind, AuditEvent.Kind.SECURITY)

    def test_it_asks_line_and_opens_the_page_for_a_genuine_token(self) -> None:
        token = self.fake.mint_id_token(user_id=LINE_USER, channel_id=CHANNEL)
        response = self.post_token(token)
        self.assertRedirects(response, self.page, fetch_redirect_response=False)
        (verify,) = self.fake.requests_to("/oauth2/v2.1/verify")
        self.assertEqual(verify.form, {"id_token": token, "client_id": CHANNEL})
        self.client.post(self.page, {"option": "2"})
        answer = Response.objects.get()
        self.assertEqual(answer.member, Member.objects.get(line_user_id=LINE_USER))
        self.assertEqual((answer.way, answer.option.label), (Way.LIFF, "อาทิตย์"))

    def test_it_refuses_a_token_for_another_channel(self) -> None:
        token = self.fake.mint_id_token(user_id=LINE_USER, channel_id="1999999999")
        self.assert_refused(token, "other_channel")
        (verify,) = self.fake.requests_to("/oauth2/v2.1/verify")
        self.assertEqual(verify.status, 400)  # LINE itself said no
        self.assertEqual(verify.form["client_id"], CHANNEL)

    def test_it_refuses_an_expired_token(self) -> None:
        token = self.fake.mint_id_token(user_id=LINE_USER, channel_id=CHANNEL, ttl=-300)
        self.assert_refused(token, "expired")

    def test_it_refuses_a_forged_token(self) -> None:
        with FakeLineServer(login_channel_secret="someone-else") as other:
            forged = other.mint_id_token(user_id=LINE_USER, channel_id=CHANNEL)
        self.assert_refused(forged, "invalid")
        self.assert_refused("not-a-token", "invalid")

    def test_it_says_so_when_line_does_not_answer(self) -> None:
        self.fake.fail_next(1, status=500, path_prefix="/oauth2/v2.1/verify")
        token = self.fake.mint_id_token(user_id=LINE_USER, channel_id=CHANNEL)
        response = self.post_token(token)
        self.assertEqual(response.status_code, 502)
        self.assertNotIn(liff.SESSION_KEY, self.client.session)
        self.assertFalse(Response.objects.exists())
