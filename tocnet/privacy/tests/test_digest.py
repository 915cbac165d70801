import datetime as dt

import time_machine
from django.contrib.auth.models import Permission
from django.core import mail

from tocnet.accounts.models import User
from tocnet.core.audit import audit_access
from tocnet.privacy.digest import unusual_access_digest, unusual_access_digest_send
from tocnet.testing import BaseTestCase

MONDAY = dt.datetime(2026, 11, 30, 0, 30, tzinfo=dt.UTC)


class DigestTestCase(BaseTestCase):
    def _read(self, user: User, when: dt.datetime, action: str = "member.viewed") -> None:
        with time_machine.travel(when, tick=False):
            audit_access(actor=user, action=action, target=self.in_register)

    def test_it_flags_heavy_readers_and_exports_outside_office_hours(self) -> None:
        # The agent's usual: 20 reads a week for four weeks; this week 120.
        for week in range(1, 5):
            for i in range(20):
                self._read(self.agent, MONDAY - dt.timedelta(weeks=week, days=2, minutes=i))
        for i in range(120):
            self._read(self.agent, MONDAY - dt.timedelta(days=2, minutes=i))
        # Staff read steadily: 100 a week, every week (not unusual for them).
        for week in range(5):
            for i in range(100):
                self._read(self.staff, MONDAY - dt.timedelta(weeks=week, days=3, minutes=i))
        # An export at 22:00 Bangkok on a Wednesday, and one at 10:00.
        self._read(
            self.staff,
            dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC),
            "reports.attachment2_exported",
        )
        self._read(
            self.staff,
            dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC),
            "reports.attachment2_exported",
        )
        digest = unusual_access_digest(now=MONDAY)
        self.assertEqual([(r["who"], r["count"]) for r in digest.heavy], [("agent", 120)])
        self.assertEqual([r["who"] for r in digest.after_hours], ["staff"])
        self.assertEqual(digest.after_hours[0]["when"].hour, 22)

    def test_one_export_of_thousands_counts_as_thousands_of_reads(self) -> None:
        for week in range(1, 5):
            self._read(self.agent, MONDAY - dt.timedelta(weeks=week, days=2))
        with time_machine.travel(MONDAY - dt.timedelta(days=2), tick=False):
            audit_access(
                actor=self.agent,
                action="reports.attachment3_exported",
                target=self.unit_a,
                detail={"format": "xlsx", "members": 4200},
            )
        digest = unusual_access_digest(now=MONDAY)
        self.assertEqual([(r["who"], r["count"]) for r in digest.heavy], [("agent", 4200)])

    def test_it_mails_the_dpo(self) -> None:
        dpo = User.objects.create_user(username="dpo", email="dpo@coop.example", role="staff")
        dpo.user_permissions.add(Permission.objects.get(codename="dpo"))
        with time_machine.travel(MONDAY, tick=False):
            digest = unusual_access_digest_send()
        self.assertTrue(digest.empty)
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("dpo@coop.example", mail.outbox[0].to)
