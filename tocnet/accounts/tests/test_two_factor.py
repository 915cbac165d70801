"""Second factor: required for staff and agents, optional for representatives and board."""

import datetime as dt
import json
import re

import time_machine
from django.conf import settings
from django.test import override_settings
from django.urls import get_resolver, reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tocnet.accounts.middleware import OPEN_BEFORE_SECOND_FACTOR
from tocnet.accounts.two_factor import REMEMBER_COOKIE, second_factor_reset
from tocnet.core.models import AuditEvent
from tocnet.core.tests.test_url_guard import PUBLIC, _walk
from tocnet.testing import PASSWORD, BaseTestCase
from tocnet.testing.two_factor import totp_code, totp_device_for


class TwoFactorBase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.client.otp_autoverify = False  # type: ignore[attr-defined]
        # Personas were made before the test's fast hasher was set: hash their password again.
        for user in (self.staff, self.agent, self.rep_user, self.board):
            user.set_password(PASSWORD)
            user.save(update_fields=["password"])

    def sign_in(self, username: str) -> None:
        response = self.client.post(
            reverse("accounts:login"), {"username": username, "password": PASSWORD}
        )
        self.assertEqual(response.status_code, 302, username)

    def verify(self, code: str, **extra: str) -> object:
        return self.client.post(reverse("accounts:two_factor_verify"), {"code": code, **extra})


class TwoFactorTestCase(TwoFactorBase):
    def test_a_staff_sign_in_without_the_second_factor_reaches_no_page_with_member_data(
        self,
    ) -> None:
        routes = _walk(get_resolver().url_patterns)
        self.assertGreater(len(routes), 30)
        codes = {"member": str(self.in_register.code), "unit": str(self.unit_a.code)}
        for persona, enrolled in (
            ("staff", False),
            ("agent", False),
            ("agent", True),
            ("staff", True),
        ):
            self.client.post(reverse("accounts:logout"))
            if enrolled:
                totp_device_for(getattr(self, persona))
            self.sign_in(persona)
            entry = reverse(
                "accounts:two_factor_verify" if enrolled else "accounts:two_factor_setup"
            )
            for name, route in [*routes, ("admin", "admin/"), ("admin-m", "admin/members/member/")]:
                if name in OPEN_BEFORE_SECOND_FACTOR or name in PUBLIC:
                    continue
                key = "unit" if "units/" in route else "member"
                url = "/" + re.sub(r"<(?:uuid:)?\w+>", codes[key], route).lstrip("^").rstrip("$")
                with self.subTest(persona=persona, enrolled=enrolled, name=name, url=url):
                    response = self.client.get(url)
                    self.assertEqual(response.status_code, 302)
                    self.assertTrue(response["Location"].startswith(entry), response["Location"])
                    self.assertNotContains(response, "สมศักดิ์", status_code=302)
                    response = self.client.post(url, {})
                    self.assertIn(response.status_code, (302, 403))
                    if response.status_code == 302:
                        self.assertTrue(response["Location"].startswith(entry))
        self.assertFalse(AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).exists())

    def test_a_password_only_sign_in_goes_straight_to_enrolment_in_thai(self) -> None:
        for persona in ("staff", "agent"):
            with self.subTest(persona=persona):
                self.client.post(reverse("accounts:logout"))
                response = self.client.post(
                    reverse("accounts:login"),
                    {"username": persona, "password": PASSWORD},
                    follow=True,
                )
                path = response.redirect_chain[-1][0]
                self.assertTrue(path.startswith(reverse("accounts:two_factor_setup")), path)
                # every hop was a redirect: no page rendered on the way
                self.assertTrue(all(status == 302 for _url, status in response.redirect_chain))
                self.assertContains(response, "data-authenticator-apps")
                self.assertContains(response, "กูเกิล ออเทนติเคเตอร์")
                self.assertContains(response, "ไมโครซอฟท์ ออเทนติเคเตอร์")
                for member in (self.in_register, self.b_member):
                    self.assertNotContains(response, member.first_name)
                    self.assertNotContains(response, member.number)
        self.assertFalse(AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCESS).exists())

    def test_it_enrols_with_a_qr_code_and_gives_ten_recovery_codes(self) -> None:
        self.sign_in("agent")
        page = self.client.get(reverse("accounts:two_factor_setup"))
        self.assertEqual(page.status_code, 200)
        qr = self.client.get(reverse("accounts:two_factor_qr"))
        self.assertEqual(qr["Content-Type"], "image/svg+xml")
        self.assertIn(b"<svg", qr.content[:200])
        device = TOTPDevice.objects.get(user=self.agent, confirmed=False)
        wrong = self.client.post(reverse("accounts:two_factor_setup"), {"code": "000000"})
        self.assertContains(wrong, 'data-errors="code"')
        done = self.client.post(reverse("accounts:two_factor_setup"), {"code": totp_code(device)})
        codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
        self.assertEqual(len(codes), 10)
        self.assertEqual(len(set(codes)), 10)
        device.refresh_from_db()
        self.assertTrue(device.confirmed)
        self.assertEqual(self.client.get(reverse("members:member_list")).status_code, 200)
        self.assertTrue(AuditEvent.objects.filter(action="2fa.enrolled", actor=self.agent).exists())

    def test_recovery_codes_work_once_each_and_totp_codes_are_not_replayed(self) -> None:
        device = totp_device_for(self.staff)
        self.sign_in("staff")
        self.client.post(reverse("accounts:logout"))
        from tocnet.accounts.two_factor import recovery_codes_issue

        codes = recovery_codes_issue(user=self.staff, actor=self.staff)
        self.sign_in("staff")
        self.assertEqual(self.verify(codes[0])["Location"], reverse("home"))
        self.client.post(reverse("accounts:logout"))
        self.sign_in("staff")
        again = self.verify(codes[0])
        self.assertEqual(again.status_code, 200)
        self.assertContains(again, 'data-errors="code"')
        self.assertEqual(StaticToken.objects.filter(device__user=self.staff).count(), 9)
        code = totp_code(device)
        self.assertEqual(self.verify(code).status_code, 302)
        self.client.post(reverse("accounts:logout"))
        self.sign_in("staff")
        replay = self.verify(code)
        self.assertEqual(replay.status_code, 200)
        self.assertContains(replay, 'data-errors="code"')

    def test_throttling_applies_to_the_second_factor(self) -> None:
        device = totp_device_for(self.staff)
        self.sign_in("staff")
        with time_machine.travel(dt.datetime.now(tz=dt.UTC), tick=False):
            statuses = []
            for _i in range(settings.LOGIN_LOCK_AFTER + 2):
                statuses.append(self.verify("123456").status_code)
            self.assertIn(429, statuses)
            locked = self.verify(totp_code(device))
        self.assertEqual(locked.status_code, 429)
        self.assertContains(locked, 'data-errors="throttle"', status_code=429)
        self.assertEqual(self.client.get(reverse("members:member_list")).status_code, 302)
        self.assertTrue(
            AuditEvent.objects.filter(action="login.failed", changes__method="2fa").exists()
        )

    def test_remember_this_device_lasts_thirty_days_at_most(self) -> None:
        device = totp_device_for(self.agent)
        start = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
        with time_machine.travel(start, tick=False):
            self.sign_in("agent")
            response = self.verify(totp_code(device, at=start.timestamp()), remember="1")
            cookie = response.cookies[REMEMBER_COOKIE]
            self.assertLessEqual(int(cookie["max-age"]), 30 * 24 * 3600)
            self.assertTrue(cookie["httponly"])
            self.client.post(reverse("accounts:logout"))
        with time_machine.travel(start + dt.timedelta(days=29), tick=False):
            self.sign_in("agent")
            self.assertEqual(self.client.get(reverse("members:member_list")).status_code, 200)
            self.client.post(reverse("accounts:logout"))
        with time_machine.travel(start + dt.timedelta(days=31), tick=False):
            self.client.cookies[REMEMBER_COOKIE] = cookie.value  # a browser keeping it longer
            self.sign_in("agent")
            self.assertEqual(self.client.get(reverse("members:member_list")).status_code, 302)

    def test_another_staff_member_resets_it_and_it_is_audited(self) -> None:
        from tocnet.accounts.models import User

        other = User.objects.create_user(
            username="staff2", password=PASSWORD, role=User.Role.STAFF, is_staff=True
        )
        totp_device_for(self.agent)
        # The agent cannot reset anybody; staff cannot reset themselves.
        self.client.otp_autoverify = True  # type: ignore[attr-defined]
        self.login_as(self.agent)
        url = reverse("accounts:two_factor_reset", args=[self.agent.code])
        self.assertEqual(self.client.post(url).status_code, 403)
        self.login_as(other)
        self.assertEqual(
            self.client.post(reverse("accounts:two_factor_reset", args=[other.code])).status_code,
            403,
        )
        page = self.client.post(url)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "data-enrol-code")
        self.assertFalse(TOTPDevice.objects.filter(user=self.agent).exists())
        event = AuditEvent.objects.get(action="2fa.reset")
        self.assertEqual((event.actor, event.target_id), (other, str(self.agent.code)))
        with self.assertRaises(PermissionError):
            second_factor_reset(user=self.staff, actor=self.agent)

    def test_it_is_optional_for_representatives_and_board(self) -> None:
        self.sign_in("rep")
        self.assertEqual(self.client.get(reverse("reports:my_register")).status_code, 200)
        self.client.post(reverse("accounts:logout"))
        self.sign_in("board")
        self.assertEqual(self.client.get(reverse("members:unit_list")).status_code, 200)
        self.client.post(reverse("accounts:logout"))
        # Once a representative turns it on, it is asked for.
        totp_device_for(self.rep_user)
        self.sign_in("rep")
        self.assertEqual(self.client.get(reverse("reports:my_register")).status_code, 302)

    @override_settings(LINE_LOGIN_CHANNEL_ID="1650", LINE_LOGIN_CHANNEL_SECRET="s")
    def test_a_session_without_the_second_factor_gets_no_admin(self) -> None:
        from django.contrib import admin

        from tocnet.testing.two_factor import session_mark_verified

        self.client.force_login(self.staff)  # password-equivalent: first factor only
        request = self.client.get("/admin/").wsgi_request
        self.assertFalse(admin.site.has_permission(request))
        session_mark_verified(self.client, self.staff)
        request = self.client.get("/admin/").wsgi_request
        self.assertTrue(admin.site.has_permission(request))


class EnrolmentWindowTestCase(TwoFactorBase):
    """A password alone enrols an authenticator only in a new account's first days; after a
    reset (or later) only with the one-time enrolment code another staff member was shown."""

    def enrol_code_on_page(self, page: object) -> str:
        match = re.search(r"<code data-enrol-code>([a-z0-9-]+)</code>", page.content.decode())  # type: ignore[attr-defined]
        assert match is not None
        return match.group(1)

    def test_a_new_account_enrols_with_its_password_only_in_its_first_days(self) -> None:
        from tocnet.accounts.models import User

        joined = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
        User.objects.filter(pk=self.agent.pk).update(date_joined=joined)
        with time_machine.travel(joined + dt.timedelta(days=2), tick=False):
            self.sign_in("agent")
            page = self.client.get(reverse("accounts:two_factor_setup"))
            self.assertEqual(page.status_code, 200)
            self.assertContains(page, "data-secret")
            self.assertNotContains(page, 'data-enrolment="code"')
            self.client.post(reverse("accounts:logout"))
        TOTPDevice.objects.filter(user=self.agent).delete()
        late = joined + dt.timedelta(days=settings.TWO_FACTOR_FIRST_ENROL_DAYS, minutes=1)
        with time_machine.travel(late, tick=False):
            self.sign_in("agent")
            page = self.client.get(reverse("accounts:two_factor_setup"))
            self.assertEqual(page.status_code, 403)
            self.assertContains(page, 'data-enrolment="closed"', status_code=403)
            self.assertNotContains(page, "data-secret", status_code=403)
            self.assertFalse(TOTPDevice.objects.filter(user=self.agent).exists())
            # Nor can a device made some other way be confirmed with the password alone.
            device = TOTPDevice.objects.create(user=self.agent, name="x", confirmed=False)
            posted = self.client.post(
                reverse("accounts:two_factor_setup"),
                {"code": totp_code(device, at=late.timestamp())},
            )
            self.assertEqual(posted.status_code, 403)
            device.refresh_from_db()
            self.assertFalse(device.confirmed)
            self.assertEqual(self.client.get(reverse("members:member_list")).status_code, 302)
        # A representative (optional for them) still turns it on with the password.
        User.objects.filter(pk=self.rep_user.pk).update(date_joined=joined)
        with time_machine.travel(late, tick=False):
            self.client.post(reverse("accounts:logout"))
            self.sign_in("rep")
            self.assertEqual(self.client.get(reverse("accounts:two_factor_setup")).status_code, 200)

    def test_a_reset_gives_a_one_time_enrolment_code_for_24_hours(self) -> None:
        from tocnet.accounts.models import User

        other = User.objects.create_user(
            username="staff2", password=PASSWORD, role=User.Role.STAFF, is_staff=True
        )
        totp_device_for(self.agent)
        start = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)
        with time_machine.travel(start, tick=False):
            self.client.otp_autoverify = True  # type: ignore[attr-defined]
            self.login_as(other)
            page = self.client.post(reverse("accounts:two_factor_reset", args=[self.agent.code]))
            code = self.enrol_code_on_page(page)
            self.assertEqual(len(code.replace("-", "")), 10)
            stored = User.objects.get(pk=self.agent.pk)
            self.assertNotIn(code.replace("-", ""), stored.second_factor_enrol_code)  # hashed
            issued = AuditEvent.objects.get(action="2fa.enrol_code_issued")
            self.assertEqual((issued.actor, issued.target_id), (other, str(self.agent.code)))
            self.assertNotIn(code, json.dumps(issued.changes))
            self.client.post(reverse("accounts:logout"))
            self.client.otp_autoverify = False  # type: ignore[attr-defined]

        with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
            self.sign_in("agent")
            page = self.client.get(reverse("accounts:two_factor_setup"))
            self.assertContains(page, 'data-enrolment="code"')
            device = TOTPDevice.objects.get(user=self.agent, confirmed=False)
            now = (start + dt.timedelta(hours=2)).timestamp()
            for wrong in ("", "abcde-fghjk"):
                with self.subTest(enrol_code=wrong):
                    refused = self.client.post(
                        reverse("accounts:two_factor_setup"),
                        {"code": totp_code(device, at=now), "enrol_code": wrong},
                    )
                    self.assertContains(refused, 'data-errors="enrol_code"')
                    device.refresh_from_db()
                    self.assertFalse(device.confirmed)
            done = self.client.post(
                reverse("accounts:two_factor_setup"),
                {"code": totp_code(device, at=now), "enrol_code": code.upper().replace("-", " ")},
            )
            self.assertContains(done, "data-codes")
            agent = User.objects.get(pk=self.agent.pk)
            self.assertTrue(agent.second_factor_enabled)
            self.assertEqual(
                (agent.second_factor_enrol_code, agent.second_factor_enrol_until), ("", None)
            )

        # A code not used within 24 hours stops working: the page is closed again.
        with time_machine.travel(start + dt.timedelta(days=3), tick=False):
            self.client.otp_autoverify = True  # type: ignore[attr-defined]
            self.login_as(other)
            page = self.client.post(reverse("accounts:two_factor_reset", args=[self.agent.code]))
            late_code = self.enrol_code_on_page(page)
        with time_machine.travel(start + dt.timedelta(days=4, minutes=1), tick=False):
            self.client.otp_autoverify = False  # type: ignore[attr-defined]
            self.client.post(reverse("accounts:logout"))
            self.sign_in("agent")
            page = self.client.get(reverse("accounts:two_factor_setup"))
            self.assertContains(page, 'data-enrolment="closed"', status_code=403)
            self.assertNotContains(page, late_code, status_code=403)

    def test_wrong_enrolment_codes_are_throttled(self) -> None:
        from tocnet.accounts.models import User

        other = User.objects.create_user(
            username="staff2", password=PASSWORD, role=User.Role.STAFF, is_staff=True
        )
        second_factor_reset(user=self.agent, actor=other)
        self.sign_in("agent")
        with time_machine.travel(dt.datetime.now(tz=dt.UTC), tick=False):
            statuses = [
                self.client.post(
                    reverse("accounts:two_factor_setup"), {"code": "123456", "enrol_code": "x"}
                ).status_code
                for _i in range(settings.LOGIN_LOCK_AFTER + 2)
            ]
        self.assertIn(429, statuses)
        self.assertTrue(
            AuditEvent.objects.filter(action="login.failed", changes__method="2fa_enrol").exists()
        )

    def test_the_command_line_gives_the_first_code(self) -> None:
        from io import StringIO

        from django.core.management import call_command
        from django.core.management.base import CommandError

        from tocnet.accounts.models import User

        User.objects.filter(pk=self.staff.pk).update(
            date_joined=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        )
        out = StringIO()
        call_command("two_factor_enrol_code", "staff", stdout=out)
        self.assertRegex(out.getvalue(), r"^staff: [a-z0-9]{5}-[a-z0-9]{5} \(valid until ")
        event = AuditEvent.objects.get(action="2fa.enrol_code_issued")
        self.assertEqual(event.actor_repr, "command line: two_factor_enrol_code")
        self.sign_in("staff")
        self.assertContains(
            self.client.get(reverse("accounts:two_factor_setup")), 'data-enrolment="code"'
        )
        totp_device_for(self.staff)
        with self.assertRaises(CommandError):
            call_command("two_factor_enrol_code", "staff", stdout=StringIO())
