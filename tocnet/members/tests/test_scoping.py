"""Who may see which member, unit and count: every persona against every kind of object."""

from django.urls import reverse

from tocnet.core.models import AuditEvent
from tocnet.members.selectors import member_list_for_user, unit_list_for_user
from tocnet.testing import BaseTestCase


class MemberScopingTestCase(BaseTestCase):
    def visible_numbers(self, user: object) -> set[str]:
        return set(member_list_for_user(user).values_list("number", flat=True))  # type: ignore[arg-type]

    def test_it_scopes_member_lists_per_role(self) -> None:
        expected = {
            "staff": {"100001", "100002", "100003", "200001"},
            "agent": {"100001", "100002", "100003"},
            "rep": {"100001", "100002"},
            "board": set(),
            "member": set(),
            "outsider": set(),
        }
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                self.assertEqual(self.visible_numbers(user), expected[name])

    def test_it_scopes_units_per_role(self) -> None:
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                abbrs = set(unit_list_for_user(user).values_list("abbreviation", flat=True))  # type: ignore[arg-type]
                if name in ("staff", "board"):
                    self.assertIn("นว", abbrs)
                    self.assertEqual(len(abbrs), 76)
                elif name in ("agent", "rep"):
                    self.assertEqual(abbrs, {"กพ"})
                else:
                    self.assertEqual(abbrs, set())

    def test_it_returns_404_for_members_outside_scope_and_logs_nothing(self) -> None:
        targets = {
            "in_register": self.in_register,
            "a_not_in_register": self.a_not_in_register,
            "b_member": self.b_member,
        }
        allowed = {
            "staff": set(targets),
            "agent": {"in_register", "a_not_in_register"},
            "rep": {"in_register"},
            "board": set(),
            "member": set(),
            "outsider": set(),
        }
        for name, user in self.personas().items():
            self.login_as(user)
            for target_name, target in targets.items():
                with self.subTest(persona=name, target=target_name):
                    before = AuditEvent.objects.filter(action="member.viewed").count()
                    response = self.client.get(reverse("members:member_detail", args=[target.code]))
                    after = AuditEvent.objects.filter(action="member.viewed").count()
                    if target_name in allowed[name]:
                        self.assertEqual(response.status_code, 200)
                        self.assertContains(response, target.number)
                        self.assertEqual(after, before + 1)
                    else:
                        self.assertEqual(response.status_code, 404)
                        self.assertNotContains(response, target.last_name, status_code=404)
                        self.assertEqual(after, before)

    def test_it_never_leaks_names_through_search_or_counts(self) -> None:
        for name, user in self.personas().items():
            self.login_as(user)
            with self.subTest(persona=name):
                response = self.client.get(reverse("members:member_list"), {"q": "วิชัย"})
                if name in ("board", "member", "outsider"):  # no list of people at all
                    self.assertEqual(response.status_code, 403)
                    self.assertNotContains(response, "200001", status_code=403)
                    continue
                self.assertEqual(response.status_code, 200)
                total = int(response.content.decode().split('data-total="')[1].split('"')[0])
                if name == "staff":
                    self.assertEqual(total, 1)
                    self.assertContains(response, "200001")
                else:
                    self.assertEqual(total, 0)
                    self.assertNotContains(response, "200001")

    def test_it_searches_by_number_name_and_phone(self) -> None:
        self.login_as(self.staff)
        url = reverse("members:member_list")
        for query, number in [
            ("100003", "100003"),
            ("๑๐๐๐๐๓", "100003"),
            ("ประเสริฐ", "100003"),
            ("ประเสริฐ ทองคำ", "100003"),
            ("081-000-0003", "100003"),
        ]:
            with self.subTest(query=query):
                response = self.client.get(url, {"q": query})
                self.assertContains(response, f'data-member="{number}"')
                self.assertContains(response, 'data-total="1"')

    def test_it_refuses_unit_pages_outside_scope(self) -> None:
        url = reverse("members:unit_detail", args=[self.unit_b.code])
        codes = {}
        for name, user in self.personas().items():
            self.login_as(user)
            codes[name] = self.client.get(url).status_code
        self.assertEqual(
            codes,
            {"staff": 200, "agent": 404, "rep": 404, "board": 200, "member": 404, "outsider": 404},
        )

    def test_it_shows_board_counts_but_no_names(self) -> None:
        self.login_as(self.board)
        response = self.client.get(reverse("members:unit_detail", args=[self.unit_a.code]))
        self.assertContains(response, 'data-count="active">3<')
        self.assertNotContains(response, self.rep_member.last_name)
        self.assertEqual(
            self.client.get(reverse("members:member_list")).content.count(b"data-member="), 0
        )

    def test_it_requires_login_everywhere(self) -> None:
        for url in [
            reverse("home"),
            reverse("members:member_list"),
            reverse("members:unit_list"),
            reverse("members:member_detail", args=[self.in_register.code]),
            reverse("members:unit_detail", args=[self.unit_a.code]),
        ]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 302)
                self.assertIn(reverse("accounts:login"), response["Location"])


class HomeTestCase(BaseTestCase):
    def test_it_sends_representatives_to_their_register_page(self) -> None:
        self.login_as(self.rep_user)
        response = self.client.get(reverse("home"))
        self.assertRedirects(response, reverse("reports:my_register"))

    def test_it_shows_each_role_its_units(self) -> None:
        for name, user, units in [
            ("staff", self.staff, 76),
            ("agent", self.agent, 1),
            ("board", self.board, 76),
            ("outsider", self.outsider, 0),
        ]:
            with self.subTest(persona=name):
                self.login_as(user)
                response = self.client.get(reverse("home"))
                self.assertEqual(response.content.count(b"data-unit="), units)
