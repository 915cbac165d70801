"""Group forwarding, targets and overdue notes, retention purge, erasure."""

import datetime as dt

import time_machine
from django.utils import timezone

from tocnet.conversations import services
from tocnet.conversations.models import Conversation, Message
from tocnet.conversations.tests.base import MEMBER_LINE, ConversationTestCase
from tocnet.line import simulate
from tocnet.members.models import Member
from tocnet.privacy.models import Channel, Consent, Method, Purpose
from tocnet.privacy.registry import member_data_hooks

REP_LINE = "U" + "5" * 32
GROUP = simulate.group_id_for("สอ.พช.กพ.1")


class GroupForwardTestCase(ConversationTestCase):
    def setUp(self) -> None:
        super().setUp()
        Member.objects.filter(pk=self.rep_member.pk).update(line_user_id=REP_LINE)
        self.fake.add_group(GROUP, "สอ.พช.กพ.1", count=3)

    def test_it_forwards_a_question_for_a_mentioned_member(self) -> None:
        message = simulate.text_message("@สมศักดิ์ ถาม ขอกู้เงินฉุกเฉินได้ไหม")
        message["mention"] = {
            "mentionees": [
                {"index": 0, "length": len("@สมศักดิ์"), "userId": MEMBER_LINE, "type": "user"}
            ]
        }
        message["text"] = "@สมศักดิ์ ถาม ขอกู้เงินฉุกเฉินได้ไหม"
        self.post_events(
            [simulate._event("message", simulate.group_source(GROUP, REP_LINE), message=message)]
        )
        conversation = Conversation.objects.get()
        self.assertEqual(
            (
                conversation.member,
                conversation.origin,
                conversation.forwarded_by,
                conversation.department,
            ),
            (self.in_register, "group", self.rep_user, self.credit),
        )
        self.assertEqual(conversation.messages.get().text, "ขอกู้เงินฉุกเฉินได้ไหม")
        self.assertEqual(len(self.fake.replies()), 1)

    def test_it_forwards_for_the_representative_when_nobody_is_mentioned(self) -> None:
        self.post_events([simulate.group_message_event(GROUP, REP_LINE, "? สมาชิกถามเรื่องปันผลปีนี้")])
        conversation = Conversation.objects.get()
        self.assertEqual(
            (conversation.member, conversation.line_user_id), (self.rep_member, REP_LINE)
        )

    def test_a_mention_of_the_bot_for_an_unlinked_member_is_the_representatives(self) -> None:
        text = "@TOC-Net @สมปอง ขอเปลี่ยนผู้รับผลประโยชน์"
        message = simulate.text_message(text)
        message["mention"] = {
            "mentionees": [
                {"index": 0, "length": len("@TOC-Net"), "type": "user", "isSelf": True},
                {
                    "index": len("@TOC-Net "),
                    "length": len("@สมปอง"),
                    "userId": "U" + "9" * 32,  # in the group, not linked to a member
                    "type": "user",
                },
            ]
        }
        self.post_events(
            [simulate._event("message", simulate.group_source(GROUP, REP_LINE), message=message)]
        )
        conversation = Conversation.objects.get()
        self.assertEqual(
            (conversation.member, conversation.forwarded_by, conversation.origin),
            (self.rep_member, self.rep_user, "group"),
        )
        self.assertEqual(conversation.messages.get().text, "ขอเปลี่ยนผู้รับผลประโยชน์")
        self.assertEqual(
            conversation.department.code if conversation.department else "", "membership"
        )

    def test_it_ignores_ordinary_group_chat_and_non_representatives(self) -> None:
        self.post_events([simulate.group_message_event(GROUP, REP_LINE, "สวัสดีทุกคน")])
        self.post_events([simulate.group_message_event(GROUP, MEMBER_LINE, "ถาม ดอกเบี้ยเท่าไร")])
        self.assertFalse(Conversation.objects.exists())


class LifecycleTestCase(ConversationTestCase):
    def test_the_target_is_one_working_day(self) -> None:
        thursday = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)  # Thursday 16:00 in Bangkok
        self.assertEqual(
            services.add_working_days(thursday, 1), dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
        )
        friday = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
        self.assertEqual(
            services.add_working_days(friday, 1), dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
        )
        saturday = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)  # counts from Monday 08:30
        self.assertEqual(
            services.add_working_days(saturday, 1), dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.UTC)
        )

    def test_the_target_skips_thai_public_holidays(self) -> None:
        # Friday 4 December 2026: Saturday is Father's Day, Monday the 7th its substitute.
        friday = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)
        self.assertEqual(
            services.add_working_days(friday, 1), dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)
        )
        # Wednesday 9th + 1 working day: Thursday 10th is Constitution Day -> Friday 11th.
        wednesday = dt.datetime(2026, 12, 9, 2, 0, tzinfo=dt.UTC)
        self.assertEqual(
            services.add_working_days(wednesday, 1), dt.datetime(2026, 12, 11, 2, 0, tzinfo=dt.UTC)
        )
        # Written on Songkran (Monday 13 April 2026): counts from Thursday 16th 08:30.
        songkran = dt.datetime(2026, 4, 13, 5, 0, tzinfo=dt.UTC)
        self.assertEqual(
            services.add_working_days(songkran, 1), dt.datetime(2026, 4, 17, 1, 30, tzinfo=dt.UTC)
        )

    def test_staff_add_a_special_holiday_and_the_target_follows(self) -> None:
        from tocnet.conversations.models import Holiday

        thursday = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
        Holiday.objects.create(date=dt.date(2026, 11, 27), name="วันหยุดพิเศษ")
        self.assertEqual(
            services.add_working_days(thursday, 1), dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
        )
        with self.settings(CONVERSATIONS_TARGET_WORKING_DAYS=2):
            self.assertEqual(
                services.due_from(thursday), dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
            )

    def test_both_years_are_seeded(self) -> None:
        from tocnet.conversations.models import Holiday

        for year in (2026, 2027):
            days = Holiday.objects.filter(date__year=year)
            self.assertGreaterEqual(days.count(), 19)
            self.assertTrue(days.filter(date=dt.date(year, 4, 13)).exists())  # Songkran

    def test_it_tells_the_representative_once_when_a_consenting_member_waits_too_long(self) -> None:
        Member.objects.filter(pk=self.rep_member.pk).update(line_user_id=REP_LINE)
        self.say("สวัสดีครับ")
        later = timezone.now() + dt.timedelta(days=5)
        self.assertEqual(services.conversations_overdue_notify(now=later), 0)  # no consent
        conversation = self.conversation()
        Conversation.objects.filter(pk=conversation.pk).update(overdue_notified_at=None)
        Consent.objects.create(
            member=self.in_register,
            purpose=Purpose.REPRESENTATIVE,
            channel=Channel.LINE,
            allowed=True,
            method=Method.LINE,
            notice_version="1",
            recorded_at=timezone.now(),
        )
        self.assertEqual(services.conversations_overdue_notify(now=later), 1)
        self.assertEqual(services.conversations_overdue_notify(now=later), 0)
        push = self.fake.pushes()[-1]
        self.assertEqual(push["to"], REP_LINE)
        self.assertIn(self.in_register.first_name, push["messages"][0]["text"])

    def test_it_purges_conversations_past_the_retention_period(self) -> None:
        with time_machine.travel(timezone.now() - dt.timedelta(days=800), tick=False):
            self.say("เรื่องเก่า")
        self.say("เรื่องใหม่", user_id="U" + "7" * 32)
        self.assertEqual(services.conversations_purge(), 1)
        self.assertEqual(list(Message.objects.values_list("text", flat=True)), ["เรื่องใหม่"])
        # the retention period is a setting
        with time_machine.travel(timezone.now() - dt.timedelta(days=40), tick=False):
            self.say("เดือนก่อน", user_id="U" + "6" * 32)
        self.assertEqual(services.conversations_purge(), 0)
        with self.settings(CONVERSATIONS_RETENTION_DAYS=30):
            self.assertEqual(services.conversations_purge(), 1)
        self.assertEqual(list(Message.objects.values_list("text", flat=True)), ["เรื่องใหม่"])

    def test_an_erasure_removes_the_members_conversations(self) -> None:
        self.say("ข้อมูลส่วนตัว")
        hook = next(h for h in member_data_hooks() if h.name == "conversations.conversations")
        exported = hook.export(self.in_register)
        self.assertEqual(exported[0]["messages"][0]["text"], "ข้อมูลส่วนตัว")
        assert hook.erase is not None
        hook.erase(self.in_register, None)  # type: ignore[arg-type]
        self.assertFalse(Conversation.objects.exists())
        self.assertFalse(Message.objects.exists())


class WorkerPollingTestCase(ConversationTestCase):
    def test_an_idle_worker_looks_at_its_sqlite_queue_at_least_every_half_second(self) -> None:
        """A message waits for the worker's next look at the queue: huey's own back-off (up to
        10 s) kept it from the inbox for seconds (bench/bench_conversation_latency.py)."""
        from django.conf import settings
        from huey.consumer_options import ConsumerConfig

        if settings.REDIS_URL:
            self.skipTest("a Redis worker blocks on its queue")
        config = ConsumerConfig(**settings.HUEY["consumer"])
        self.assertLessEqual(config.max_delay, 0.5)
        self.assertLessEqual(config.initial_delay, config.max_delay)
