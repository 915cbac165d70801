from tocnet.core.models import AuditEvent
from tocnet.messaging import services
from tocnet.messaging.planning import Audience
from tocnet.messaging.responses.models import Ask, PollOption
from tocnet.messaging.responses.services import AskError, ask_set
from tocnet.testing import BaseTestCase


class AskTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.announcement = services.announcement_create(
            actor=self.staff, title="ประชุมใหญ่", body="วันประชุม", sms_text="สหกรณ์ฯ: ประชุม"
        )

    def test_staff_set_a_poll_on_the_page(self) -> None:
        self.login_as(self.staff)
        url = f"/r/ask/{self.announcement.code}/"
        response = self.client.post(
            url,
            {
                "kind": "poll",
                "question": "วันไหนดี",
                "options": "เสาร์\nอาทิตย์\n",
                "audience": "members",
                "member_hours": 48,
                "representative_hours": 48,
                "deputy_hours": 24,
                "staff_hours": 12,
            },
        )
        self.assertRedirects(response, url, fetch_redirect_response=False)
        ask = Ask.objects.get()
        self.assertEqual((ask.kind, ask.deputy_hours, ask.staff_hours), ("poll", 24, 12))
        self.assertContains(self.client.get(url), 'name="staff_hours" value="12"')
        self.assertEqual(
            list(PollOption.objects.values_list("label", flat=True)), ["เสาร์", "อาทิตย์"]
        )
        self.assertTrue(AuditEvent.objects.filter(action="responses.ask_set").exists())

    def test_a_poll_needs_two_to_six_answers(self) -> None:
        for options in (["หนึ่ง"], [str(i) for i in range(7)], ["ก", "ก"]):
            with self.subTest(options=options), self.assertRaises(AskError):
                ask_set(
                    announcement=self.announcement,
                    actor=self.staff,
                    kind="poll",
                    question="?",
                    options=options,
                )
        self.assertFalse(Ask.objects.exists())

    def test_a_consultation_of_representatives_narrows_the_audience(self) -> None:
        ask_set(
            announcement=self.announcement,
            actor=self.staff,
            kind="feedback",
            question="ความเห็น",
            audience="representatives",
        )
        self.announcement.refresh_from_db()
        audience = Audience.from_json(self.announcement.audience)
        self.assertEqual(list(audience.members()), [self.rep_member])
        self.assertNotIn("line_group", audience.channels)  # never into the members' group

    def test_only_staff_and_only_before_approval(self) -> None:
        for name, user in self.personas().items():
            if name == "staff":
                continue
            with self.subTest(persona=name):
                self.client.force_login(user)
                self.assertEqual(
                    self.client.get(f"/r/ask/{self.announcement.code}/").status_code, 404
                )
        services.announcement_submit(announcement=self.announcement, actor=self.staff)
        self.announcement.refresh_from_db()
        self.announcement.state = self.announcement.State.APPROVED
        with self.assertRaises(AskError):
            ask_set(announcement=self.announcement, actor=self.staff, kind="ack")
