import datetime as dt

import time_machine
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from tocnet.line.tests.base import LineTestCase
from tocnet.members.models import Member
from tocnet.messaging.models import Announcement
from tocnet.messaging.responses.escalation import escalations_advance, staff_call_queue
from tocnet.messaging.responses.models import (
    Ask,
    Chase,
    ClosingReport,
    Notice,
    TimelineEntry,
    Way,
)
from tocnet.messaging.responses.selectors import staff_call_queue_for_user
from tocnet.messaging.responses.services import ask_closes_at, response_record
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.registers.leaders import register_vacate
from tocnet.registers.models import RegisterMembership

BANGKOK = dt.timezone(dt.timedelta(hours=7))
SENT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=BANGKOK)  # a Monday, 10:00
REP_LINE = "U" + "2" * 32
DEPUTY_LINE = "U" + "3" * 32
MEMBER_LINE = "U" + "1" * 32


LIFF = "https://liff.line.me/1650000000-AbCdEfGh"


@override_settings(LIFF_ID="1650000000-AbCdEfGh", SITE_URL="https://toc.example")
class EscalationTestCase(LineTestCase):
    def setUp(self) -> None:
        super().setUp()
        Member.objects.filter(pk=self.rep_member.pk).update(line_user_id=REP_LINE)
        self.deputy = Member.objects.create(
            number="100009",
            unit=self.unit_a,
            first_name="รอง",
            last_name="ผู้แทน",
            line_user_id=DEPUTY_LINE,
        )
        RegisterMembership.objects.create(register=self.register, member=self.deputy, since=SENT)
        self.register.deputy = self.deputy
        self.register.save()
        self.agent.email = "agent@example.coop"
        self.agent.save()
        with time_machine.travel(SENT, tick=False):
            self.announcement = sent_announcement(
                [self.rep_member, self.in_register, self.deputy, self.a_not_in_register]
            )
        response_record(announcement=self.announcement, member=self.deputy, way=Way.LIFF, at=SENT)

    def advance(self, hours: float) -> dict[str, int]:
        with time_machine.travel(SENT + dt.timedelta(hours=hours), tick=False):
            return escalations_advance()

    def pushes_to(self, user_id: str) -> list[str]:
        return [m["text"] for p in self.fake.pushes() if p["to"] == user_id for m in p["messages"]]

    def test_it_waits_for_the_members_deadline(self) -> None:
        self.assertEqual(self.advance(47.9), {"stages": 0, "notices": 0})
        self.assertEqual(self.fake.pushes(), [])

    def test_the_representative_gets_one_push_and_members_a_reminder(self) -> None:
        Announcement.objects.filter(pk=self.announcement.pk).update(title="ปันผล & เฉลี่ยคืน")
        self.advance(48)
        ask = Ask.objects.get()
        self.assertEqual(ask.stage, Ask.Stage.REPRESENTATIVES)
        rep = self.pushes_to(REP_LINE)
        # One push to the representative (their list), no reminder for themselves as a member:
        # they are the one chasing. Their list counts the others only.
        self.assertEqual(len(rep), 1)
        self.assertEqual(Notice.objects.get(address=REP_LINE).count, 1)
        self.assertEqual(
            list(Chase.objects.filter(stage="representative").values_list("member", flat=True)),
            [self.in_register.pk],
        )
        # Pages below the LIFF endpoint (SITE_URL/r/) open inside LINE through the LIFF URL.
        self.assertIn(f"{LIFF}/chase/?a={self.announcement.code}&via=line", rep[0])
        self.assertIn('"ปันผล & เฉลี่ยคืน"', rep[0])  # plain text: nothing HTML-escaped
        self.assertNotIn("&amp;", rep[0])
        self.assertEqual(len(self.pushes_to(MEMBER_LINE)), 1)
        self.assertIn(f"{LIFF}/liff/a/{self.announcement.code}/", self.pushes_to(MEMBER_LINE)[0])
        # Responded (the deputy) never reminded; no channel left for a_not_in_register.
        self.assertEqual(self.pushes_to(DEPUTY_LINE), [])
        steps = list(TimelineEntry.objects.values_list("step", "count"))
        self.assertEqual(
            steps,
            [("member_deadline", 3), ("representatives_told", 1), ("reminders", 1)],
        )
        # Every push carried a retry key; a second run sends nothing more.
        self.assertTrue(
            all(r.header("x-line-retry-key") for r in self.fake.requests_to("/v2/bot/message/push"))
        )
        self.advance(48.5)
        self.assertEqual(len(self.fake.pushes()), 2)

    def test_quiet_hours_hold_and_a_response_cancels_the_reminder(self) -> None:
        self.advance(48 + 12)  # 22:00 Bangkok: stage entered, nothing sent
        self.assertEqual(self.fake.pushes(), [])
        self.assertTrue(TimelineEntry.objects.filter(step="reminders_held").exists())
        response_record(announcement=self.announcement, member=self.in_register, way=Way.GROUP_TEXT)
        self.advance(48 + 23)  # 09:00 next day
        self.assertEqual(self.pushes_to(MEMBER_LINE), [])
        self.assertEqual(Notice.objects.get(address=MEMBER_LINE).status, Notice.Status.SKIPPED)
        self.assertEqual(len(self.pushes_to(REP_LINE)), 1)

    def test_a_representative_with_no_one_else_to_chase_is_reminded_as_a_member(self) -> None:
        response_record(announcement=self.announcement, member=self.in_register, way=Way.LIFF)
        self.advance(48)
        rep = self.pushes_to(REP_LINE)
        self.assertEqual(len(rep), 1)
        self.assertIn(f"{LIFF}/liff/a/{self.announcement.code}/", rep[0])  # the answer page
        self.assertNotIn("/chase/", rep[0])
        self.assertEqual(Notice.objects.get(address=REP_LINE).stage, Chase.Stage.REMINDER)
        self.assertFalse(Chase.objects.filter(stage="representative").exists())
        self.assertEqual(TimelineEntry.objects.get(step="representatives_told").count, 0)
        # Their own answer counts like anyone's, and the reminder stops there.
        response_record(announcement=self.announcement, member=self.rep_member, way=Way.LIFF)
        self.assertTrue(
            Chase.objects.filter(member=self.rep_member, done_at__isnull=False).exists()
        )

    def test_a_vacant_registers_deputy_stands_in_and_the_departed_is_not_told(self) -> None:
        # Issue #14: the representative left (resigned) after the send; nobody succeeds yet.
        register_vacate(register=self.register, reason="resigned", actor=self.staff)
        self.advance(48)
        # The deputy gets the representative's push with the chase list of the register.
        deputy = self.pushes_to(DEPUTY_LINE)
        self.assertEqual(len(deputy), 1)
        self.assertIn(f"{LIFF}/chase/?a={self.announcement.code}&via=line", deputy[0])
        notice = Notice.objects.get(address=DEPUTY_LINE)
        self.assertEqual((notice.stage, notice.count), (Chase.Stage.REPRESENTATIVE, 2))
        self.assertEqual(
            set(Chase.objects.filter(stage="representative").values_list("member", flat=True)),
            {self.rep_member.pk, self.in_register.pk},
        )
        # The one who left is no longer sent the register's chase list, only reminded as the
        # member they still are.
        departed = self.pushes_to(REP_LINE)
        self.assertEqual(len(departed), 1)
        self.assertNotIn("/chase/", departed[0])
        self.assertEqual(Notice.objects.get(address=REP_LINE).stage, Chase.Stage.REMINDER)
        self.assertEqual(TimelineEntry.objects.get(step="representatives_told").count, 1)
        # At the representatives' deadline the deputy, who already stood in, is not pushed
        # again about the same members; the agent is told as usual.
        self.advance(96)
        self.assertEqual(Ask.objects.get().stage, Ask.Stage.DEPUTIES)
        self.assertEqual(len(self.pushes_to(DEPUTY_LINE)), 1)
        self.assertFalse(Notice.objects.filter(stage=Chase.Stage.DEPUTY).exists())
        self.assertEqual([m.to for m in mail.outbox], [["agent@example.coop"]])

    def test_a_vacant_register_without_deputy_waits_for_the_agent(self) -> None:
        register_vacate(register=self.register, reason="deceased", actor=self.staff)
        self.register.deputy = None
        self.register.save()
        self.advance(48)
        self.assertFalse(Notice.objects.filter(stage=Chase.Stage.REPRESENTATIVE).exists())
        self.assertNotIn("/chase/", "".join(self.pushes_to(REP_LINE)))
        self.advance(96)
        self.assertEqual([m.to for m in mail.outbox], [["agent@example.coop"]])

    def test_deputy_and_agent_then_the_staff_queue(self) -> None:
        self.advance(48)
        self.advance(96)
        self.assertEqual(Ask.objects.get().stage, Ask.Stage.DEPUTIES)
        deputy = self.pushes_to(DEPUTY_LINE)
        self.assertEqual(len(deputy), 1)
        self.assertIn(f"{LIFF}/chase/", deputy[0])
        self.assertEqual([m.to for m in mail.outbox], [["agent@example.coop"]])
        # By e-mail the agent gets the site's own address (password sign-in), not LINE's.
        body = mail.outbox[0].body
        self.assertIn(f"https://toc.example/r/chase/?a={self.announcement.code}", body)
        self.assertNotIn("via=line", body)
        self.assertEqual(
            set(Chase.objects.filter(stage="agent").values_list("member__number", flat=True)),
            # The unit's agent also gets members on no register at all.
            {self.rep_member.number, self.in_register.number, self.a_not_in_register.number},
        )
        response_record(
            announcement=self.announcement,
            member=self.in_register,
            way=Way.REP_PHONE,
            actor=self.rep_user,
        )
        self.advance(144)
        self.assertEqual(Ask.objects.get().stage, Ask.Stage.STAFF)
        queue = {c.member.number for c in staff_call_queue()}
        self.assertEqual(queue, {self.rep_member.number, self.a_not_in_register.number})
        self.assertEqual(
            list(TimelineEntry.objects.values_list("step", flat=True))[-1], "staff_queue"
        )

    def test_without_a_closing_time_it_closes_after_the_staff_hours(self) -> None:
        for hours in (48, 96, 144):  # members, representatives, deputies and agents: 48 h each
            self.advance(hours)
        self.assertEqual(Ask.objects.get().stage, Ask.Stage.STAFF)
        self.assertEqual(len(staff_call_queue()), 3)
        response_record(
            announcement=self.announcement,
            member=self.in_register,
            way=Way.LIFF,
            at=SENT + dt.timedelta(hours=150),
        )
        self.advance(144 + 47.9)  # the staff's 48 h are not over
        self.assertEqual(Ask.objects.get().stage, Ask.Stage.STAFF)
        self.assertFalse(ClosingReport.objects.exists())
        self.assertEqual(self.advance(144 + 48)["stages"], 1)
        ask = Ask.objects.get()
        self.assertEqual(ask.stage, Ask.Stage.CLOSED)
        closing = ClosingReport.objects.get()
        self.assertEqual(closing.reason, ClosingReport.Reason.DEADLINE)
        self.assertEqual(closing.closed_at, SENT + dt.timedelta(hours=192))
        # 4 recipients: the deputy and in_register answered; the rest stay unreached.
        self.assertEqual(
            (closing.data["recipients"], closing.data["responded"], closing.data["unreached"]),
            (4, 2, 2),
        )
        self.assertEqual(
            list(TimelineEntry.objects.values_list("step", flat=True))[-2:],
            ["closed", "closing_report"],
        )
        # Answers are closed; the call queue no longer lists them; the report is there.
        self.assertEqual([str(r.member.number) for r in staff_call_queue_for_user(self.staff)], [])
        self.login_as(self.staff)
        page = self.client.get(f"/r/report/{self.announcement.code}/closing/")
        self.assertContains(page, 'data-closed-reason="deadline"')
        self.assertEqual(self.advance(200), {"stages": 0, "notices": 0})

    def test_when_answers_close_by_themselves_is_told(self) -> None:
        def closes() -> object:
            return ask_closes_at(Ask.objects.get(), sent_at=SENT)

        self.assertEqual(closes(), SENT + dt.timedelta(hours=192))  # 48 h x 4
        self.advance(48.25)  # the job entered the representatives' stage 15 minutes late
        self.assertEqual(closes(), SENT + dt.timedelta(hours=192.25))
        self.login_as(self.staff)
        page = self.client.get(f"/r/report/{self.announcement.code}/")
        expected = timezone.localtime(SENT + dt.timedelta(hours=192.25)).isoformat()
        self.assertContains(page, f'data-closes-at="{expected}"')
        Ask.objects.update(closes_at=SENT + dt.timedelta(hours=100))
        self.assertEqual(closes(), SENT + dt.timedelta(hours=100))
        self.advance(100)
        self.assertIsNone(closes())
        self.assertNotContains(
            self.client.get(f"/r/report/{self.announcement.code}/"), "data-closes-at"
        )

    def test_a_closing_time_replaces_the_staff_hours(self) -> None:
        Ask.objects.update(closes_at=SENT + dt.timedelta(hours=300))
        for hours in (48, 96, 144, 192, 299):
            self.advance(hours)
        self.assertEqual(Ask.objects.get().stage, Ask.Stage.STAFF)
        self.advance(300)
        self.assertEqual(Ask.objects.get().stage, Ask.Stage.CLOSED)
        self.assertEqual(ClosingReport.objects.get().reason, ClosingReport.Reason.DEADLINE)

    def test_the_staff_hours_are_the_asks_own(self) -> None:
        Ask.objects.update(staff_hours=6)
        for hours in (48, 96, 144, 149.9):
            self.advance(hours)
        self.assertEqual(Ask.objects.get().stage, Ask.Stage.STAFF)
        self.advance(150)
        self.assertEqual(Ask.objects.get().stage, Ask.Stage.CLOSED)

    def test_it_closes_when_answers_close(self) -> None:
        Ask.objects.update(closes_at=SENT + dt.timedelta(hours=24))
        self.advance(30)
        self.assertEqual(Ask.objects.get().stage, Ask.Stage.CLOSED)
        self.assertEqual(TimelineEntry.objects.get(step="closed").count, 1)
        self.advance(60)
        self.assertEqual(self.fake.pushes(), [])
