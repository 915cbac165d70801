from django.test import override_settings
from django.utils import translation

from tocnet.line.services.linking import friend_followed
from tocnet.testing import BaseTestCase


@override_settings(SITE_URL="https://toc.example")
class LineNoticeTestCase(BaseTestCase):
    def test_the_bot_sends_the_notice_link_when_someone_follows(self) -> None:
        with translation.override("th"):
            new = friend_followed(line_user_id="U" + "7" * 32).render()
            linked = friend_followed(line_user_id=self.in_register.line_user_id or "").render()
        for text in (new, linked):
            self.assertIn("https://toc.example/privacy/notice/", text)
            self.assertIn("ประกาศความเป็นส่วนตัว ฉบับที่ 1", text)
