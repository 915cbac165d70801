"""A sent announcement that asks for a response carries the way to answer on every channel."""

import datetime as dt
import re

import time_machine
from django.core import mail
from django.test import override_settings

from tocnet.messaging.responses.models import Ask, PollOption, Response, Way
from tocnet.messaging.tests.base import GROUP_A, MessagingTestCase

OFFICE_HOURS = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


@time_machine.travel(OFFICE_HOURS, tick=False)
class ResponsesInSendTestCase(MessagingTestCase):
    def setUp(self) -> None:
        super().setUp()
        overrides = override_settings(SITE_URL="https://toc.example")
        overrides.enable()
        self.addCleanup(overrides.disable)

    def test_the_card_sms_and_email_carry_the_answer(self) -> None:
        announcement = self.approved()
        ask = Ask.objects.create(announcement=announcement, kind=Ask.Kind.POLL, question="วันไหน")
        PollOption.objects.create(ask=ask, position=1, label="เสาร์")
        PollOption.objects.create(ask=ask, position=2, label="อาทิตย์")
        self.send(announcement)
        group_push = next(p for p in self.fake.pushes() if p["to"] == GROUP_A)
        buttons = group_push["messages"][0]["contents"]["footer"]["contents"]
        uris = [b["action"]["uri"] for b in buttons]
        # Without a LIFF app (this test) the page opens in the browser; with one, inside LINE.
        self.assertIn(f"https://toc.example/r/liff/a/{announcement.code}/", uris)
        sms = self.sms.messages[0]
        link = re.search(r"https://toc\.example/r/(\w{18})", sms.text)
        assert link is not None, sms.text
        email = mail.outbox[0].body
        email_link = re.search(r"https://toc\.example/r/(\w{18})", email)
        assert email_link is not None, email
        # The SMS link answers the poll for that member, without LINE.
        self.client.post(f"/r/{link.group(1)}", {"option": "2"})
        response = Response.objects.get()
        self.assertEqual((response.way, response.option.label), (Way.SMS_LINK, "อาทิตย์"))
        self.assertEqual(response.member, self.a_not_in_register)

    def test_an_announcement_without_an_ask_has_no_answer_button(self) -> None:
        self.send(self.approved())
        group_push = next(p for p in self.fake.pushes() if p["to"] == GROUP_A)
        footer = group_push["messages"][0]["contents"].get("footer", {}).get("contents", [])
        self.assertFalse(any("/r/liff/a/" in b["action"]["uri"] for b in footer))
        self.assertNotIn("/r/", self.sms.messages[0].text)
