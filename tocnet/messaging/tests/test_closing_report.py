import datetime as dt
import io

import time_machine
from openpyxl import load_workbook

from tocnet.core.models import AuditEvent
from tocnet.messaging.responses.escalation import escalations_advance
from tocnet.messaging.responses.models import Ask, ClosingReport, TimelineEntry, Way
from tocnet.messaging.tests.test_announcement_report import ReportCase


class ClosingReportTestCase(ReportCase):
    def respond_some(self) -> None:
        self.answer(self.in_register, Way.LIFF, 1, option=self.sat)
        self.answer(self.b_member, Way.GROUP_TEXT, 2)
        self.answer(self.extra[0], Way.SMS_LINK, 3, option=self.sun)
        self.answer(self.rep_member, Way.REP_PHONE, 50, actor=self.rep_user)
        self.answer(self.extra[2], Way.REP_UNREACHABLE, 51, note="ย้ายบ้าน")

    def test_the_last_deadline_freezes_the_summary(self) -> None:
        self.respond_some()
        closes = self.poll.send_started_at + dt.timedelta(hours=60)
        Ask.objects.filter(announcement=self.poll).update(closes_at=closes)
        with time_machine.travel(closes + dt.timedelta(minutes=1), tick=False):
            escalations_advance()
        closing = ClosingReport.objects.get(announcement=self.poll)
        self.assertEqual(closing.reason, ClosingReport.Reason.DEADLINE)
        data = closing.data
        self.assertEqual(
            (data["recipients"], data["responded"], data["informed"], data["unreached"]),
            (9, 3, 1, 5),
        )
        self.assertEqual(
            data["by_way"], {"liff": 1, "group_text": 1, "sms_link": 1, "rep_phone": 1}
        )
        self.assertEqual(
            data["unreached_by_reason"], {"representative_could_not_reach": 1, "no_answer": 4}
        )
        self.assertEqual(data["times"], {"50": None, "80": None, "95": None})  # 4 of 9 < 50 %
        self.assertEqual(data["poll"], {"เสาร์": 1, "อาทิตย์": 1})
        units = {row["name"]: row for row in data["by_unit"]}
        self.assertEqual(units[self.unit_a.name]["by_way"], {"liff": 1, "rep_phone": 1})
        self.assertEqual(
            units[self.unit_b.name]["reasons"],
            {"representative_could_not_reach": 1, "no_answer": 4},
        )
        steps = list(
            TimelineEntry.objects.filter(announcement=self.poll).values_list("step", flat=True)
        )
        self.assertIn(TimelineEntry.Step.CLOSED, steps)
        self.assertIn(TimelineEntry.Step.CLOSING_REPORT, steps)
        # A second run does nothing more, and a late answer does not change the frozen figures.
        with time_machine.travel(closes + dt.timedelta(hours=1), tick=False):
            escalations_advance()
        self.assertEqual(ClosingReport.objects.count(), 1)
        self.assertEqual(ClosingReport.objects.get().data["responded"], 3)

    def test_times_to_50_80_95_are_frozen_in_hours(self) -> None:
        for i, member in enumerate([self.in_register, self.b_member, *self.extra[:5]], start=1):
            self.answer(member, Way.LIFF, i, option=self.sat)
        self.login_as(self.staff)
        self.client.post(f"/r/report/{self.poll.code}/close/")
        times = ClosingReport.objects.get().data["times"]
        self.assertEqual(times, {"50": 5.0, "80": None, "95": None})

    def test_staff_close_it_and_see_it_with_its_xlsx(self) -> None:
        self.respond_some()
        self.login_as(self.staff)
        url = f"/r/report/{self.poll.code}/"
        self.assertContains(self.client.get(url), 'data-action="close-answers"')
        response = self.client.post(url + "close/")
        self.assertRedirects(response, url + "closing/")
        closing = ClosingReport.objects.get()
        self.assertEqual(
            (closing.reason, closing.closed_by), (ClosingReport.Reason.STAFF, self.staff)
        )
        self.assertEqual(Ask.objects.get(announcement=self.poll).stage, Ask.Stage.CLOSED)
        self.assertTrue(
            AuditEvent.objects.filter(action="responses.closed", actor=self.staff).exists()
        )
        page = self.client.get(url + "closing/")
        self.assertContains(page, 'data-closing-report="true"')
        self.assertContains(page, 'data-report="unreached"><div class="num">5<')
        self.assertContains(page, 'data-reason="representative_could_not_reach"')
        self.assertContains(page, 'data-step="closing_report"')
        self.assertNotContains(page, "hx-trigger")
        xlsx = self.client.get(url + "closing/?export=xlsx")
        summary = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
        values = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0]}
        self.assertIn("รายงานปิด", values)
        self.assertTrue(
            AuditEvent.objects.filter(action="responses.closing_report_exported").exists()
        )
        # The live report links to it; the announcement page too; the timeline entry links.
        live = self.client.get(url)
        self.assertContains(live, 'data-link="closing-report"')
        self.assertContains(live, 'data-link="timeline-closing-report"')
        detail = self.client.get(f"/announcements/{self.poll.code}/")
        self.assertContains(detail, f'href="{url}closing/" data-link="closing-report"')
        # Closing twice stores nothing new.
        self.client.post(url + "close/")
        self.assertEqual(ClosingReport.objects.get().closed_at, closing.closed_at)

    def test_the_frozen_figures_do_not_move(self) -> None:
        self.respond_some()
        self.login_as(self.staff)
        self.client.post(f"/r/report/{self.poll.code}/close/")
        # Recorded straight in the table (answers are closed): the frozen summary ignores it.
        from django.utils import timezone

        from tocnet.messaging.responses.models import Response

        Response.objects.create(
            announcement=self.poll,
            member=self.extra[4],
            way=Way.LIFF,
            at=timezone.now(),
            first_at=timezone.now(),
        )
        page = self.client.get(f"/r/report/{self.poll.code}/closing/")
        self.assertContains(page, 'data-report="responded"><div class="num">3<')

    def test_an_agent_sees_their_units_share_and_others_nothing(self) -> None:
        self.respond_some()
        self.login_as(self.staff)
        self.client.post(f"/r/report/{self.poll.code}/close/")
        self.login_as(self.agent)  # กพ: rep_member (informed) and in_register (LIFF)
        page = self.client.get(f"/r/report/{self.poll.code}/closing/")
        self.assertContains(page, 'data-report="recipients"><div class="num">2<')
        self.assertContains(page, 'data-report="unreached"><div class="num">0<')
        self.assertNotContains(page, "สอ.พช.นว")
        self.assertNotContains(page, 'data-action="close-answers"')
        self.assertEqual(self.client.post(f"/r/report/{self.poll.code}/close/").status_code, 404)
        for name in ("rep", "member", "outsider"):
            with self.subTest(persona=name):
                self.login_as(self.personas()[name])
                status = self.client.get(f"/r/report/{self.poll.code}/closing/").status_code
                self.assertEqual(status, 404)

    def test_no_closing_report_before_the_end(self) -> None:
        self.login_as(self.staff)
        self.assertEqual(self.client.get(f"/r/report/{self.poll.code}/closing/").status_code, 404)
