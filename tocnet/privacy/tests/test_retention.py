import datetime as dt
import json
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from tocnet.accounts.models import LoginFailure
from tocnet.core.models import AuditEvent
from tocnet.line.models import GroupMemberSighting, LineGroup
from tocnet.privacy.models import DataRequest
from tocnet.privacy.registry import retention_kinds
from tocnet.privacy.services import data_request_create, data_request_update, retention_sweep
from tocnet.testing import BaseTestCase

DAY = dt.timedelta(days=1)


class RetentionTestCase(BaseTestCase):
    def _age(self, model: type, pk: int, field: str, age: dt.timedelta) -> None:
        model._default_manager.filter(pk=pk).update(**{field: timezone.now() - age})

    def _seed(self) -> dict[str, tuple[int, int]]:
        """For each kind, one row just past its period and one just inside: (old pk, young pk)."""
        seeded = {}
        old, young = (AuditEvent.objects.create(action=f"test.{i}") for i in (1, 2))
        self._age(AuditEvent, old.pk, "created_at", 5 * 365 * DAY + DAY)
        self._age(AuditEvent, young.pk, "created_at", 5 * 365 * DAY - DAY)
        seeded["core.audit_events"] = (old.pk, young.pk)
        old, young = (LoginFailure.objects.create(username=f"u{i}") for i in (1, 2))
        self._age(LoginFailure, old.pk, "created_at", 91 * DAY)
        self._age(LoginFailure, young.pk, "created_at", 89 * DAY)
        seeded["accounts.login_failures"] = (old.pk, young.pk)
        group = LineGroup.objects.create(group_id="C" + "1" * 32, name="สอ.พช.กพ.1")
        now = timezone.now()
        rows = [
            GroupMemberSighting.objects.create(
                group=group,
                line_user_id=f"U{i:032d}",
                in_group=False,
                first_seen_at=now - 400 * DAY,
                last_seen_at=now - left,
                left_at=now - left,
            )
            for i, left in ((1, 181 * DAY), (2, 179 * DAY))
        ]
        # Still in the group, seen long ago: kept (coverage needs it).
        GroupMemberSighting.objects.create(
            group=group,
            line_user_id="U" + "3" * 32,
            first_seen_at=now - 900 * DAY,
            last_seen_at=now - 900 * DAY,
        )
        seeded["line.sightings"] = (rows[0].pk, rows[1].pk)
        requests = []
        for _i in range(2):
            r = data_request_create(
                member=self.b_member,
                kind=DataRequest.Kind.ACCESS,
                via=DataRequest.Via.PAPER,
                received_on=timezone.localdate(),
                details="",
                actor=self.staff,
            )
            data_request_update(
                request=r, state=DataRequest.State.DONE, answer="ส่งแล้ว", actor=self.staff
            )
            requests.append(r)
        self._age(DataRequest, requests[0].pk, "closed_at", 5 * 365 * DAY + DAY)
        self._age(DataRequest, requests[1].pk, "closed_at", 5 * 365 * DAY - DAY)
        seeded["privacy.closed_requests"] = (requests[0].pk, requests[1].pk)
        return seeded

    def test_it_deletes_exactly_what_is_past_its_period(self) -> None:
        seeded = self._seed()
        models = {
            "core.audit_events": AuditEvent,
            "accounts.login_failures": LoginFailure,
            "line.sightings": GroupMemberSighting,
            "privacy.closed_requests": DataRequest,
        }
        dry = retention_sweep(dry_run=True)
        for kind, (old_pk, _young_pk) in seeded.items():
            with self.subTest(kind=kind):
                self.assertEqual(dry[kind], 1)
                self.assertTrue(models[kind].objects.filter(pk=old_pk).exists())
        done = retention_sweep()
        for kind, (old_pk, young_pk) in seeded.items():
            with self.subTest(kind=kind):
                self.assertEqual(done[kind], 1)
                self.assertFalse(models[kind].objects.filter(pk=old_pk).exists())
                self.assertTrue(models[kind].objects.filter(pk=young_pk).exists())
        self.assertEqual(GroupMemberSighting.objects.count(), 2)
        self.assertEqual(retention_sweep(), dict.fromkeys(done, 0))
        self.assertEqual(
            AuditEvent.objects.filter(action="privacy.retention_swept").count(),
            sum(1 for c in done.values() if c),
        )

    def test_the_command_prints_counts_per_kind_as_json(self) -> None:
        self._seed()
        out = StringIO()
        call_command("retention_sweep", "--dry-run", "--json", stdout=out)
        report = json.loads(out.getvalue())
        self.assertTrue(report["dry_run"])
        self.assertEqual(set(report["kinds"]), {k.name for k in retention_kinds()})
        self.assertEqual(report["kinds"]["accounts.login_failures"], 1)
        self.assertEqual(LoginFailure.objects.count(), 2)

    def test_every_kind_in_the_schedule_is_documented(self) -> None:
        from pathlib import Path

        doc = (Path(__file__).resolve().parents[3] / "docs/retention.md").read_text("utf-8")
        for kind in retention_kinds():
            with self.subTest(kind=kind.name):
                self.assertIn(f"`{kind.name}`", doc)
