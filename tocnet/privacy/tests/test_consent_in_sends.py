"""Consent and restriction respected where TOC-Net sends: the announcement planner, the
follow-up's reminders by the member's next channel, and the inbox's answers and pushes."""

import datetime as dt

import time_machine
from django.test import override_settings
from django.urls import reverse

from tocnet.conversations import services as conversations
from tocnet.conversations.models import Conversation, Message
from tocnet.conversations.tests.base import MEMBER_LINE, ConversationTestCase
from tocnet.line.models import LineFriend
from tocnet.members.models import Member, Phone
from tocnet.messaging.planning import Audience, announcement_plan
from tocnet.messaging.responses.escalation import escalations_advance
from tocnet.messaging.responses.models import Notice
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.privacy.models import Channel, Method, Purpose
from tocnet.privacy.services import consent_set, member_restrict

BANGKOK = dt.timezone(dt.timedelta(hours=7))
SENT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BANGKOK)  # a Monday, 10:00


class ConsentInSendsTestCase(ConversationTestCase):
    def object_to_news(self, member: Member, channel: str) -> None:
        consent_set(
            member=member,
            purpose=Purpose.NEWS,
            channel=channel,
            allowed=False,
            method=Method.PAPER,
            actor=self.staff,
        )

    def test_the_planner_leaves_out_objections_per_channel_and_restricted_members(self) -> None:
        LineFriend.objects.create(line_user_id=MEMBER_LINE, step="linked", blocked=False)
        Phone.objects.update(valid=True, kind=Phone.Kind.MOBILE)
        audience = Audience(channels=("line_direct", "sms"))
        before = {
            r.member_id: r.channel
            for r in announcement_plan(audience=audience, mode="direct").members
        }
        self.assertEqual(before[self.in_register.pk], "line_direct")
        self.assertEqual(before[self.b_member.pk], "sms")

        self.object_to_news(self.in_register, Channel.LINE)  # LINE no, SMS still yes
        self.object_to_news(self.b_member, Channel.SMS)  # no LINE: nothing left
        member_restrict(member=self.a_not_in_register, reason="คำขอระงับ", actor=self.staff)
        plan = announcement_plan(audience=audience, mode="direct")
        routes = {r.member_id: (r.channel, r.reason) for r in plan.members}
        self.assertEqual(routes[self.in_register.pk], ("sms", ""))
        self.assertEqual(routes[self.b_member.pk], ("none", "objected"))
        self.assertNotIn(self.a_not_in_register.pk, routes)
        self.assertEqual(plan.excluded_restricted, 1)
        self.assertEqual(plan.summary()["unreachable_reasons"], {"objected": 1})

    @override_settings(LIFF_ID="1650000000-AbCdEfGh", SITE_URL="https://toc.example")
    def test_a_reminder_never_takes_a_channel_the_member_objected_to(self) -> None:
        Phone.objects.update(valid=True, kind=Phone.Kind.MOBILE)
        Member.objects.filter(pk=self.b_member.pk).update(line_user_id="U" + "4" * 32)
        with time_machine.travel(SENT, tick=False):
            sent_announcement([self.in_register, self.b_member, self.a_not_in_register])
        # Sent by SMS (no register for b_member) or the group; the next channel would be LINE.
        self.object_to_news(self.in_register, Channel.LINE)
        self.object_to_news(self.b_member, Channel.LINE)
        member_restrict(member=self.a_not_in_register, reason="คำขอระงับ", actor=self.staff)
        with time_machine.travel(SENT + dt.timedelta(hours=48), tick=False):
            escalations_advance()
        reminders = {n.member_id: n.channel for n in Notice.objects.filter(stage="reminder")}
        self.assertNotIn(Notice.Channel.LINE, reminders.values())
        self.assertEqual(reminders.get(self.in_register.pk), Notice.Channel.SMS)
        self.assertNotIn(self.b_member.pk, reminders)  # SMS tried already, LINE objected
        self.assertNotIn(self.a_not_in_register.pk, reminders)
        pushed_to = {p["to"] for p in self.fake.pushes()}
        self.assertNotIn(MEMBER_LINE, pushed_to)
        self.assertNotIn("U" + "4" * 32, pushed_to)

    def test_the_inbox_answers_a_member_who_objected_to_news_but_sends_nothing_when_restricted(
        self,
    ) -> None:
        self.say("สวัสดีครับ")
        conversation = self.conversation()
        Conversation.objects.filter(pk=conversation.pk).update(reply_token="")
        # An objection to the cooperative's news is not one to answers to their own question.
        self.object_to_news(self.in_register, Channel.LINE)
        with self.captureOnCommitCallbacks(execute=True):
            conversations.conversation_answer(
                conversation=conversation, author=self.staff, text="ได้ครับ"
            )
        self.assertEqual(len(self.fake.pushes()), 1)

        # Queued, then restricted before the worker sends: nothing goes out.
        with self.captureOnCommitCallbacks(execute=False) as queued:
            conversations.conversation_answer(
                conversation=conversation, author=self.staff, text="อีกเรื่อง"
            )
        member_restrict(member=self.in_register, reason="คำขอระงับ", actor=self.staff)
        for callback in queued:
            callback()
        late = Message.objects.get(text="อีกเรื่อง")
        self.assertEqual((late.send_status, late.error), ("failed", "processing restricted"))
        self.assertEqual(len(self.fake.pushes()), 1)

        # The page says so, keeps the text as a note and queues nothing.
        self.login_as(self.staff)
        url = reverse("conversations:detail", args=[conversation.code])
        page = self.client.get(url)
        self.assertContains(page, 'data-privacy="restricted"')
        refused = self.client.post(url, {"action": "answer", "text": "ตอบอีกครั้ง"})
        self.assertEqual(refused.status_code, 409)
        self.assertContains(refused, "ตอบอีกครั้ง", status_code=409)
        self.assertFalse(Message.objects.filter(text="ตอบอีกครั้ง").exists())
