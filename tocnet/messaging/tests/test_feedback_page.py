import io

from openpyxl import load_workbook

from tocnet.core.models import AuditEvent
from tocnet.members.provinces import short_unit_name
from tocnet.messaging.responses.models import Ask, Way
from tocnet.messaging.responses.services import response_record
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.testing import BaseTestCase


class FeedbackPageTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.announcement = sent_announcement(
            [self.rep_member, self.in_register, self.b_member],
            kind=Ask.Kind.FEEDBACK,
            question="อยากให้สหกรณ์ปรับปรุงอะไร",
        )
        response_record(
            announcement=self.announcement,
            member=self.in_register,
            way=Way.LIFF,
            text="อยากได้ดอกเบี้ยเงินฝากสูงขึ้น",
        )
        response_record(
            announcement=self.announcement,
            member=self.b_member,
            way=Way.SMS_LINK,
            text='=HYPERLINK("http://x")',
        )
        response_record(announcement=self.announcement, member=self.rep_member, way=Way.LIFF)
        self.url = f"/r/feedback/{self.announcement.code}/"

    def test_staff_read_the_answers_and_it_is_logged(self) -> None:
        self.login_as(self.staff)
        page = self.client.get(self.url)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, 'data-feedback-count="2"')
        self.assertContains(page, "อยากได้ดอกเบี้ยเงินฝากสูงขึ้น")
        self.assertContains(page, f'data-feedback="{self.b_member.number}"')
        self.assertNotContains(page, f'data-feedback="{self.rep_member.number}"')  # no text
        # The unit by its short name (a phone's line), the full one in its title.
        short = short_unit_name(self.unit_a.name)
        self.assertNotEqual(short, self.unit_a.name)
        self.assertContains(page, f'<span title="{self.unit_a.name}">{short}</span>')
        event = AuditEvent.objects.get(action="responses.feedback_viewed")
        self.assertEqual((event.kind, event.changes["answers"]), (AuditEvent.Kind.ACCESS, 2))

    def test_the_export_has_every_answer_and_no_formula(self) -> None:
        self.login_as(self.staff)
        response = self.client.get(self.url + "?export=xlsx")
        self.assertEqual(response.status_code, 200)
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0][:2], (self.announcement.title, "อยากให้สหกรณ์ปรับปรุงอะไร"))
        answers = {row[0]: row[6] for row in rows[2:]}
        self.assertEqual(set(answers), {self.in_register.number, self.b_member.number})
        self.assertEqual(answers[self.in_register.number], "อยากได้ดอกเบี้ยเงินฝากสูงขึ้น")
        # Stored as text, never as a formula (the house xlsx helpers force the type).
        cells = {row[0].value: row[6] for row in sheet.iter_rows(min_row=3)}
        self.assertEqual(cells[self.b_member.number].data_type, "s")
        event = AuditEvent.objects.get(action="responses.feedback_exported")
        self.assertEqual(event.changes["answers"], 2)

    def test_feedback_reaches_staff_only(self) -> None:
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                self.login_as(user)
                status = self.client.get(self.url).status_code
                self.assertEqual(status, 200 if name == "staff" else 404)
                export = self.client.get(self.url + "?export=xlsx").status_code
                self.assertEqual(export, 200 if name == "staff" else 404)
        self.assertFalse(
            AuditEvent.objects.filter(action__startswith="responses.feedback_")
            .exclude(actor=self.staff)
            .exists()
        )

    def test_a_poll_has_no_feedback_page(self) -> None:
        poll = sent_announcement([self.in_register], kind=Ask.Kind.POLL, options=["ก", "ข"])
        self.login_as(self.staff)
        self.assertEqual(self.client.get(f"/r/feedback/{poll.code}/").status_code, 404)

    def test_the_announcement_page_links_to_it(self) -> None:
        self.login_as(self.staff)
        page = self.client.get(f"/announcements/{self.announcement.code}/")
        self.assertContains(page, f'href="/r/feedback/{self.announcement.code}/"')
