from django.test import override_settings

from tocnet.line import simulate
from tocnet.line.tests.base import LineTestCase
from tocnet.members.models import Member

NEW = "U" + "7" * 32
NOTICE = "https://toc.example/privacy/notice/"


@override_settings(SITE_URL="https://toc.example")
class LineNoticeTestCase(LineTestCase):
    def texts_of_last_reply(self) -> list[str]:
        return [m["text"] for m in self.fake.replies()[-1]["messages"]]

    def test_the_bot_sends_the_notice_after_the_greeting_when_someone_follows(self) -> None:
        for user_id in (NEW, self.in_register.line_user_id or ""):
            with self.subTest(linked=user_id != NEW):
                self.post_events([simulate.follow_event(user_id)])
                greeting, notice = self.texts_of_last_reply()
                self.assertNotIn(NOTICE, greeting)  # the greeting template knows nothing of it
                self.assertIn(NOTICE, notice)
                self.assertIn("ประกาศความเป็นส่วนตัว ฉบับที่ 1", notice)

    def test_the_bot_sends_the_notice_when_a_member_links_and_not_on_other_messages(self) -> None:
        member = self.a_not_in_register
        self.post_events([simulate.user_message_event(NEW, member.number)])
        self.assertNotIn(NOTICE, " ".join(self.texts_of_last_reply()))  # asked for the digits
        digits = member.phones.get().last4
        self.post_events([simulate.user_message_event(NEW, digits)])
        self.assertEqual(Member.objects.get(pk=member.pk).line_user_id, NEW)
        texts = self.texts_of_last_reply()
        self.assertIn(member.first_name, texts[0])
        self.assertIn(NOTICE, texts[1])
        replies = len(self.fake.replies())
        self.post_events([simulate.user_message_event(NEW, "สวัสดีครับ")])  # linked already
        later = [m["text"] for body in self.fake.replies()[replies:] for m in body["messages"]]
        self.assertFalse(any(NOTICE in text for text in later))
