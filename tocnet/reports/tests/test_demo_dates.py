"""Issue #14 item 4: the demo runs in the present, whatever day it is built on: a campaign with
its deadline ahead, terms running, two units' terms ending within 90 days and one ended."""

from __future__ import annotations

import datetime as dt
import io

import time_machine
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from tocnet.members.demo import UNITS_TERM_ENDED, UNITS_TERM_ENDING
from tocnet.members.models import Representative, Unit
from tocnet.registers.selectors import unit_terms_list
from tocnet.reports.models import Campaign

BANGKOK = dt.timezone(dt.timedelta(hours=7))


class DemoDatesTestCase(TestCase):
    def test_the_demo_is_current_on_the_day_it_is_built(self) -> None:
        # A day years after the last election (B.E. 2564) and after this code was written.
        with time_machine.travel(dt.datetime(2031, 5, 20, 9, 0, tzinfo=BANGKOK), tick=False):
            call_command("demo", members=1500, seed=5, stdout=io.StringIO())
            today = timezone.localdate()
            campaign = Campaign.objects.get(is_current=True)
            self.assertEqual(campaign.starts_on, today)
            self.assertGreater(campaign.deadline, today)
            reps = Representative.objects.filter(ended_on__isnull=True).select_related("unit")
            self.assertGreater(reps.count(), 20)
            for rep in reps:
                with self.subTest(unit=rep.unit.abbreviation):
                    self.assertLessEqual(rep.term_start, today)
                    if rep.unit.abbreviation in UNITS_TERM_ENDED:
                        self.assertLess(rep.term_end, today)
                    elif rep.unit.abbreviation in UNITS_TERM_ENDING:
                        self.assertLessEqual(rep.term_end, today + dt.timedelta(days=90))
                        self.assertGreaterEqual(rep.term_end, today)
                    else:
                        self.assertGreater(rep.term_end, today + dt.timedelta(days=90))
            flagged = unit_terms_list(Unit.objects.all(), today=today)
            self.assertEqual(
                {t.unit.abbreviation for t in flagged if t.due_for_election}, UNITS_TERM_ENDED
            )
            self.assertEqual(
                {t.unit.abbreviation for t in flagged if not t.due_for_election},
                UNITS_TERM_ENDING,
            )
