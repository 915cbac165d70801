from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tocnet.accounts.models import User
from tocnet.core.models import AuditEvent
from tocnet.testing import PASSWORD, BaseTestCase

NEW_PASSWORD = "ทดลอง-รหัสใหม่-2569"


class PasswordChangeTestCase(BaseTestCase):
    url = reverse("accounts:password_change")

    def setUp(self) -> None:
        super().setUp()
        # The personas were hashed with argon2 before the suite's fast hasher was set; a
        # check would upgrade the hash and end the session mid-test.
        for user in self.personas().values():
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])

    def change(self, old: str, new1: str, new2: str | None = None) -> object:
        return self.client.post(
            self.url,
            {"old_password": old, "new_password1": new1, "new_password2": new2 or new1},
        )

    def test_it_lets_every_role_change_their_own_password(self) -> None:
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                self.client.force_login(user)
                page = self.client.get(self.url)
                self.assertContains(page, 'data-form="password-change"')
                self.assertContains(page, 'href="/accounts/password/"')  # linked on every page
                response = self.change(PASSWORD, NEW_PASSWORD)
                self.assertRedirects(response, reverse("accounts:password_change_done"))
                user.refresh_from_db()
                self.assertTrue(user.check_password(NEW_PASSWORD))
                # Still signed in (the session hash was updated).
                self.assertEqual(self.client.session[SESSION_KEY], str(user.pk))
                self.assertEqual(
                    AuditEvent.objects.filter(action="password.changed", actor=user).count(), 1
                )
                self.client.logout()

    def test_it_applies_the_password_validators(self) -> None:
        self.client.force_login(self.rep_user)
        for weak in ("short", "12345678901", "password123", "qwertyuiop"):
            with self.subTest(weak=weak):
                response = self.change(PASSWORD, weak)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, 'data-errors="new_password2"')
        self.rep_user.refresh_from_db()
        self.assertTrue(self.rep_user.check_password(PASSWORD))

    def test_it_is_in_thai(self) -> None:
        self.client.force_login(self.agent)
        response = self.change(PASSWORD, "short")
        self.assertContains(response, "เปลี่ยนรหัสผ่าน")
        self.assertContains(response, "รหัสผ่านนี้สั้นเกินไป")

    def test_a_line_only_account_is_told_how_to_get_a_password(self) -> None:
        self.rep_user.set_unusable_password()
        self.rep_user.save(update_fields=["password"])
        self.client.force_login(self.rep_user)
        page = self.client.get(self.url)
        self.assertContains(page, 'data-no-password="true"')
        self.assertContains(page, "เข้าระบบด้วยไลน์")
        self.assertNotContains(page, 'data-form="password-change"')
        # A post sets nothing: without a password there is no old one to check.
        self.assertContains(self.change("", NEW_PASSWORD), 'data-no-password="true"')
        self.rep_user.refresh_from_db()
        self.assertFalse(self.rep_user.has_usable_password())

    def test_it_throttles_guesses_of_the_old_password(self) -> None:
        self.client.force_login(self.agent)
        with self.settings(LOGIN_SLOW_AFTER=100, LOGIN_LOCK_AFTER=3):
            for _ in range(3):
                self.assertEqual(self.change("wrong", NEW_PASSWORD).status_code, 200)
            response = self.change(PASSWORD, NEW_PASSWORD)
        self.assertEqual(response.status_code, 429)
        self.agent.refresh_from_db()
        self.assertTrue(self.agent.check_password(PASSWORD))
        self.assertEqual(
            AuditEvent.objects.filter(
                action="login.failed", changes__method="password_change"
            ).count(),
            3,
        )

    def test_it_needs_a_signed_in_user(self) -> None:
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("accounts:login")))
        self.assertFalse(User.objects.filter(last_login__isnull=False).exists())
