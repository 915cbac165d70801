"""Vacancies and representatives' terms on the coverage dashboard (issue #14), per role."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from tocnet.members.models import Representative
from tocnet.reports.selectors import coverage_for_user
from tocnet.reports.tests.builders import add_member, add_register
from tocnet.testing import BaseTestCase

URL = "/dashboard/"


def _total(page: str, key: str) -> int:
    found = re.search(rf'data-total="{key}"><div class="num">([\d,]+)<', page)
    assert found is not None, key
    return int(found.group(1).replace(",", ""))


class DashboardTermsTestCase(BaseTestCase):
    """กพ: register 1 led by a term that ended in 2021 (due for election), register 2 vacant
    (its representative resigned). นว: register led by a term ending in 30 days."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        today = timezone.localdate()
        cls.vacant = add_register(cls.unit_a, 2, [add_member(cls.unit_a), add_member(cls.unit_a)])
        Representative.objects.filter(pk=cls.vacant.representative_id).update(
            ended_on=today - dt.timedelta(days=3), end_reason="resigned"
        )
        cls.ending = add_register(cls.unit_b, None, [cls.b_member, add_member(cls.unit_b)])
        Representative.objects.filter(pk=cls.ending.representative_id).update(
            term_start=today - dt.timedelta(days=1000), term_end=today + dt.timedelta(days=30)
        )

    def test_staff_see_badges_totals_and_the_units_for_the_next_election(self) -> None:
        self.login_as(self.staff)
        page = self.client.get(URL, {"registers": "1"}).content.decode()
        totals = {
            k: _total(page, k) for k in ("vacant", "terms_ending", "terms_ended", "units_due")
        }
        self.assertEqual(totals, {"vacant": 1, "terms_ending": 1, "terms_ended": 1, "units_due": 1})
        election = page[page.index('data-section="election"') :]
        election = election[: election.index("</section>")]
        # Due units first, then those whose terms end within 90 days.
        self.assertLess(
            election.index(f'data-due="{self.unit_a.code}"'),
            election.index(f'data-due="{self.unit_b.code}"'),
        )
        self.assertIn(f"/registers/plan/{self.unit_a.code}/", election)
        vacant_row = re.search(rf'<tr data-register="{self.vacant.code}">(.*?)</tr>', page, re.S)
        assert vacant_row is not None
        self.assertIn("ว่าง — ต้องการผู้แทนคนใหม่", vacant_row.group(1))
        led_row = re.search(rf'<tr data-register="{self.register.code}">(.*?)</tr>', page, re.S)
        assert led_row is not None
        self.assertIn('data-badge="term-ended"', led_row.group(1))
        self.assertNotIn('data-badge="vacant"', led_row.group(1))
        unit_row = re.search(rf'<tr data-unit="{self.unit_b.code}">(.*?)</tr>', page, re.S)
        assert unit_row is not None
        self.assertIn('data-badge="term-ending"', unit_row.group(1))

    def test_an_agent_sees_only_their_units(self) -> None:
        self.login_as(self.agent)
        page = self.client.get(URL).content.decode()
        self.assertEqual(_total(page, "vacant"), 1)
        self.assertEqual(_total(page, "terms_ending"), 0)
        self.assertIn(f'data-due="{self.unit_a.code}"', page)
        self.assertNotIn(f'data-due="{self.unit_b.code}"', page)

    def test_the_board_sees_totals_only(self) -> None:
        self.login_as(self.board)
        page = self.client.get(URL).content.decode()
        self.assertEqual(_total(page, "vacant"), 1)
        self.assertEqual(_total(page, "terms_ending"), 1)
        self.assertEqual(_total(page, "units_due"), 1)
        self.assertNotIn('data-section="election"', page)
        self.assertNotIn("data-due=", page)
        self.assertNotIn(self.unit_a.name, page)
        self.assertNotIn("สอ.พช.กพ.2", page)

    def test_a_representative_sees_their_register_without_the_election_list(self) -> None:
        self.login_as(self.rep_user)
        page = self.client.get(URL).content.decode()
        self.assertNotIn('data-section="election"', page)
        self.assertEqual(_total(page, "vacant"), 0)
        self.assertEqual(_total(page, "terms_ended"), 1)

    def test_totals_add_up_from_registers_and_units(self) -> None:
        coverage = coverage_for_user(self.staff)
        self.assertEqual(coverage.total.vacant, sum(r.vacant for r in coverage.registers))
        self.assertEqual(coverage.total.vacant, sum(r.vacant for r in coverage.units))
        self.assertEqual(coverage.total.terms_ended, sum(r.terms_ended for r in coverage.units))
        self.assertEqual(coverage.total.units_due, sum(r.units_due for r in coverage.units))
