import re
from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.test import SimpleTestCase
from django.urls import reverse

from tocnet.accounts import roles
from tocnet.accounts.roles import DashboardLevel
from tocnet.testing import BaseTestCase

# Which persona each predicate answers yes for (superusers count as staff).
EXPECTED = {
    "is_cooperative_staff": {"staff"},
    "is_agent": {"agent"},
    "is_representative": {"rep"},
    "is_board": {"board"},
    "uses_the_site": {"staff", "agent", "rep", "board"},
    "can_import": {"staff", "agent"},
    "can_plan": {"staff", "agent"},
    "can_manage_forms": {"staff", "agent"},
    "can_use_forms": {"staff", "agent", "rep"},
    "can_see_line_groups": {"staff", "agent"},
    "can_use_line_login": {"agent", "rep"},
    "sees_personal_data": {"staff", "agent", "rep"},
    "sees_whole_cooperative": {"staff", "board"},
    "sees_unit_list": {"staff", "agent", "board"},
    "signs_forms_by_name": {"agent", "rep"},
}

# The entries of the first apps each persona gets, by data-nav, in order (later apps add theirs
# in between; this test looks at these only).
MENUS = {
    "staff": [
        "home",
        "members",
        "units",
        "dashboard",
        "forms",
        "inbox",
        "knowledge-base",
        "register-plan",
        "import",
        "line-groups",
        "admin",
    ],
    "agent": [
        "home",
        "members",
        "units",
        "dashboard",
        "forms",
        "inbox",
        "knowledge-base",
        "register-plan",
        "import",
        "line-groups",
    ],
    "rep": ["home", "members", "dashboard", "my-questions", "knowledge-base", "my-register"],
    "board": ["home", "units", "dashboard", "inbox"],
    "member": ["home"],
    "outsider": ["home"],
}


KNOWN = set(MENUS["staff"]) | set(MENUS["rep"])


class RolesTestCase(BaseTestCase):
    def test_it_answers_each_question_per_persona(self) -> None:
        for name, allowed in EXPECTED.items():
            predicate = getattr(roles, name)
            for persona, user in self.personas().items():
                with self.subTest(predicate=name, persona=persona):
                    self.assertIs(predicate(user), persona in allowed)
                    self.assertIs(predicate(AnonymousUser()), False)
                    self.assertIs(predicate(None), False)

    def test_it_refuses_inactive_accounts(self) -> None:
        self.staff.is_active = False
        self.assertFalse(roles.is_cooperative_staff(self.staff))
        self.assertEqual(roles.dashboard_level(self.staff), DashboardLevel.NONE)

    def test_it_treats_a_superuser_as_staff(self) -> None:
        self.outsider.is_superuser = True
        self.assertTrue(roles.is_cooperative_staff(self.outsider))
        self.assertTrue(roles.can_import(self.outsider))
        self.assertEqual(roles.dashboard_level(self.outsider), "all")

    def test_it_lists_accounts_by_role(self) -> None:
        self.rep_user.is_active = False
        self.rep_user.save(update_fields=["is_active"])
        self.outsider.is_staff = True  # a member given the admin uses the site
        self.outsider.save(update_fields=["is_staff"])
        self.assertEqual(set(roles.staff_accounts()), {self.staff})
        self.assertEqual(set(roles.representative_accounts()), set())
        site = set(roles.site_accounts())
        self.assertIn(self.outsider, site)
        self.assertIn(self.agent, site)
        self.assertNotIn(self.rep_user, site)
        self.assertNotIn(self.member_user, site)

    def test_it_gives_each_persona_its_dashboard_level(self) -> None:
        expected = {
            "staff": "all",
            "agent": "units",
            "rep": "register",
            "board": "totals",
            "member": "none",
            "outsider": "none",
        }
        for persona, user in self.personas().items():
            with self.subTest(persona=persona):
                self.assertEqual(roles.dashboard_level(user), expected[persona])


class MenuTestCase(BaseTestCase):
    def test_it_shows_each_persona_its_menu(self) -> None:
        for persona, user in self.personas().items():
            with self.subTest(persona=persona):
                self.login_as(user)
                # the home page opens for everyone (the units page is refused to some roles)
                response = self.client.get(reverse("home"), follow=True)
                menu = response.context["menu"]
                shown = [link.nav for link in menu if link.nav in KNOWN]
                self.assertEqual(shown, MENUS[persona])
                for link in menu:
                    self.assertContains(
                        response, f'href="{link.href}" data-nav="{link.nav}"', count=1
                    )

    def test_it_offers_the_second_factor_page_to_those_who_use_the_site(self) -> None:
        for persona, user in self.personas().items():
            with self.subTest(persona=persona):
                self.login_as(user)
                response = self.client.get(reverse("home"), follow=True)
                shown = 'data-nav="two-factor"' in response.content.decode()
                self.assertIs(shown, persona in EXPECTED["uses_the_site"])

    def test_it_shows_no_menu_when_signed_out(self) -> None:
        response = self.client.get(reverse("accounts:login"))
        self.assertNotContains(response, "data-nav=")


ROOT = Path(__file__).resolve().parents[3]
# Where a role may be named as such: its definition, the one module that answers role
# questions, the demo's accounts, migrations, tests and test support.
ROLE_HOMES = ("accounts/models.py", "accounts/roles.py", "members/demo.py")
ROLE_IN_CODE = re.compile(r"User\.Role\.|\buser\.role\s*(==|!=|in\b)")
ROLE_IN_TEMPLATE = re.compile(r"user\.role\s*(==|!=|in\b)|user\.is_staff|user\.is_superuser")


class RolesInOnePlaceTestCase(SimpleTestCase):
    def test_no_module_outside_roles_compares_a_users_role(self) -> None:
        found = []
        for path in sorted((ROOT / "tocnet").rglob("*.py")):
            relative = path.relative_to(ROOT / "tocnet").as_posix()
            parts = relative.split("/")
            if relative in ROLE_HOMES or {"tests", "migrations", "browser_tests"} & set(parts):
                continue
            if parts[0] == "testing":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ROLE_IN_CODE.search(line):  # UnitAgent.Role, a leader row's role: others
                    found.append(f"{relative}:{number}: {line.strip()}")
        self.assertEqual(found, [], "ask tocnet.accounts.roles instead")

    def test_no_template_compares_a_users_role(self) -> None:
        found = []
        templates = [*(ROOT / "templates").rglob("*.html"), *(ROOT / "tocnet").rglob("*.html")]
        for path in sorted(templates):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ROLE_IN_TEMPLATE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}")
        self.assertEqual(found, [], "use {% if roles.<predicate> %} (accounts.context_processors)")

    def test_it_would_notice_a_role_compared_in_a_template(self) -> None:
        self.assertTrue(ROLE_IN_TEMPLATE.search('{% if user.role == "staff" %}'))
        self.assertTrue(ROLE_IN_TEMPLATE.search("{% if request.user.role != 'member' %}"))
        self.assertFalse(ROLE_IN_TEMPLATE.search('<span data-role="{{ user.role }}">'))
