from django.test import override_settings

from tocnet.line.models import LineGroup
from tocnet.line.selectors import line_group_list_for_user
from tocnet.line.tests.base import LineTestCase


class LineGroupListTestCase(LineTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.group_a = LineGroup.objects.create(
            group_id="Ca", name="สอ.พช.กพ.9", unit=self.unit_a, problem="no_such_register"
        )
        self.group_b = LineGroup.objects.create(group_id="Cb", name="สอ.พช.นว.1", unit=self.unit_b)
        self.group_x = LineGroup.objects.create(group_id="Cx", name="ครอบครัว", problem="bad_name")

    def test_it_scopes_groups_to_the_viewer(self) -> None:
        expected = {
            "staff": {"Ca", "Cb", "Cx"},
            "agent": {"Ca"},
            "rep": set(),
            "board": set(),
            "member": set(),
            "outsider": set(),
        }
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                ids = set(line_group_list_for_user(user).values_list("group_id", flat=True))
                self.assertEqual(ids, expected[name])

    def test_it_serves_the_page_to_staff_and_agents_only(self) -> None:
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                self.login_as(user)
                response = self.client.get("/line/groups/")
                if name in ("staff", "agent"):
                    self.assertEqual(response.status_code, 200)
                    self.assertContains(response, 'data-problem="no_such_register"')
                    self.assertEqual(
                        'data-group="' + str(self.group_b.code) in response.content.decode(),
                        name == "staff",
                    )
                else:
                    self.assertEqual(response.status_code, 403)

    def test_it_says_line_is_not_configured(self) -> None:
        self.login_as(self.staff)
        with override_settings(LINE_CHANNEL_ACCESS_TOKEN=""):
            response = self.client.get("/line/groups/")
        self.assertContains(response, 'data-line-configured="false"')
