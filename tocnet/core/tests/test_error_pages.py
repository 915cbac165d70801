"""Refused, missing and failed pages answer in Thai, in the site's frame, with a way back."""

import logging
import uuid

from django.test import Client, override_settings
from django.urls import reverse

from tocnet.core.logging import RefusalWithoutTraceback
from tocnet.testing import BaseTestCase


class ErrorPagesTestCase(BaseTestCase):
    def test_it_refuses_in_thai_with_the_menu(self) -> None:
        self.login_as(self.rep_user)
        response = self.client.get(reverse("members:import_upload"))
        self.assertEqual(response.status_code, 403)
        body = response.content.decode()
        self.assertIn('data-error="403"', body)
        self.assertIn("ท่านไม่มีสิทธิ์เปิดหน้านี้", body)
        self.assertIn('class="nav"', body)  # the menu: the user can go on from here
        self.assertIn('data-nav="my-register"', body)
        self.assertIn(reverse("home"), body)

    def test_it_shows_a_thai_404_for_a_member_out_of_scope(self) -> None:
        self.login_as(self.agent)  # the agent of กพ; b_member is in นว
        url = reverse("members:member_detail", args=[self.b_member.code])
        response = self.client.get(url)
        self.assertEqual(response.status_code, 404)
        body = response.content.decode()
        self.assertIn('data-error="404"', body)
        self.assertIn("ไม่พบหน้านี้", body)
        self.assertIn('class="nav"', body)

    def test_it_shows_a_thai_404_to_an_anonymous_visitor_with_sign_in(self) -> None:
        response = self.client.get(f"/no-such-page-{uuid.uuid4()}/")
        self.assertEqual(response.status_code, 404)
        body = response.content.decode()
        self.assertIn("ไม่พบหน้านี้", body)
        self.assertIn(reverse("accounts:login"), body)
        self.assertNotIn('class="nav"', body)

    def test_it_explains_an_expired_form_in_thai(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.rep_user)
        response = client.post(reverse("accounts:logout"))
        self.assertEqual(response.status_code, 403)
        body = response.content.decode()
        self.assertIn("แบบฟอร์มหมดอายุแล้ว", body)
        self.assertIn('class="nav"', body)

    @override_settings(ROOT_URLCONF="tocnet.core.tests.urls_failing", DEBUG=False)
    def test_it_answers_an_unhandled_error_with_the_thai_500(self) -> None:
        client = Client(raise_request_exception=False)
        with self.assertLogs("django.request", level="ERROR"):
            response = client.get("/failing/")
        self.assertEqual(response.status_code, 500)
        body = response.content.decode()
        self.assertIn('data-error="500"', body)
        self.assertIn("ระบบขัดข้อง", body)

    def test_it_serves_a_favicon(self) -> None:
        response = self.client.get("/favicon.ico")
        self.assertEqual(response.status_code, 301)
        self.assertTrue(response["Location"].endswith("favicon.svg"))


def test_refusals_log_one_line_without_traceback() -> None:
    try:
        raise PermissionError("no")
    except PermissionError as exc:
        record = logging.LogRecord(
            "django.request", logging.WARNING, __file__, 1, "Forbidden: %s", ("/x",), None
        )
        record.exc_info = (type(exc), exc, exc.__traceback__)
    record.status_code = 403
    assert RefusalWithoutTraceback().filter(record) is True
    assert record.exc_info is None
    error = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", (), None)
    error.exc_info = (RuntimeError, RuntimeError("x"), None)
    error.status_code = 500
    RefusalWithoutTraceback().filter(error)
    assert error.exc_info is not None
