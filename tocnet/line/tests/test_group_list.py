import datetime as dt

from django.test import override_settings

from tocnet.line.models import LineGroup
from tocnet.line.selectors import line_group_list_for_user
from tocnet.line.tests.base import LineTestCase
from tocnet.members.models import Representative
from tocnet.registers.leaders import register_vacate
from tocnet.registers.models import Register


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


class VacantRegisterOnGroupListTestCase(LineTestCase):
    """Issue #14 item 1: the LINE groups page flags a register whose representative left,
    with a verified group or without one yet."""

    def test_a_vacant_register_is_flagged_with_or_without_its_group(self) -> None:
        rep_2 = Representative.objects.create(
            member=self.a_not_in_register,
            unit=self.unit_a,
            term_start=dt.date(2026, 1, 1),
            term_end=dt.date(2029, 12, 31),
        )
        second = Register.objects.create(
            unit=self.unit_a, number=2, representative=rep_2, line_group_name="สอ.พช.กพ.2"
        )
        Register.objects.filter(pk=self.register.pk).update(line_group_id="C" + "1" * 32)
        LineGroup.objects.create(
            group_id="C" + "1" * 32,
            name="สอ.พช.กพ.1",
            unit=self.unit_a,
            register=self.register,
            status=LineGroup.Status.VERIFIED,
        )
        self.login_as(self.staff)
        page = self.client.get("/line/groups/").content.decode()
        self.assertNotIn('data-state="vacant"', page)
        for register in (self.register, second):
            register_vacate(register=register, reason="resigned", actor=self.staff)
        page = self.client.get("/line/groups/").content.decode()
        groups, without = page.split('id="without-group"')
        self.assertEqual(groups.count('data-state="vacant"'), 1)
        self.assertEqual(without.count('data-state="vacant"'), 1)
        self.assertNotIn("badge ok", without)
