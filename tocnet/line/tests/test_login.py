import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import override_settings

from tocnet.core.models import AuditEvent
from tocnet.line.services.login import (
    ISSUER,
    IdTokenError,
    id_token_verify,
    user_for_line_login,
)
from tocnet.line.tests.base import LineTestCase
from tocnet.testing.fakes.line_server import b64url, make_hs256_jwt

CHANNEL, SECRET = "1650000000", "login-secret"
REP_LINE = "U" + "e" * 32


def token(**overrides: object) -> str:
    claims = {
        "iss": ISSUER,
        "sub": REP_LINE,
        "aud": CHANNEL,
        "exp": time.time() + 600,
        "nonce": "n1",
    }
    claims.update(overrides)
    return make_hs256_jwt(claims, SECRET)


def verify(id_token: str, nonce: str = "n1") -> dict[str, object]:
    return id_token_verify(
        id_token=id_token, channel_id=CHANNEL, channel_secret=SECRET, nonce=nonce
    )


def test_it_accepts_a_good_id_token() -> None:
    assert verify(token())["sub"] == REP_LINE


@pytest.mark.parametrize(
    "bad",
    [
        token(iss="https://evil.example"),
        token(aud="another-channel"),
        token(exp=time.time() - 3600),
        token(nonce="other"),
        token(sub=""),
        make_hs256_jwt(
            {
                "iss": ISSUER,
                "sub": REP_LINE,
                "aud": CHANNEL,
                "exp": time.time() + 60,
                "nonce": "n1",
            },
            "wrong",
        ),
        b64url(b'{"alg":"none","typ":"JWT"}') + "." + token().split(".")[1] + ".",
        "not-a-jwt",
    ],
)
def test_it_rejects_bad_id_tokens(bad: str) -> None:
    with pytest.raises(IdTokenError):
        verify(bad)


@override_settings(LINE_LOGIN_CHANNEL_ID=CHANNEL, LINE_LOGIN_CHANNEL_SECRET=SECRET)
class LineLoginTestCase(LineTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.fake.login_channel_id, self.fake.login_channel_secret = CHANNEL, SECRET
        self.addCleanup(setattr, self.fake, "login_channel_secret", None)
        self.addCleanup(setattr, self.fake, "login_channel_id", None)
        authorize = override_settings(
            LINE_LOGIN_AUTHORIZE_URL=self.fake.url + "/oauth2/v2.1/authorize"
        )
        authorize.enable()
        self.addCleanup(authorize.disable)

    def sign_in_with_line(
        self, line_user_id: str, start: str = "/line/login/", method: str = "get"
    ) -> object:
        response = getattr(self.client, method)(start)
        self.assertEqual(response.status_code, 302)
        query = {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}
        self.assertEqual((query["client_id"], query["scope"]), (CHANNEL, "openid profile"))
        code = self.fake.issue_login_code(
            user_id=line_user_id,
            nonce=query["nonce"],
            client_id=CHANNEL,
            redirect_uri=query["redirect_uri"],
        )
        return self.client.get("/line/login/callback/", {"code": code, "state": query["state"]})

    def test_it_signs_in_a_representative_matched_by_their_line_account(self) -> None:
        self.rep_user.line_user_id = REP_LINE
        self.rep_user.save()
        response = self.sign_in_with_line(REP_LINE)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.rep_user.pk)
        self.assertTrue(
            AuditEvent.objects.filter(action="login.succeeded", actor=self.rep_user).exists()
        )
        form = self.fake.requests_to("/oauth2/v2.1/token")[0].form
        self.assertEqual(
            (form["grant_type"], form["client_secret"]), ("authorization_code", SECRET)
        )

    def test_it_refuses_line_users_without_a_representative_or_agent_account(self) -> None:
        for line_user in (self.in_register.line_user_id, "U" + "f" * 32):
            with self.subTest(line_user=line_user):
                response = self.sign_in_with_line(line_user)
                self.assertEqual(response.status_code, 403)
                self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_member_record_linked_by_the_bot_is_no_web_sign_in(self) -> None:
        # Review F1: the member number and the last 4 phone digits are printed on every
        # attachment 3 form; linking the representative's member record through the bot
        # with them must not give a web session as the representative.
        from tocnet.line.services.linking import friend_message

        friend_message(line_user_id=REP_LINE, text=self.rep_member.number)
        friend_message(line_user_id=REP_LINE, text=self.rep_member.phones.get().last4)
        self.rep_member.refresh_from_db()
        self.assertEqual(self.rep_member.line_user_id, REP_LINE)  # the bot linked it
        self.assertIsNone(user_for_line_login(line_user_id=REP_LINE))
        response = self.sign_in_with_line(REP_LINE)
        self.assertEqual(response.status_code, 403)
        self.assertNotIn("_auth_user_id", self.client.session)
        self.rep_user.refresh_from_db()
        self.assertIsNone(self.rep_user.line_user_id)

    def test_an_agents_member_record_linked_by_the_bot_is_no_web_sign_in(self) -> None:
        from tocnet.members.models import Member

        member = Member.objects.get(pk=self.a_not_in_register.pk)
        member.user, member.line_user_id = self.agent, REP_LINE
        member.save()
        response = self.sign_in_with_line(REP_LINE)
        self.assertEqual(response.status_code, 403)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_it_refuses_a_forged_state(self) -> None:
        self.client.get("/line/login/")
        response = self.client.get("/line/login/callback/", {"code": "x", "state": "forged"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.fake.requests_to("/oauth2/v2.1/token"), [])

    def test_it_refuses_a_replayed_callback(self) -> None:
        self.rep_user.line_user_id = REP_LINE
        self.rep_user.save()
        first = self.sign_in_with_line(REP_LINE)
        self.client.logout()
        location = first.wsgi_request.get_full_path()
        self.assertEqual(self.client.get(location).status_code, 400)

    def test_it_connects_an_agents_line_account(self) -> None:
        self.login_as(self.agent)
        response = self.sign_in_with_line(REP_LINE, start="/line/login/connect/", method="post")
        self.assertEqual(response.status_code, 302)
        self.agent.refresh_from_db()
        self.assertEqual(self.agent.line_user_id, REP_LINE)
        self.client.logout()
        self.sign_in_with_line(REP_LINE)
        self.assertEqual(int(self.client.session["_auth_user_id"]), self.agent.pk)

    def test_it_says_when_line_login_is_not_configured(self) -> None:
        with override_settings(LINE_LOGIN_CHANNEL_ID=""):
            response = self.client.get("/line/login/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-line-configured="false"')

    def test_it_offers_the_connect_button_to_representatives_and_agents(self) -> None:
        from django.template.loader import render_to_string
        from django.test import RequestFactory

        for name, user in self.personas().items():
            with self.subTest(persona=name):
                request = RequestFactory().get("/")
                request.user = user
                html = render_to_string(
                    "line/includes/line_connect_button.html", {"user": user}, request=request
                )
                self.assertEqual("data-line-connect" in html, name in ("rep", "agent"))

    def test_line_login_goes_through_the_same_throttle(self) -> None:
        # Issue #10 item 1: an account locked at the password form stays locked at LINE Login.
        self.rep_user.line_user_id = REP_LINE
        self.rep_user.save()
        with override_settings(LOGIN_SLOW_AFTER=100, LOGIN_LOCK_AFTER=3):
            for _ in range(3):
                self.client.post(
                    "/accounts/login/", {"username": self.rep_user.username, "password": "x"}
                )
            response = self.sign_in_with_line(REP_LINE)
        self.assertEqual(response.status_code, 429)
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertTrue(
            AuditEvent.objects.filter(action="login.locked", changes__method="line").exists()
        )
