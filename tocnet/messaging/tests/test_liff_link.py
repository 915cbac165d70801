import time
from typing import Any
from unittest import mock

from django.test import override_settings

from tocnet.core.models import AuditEvent
from tocnet.line.models import LineFriend, LinkAttempt
from tocnet.members.models import Member
from tocnet.messaging.responses import liff
from tocnet.testing import BaseTestCase

NEW = "U" + "d" * 32
LIFF_ID = "1650000000-AbCdEfGh"


def claims(sub: str = NEW) -> dict[str, Any]:
    return {
        "iss": "https://access.line.me",
        "sub": sub,
        "aud": "1650000000",
        "exp": time.time() + 600,
    }


@override_settings(LIFF_ID=LIFF_ID, LINE_LINK_MAX_ATTEMPTS=3, LINE_LINK_LOCK_MINUTES=60)
class LiffLinkTestCase(BaseTestCase):
    def open_session(self, sub: str = NEW) -> None:
        with mock.patch.object(liff, "liff_claims_verify", autospec=True, return_value=claims(sub)):
            response = self.client.post(
                "/r/liff/session/", {"id_token": "token", "next": "/r/liff/link/"}
            )
        self.assertRedirects(response, "/r/liff/link/", fetch_redirect_response=False)

    def answer(self, number: str, last4: str) -> Any:
        return self.client.post(
            "/r/liff/link/", {"number": number, "last4": last4, "next": "/r/liff/"}
        )

    def test_it_opens_liff_first(self) -> None:
        response = self.client.get("/r/liff/link/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'id="liff-boot"')
        self.assertContains(response, f'data-liff-id="{LIFF_ID}"')
        self.assertNotContains(response, "<script>")  # static files only (CSP)

    def test_it_refuses_a_token_line_does_not_confirm(self) -> None:
        with mock.patch.object(
            liff,
            "liff_claims_verify",
            autospec=True,
            side_effect=liff.LiffTokenError("wrong audience"),
        ):
            response = self.client.post("/r/liff/session/", {"id_token": "forged"})
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, 'data-refusal="true"', status_code=403)
        self.assertNotIn(liff.SESSION_KEY, self.client.session)
        self.assertTrue(AuditEvent.objects.filter(action="responses.liff_token_refused").exists())

    def test_it_links_with_number_and_phone_digits(self) -> None:
        self.open_session()
        member = self.a_not_in_register
        response = self.answer(member.number, member.phones.get().last4)
        self.assertRedirects(response, "/r/liff/", fetch_redirect_response=False)
        member.refresh_from_db()
        self.assertEqual(member.line_user_id, NEW)
        self.assertEqual(
            AuditEvent.objects.filter(
                action="line.member_linked", target_id=str(member.code)
            ).count(),
            1,
        )
        home = self.client.get("/r/liff/")
        self.assertContains(home, f'data-linked-member="{member.number}"')

    def test_it_reveals_nothing_and_locks_like_the_bot(self) -> None:
        self.open_session()
        member = self.a_not_in_register
        unknown = self.answer("999999", "1234")
        wrong = self.answer(member.number, "0000")
        self.assertEqual(unknown.context["problem"], "wrong")
        self.assertEqual(wrong.context["problem"], "wrong")
        self.assertEqual(unknown.context["left"], 2)
        self.assertEqual(wrong.context["left"], 1)
        third = self.answer(member.number, "1111")
        self.assertEqual(third.status_code, 429)
        locked = self.answer(member.number, member.phones.get().last4)
        self.assertEqual(locked.status_code, 429)
        self.assertContains(locked, 'data-problem="locked"', status_code=429)
        member.refresh_from_db()
        self.assertIsNone(member.line_user_id)
        self.assertEqual(LinkAttempt.objects.filter(line_user_id=NEW).count(), 3)
        # The chat with the bot is locked as well: one rule, two doors.
        self.assertIsNotNone(LineFriend.objects.get(line_user_id=NEW).locked_until)

    def test_it_treats_a_member_linked_elsewhere_as_a_wrong_answer(self) -> None:
        self.open_session()
        member = self.in_register  # linked to another LINE account
        response = self.answer(member.number, member.phones.get().last4)
        self.assertEqual(response.context["problem"], "wrong")
        self.assertEqual(Member.objects.get(pk=member.pk).line_user_id, "U" + "1" * 32)

    def test_it_checks_the_form(self) -> None:
        self.open_session()
        response = self.answer("", "12")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["form"].errors)
        self.assertEqual(LinkAttempt.objects.count(), 0)
        digits = self.answer(self.a_not_in_register.number, "12")
        self.assertEqual(digits.context["problem"], "digits")

    def test_it_sends_a_linked_user_on(self) -> None:
        self.open_session(sub="U" + "1" * 32)
        response = self.client.get("/r/liff/link/?next=/r/liff/")
        self.assertRedirects(response, "/r/liff/", fetch_redirect_response=False)

    def test_it_refuses_to_redirect_elsewhere(self) -> None:
        with mock.patch.object(liff, "liff_claims_verify", autospec=True, return_value=claims()):
            response = self.client.post(
                "/r/liff/session/", {"id_token": "t", "next": "https://evil.example/"}
            )
        self.assertRedirects(response, "/r/liff/", fetch_redirect_response=False)

    def test_the_session_expires_with_the_token(self) -> None:
        self.open_session()
        session = self.client.session
        session[liff.SESSION_KEY] = {"sub": NEW, "at": time.time() - liff.SESSION_SECONDS - 1}
        session.save()
        response = self.client.get("/r/liff/link/")
        self.assertContains(response, 'id="liff-boot"')
