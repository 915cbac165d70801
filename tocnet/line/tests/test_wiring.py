"""The LINE entry points on the shared pages: sign-in, home, the representative's page, nav."""

from django.test import override_settings
from django.urls import reverse

from tocnet.testing import BaseTestCase

LOGIN_ON = {"LINE_LOGIN_CHANNEL_ID": "1234567890", "LINE_LOGIN_CHANNEL_SECRET": "s"}
LOGIN_OFF = {"LINE_LOGIN_CHANNEL_ID": "", "LINE_LOGIN_CHANNEL_SECRET": ""}


class LineWiringTestCase(BaseTestCase):
    def test_the_sign_in_page_offers_line_only_when_configured(self) -> None:
        with override_settings(**LOGIN_ON):
            page = self.client.get(reverse("accounts:login"))
        self.assertContains(page, "data-line-login")
        self.assertContains(page, f'href="{reverse("line:login")}"')
        with override_settings(**LOGIN_OFF):
            page = self.client.get(reverse("accounts:login"))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "data-line-login")

    @override_settings(**LOGIN_ON)
    def test_agents_can_connect_line_from_home_and_representatives_from_their_page(
        self,
    ) -> None:
        cases = [
            (self.agent, reverse("home"), True),
            (self.staff, reverse("home"), False),  # staff do not sign in with LINE
            (self.rep_user, reverse("reports:my_register"), True),
        ]
        for user, url, offered in cases:
            with self.subTest(user=user.role):
                self.login_as(user)
                page = self.client.get(url)
                self.assertEqual(page.status_code, 200)
                self.assertEqual("data-line-connect" in page.content.decode(), offered)

    @override_settings(**LOGIN_OFF)
    def test_no_connect_button_without_line_login(self) -> None:
        self.login_as(self.agent)
        self.assertNotContains(self.client.get(reverse("home")), "data-line-connect")

    def test_the_nav_links_line_groups_for_staff_and_agents(self) -> None:
        link = f'href="{reverse("line:group_list")}"'
        for name, user in self.personas().items():
            if name in ("outsider", "member"):
                continue
            with self.subTest(persona=name):
                self.login_as(user)
                url = reverse("reports:my_register") if name == "rep" else reverse("home")
                html = self.client.get(url).content.decode()
                self.assertEqual(link in html, name in ("staff", "agent"))
