"""audit_record_many writes the rows audit_record would, in bulk; insert_rows keeps Django's
conversions and per-row defaults."""

from __future__ import annotations

import datetime as dt

from django.test import TestCase

from tocnet.accounts.models import User
from tocnet.core.audit import AuditEntry, audit_record, audit_record_many
from tocnet.core.bulk import insert_rows
from tocnet.core.models import AuditEvent
from tocnet.members.models import Member, Unit


class AuditRecordManyTestCase(TestCase):
    def setUp(self) -> None:
        self.unit = Unit.objects.order_by("pk").first()
        self.member = Member.objects.create(
            number="123", unit=self.unit, first_name="สมชาย", last_name="ใจดี"
        )
        self.user = User.objects.create_user(username="staff", password="x")

    def test_the_same_rows_as_one_by_one(self) -> None:
        changes = {"national_id": {"before": "1", "after": "2"}, "district": "เมือง"}
        one = audit_record(
            actor=self.user, action="member.update", target=self.member, changes=changes
        )
        written = audit_record_many(
            actor=self.user,
            entries=[
                AuditEntry(
                    action="member.update",
                    target_type="members.member",
                    target_id=str(self.member.code),
                    target_repr=str(self.member),
                    changes=changes,
                )
            ],
        )
        self.assertEqual(written, 1)
        many = AuditEvent.objects.exclude(pk=one.pk).get()
        fields = ("kind", "actor_id", "actor_repr", "action", "target_type", "target_id")
        self.assertEqual([getattr(many, f) for f in fields], [getattr(one, f) for f in fields])
        self.assertEqual(many.target_repr, one.target_repr)
        self.assertEqual(many.changes, one.changes)
        self.assertEqual(many.changes["national_id"], "[redacted]")
        self.assertNotEqual(many.code, one.code)
        self.assertIsNotNone(many.created_at)

    def test_a_label_for_an_actor_without_an_account(self) -> None:
        entries = [
            AuditEntry("member.import_create", "members.member", str(n), "x" * 300, {"n": n})
            for n in range(3)
        ]
        audit_record_many(actor="command line: import_members", entries=entries)
        events = list(AuditEvent.objects.order_by("target_id"))
        self.assertEqual([e.actor_repr for e in events], ["command line: import_members"] * 3)
        self.assertEqual({e.actor_id for e in events}, {None})
        self.assertEqual({len(e.target_repr) for e in events}, {200})
        self.assertEqual(len({e.code for e in events}), 3)  # a fresh UUID per row
        self.assertEqual([e.changes for e in events], [{"n": 0}, {"n": 1}, {"n": 2}])


class InsertRowsTestCase(TestCase):
    def test_values_defaults_and_conversions(self) -> None:
        unit = Unit.objects.order_by("pk").first()
        assert unit is not None
        insert_rows(
            Member,
            [
                {
                    "number": "1",
                    "unit_id": unit.pk,
                    "first_name": "ก",
                    "joined_on": dt.date(2021, 6, 15),
                },
                {"number": "2", "unit_id": unit.pk, "first_name": "ข", "email_valid": False},
            ],
        )
        first, second = Member.objects.order_by("number")
        self.assertEqual(first.joined_on, dt.date(2021, 6, 15))
        self.assertIsNone(second.joined_on)
        self.assertEqual((first.last_name, first.status), ("", Member.Status.ACTIVE))
        self.assertTrue(first.email_valid)
        self.assertFalse(second.email_valid)
        self.assertNotEqual(first.code, second.code)
        self.assertEqual(first.created_at, second.created_at)
        self.assertEqual(first.unit, unit)
