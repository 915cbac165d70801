"""Terms: ending within 90 days and ended are shown; re-elected representatives renewed at once."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tocnet.core.models import AuditEvent
from tocnet.members.models import Representative
from tocnet.registers.leaders import representative_terms_renew
from tocnet.registers.selectors import term_state, unit_terms_list
from tocnet.testing import BaseTestCase

TODAY = dt.date(2026, 12, 3)


def test_term_state_boundaries() -> None:
    assert term_state(TODAY - dt.timedelta(days=1), TODAY) == "ended"
    assert term_state(TODAY, TODAY) == "ending"
    assert term_state(TODAY + dt.timedelta(days=90), TODAY) == "ending"
    assert term_state(TODAY + dt.timedelta(days=91), TODAY) == "running"


class TermsTestCase(BaseTestCase):
    # The personas' representative's term ended on 2021-12-31.

    def test_units_with_ended_terms_are_due_for_election(self) -> None:
        [terms] = unit_terms_list([self.unit_a, self.unit_b], today=TODAY)
        self.assertEqual(terms.unit, self.unit_a)
        self.assertTrue(terms.due_for_election)
        self.assertEqual(terms.ended, [self.representative])
        Representative.objects.filter(pk=self.representative.pk).update(
            term_end=TODAY + dt.timedelta(days=30)
        )
        [terms] = unit_terms_list([self.unit_a], today=TODAY)
        self.assertFalse(terms.due_for_election)
        self.assertEqual(len(terms.ending), 1)

    def test_re_elected_representatives_get_a_new_term_and_keep_their_register(self) -> None:
        start, end = dt.date(2026, 1, 1), dt.date(2029, 12, 31)
        result = representative_terms_renew(
            numbers=["100001", "100003", "999999"], term_start=start, term_end=end, actor=self.staff
        )
        self.assertEqual(result.renewed, ["100001"])
        self.assertEqual(result.not_current, ["100003", "999999"])
        self.register.refresh_from_db()
        new = self.register.representative
        assert new is not None
        self.assertEqual((new.member, new.term_start, new.term_end), (self.rep_member, start, end))
        old = Representative.objects.get(pk=self.representative.pk)
        self.assertEqual(old.ended_on, dt.date(2025, 12, 31))
        self.assertEqual(AuditEvent.objects.filter(action="representative.term_renewed").count(), 1)
        again = representative_terms_renew(
            numbers=["100001"], term_start=start, term_end=end, actor=self.staff
        )
        self.assertEqual((again.renewed, again.already), ([], ["100001"]))
        self.assertEqual(unit_terms_list([self.unit_a], today=TODAY), [])
        with self.assertRaises(ValidationError):
            representative_terms_renew(
                numbers=["100001"], term_start=end, term_end=start, actor=self.staff
            )

    def test_staff_renew_from_an_excel_file_with_a_preview(self) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["ลำดับ", "เลขทะเบียนสมาชิก", "ชื่อ-สกุล"])
        sheet.append([1, "๑๐๐๐๐๑", "นายสมชาย ใจดี"])
        sheet.append([2, 100003, "นายประเสริฐ ทองคำ"])
        data = io.BytesIO()
        book.save(data)
        upload = SimpleUploadedFile("ผลเลือกตั้ง.xlsx", data.getvalue())
        url = "/registers/terms/renew/"
        for refused in (self.rep_user, self.board, self.member_user):
            self.login_as(refused)
            self.assertEqual(self.client.get(url).status_code, 403)
        self.login_as(self.staff)
        dates = {"term_start": "2026-01-01", "term_end": "2029-12-31"}
        page = self.client.post(url, {"file": upload, **dates}).content.decode()
        self.assertIn('data-renewed="1"', page)
        self.assertIn('data-not-current="1"', page)
        self.assertFalse(AuditEvent.objects.filter(action="representative.term_renewed").exists())
        response = self.client.post(url, {"numbers": "100001\n100003", "confirm": "True", **dates})
        self.assertEqual(response.status_code, 302)
        self.register.refresh_from_db()
        self.assertEqual(self.register.representative.term_end, dt.date(2029, 12, 31))  # type: ignore[union-attr]

    def test_the_plan_shows_due_units_and_term_badges(self) -> None:
        self.login_as(self.staff)
        page = self.client.get("/registers/plan/").content.decode()
        self.assertIn('data-due="กพ"', page)
        page = self.client.get(f"/registers/plan/{self.unit_a.code}/").content.decode()
        self.assertIn('data-term="ended"', page)
        page = self.client.get(f"/registers/{self.register.code}/leaders/").content.decode()
        self.assertIn('data-term="ended"', page)
        self.assertIn("/registers/terms/renew/?numbers=100001", page)
        page = self.client.get("/registers/terms/renew/?numbers=๑๐๐๐๐๑").content.decode()
        self.assertRegex(page, r"<textarea[^>]*>\s*100001</textarea>")
        Representative.objects.filter(pk=self.representative.pk).update(
            term_end=timezone.localdate() + dt.timedelta(days=400)
        )
        page = self.client.get(f"/registers/{self.register.code}/leaders/").content.decode()
        self.assertNotIn('data-term="', page)
        self.assertNotIn('data-link="renew-term"', page)

    def test_a_bad_file_gets_a_clear_message_and_changes_nothing(self) -> None:
        self.login_as(self.staff)
        upload = SimpleUploadedFile("x.xlsx", b"not excel")
        response = self.client.post(
            "/registers/terms/renew/",
            {"file": upload, "term_start": "2026-01-01", "term_end": "2029-12-31"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("errorlist", response.content.decode())
        self.assertFalse(AuditEvent.objects.filter(action="representative.term_renewed").exists())

    def test_an_agent_renews_the_representatives_of_their_units_only(self) -> None:
        other = Representative.objects.create(
            member=self.b_member,
            unit=self.unit_b,
            term_start=dt.date(2018, 1, 1),
            term_end=dt.date(2021, 12, 31),
        )
        url = "/registers/terms/renew/"
        dates = {"term_start": "2026-01-01", "term_end": "2029-12-31"}
        self.login_as(self.agent)
        page = self.client.get(url).content.decode()
        self.assertIn('data-scope="own-units"', page)
        # นว's representative is not the agent's: reported like any non-representative.
        page = self.client.post(url, {"numbers": "100001\n200001", **dates}).content.decode()
        self.assertIn('data-renewed="1"', page)
        self.assertIn('data-not-current="1"', page)
        # The renewed are named (and the read logged); the other unit's representative is not.
        self.assertIn("นายสมชาย ใจดี", page)
        self.assertNotIn("วิชัย", page)
        self.assertTrue(
            AuditEvent.objects.filter(
                action="representative.terms_previewed", actor_id=self.agent.pk
            ).exists()
        )
        response = self.client.post(url, {"numbers": "100001\n200001", "confirm": "True", **dates})
        self.assertEqual(response.status_code, 302)
        self.register.refresh_from_db()
        self.assertEqual(self.register.representative.term_end, dt.date(2029, 12, 31))  # type: ignore[union-attr]
        other.refresh_from_db()
        self.assertIsNone(other.ended_on)
        self.assertEqual(other.term_end, dt.date(2021, 12, 31))
        self.assertEqual(
            [
                e.changes["member"]
                for e in AuditEvent.objects.filter(action="representative.term_renewed")
            ],
            ["100001"],
        )

    def test_the_new_term_page_is_linked_exactly_for_those_it_serves(self) -> None:
        """An earlier walk found the new-term page linked for agents but refused to them:
        wherever a persona sees the link (dashboard, plan, leaders page), the page opens for
        them; staff and the unit's agent see it; no one else is linked to it."""
        pages = [
            "/dashboard/",
            "/registers/plan/",
            f"/registers/plan/{self.unit_a.code}/",
            f"/registers/{self.register.code}/leaders/",
        ]
        linked = {}
        for name, user in self.personas().items():
            with self.subTest(persona=name):
                self.login_as(user)
                shown = [
                    url
                    for url in pages
                    if "/registers/terms/renew/" in self.client.get(url).content.decode()
                ]
                status = self.client.get("/registers/terms/renew/").status_code
                linked[name] = bool(shown)
                self.assertEqual(status, 200 if name in ("staff", "agent") else 403, shown)
                if shown:
                    self.assertEqual(status, 200, shown)
        self.assertEqual({k for k, v in linked.items() if v}, {"staff", "agent"})
