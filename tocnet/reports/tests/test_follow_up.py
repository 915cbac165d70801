"""Representatives' responsiveness across announcements on the dashboard and their page."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tocnet.accounts.models import User
from tocnet.members.models import Member, Representative
from tocnet.messaging.models import Announcement
from tocnet.messaging.responses.models import Ask, TimelineEntry, Way
from tocnet.messaging.responses.services import response_record
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.registers.models import Register, RegisterMembership
from tocnet.reports.responsiveness import representative_responsiveness
from tocnet.testing import BaseTestCase


class FollowUpCase(BaseTestCase):
    def setUp(self) -> None:
        self.b_rep_user = User.objects.create_user(
            username="rep_b", password="x", role=User.Role.REPRESENTATIVE
        )
        b_rep_member = Member.objects.create(
            number="200009",
            unit=self.unit_b,
            first_name="มานะ",
            last_name="อดทน",
            user=self.b_rep_user,
        )
        self.b_register = Register.objects.create(
            unit=self.unit_b,
            number=1,
            line_group_name="สอ.พช.นว",
            representative=Representative.objects.create(
                member=b_rep_member,
                unit=self.unit_b,
                term_start=dt.date(2024, 1, 1),
                term_end=dt.date(2027, 12, 31),
            ),
        )
        RegisterMembership.objects.create(
            register=self.b_register,
            member=self.b_member,
            since=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        )
        self.late = self.add_to_a("100005", "ดวงใจ")
        self.silent = self.add_to_a("100006", "บุญส่ง")
        self.called = self.add_to_a("100007", "สมหมาย")
        # The representative's own record (unanswered) is in the audience but not theirs to
        # chase: it counts in none of their figures.
        self.announcement = self.sent(
            [self.rep_member, self.in_register, self.late, self.silent, self.called, self.b_member]
        )
        self.t0 = self.announcement.send_started_at
        self.deadline(self.announcement, 48)
        self.answer(self.in_register, Way.LIFF, 1)  # before the deadline: not to chase
        self.answer(self.called, Way.REP_PHONE, 50, actor=self.rep_user)  # 2 h after
        self.answer(self.late, Way.SMS_LINK, 54)  # answered 6 h after the deadline

    def add_to_a(self, number: str, name: str) -> Member:
        member = Member.objects.create(number=number, unit=self.unit_a, first_name=name)
        RegisterMembership.objects.create(
            register=self.register, member=member, since=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        )
        return member

    def sent(self, members: list[Member], **kwargs: object) -> Announcement:
        return sent_announcement(members, **kwargs)  # type: ignore[arg-type]

    def deadline(self, announcement: Announcement, hours: float) -> None:
        assert announcement.send_started_at is not None
        TimelineEntry.objects.create(
            announcement=announcement,
            step=TimelineEntry.Step.MEMBER_DEADLINE,
            at=announcement.send_started_at + dt.timedelta(hours=hours),
        )

    def answer(self, member: Member, way: str, hours: float, **extra: object) -> None:
        with time_machine.travel(self.t0 + dt.timedelta(hours=hours), tick=False):
            response_record(announcement=self.announcement, member=member, way=way, **extra)  # type: ignore[arg-type]


class ResponsivenessTestCase(FollowUpCase):
    def test_it_counts_what_each_representative_brought_in_and_how_fast(self) -> None:
        result = representative_responsiveness(self.staff)
        rows = {row.name: row for row in result.rows}
        a = rows[self.rep_member.full_name]
        self.assertEqual(
            (a.recipients, a.reached, a.to_chase, a.informed, a.late_responses),
            (4, 3, 3, 1, 1),
        )
        self.assertEqual((a.brought_in, a.still_unreached, a.median_hours), (2, 1, 4.0))
        b = rows["มานะ อดทน"]
        self.assertEqual((b.to_chase, b.brought_in, b.median_hours), (1, 0, None))
        self.assertEqual((result.total.to_chase, result.total.brought_in), (4, 2))
        self.assertEqual(result.total.announcements, 1)

    def test_only_announcements_past_the_members_deadline_and_to_members_count(self) -> None:
        self.sent([self.silent, self.b_member], title="ยังไม่ถึงกำหนด")  # no deadline yet
        consultation = self.sent([self.rep_member], audience=Ask.Audience.REPRESENTATIVES)
        self.deadline(consultation, 48)
        old = self.sent([self.silent])
        Announcement.objects.filter(pk=old.pk).update(
            send_started_at=self.t0 - dt.timedelta(days=400)
        )
        self.deadline(old, 48)
        self.assertEqual(representative_responsiveness(self.staff).total.announcements, 1)

    def test_each_sees_their_scope(self) -> None:
        names = {
            persona: {row.name for row in representative_responsiveness(user).rows}
            for persona, user in self.personas().items()
        }
        self.assertEqual(names["staff"], {self.rep_member.full_name, "มานะ อดทน"})
        self.assertEqual(names["agent"], {self.rep_member.full_name})
        self.assertEqual(names["rep"], {self.rep_member.full_name})
        for persona in ("board", "member", "outsider"):
            self.assertEqual(names[persona], set())

    def test_queries_do_not_grow(self) -> None:
        with CaptureQueriesContext(connection) as small:
            representative_responsiveness(self.staff)
        more = self.sent([self.late, self.silent, self.b_member, self.in_register], title="อีก")
        self.deadline(more, 24)
        for i in range(4):
            self.add_to_a(f"10010{i}", f"เพิ่ม{i}")
        with CaptureQueriesContext(connection) as big:
            representative_responsiveness(self.staff)
        self.assertEqual(len(small.captured_queries), len(big.captured_queries))
        self.assertEqual(len(big.captured_queries), 3)


class FollowUpPagesTestCase(FollowUpCase):
    def test_the_dashboard_shows_every_representative_to_staff(self) -> None:
        self.login_as(self.staff)
        page = self.client.get("/dashboard/")
        self.assertContains(page, 'id="follow-up" data-representatives="2"')
        self.assertContains(page, f'data-representative="{self.register.representative.code}"')
        self.assertContains(page, f'data-representative="{self.b_register.representative.code}"')
        self.assertContains(page, 'data-col="median">4.0<')

    def test_an_agent_sees_their_units_representatives(self) -> None:
        self.login_as(self.agent)
        page = self.client.get("/dashboard/")
        self.assertContains(page, 'id="follow-up" data-representatives="1"')
        self.assertNotContains(page, f'data-representative="{self.b_register.representative.code}"')

    def test_the_board_sees_no_representative(self) -> None:
        self.login_as(self.board)
        self.assertNotContains(self.client.get("/dashboard/"), 'id="follow-up"')

    def test_a_representative_sees_their_own_on_their_page(self) -> None:
        self.login_as(self.rep_user)
        page = self.client.get("/my/register/")
        self.assertContains(page, 'id="follow-up" data-representatives="1"')
        self.assertContains(page, 'data-follow="brought_in"><div class="num">2<')
        self.assertContains(page, 'data-follow="median"><div class="num">4.0<')
        self.assertNotContains(page, "มานะ")
        self.login_as(self.b_rep_user)
        page = self.client.get("/my/register/")
        self.assertContains(page, 'data-follow="brought_in"><div class="num">0<')
        self.assertNotContains(page, self.rep_member.first_name)

    def test_the_dashboard_query_count_does_not_grow(self) -> None:
        self.login_as(self.staff)
        with CaptureQueriesContext(connection) as small:
            self.client.get("/dashboard/")
        more = self.sent([self.late, self.silent, self.b_member], title="อีก")
        self.deadline(more, 24)
        with CaptureQueriesContext(connection) as big:
            self.client.get("/dashboard/")
        self.assertEqual(len(small.captured_queries), len(big.captured_queries))

    def test_the_dashboard_export_has_the_follow_up(self) -> None:
        import io

        from openpyxl import load_workbook

        self.login_as(self.agent)
        content = self.client.get("/dashboard/?export=xlsx").content
        sheet = load_workbook(io.BytesIO(content)).worksheets[-1]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        self.assertEqual(len(rows), 3)  # header, the agent's one representative, total
        self.assertEqual(rows[1][0], self.rep_member.full_name)
        self.assertEqual(rows[1][5:10], [3, 1, 1, 2, 4])
