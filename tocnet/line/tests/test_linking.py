import datetime as dt

import time_machine
from django.test import override_settings

from tocnet.core.models import AuditEvent
from tocnet.line import simulate
from tocnet.line.models import LineFriend, LinkAttempt
from tocnet.line.tests.base import LineTestCase
from tocnet.members.models import Member

NEW = "U" + "c" * 32
START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@override_settings(LINE_LINK_MAX_ATTEMPTS=3, LINE_LINK_LOCK_MINUTES=60)
class MemberLinkingTestCase(LineTestCase):
    def say(self, text: str, user: str = NEW) -> str:
        before = len(self.reply_texts())
        self.post_events([simulate.user_message_event(user, text)])
        replies = self.reply_texts()
        self.assertGreater(len(replies), before)  # linking adds the privacy notice after it
        return replies[before]

    def last4(self, member: Member) -> str:
        return member.phones.get().last4

    def test_it_links_with_member_number_and_phone_digits(self) -> None:
        self.post_events([simulate.follow_event(NEW)])
        self.assertEqual(LineFriend.objects.get().step, LineFriend.Step.ASK_NUMBER)
        self.say(self.a_not_in_register.number)
        reply = self.say(f"เบอร์ลงท้าย {self.last4(self.a_not_in_register)}")
        self.a_not_in_register.refresh_from_db()
        self.assertEqual(self.a_not_in_register.line_user_id, NEW)
        self.assertEqual(LineFriend.objects.get().step, LineFriend.Step.LINKED)
        self.assertIn(self.a_not_in_register.first_name, reply)
        self.assertEqual(
            AuditEvent.objects.filter(
                action="line.member_linked", target_id=str(self.a_not_in_register.code)
            ).count(),
            1,
        )

    def test_it_tells_a_linked_member_their_register_and_representative(self) -> None:
        member = Member.objects.get(pk=self.in_register.pk)
        member.line_user_id = None
        member.save()
        self.say(member.number)
        reply = self.say(self.last4(member))
        self.assertIn(self.register.line_group_name, reply)
        self.assertIn(self.rep_member.first_name, reply)

    def test_it_accepts_thai_digits(self) -> None:
        thai = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
        self.say(self.a_not_in_register.number.translate(thai))
        self.say(self.last4(self.a_not_in_register).translate(thai))
        self.assertEqual(Member.objects.get(line_user_id=NEW), self.a_not_in_register)

    def test_it_reveals_nothing_before_linking(self) -> None:
        # Same answers for an unknown number and a real number with wrong digits.
        first = self.say("999999")
        second = self.say("0000")
        third = self.say(self.b_member.number, user="U" + "d" * 32)
        fourth = self.say("0000", user="U" + "d" * 32)
        self.assertEqual((first, second), (third, fourth))
        for reply in (first, second, third, fourth):
            self.assertNotIn(self.b_member.first_name, reply)
        self.assertFalse(Member.objects.filter(line_user_id__in=[NEW, "U" + "d" * 32]).exists())

    def test_it_locks_after_a_few_wrong_answers(self) -> None:
        member = self.a_not_in_register
        with time_machine.travel(START, tick=False) as traveller:
            for _ in range(3):
                self.say(member.number)
                self.say("1111")
            friend = LineFriend.objects.get(line_user_id=NEW)
            self.assertEqual(friend.locked_until, START + dt.timedelta(minutes=60))
            self.say(member.number)  # locked: even the right answer is refused
            self.say(self.last4(member))
            self.assertIsNone(Member.objects.get(pk=member.pk).line_user_id)
            self.assertEqual(LinkAttempt.objects.filter(line_user_id=NEW).count(), 3)
            traveller.shift(dt.timedelta(minutes=61))
            self.say(member.number)
            self.say(self.last4(member))
        self.assertEqual(Member.objects.get(pk=member.pk).line_user_id, NEW)

    def test_it_caps_guesses_per_member_number_across_line_accounts(self) -> None:
        member = self.a_not_in_register
        for i in range(3):
            user = f"U{i:032d}"
            self.say(member.number, user=user)
            self.say("1111", user=user)
        self.say(member.number)
        self.say(self.last4(member))  # right, but the number has had its tries
        self.assertIsNone(Member.objects.get(pk=member.pk).line_user_id)

    def test_it_keeps_the_link_but_marks_it_blocked_on_unfollow(self) -> None:
        line = self.in_register.line_user_id
        self.post_events([simulate.unfollow_event(line)])
        friend = LineFriend.objects.get(line_user_id=line)
        self.assertTrue(friend.blocked)
        self.assertEqual(Member.objects.get(pk=self.in_register.pk).line_user_id, line)
        self.post_events([simulate.follow_event(line, unblocked=True)])
        self.assertFalse(LineFriend.objects.get(line_user_id=line).blocked)
        greeting = self.fake.replies()[-1]["messages"][0]["text"]  # then the privacy notice
        self.assertIn(self.in_register.first_name, greeting)

    def test_it_refuses_a_member_already_linked_to_another_line_account(self) -> None:
        self.say(self.in_register.number)
        self.say(self.last4(self.in_register))
        self.assertEqual(Member.objects.get(pk=self.in_register.pk).line_user_id, "U" + "1" * 32)
        self.assertIsNone(Member.objects.filter(line_user_id=NEW).first())

    def test_a_linked_member_answers_as_a_wrong_guess(self) -> None:
        # Review: a distinct "already linked" reply confirmed that a guessed number and
        # phone digits were right. Same reply as a wrong answer, counted as one.
        other = "U" + "d" * 32
        self.say(self.in_register.number, user=other)
        wrong = self.say("0000", user=other)
        self.say(self.in_register.number)
        right_but_taken = self.say(self.last4(self.in_register))
        self.assertEqual(right_but_taken, wrong)
        self.assertEqual(LineFriend.objects.get(line_user_id=NEW).failed_attempts, 1)
        self.assertEqual(LinkAttempt.objects.filter(line_user_id=NEW).count(), 1)
        self.assertEqual(LineFriend.objects.get(line_user_id=NEW).step, LineFriend.Step.ASK_NUMBER)
