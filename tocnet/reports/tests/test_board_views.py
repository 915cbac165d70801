"""The board: totals by province and the map, never a list of people."""

from django.urls import reverse

from tocnet.testing import BaseTestCase


class BoardViewsTestCase(BaseTestCase):
    def test_it_refuses_the_member_list_to_the_board_in_thai(self) -> None:
        self.login_as(self.board)
        response = self.client.get(reverse("members:member_list"))
        self.assertEqual(response.status_code, 403)
        body = response.content.decode()
        self.assertIn('data-error="403"', body)
        self.assertNotIn("ไม่พบสมาชิก", body)
        self.assertNotIn('data-nav="members"', body)

    def test_it_shows_the_board_provinces_and_the_map_without_names(self) -> None:
        self.login_as(self.board)
        response = self.client.get(reverse("reports:dashboard"))
        self.assertEqual(response.status_code, 200)
        body = response.content.decode()
        self.assertIn('id="provinces-table"', body)
        table = body.split('id="provinces-table"', 1)[1].split("</table>", 1)[0]
        self.assertIn(f'<tr data-province="{self.unit_a.province}">', table)
        self.assertIn('data-col="members"', table)
        self.assertIn('id="province-map"', body)
        self.assertNotIn('id="units-table"', body)
        self.assertNotIn('id="registers-table"', body)
        for member in (self.rep_member, self.in_register, self.b_member):
            self.assertNotIn(member.last_name, body)
        self.assertNotIn('data-export="xlsx"', body)

    def test_it_keeps_the_member_list_for_those_who_look_after_members(self) -> None:
        for user in (self.staff, self.agent, self.rep_user):
            with self.subTest(user=user.username):
                self.login_as(user)
                self.assertEqual(self.client.get(reverse("members:member_list")).status_code, 200)
