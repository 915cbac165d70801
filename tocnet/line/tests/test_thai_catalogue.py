"""The register-name parser's reasons reach staff and representatives in Thai on the LINE pages.

(tocnet/core/tests/test_thai_catalogue.py checks every msgid of the project.)"""

from django.utils import translation

from tocnet.line import simulate
from tocnet.line.models import LineGroup
from tocnet.line.tests.base import LineTestCase


class GroupProblemsInThaiTestCase(LineTestCase):
    def test_the_group_list_gives_every_name_problem_in_thai(self) -> None:
        names = ["ครอบครัวสุขใจ", "สอ.พช.", "สอ.พช.ซซ.1", "สอ.พช.กพ.9"]
        for name in names:
            group_id = simulate.group_id_for(name)
            self.fake.add_group(group_id, name, count=3)
            self.post_events([simulate.join_event(group_id)])
        self.assertEqual(LineGroup.objects.exclude(problem="").count(), len(names))
        self.login_as(self.staff)
        with translation.override("th"):
            html = self.client.get("/line/groups/", HTTP_ACCEPT_LANGUAGE="th").content.decode()
        for english in (
            "is not a cooperative group name",
            "has no unit abbreviation",
            "is not the abbreviation",
            "has no register",
        ):
            self.assertNotIn(english, html)
        for thai in (
            "ไม่ใช่ชื่อกลุ่มของสหกรณ์",
            "ไม่มีอักษรย่อหน่วยงาน",
            "ไม่ใช่อักษรย่อของหน่วยงานใด",
            "ไม่มีทะเบียนที่ 9",
        ):
            self.assertIn(thai, html)
