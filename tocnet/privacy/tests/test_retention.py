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


class NewerKindsRetentionTestCase(BaseTestCase):
    """Kinds added with the messaging and sign-in work: exactly what is past the period goes."""

    def test_responses_follow_up_links_progress_files_and_idle_authenticators(self) -> None:
        import os
        import tempfile
        import uuid

        from django.test import override_settings
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from tocnet.accounts.models import User
        from tocnet.core.progress import progress_write
        from tocnet.messaging.responses.models import (
            Chase,
            Notice,
            Response,
            ResponseLink,
            Way,
        )
        from tocnet.messaging.tests.response_builders import sent_announcement

        now = timezone.now()
        announcement = sent_announcement([self.in_register, self.b_member])
        old, young = (
            Response.objects.create(
                announcement=announcement,
                member=m,
                way=Way.STAFF_CALL,
                at=now - age,
                text="ข้อความ",
                note="โทรแล้ว",
                source="liff:U1",
            )
            for m, age in ((self.in_register, 366 * DAY), (self.b_member, 364 * DAY))
        )
        chases = [
            Chase.objects.create(
                announcement=announcement,
                member=self.in_register,
                stage=stage,
                created_at=now - age,
            )
            for stage, age in (("representative", 366 * DAY), ("staff", 364 * DAY))
        ]
        notices = [
            Notice.objects.create(
                announcement=announcement,
                stage="reminder",
                channel="sms",
                address=address,
                member=self.in_register,
                created_at=now - age,
            )
            for address, age in (("+66810000002", 366 * DAY), ("+66810000001", 364 * DAY))
        ]
        links = [
            ResponseLink.objects.create(
                key=key,
                announcement=announcement,
                member=self.in_register,
                channel=channel,
                expires_at=now - age,
            )
            for key, channel, age in (("a" * 16, "sms", 31 * DAY), ("b" * 16, "email", 29 * DAY))
        ]
        gone = User.objects.create_user("left", password="x", role=User.Role.AGENT, is_active=False)
        User.objects.filter(pk=gone.pk).update(last_login=now - 31 * DAY)
        recent = User.objects.create_user(
            "away", password="x", role=User.Role.AGENT, is_active=False
        )
        User.objects.filter(pk=recent.pk).update(last_login=now - 29 * DAY)
        for user in (gone, recent, self.agent):
            TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
            StaticDevice.objects.create(user=user, name="codes", confirmed=True)

        with tempfile.TemporaryDirectory() as var, override_settings(VAR_DIR=var):
            old_key, new_key = (f"import-{uuid.uuid4()}" for _i in range(2))
            progress_write(old_key, stage="rows", done=1, total=2)
            progress_write(new_key, stage="rows", done=1, total=2)
            stale = (now - 3 * DAY).timestamp()
            os.utime(os.path.join(var, "progress", f"{old_key}.json"), (stale, stale))
            kinds = [
                "messaging.response_texts",
                "messaging.chase_marks",
                "messaging.notices",
                "messaging.answer_links",
                "core.progress_files",
                "accounts.inactive_second_factors",
            ]
            dry = retention_sweep(dry_run=True, kinds=kinds)
            self.assertEqual(
                dry,
                {
                    "messaging.response_texts": 1,
                    "messaging.chase_marks": 1,
                    "messaging.notices": 1,
                    "messaging.answer_links": 1,
                    "core.progress_files": 1,
                    "accounts.inactive_second_factors": 2,
                },
            )
            self.assertEqual(Chase.objects.count(), 2)
            self.assertEqual(retention_sweep(kinds=kinds), dry)
            self.assertEqual(os.listdir(os.path.join(var, "progress")), [f"{new_key}.json"])

        old.refresh_from_db()
        young.refresh_from_db()
        self.assertEqual((old.text, old.note, old.source), ("", "", ""))
        self.assertEqual((young.text, young.note, young.source), ("ข้อความ", "โทรแล้ว", "liff:U1"))
        self.assertEqual(Response.objects.count(), 2)  # the rows stay: the counts
        self.assertEqual(list(Chase.objects.values_list("pk", flat=True)), [chases[1].pk])
        self.assertEqual(list(Notice.objects.values_list("pk", flat=True)), [notices[1].pk])
        self.assertEqual(list(ResponseLink.objects.values_list("pk", flat=True)), [links[1].pk])
        self.assertEqual(
            set(TOTPDevice.objects.values_list("user__username", flat=True)), {"away", "agent"}
        )
        self.assertEqual(
            set(StaticDevice.objects.values_list("user__username", flat=True)), {"away", "agent"}
        )
        self.assertEqual(retention_sweep(kinds=kinds), dict.fromkeys(kinds, 0))


class RetentionScheduleTestCase(BaseTestCase):
    def test_every_kind_has_a_periodic_job_that_runs_it(self) -> None:
        """The job named for each kind in docs/retention.md is a huey periodic task, and one
        that goes through the registry names the kind."""
        import importlib
        import inspect
        import re
        from pathlib import Path

        from huey.api import PeriodicTask

        doc = (Path(__file__).resolve().parents[3] / "docs/retention.md").read_text("utf-8")
        jobs: dict[str, str] = {}
        for line in doc.splitlines():
            match = re.match(r"\| `([\w.]+)` \|.*\| `(tocnet\.[\w.]+|[\w]+\.tasks\.\w+)`", line)
            if match:
                jobs.setdefault(match.group(1), match.group(2))
        for kind in retention_kinds():
            with self.subTest(kind=kind.name):
                self.assertIn(kind.name, jobs, "name its job in docs/retention.md")
                path = jobs[kind.name]
                path = path if path.startswith("tocnet.") else f"tocnet.{path}"
                module_name, _dot, function = path.rpartition(".")
                task = getattr(importlib.import_module(module_name), function)
                self.assertTrue(issubclass(task.task_class, PeriodicTask), path)
                source = inspect.getsource(task.func)
                if "retention_run" in source:
                    self.assertIn(f'"{kind.name}"', source)
