from tocnet.messaging.models import Announcement
from tocnet.messaging.responses.models import Ask
from tocnet.messaging.tests.response_builders import sent_announcement
from tocnet.testing import BaseTestCase


class AnnouncementLinksTestCase(BaseTestCase):
    def test_staff_can_create_the_question_of_a_draft(self) -> None:
        draft = Announcement.objects.create(title="ร่าง", body="เนื้อหา", author=self.staff)
        self.login_as(self.staff)
        page = self.client.get(f"/announcements/{draft.code}/")
        self.assertContains(page, f'href="/r/ask/{draft.code}/" data-link="ask"')
        self.assertContains(page, 'data-ask=""')
        self.assertNotContains(page, 'data-link="report"')

    def test_a_sent_announcement_links_to_its_question_and_report(self) -> None:
        announcement = sent_announcement(
            [self.in_register, self.b_member], kind=Ask.Kind.POLL, options=["ก", "ข"]
        )
        self.login_as(self.staff)
        page = self.client.get(f"/announcements/{announcement.code}/")
        self.assertContains(page, 'data-ask="poll"')
        self.assertContains(page, f'href="/r/ask/{announcement.code}/" data-link="ask"')
        self.assertContains(page, f'href="/r/report/{announcement.code}/" data-link="report"')
        report = self.client.get(f"/r/report/{announcement.code}/")
        self.assertContains(report, f'href="/announcements/{announcement.code}/"')

    def test_an_agent_gets_the_report_but_not_the_question_editor(self) -> None:
        announcement = sent_announcement([self.in_register, self.b_member])
        self.login_as(self.agent)
        page = self.client.get(f"/announcements/{announcement.code}/")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, 'data-link="report"')
        self.assertNotContains(page, 'data-link="ask"')
