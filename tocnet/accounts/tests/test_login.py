import time_machine
from django.test import TestCase, override_settings
from django.urls import reverse

from tocnet.accounts.models import LoginFailure, User
from tocnet.core.models import AuditEvent

PASSWORD = "correct horse battery staple"


@override_settings(LOGIN_SLOW_AFTER=3, LOGIN_LOCK_AFTER=5, LOGIN_WINDOW_SECONDS=900)
class LoginThrottleTestCase(TestCase):
    def setUp(self) -> None:
        self.user = User.objects.create_user("agent", password=PASSWORD, role=User.Role.AGENT)
        self.url = reverse("accounts:login")

    def attempt(self, password: str, username: str = "agent", ip: str = "10.0.0.1") -> int:
        response = self.client.post(
            self.url, {"username": username, "password": password}, REMOTE_ADDR=ip
        )
        return response.status_code

    def test_it_signs_in_with_the_right_password_and_hashes_with_argon2(self) -> None:
        self.assertEqual(self.attempt(PASSWORD), 302)
        self.assertTrue(
            AuditEvent.objects.filter(action="login.succeeded", actor=self.user).exists()
        )
        with self.settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"]):
            user = User.objects.create_user("x", password=PASSWORD)
            self.assertTrue(user.password.startswith("argon2"))

    def test_it_slows_then_locks_a_username(self) -> None:
        with time_machine.travel("2026-01-01 10:00:00 +0000", tick=False) as traveller:
            for _ in range(3):
                self.assertEqual(self.attempt("wrong"), 200)
            # Slowed: even the right password waits.
            self.assertEqual(self.attempt(PASSWORD), 429)
            traveller.shift(3)
            self.assertEqual(self.attempt("wrong"), 200)
            traveller.shift(5)
            self.assertEqual(self.attempt("wrong"), 200)
            traveller.shift(60)
            # Locked after five failures from this address, whatever the password.
            self.assertEqual(self.attempt(PASSWORD), 429)
            self.assertEqual(LoginFailure.objects.filter(username="agent").count(), 5)
            traveller.shift(901)
            self.assertEqual(self.attempt(PASSWORD), 302)
        self.assertEqual(LoginFailure.objects.filter(username="agent").count(), 0)

    def test_it_locks_an_address_guessing_many_usernames(self) -> None:
        with time_machine.travel("2026-01-01 10:00:00 +0000", tick=False) as traveller:
            for i in range(10):
                traveller.shift(120)
                self.attempt("wrong", username=f"guess{i}", ip="10.9.9.9")
            self.assertEqual(self.attempt(PASSWORD, ip="10.9.9.9"), 429)
            self.assertEqual(self.attempt(PASSWORD, ip="10.1.1.1"), 302)

    def test_it_records_failures_as_security_events_without_the_password(self) -> None:
        self.attempt("hunter2-secret")
        event = AuditEvent.objects.get(action="login.failed")
        self.assertEqual(event.kind, AuditEvent.Kind.SECURITY)
        self.assertNotIn("hunter2-secret", str(event.changes))

    def test_it_refuses_open_redirects(self) -> None:
        response = self.client.post(
            self.url,
            {"username": "agent", "password": PASSWORD, "next": "https://evil.example/"},
        )
        self.assertEqual(response["Location"], reverse("home"))

    def test_it_does_not_let_a_stranger_lock_someone_out(self) -> None:
        with time_machine.travel("2026-01-01 10:00:00 +0000", tick=False) as traveller:
            for _ in range(8):
                self.attempt("wrong", ip="10.6.6.6")
                traveller.shift(61)
            self.assertEqual(self.attempt(PASSWORD, ip="10.6.6.6"), 429)
            # The owner, from their own address, is at most slowed, never locked.
            self.assertEqual(self.attempt(PASSWORD, ip="10.0.0.1"), 302)
