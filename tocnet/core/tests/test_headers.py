"""Issue #10 item 6: CSP, Permissions-Policy and no-store on every page.

Walks every page (as staff, agent and representative, with the personas' codes filled in)
and fails on a page that carries inline script or style the policy would block: the check
that keeps new templates within "no inline <script>/style" as the teams add pages.
"""

import re

from django.urls import get_resolver

from tocnet.core.tests.test_access_log import EXEMPT as NOT_PAGES
from tocnet.core.tests.test_url_guard import PUBLIC, _walk
from tocnet.testing import BaseTestCase

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.I)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.I)


class SecurityHeadersTestCase(BaseTestCase):
    def pages(self) -> list[tuple[str, str]]:
        codes = [str(c) for c in (self.rep_member.code, self.unit_a.code, self.register.code)]
        found = []
        for name, route in _walk(get_resolver().url_patterns):
            if name in NOT_PAGES:
                continue
            if "<" not in route:
                found.append((name, "/" + route))
            elif not re.search(r"<(?!uuid:)", route):
                found += [(name, "/" + re.sub(r"<uuid:\w+>", c, route)) for c in codes]
        return found

    def test_every_page_keeps_to_the_policy(self) -> None:
        self.client.raise_request_exception = False
        checked = 0
        for persona in ("staff", "agent", "rep", None):
            if persona:
                self.client.force_login(self.personas()[persona])
            else:
                self.client.logout()
            for name, url in self.pages():
                if persona is None and name not in PUBLIC:
                    continue
                response = self.client.get(url)
                if response.status_code != 200:
                    continue
                with self.subTest(persona=persona, page=name, url=url):
                    policy = response.get("Content-Security-Policy", "")
                    self.assertIn("default-src 'self'", policy)
                    self.assertIn("object-src 'none'", policy)
                    self.assertIn("frame-ancestors 'none'", policy)
                    script_src = re.search(r"script-src ([^;]*)", policy)
                    self.assertIsNotNone(script_src)
                    self.assertNotIn("unsafe", script_src.group(1))  # type: ignore[union-attr]
                    self.assertIn("camera=()", response.get("Permissions-Policy", ""))
                    if persona:
                        self.assertIn("no-store", response.get("Cache-Control", ""))
                    if not response.get("Content-Type", "").startswith("text/html"):
                        continue
                    checked += 1
                    html = response.content.decode(errors="replace")
                    for label, pattern in (
                        ("inline <script>", INLINE_SCRIPT),
                        ("on*= handler", INLINE_HANDLER),
                        ("style attribute", STYLE_ATTRIBUTE),
                        ("<style> element", STYLE_ELEMENT),
                        ("javascript: URL", JS_URL),
                    ):
                        match = pattern.search(html)
                        self.assertIsNone(match, f"{label}: {match and match.group(0)[:120]}")
        self.assertGreater(checked, 10)

    def test_htmx_injects_no_style(self) -> None:
        self.client.force_login(self.staff)
        html = self.client.get("/").content.decode()
        self.assertIn('"includeIndicatorStyles": false', html)

    def test_downloads_are_not_stored(self) -> None:
        self.client.force_login(self.staff)
        response = self.client.get("/dashboard/?export=xlsx")
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment", response["Content-Disposition"])
        self.assertIn("no-store", response["Cache-Control"])


class DownloadsNotStoredTestCase(BaseTestCase):
    """#10 item 6: every download that carries member data, the newer ones included
    (announcement deliveries, responses report, a member's data export, the representatives
    list, a unit's forms built in the background, an import's refused rows), and the pages
    members open without a site session (personal link, LIFF) answer Cache-Control: no-store
    (and private), so no browser, proxy or shared computer keeps a copy."""

    def setUp(self) -> None:
        from django.contrib.auth.models import Permission

        from tocnet.members.importing.services import import_job_validate
        from tocnet.members.tests.import_builders import MEMBER_HEADER, member_row, xlsx_bytes
        from tocnet.messaging.tests.response_builders import sent_announcement
        from tocnet.reports.models import ReportJob

        self.announcement = sent_announcement([self.in_register, self.a_not_in_register])
        self.staff.user_permissions.add(Permission.objects.get(codename="dpo"))
        self.job = ReportJob.objects.create(
            kind=ReportJob.Kind.UNIT_XLSX,
            status=ReportJob.Status.DONE,
            requested_by=self.staff,
            file_name="forms.xlsx",
            content=b"PK\x03\x04 not really",
            size=16,
            units=1,
            unit_codes=[str(self.unit_a.code)],
        )
        self.import_job = import_job_validate(
            kind="members",
            data=xlsx_bytes({"สมาชิก": [MEMBER_HEADER, member_row("399990", unit="ไม่มีหน่วยนี้")]}),
            file_name="m.xlsx",
            actor=self.staff,
        )

    def downloads(self) -> dict[str, str]:
        a, unit, member = self.announcement.code, self.unit_a.code, self.in_register.code
        return {
            "dashboard": "/dashboard/?export=xlsx",
            "announcement deliveries": f"/announcements/{a}/export.xlsx",
            "responses report": f"/r/report/{a}/?export=xlsx",
            "member data (json)": f"/privacy/members/{member}/export/",
            "member data (xlsx)": f"/privacy/members/{member}/export/?format=xlsx",
            "representatives list": "/registers/representatives.xlsx",
            "attachment 3": f"/reports/units/{unit}/attachment3.xlsx",
            "attachment 2": f"/reports/units/{unit}/attachment2.xlsx",
            "unit form job": f"/reports/jobs/{self.job.code}/",
            "import's refused rows": f"/members/import/{self.import_job.code}/errors.xlsx",
        }

    def test_every_download_with_member_data_is_not_stored(self) -> None:
        self.login_as(self.staff)
        for label, url in self.downloads().items():
            with self.subTest(label, url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn("attachment", response.get("Content-Disposition", ""))
                cache = response.get("Cache-Control", "")
                self.assertIn("no-store", cache)
                self.assertIn("private", cache)

    def test_members_pages_without_a_site_session_are_not_stored(self) -> None:
        from tocnet.messaging.responses.services import response_link_create

        token = response_link_create(
            announcement=self.announcement, member=self.a_not_in_register, channel="sms"
        )
        page = self.client.get(f"/r/{token}")
        self.assertContains(page, self.announcement.title)
        self.assertIn("no-store", page["Cache-Control"])
        for url in ("/r/liff/", f"/r/liff/a/{self.announcement.code}/", "/r/privacy/"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertLess(response.status_code, 500)
                self.assertIn("no-store", response.get("Cache-Control", ""), url)

    def test_a_download_is_not_stored_whoever_asks(self) -> None:
        # The middleware's rule, not each view's: any attachment, even to nobody signed in.
        from django.http import HttpResponse
        from django.test import RequestFactory

        from tocnet.core.security import PrivateResponseMiddleware

        def view(request: object) -> HttpResponse:
            response = HttpResponse(b"x")
            response["Content-Disposition"] = 'attachment; filename="x.xlsx"'
            return response

        response = PrivateResponseMiddleware(view)(RequestFactory().get("/"))  # type: ignore[arg-type]
        self.assertIn("no-store", response["Cache-Control"])
