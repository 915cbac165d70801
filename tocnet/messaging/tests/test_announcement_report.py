import datetime as dt
import importlib
import io
import json

import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from tocnet.members.models import Member, Phone, Unit
from tocnet.messaging.models import Announcement, Recipient
from tocnet.messaging.responses.models import Ask, PollOption, Response, Way
from tocnet.messaging.responses.selectors import (
    announcement_report,
    closing_report_as_report,
    poll_by_register_rows,
)
from tocnet.messaging.responses.services import ask_close, response_record, staff_call_record
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.registers.models import Register, RegisterMembership
from tocnet.testing import BaseTestCase


class ReportCase(BaseTestCase):
    def setUp(self) -> None:
        self.b_register = Register.objects.create(unit=self.unit_b, line_group_name="สอ.พช.นว")
        RegisterMembership.objects.create(
            register=self.b_register, member=self.b_member, since=timezone.now()
        )
        self.extra = []
        for i in range(6):
            m = Member.objects.create(number=f"40000{i}", unit=self.unit_b, first_name=f"ค{i}")
            Phone.objects.create(member=m, raw="0810000000", e164="+66810000000")
            RegisterMembership.objects.create(
                register=self.b_register, member=m, since=timezone.now()
            )
            self.extra.append(m)
        self.members = [self.rep_member, self.in_register, self.b_member, *self.extra]
        self.poll = sent_announcement(
            self.members, kind=Ask.Kind.POLL, question="วันไหน", options=["เสาร์", "อาทิตย์"]
        )
        self.sat, self.sun = PollOption.objects.filter(ask__announcement=self.poll)

    def answer(self, member: Member, way: str, hours: float, **extra: object) -> None:
        at = self.poll.send_started_at + dt.timedelta(hours=hours)
        with time_machine.travel(at, tick=False):
            response_record(announcement=self.poll, member=member, way=way, **extra)  # type: ignore[arg-type]


class AnnouncementReportTestCase(ReportCase):
    def test_it_adds_up(self) -> None:
        self.answer(self.in_register, Way.LIFF, 1, option=self.sat)
        self.answer(self.b_member, Way.GROUP_TEXT, 2)
        self.answer(self.extra[0], Way.SMS_LINK, 3, option=self.sun)
        self.answer(self.extra[1], Way.LIFF, 5, option=self.sun)
        self.answer(self.rep_member, Way.REP_PHONE, 50, actor=self.rep_user)
        self.answer(self.extra[2], Way.REP_UNREACHABLE, 51, note="ย้ายบ้าน")
        report = announcement_report(self.poll)
        self.assertEqual(report.recipients, 9)
        self.assertEqual((report.responded, report.informed, report.unreached), (4, 1, 4))
        self.assertEqual(report.by_way, {"liff": 2, "group_text": 1, "sms_link": 1, "rep_phone": 1})
        self.assertEqual(
            report.unreached_by_reason, {"representative_could_not_reach": 1, "no_answer": 3}
        )
        self.assertEqual(report.poll, {"เสาร์": 1, "อาทิตย์": 2})
        by_unit = {row["unit"]: row["answers"] for row in report.poll_by_unit}
        self.assertEqual(
            by_unit,
            {self.unit_a.name: {"เสาร์": 1, "อาทิตย์": 0}, self.unit_b.name: {"เสาร์": 0, "อาทิตย์": 2}},
        )
        # 50 % of 9 = the 5th response: the representative's call at 50 h.
        self.assertEqual(report.times[50], dt.timedelta(hours=50))
        self.assertIsNone(report.times[80])
        # The curve: when each counted response came (the unreachable mark does not count).
        self.assertEqual(report.curve, [(1.0, 1), (2.0, 2), (3.0, 3), (5.0, 4), (50.0, 5)])
        registers = {
            row.name: (row.recipients, row.responded, row.informed, row.unreached)
            for row in report.by_register
        }
        self.assertEqual(registers, {"สอ.พช.กพ.1": (2, 1, 1, 0), "สอ.พช.นว": (7, 3, 0, 4)})
        for row in report.by_register:
            self.assertEqual(row.recipients, row.responded + row.informed + row.unreached)

    def test_a_vacant_register_names_no_representative(self) -> None:
        from django.utils.translation import override

        from tocnet.registers.leaders import register_vacate

        named = {row.name: row.representative for row in announcement_report(self.poll).by_register}
        self.assertNotIn(named["สอ.พช.กพ.1"], ("", "ว่าง — ต้องการผู้แทนคนใหม่"))
        register_vacate(register=self.register, reason="ลาออก", actor=self.staff)
        with override("th"):
            named = {
                row.name: row.representative for row in announcement_report(self.poll).by_register
            }
        # The one who left no longer leads it; a register that never had one is vacant too.
        self.assertEqual(named["สอ.พช.กพ.1"], "ว่าง — ต้องการผู้แทนคนใหม่")
        self.assertEqual(named["สอ.พช.นว"], "ว่าง — ต้องการผู้แทนคนใหม่")

    def test_the_command_prints_the_issue_shape(self) -> None:
        self.answer(self.in_register, Way.LIFF, 1, option=self.sat)
        out = io.StringIO()
        call_command("announcement_report", str(self.poll.pk), "--json", stdout=out)
        data = json.loads(out.getvalue())
        self.assertEqual(
            set(data),
            {
                "announcement",
                "purpose",  # news, offers or coaching (README)
                "recipients",
                "responded",
                "informed_by_representative",
                "informed_by_staff",
                "unreached",
                "by_way",
                "poll",
                "by_register",
            },
        )
        self.assertEqual(data["announcement"], self.poll.pk)
        self.assertEqual(
            data["recipients"],
            data["responded"]
            + data["informed_by_representative"]
            + data["informed_by_staff"]
            + data["unreached"],
        )
        self.assertEqual(data["poll"], {"เสาร์": 1, "อาทิตย์": 0})
        self.assertEqual(
            set(data["by_register"][0]),
            {
                "register",
                "recipients",
                "responded",
                "informed_by_representative",
                "informed_by_staff",
                "unreached",
            },
        )

    def test_an_acknowledgement_has_no_poll(self) -> None:
        ack = sent_announcement([self.in_register])
        out = io.StringIO()
        call_command("announcement_report", str(ack.pk), "--json", stdout=out)
        self.assertIsNone(json.loads(out.getvalue())["poll"])

    def test_an_unknown_announcement_is_an_error(self) -> None:
        with self.assertRaises(CommandError):
            call_command("announcement_report", str(Announcement.objects.count() + 100), "--json")

    def test_queries_do_not_grow_with_the_audience(self) -> None:
        # ask, ways, reasons, options, per register and unit (with the poll), register and
        # unit names, the ranked response times
        with self.assertNumQueries(8) as small:
            announcement_report(self.poll)
        for m in self.extra:
            self.answer(m, Way.LIFF, 4, option=self.sat)
        with self.assertNumQueries(len(small.captured_queries)):
            announcement_report(self.poll)


class InformedByWhomTestCase(ReportCase):
    """The report's "informed by the representative" counts what the register's representative
    (or deputy) did; staff and coop agents marking a member informed count as "informed by
    staff"."""

    def mark(self, user: object, member: Member, way: str) -> None:
        self.client.force_login(user)  # type: ignore[arg-type]
        url = reverse("responses:chase_mark", args=[self.poll.code, member.code])
        response = self.client.post(url, {"way": way, "note": "ไม่รับสาย"}, HTTP_HX_REQUEST="true")
        self.assertEqual(response.status_code, 200)

    def setUp(self) -> None:
        super().setUp()
        self.answer(self.extra[0], Way.LIFF, 1, option=self.sat)
        # The representative of สอ.พช.กพ.1 calls a member of their register.
        self.mark(self.rep_user, self.in_register, "rep_phone")
        # The coop agent of กพ marks the representative's own member record (same register).
        self.mark(self.agent, self.rep_member, "rep_in_person")
        # Staff mark a member of นว from their chase list, another from the call queue, and
        # try a third in vain.
        self.mark(self.staff, self.extra[1], "rep_phone")
        recipient = Recipient.objects.get(announcement=self.poll, member=self.extra[2])
        staff_call_record(recipient=recipient, way=Way.STAFF_CALL, note="", actor=self.staff)
        self.mark(self.staff, self.extra[3], "rep_unreachable")

    def test_each_mark_is_stored_with_whose_way(self) -> None:
        ways = dict(Response.objects.values_list("member__number", "way"))
        self.assertEqual(
            ways,
            {
                self.extra[0].number: Way.LIFF,
                self.in_register.number: Way.REP_PHONE,
                self.rep_member.number: Way.STAFF_IN_PERSON,
                self.extra[1].number: Way.STAFF_CALL,
                self.extra[2].number: Way.STAFF_CALL,
                self.extra[3].number: Way.STAFF_UNREACHABLE,
            },
        )

    def test_the_report_splits_them_and_adds_up(self) -> None:
        report = announcement_report(self.poll)
        self.assertEqual(
            (report.recipients, report.responded, report.informed, report.informed_staff),
            (9, 1, 1, 3),
        )
        self.assertEqual(report.unreached, 4)
        self.assertEqual(report.unreached_by_reason, {"staff_could_not_reach": 1, "no_answer": 3})
        registers = {
            row.name: (row.recipients, row.responded, row.informed, row.informed_staff)
            for row in report.by_register
        }
        self.assertEqual(registers, {"สอ.พช.กพ.1": (2, 0, 1, 1), "สอ.พช.นว": (7, 1, 0, 2)})
        for row in [*report.by_register, *report.by_unit]:
            self.assertEqual(
                row.recipients, row.responded + row.informed + row.informed_staff + row.unreached
            )
        # 50 % of 9 = the 5th counted response: the marks came first, the answer at 1 h.
        self.assertEqual(report.times[50], dt.timedelta(hours=1))
        self.assertEqual(report.curve[-1][1], 5)

    def test_the_command_prints_both_and_the_sum_holds(self) -> None:
        out = io.StringIO()
        call_command("announcement_report", str(self.poll.pk), "--json", stdout=out)
        data = json.loads(out.getvalue())
        self.assertEqual(
            (data["informed_by_representative"], data["informed_by_staff"], data["unreached"]),
            (1, 3, 4),
        )
        for row in [data, *data["by_register"]]:
            self.assertEqual(
                row["recipients"],
                row["responded"]
                + row["informed_by_representative"]
                + row["informed_by_staff"]
                + row["unreached"],
            )
        registers = {row["register"]: row for row in data["by_register"]}
        self.assertEqual(registers["สอ.พช.กพ.1"]["informed_by_staff"], 1)

    def test_the_page_the_export_and_the_closing_report_show_both(self) -> None:
        from openpyxl import load_workbook

        self.login_as(self.staff)
        url = f"/r/report/{self.poll.code}/"
        page = self.client.get(url)
        self.assertContains(page, 'data-report="informed"><div class="num">1<')
        self.assertContains(page, 'data-report="informed_staff"><div class="num">3<')
        self.assertContains(page, 'data-report="unreached"><div class="num">4<')
        wb = load_workbook(io.BytesIO(self.client.get(url + "?export=xlsx").content))
        summary = {row[0]: row[1] for row in wb.worksheets[0].iter_rows(values_only=True)}
        self.assertEqual(summary["ผู้แทนแจ้งแล้ว"], 1)
        self.assertEqual(summary["เจ้าหน้าที่หรือตัวแทนสหกรณ์แจ้งแล้ว"], 3)
        self.assertEqual(summary["ยังติดต่อไม่ได้"], 4)
        ask = Ask.objects.get(announcement=self.poll)
        closing = ask_close(ask=ask, reason="staff", actor=self.staff)
        assert closing is not None
        self.assertEqual((closing.data["informed"], closing.data["informed_staff"]), (1, 3))
        frozen = closing_report_as_report(closing)
        self.assertEqual((frozen.informed, frozen.informed_staff, frozen.unreached), (1, 3, 4))
        # A coop agent's share (กพ) of the frozen report adds up too.
        share = closing_report_as_report(closing, units=Unit.objects.filter(pk=self.unit_a.pk))
        self.assertEqual(
            (share.recipients, share.informed, share.informed_staff, share.unreached), (2, 1, 1, 0)
        )

    def test_marks_made_before_the_split_are_moved_by_the_migration(self) -> None:
        from django.apps import apps

        migration = importlib.import_module(
            "tocnet.messaging.migrations.0007_response_way_staff_in_person"
        )
        Response.objects.filter(way=Way.STAFF_IN_PERSON).update(way=Way.REP_IN_PERSON)
        Response.objects.filter(member=self.extra[1]).update(way=Way.REP_PHONE)
        Response.objects.filter(member=self.extra[3]).update(way=Way.REP_UNREACHABLE)
        migration.marks_by_staff_reclassify(apps, None)
        self.test_each_mark_is_stored_with_whose_way()


class ReportPageTestCase(ReportCase):
    def test_staff_see_it_and_download_it(self) -> None:
        self.answer(self.in_register, Way.LIFF, 1, option=self.sat)
        self.login_as(self.staff)
        url = f"/r/report/{self.poll.code}/"
        page = self.client.get(url)
        self.assertContains(page, 'data-report="recipients"><div class="num">9<')
        self.assertContains(page, 'data-answer="เสาร์">1<')
        self.assertContains(page, "<polyline")
        self.assertNotContains(page, "style=")
        xlsx = self.client.get(url + "?export=xlsx")
        self.assertEqual(xlsx.status_code, 200)
        self.assertTrue(xlsx.content.startswith(b"PK"))

    def test_an_agent_sees_their_units_share_only(self) -> None:
        self.login_as(self.agent)  # agent of กพ: 2 of the 9 recipients
        page = self.client.get(f"/r/report/{self.poll.code}/")
        self.assertContains(page, 'data-report="recipients"><div class="num">2<')
        self.assertNotContains(page, "สอ.พช.นว")

    def test_who_may_open_it(self) -> None:
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                self.client.force_login(user)
                status = self.client.get(f"/r/report/{self.poll.code}/").status_code
                self.assertEqual(status, 200 if name in ("staff", "agent", "board") else 404)


class LiveResultsTestCase(ReportCase):
    def test_the_poll_per_register_is_counted(self) -> None:
        self.answer(self.in_register, Way.LIFF, 1, option=self.sat)
        self.answer(self.extra[0], Way.LIFF, 1, option=self.sun)
        self.answer(self.extra[1], Way.LIFF, 1, option=self.sun)
        rows = {
            row["register"]: row["answers"]
            for row in announcement_report(self.poll).poll_by_register
        }
        self.assertEqual(
            rows, {"สอ.พช.กพ.1": {"เสาร์": 1, "อาทิตย์": 0}, "สอ.พช.นว": {"เสาร์": 0, "อาทิตย์": 2}}
        )

    def test_the_live_part_refreshes_itself_while_open(self) -> None:
        self.login_as(self.staff)
        url = f"/r/report/{self.poll.code}/"
        page = self.client.get(url)
        self.assertContains(page, f'hx-get="{url}?part=live" hx-trigger="every 15s"')
        self.answer(self.extra[0], Way.LIFF, 1, option=self.sun)
        part = self.client.get(url + "?part=live", HTTP_HX_REQUEST="true")
        self.assertContains(part, 'data-live="true"')
        self.assertContains(part, 'data-poll-unit="all"')
        self.assertContains(part, 'data-answer="อาทิตย์">1<')
        self.assertNotContains(part, "<html")
        # The poll per register is not part of it: it refreshes itself once loaded.
        self.assertNotContains(part, "data-poll-register")
        self.assertNotContains(part, 'id="poll-registers"')

    def test_the_poll_per_register_comes_when_scrolled_to(self) -> None:
        self.answer(self.in_register, Way.LIFF, 1, option=self.sat)
        self.answer(self.extra[0], Way.LIFF, 1, option=self.sun)
        self.login_as(self.staff)
        url = f"/r/report/{self.poll.code}/"
        page = self.client.get(url)
        self.assertContains(
            page,
            f'data-poll-registers="waiting" hx-get="{url}?part=poll_registers"'
            ' hx-trigger="revealed" hx-swap="outerHTML"',
        )
        self.assertNotContains(page, "data-poll-register=")
        part = self.client.get(url + "?part=poll_registers", HTTP_HX_REQUEST="true")
        self.assertNotContains(part, "<html")
        self.assertContains(part, 'data-poll-registers="loaded"')
        self.assertContains(part, f'hx-get="{url}?part=poll_registers" hx-trigger="every 15s"')
        self.assertContains(part, 'data-poll-register="สอ.พช.กพ.1"')
        self.assertContains(part, 'data-poll-register="สอ.พช.นว"')
        self.assertContains(part, 'data-answer="อาทิตย์">1<')
        # Without htmx the same address is the whole page with the table in it.
        whole = self.client.get(url + "?part=poll_registers")
        self.assertContains(whole, "<html")
        self.assertContains(whole, 'data-poll-register="สอ.พช.นว"')
        self.assertContains(whole, 'data-report="recipients"')
        # Closed: the table stops refreshing; the frozen report shows it at once.
        ask_close(ask=Ask.objects.get(announcement=self.poll), reason="staff", actor=self.staff)
        part = self.client.get(url + "?part=poll_registers", HTTP_HX_REQUEST="true")
        self.assertContains(part, 'data-poll-register="สอ.พช.นว"')
        self.assertNotContains(part, "hx-trigger")
        closing = self.client.get(f"/r/report/{self.poll.code}/closing/")
        self.assertContains(closing, 'data-poll-registers="loaded"')
        self.assertContains(closing, 'data-poll-register="สอ.พช.นว"')

    def test_a_coop_agent_loads_their_units_registers_only(self) -> None:
        self.answer(self.in_register, Way.LIFF, 1, option=self.sat)
        self.answer(self.extra[0], Way.LIFF, 1, option=self.sun)
        self.login_as(self.agent)
        part = self.client.get(
            f"/r/report/{self.poll.code}/?part=poll_registers", HTTP_HX_REQUEST="true"
        )
        self.assertContains(part, 'data-poll-register="สอ.พช.กพ.1"')
        self.assertNotContains(part, "สอ.พช.นว")

    def test_the_poll_per_register_rows_match_the_report_in_few_queries(self) -> None:
        self.answer(self.in_register, Way.LIFF, 1, option=self.sat)
        self.answer(self.b_member, Way.LIFF, 1, option=self.sun)  # on no register... in นว
        RegisterMembership.objects.filter(member=self.extra[5]).delete()
        with self.assertNumQueries(5):  # ask, options, the per-register counts, names
            _ask, rows = poll_by_register_rows(self.poll)
        self.assertEqual(rows, announcement_report(self.poll).poll_by_register)
        for m in self.extra:
            self.answer(m, Way.LIFF, 2, option=self.sun)
        with self.assertNumQueries(5):
            _ask, rows = poll_by_register_rows(self.poll)
        self.assertEqual(rows, announcement_report(self.poll).poll_by_register)
        self.assertEqual(
            {row["register"]: row["answers"]["อาทิตย์"] for row in rows},
            {"สอ.พช.กพ.1": 0, "สอ.พช.นว": 7},
        )

    def test_an_acknowledgement_has_no_poll_per_register(self) -> None:
        ack = sent_announcement([self.in_register])
        self.login_as(self.staff)
        page = self.client.get(f"/r/report/{ack.code}/")
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'id="poll-registers"')

    def test_it_stops_refreshing_once_closed(self) -> None:
        Ask.objects.filter(announcement=self.poll).update(stage=Ask.Stage.CLOSED)
        self.login_as(self.staff)
        page = self.client.get(f"/r/report/{self.poll.code}/")
        self.assertContains(page, 'data-live="false"')
        self.assertNotContains(page, 'hx-trigger="every')
        # Only the poll per register still comes apart, once, when scrolled to.
        self.assertEqual(page.content.decode().count("hx-trigger"), 1)
        self.assertContains(page, 'hx-trigger="revealed"')

    def test_the_export_has_the_poll_per_unit_and_register(self) -> None:
        from openpyxl import load_workbook

        self.answer(self.extra[0], Way.LIFF, 1, option=self.sun)
        self.login_as(self.staff)
        content = self.client.get(f"/r/report/{self.poll.code}/?export=xlsx").content
        wb = load_workbook(io.BytesIO(content))
        by_register = [list(r) for r in wb.worksheets[-1].iter_rows(values_only=True)]
        self.assertEqual(by_register[0][2:], ["เสาร์", "อาทิตย์"])
        self.assertIn([self.unit_b.name, "สอ.พช.นว", 0, 1], by_register)
        by_unit = [list(r) for r in wb.worksheets[-2].iter_rows(values_only=True)]
        self.assertIn([self.unit_b.name, 0, 1], by_unit)
