"""`tocnet backup` / `tocnet restore`: a backup taken while an import commits restores, into a
new database, exactly the committed state; damaged archives and non-empty databases are refused.

On SQLite the scenario runs on a database file (WAL, as in production) copied from the test
database; on PostgreSQL (DATABASE_URL) on the test database, restored into a database created
for the test and dropped after it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test import TestCase, TransactionTestCase, override_settings

from tocnet.core import backup
from tocnet.core.audit import audit_record
from tocnet.core.models import AuditEvent
from tocnet.members.importing import services as import_services
from tocnet.members.models import ImportJob, Member
from tocnet.members.tests.factories import make_unit
from tocnet.members.tests.import_builders import MEMBER_HEADER, member_row, xlsx_bytes
from tocnet.registers.models import Register

T = TypeVar("T")
WAIT = 60  # seconds; only reached when something is broken


def in_thread(fn: Callable[[], T]) -> T:
    """Run fn on its own thread (its own database connection, closed after)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as error:  # re-raised on the caller's thread
            box["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(WAIT * 3)
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


@contextmanager
def database_named(name: str) -> Iterator[None]:
    """New connections (other threads') open database `name` instead of the test database."""
    settings_dict = connection.settings_dict
    original = settings_dict["NAME"]
    settings_dict["NAME"] = name
    try:
        yield
    finally:
        settings_dict["NAME"] = original


def member_file(numbers: range, unit_name: str) -> bytes:
    rows = [
        member_row(f"{n:06d}", f"สมาชิก{n}", "ทดสอบ", unit=unit_name, phone=None) for n in numbers
    ]
    return xlsx_bytes({"Sheet1": [MEMBER_HEADER, *rows]})


def state() -> dict[str, set[str]]:
    """What the restore must bring back: members, registers, audit events, import jobs."""
    return {
        "members": set(Member.objects.values_list("number", flat=True)),
        "registers": {str(code) for code in Register.objects.values_list("code", flat=True)},
        "audit": {str(code) for code in AuditEvent.objects.values_list("code", flat=True)},
        "jobs": {str(code) for code in ImportJob.objects.values_list("code", flat=True)},
        "actions": set(AuditEvent.objects.values_list("action", flat=True)),
    }


class BackupUnderWriteLoadTestCase(TransactionTestCase):
    serialized_rollback = True

    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.tmp = Path(folder.name)

    @contextmanager
    def live_database(self) -> Iterator[None]:
        """The database the scenario writes to, backs up, then checks."""
        if connection.vendor == "sqlite":
            live = self.tmp / "live.sqlite3"
            connection.ensure_connection()
            copy = sqlite3.connect(live)
            connection.connection.backup(copy)  # migrated schema and seeded rows
            copy.execute("PRAGMA journal_mode=WAL")
            copy.close()
            with database_named(str(live)):
                yield
        else:
            yield  # the test database; TransactionTestCase empties it after

    @contextmanager
    def fresh_database(self) -> Iterator[None]:
        """A new, empty database to restore into (dropped after on PostgreSQL)."""
        if connection.vendor == "sqlite":
            with database_named(str(self.tmp / "restored.sqlite3")):
                yield
            return
        name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            with database_named(name):
                yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def test_it_restores_the_committed_state_of_a_backup_taken_while_an_import_commits(
        self,
    ) -> None:
        live_var = self.tmp / "var-live"
        attachment = live_var / "conversations" / "2026" / "12" / "photo.jpg"
        attachment.parent.mkdir(parents=True)
        attachment.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 40)
        waiting = live_var / "uploads" / "import-waiting.bin"  # an upload not read yet
        waiting.parent.mkdir()
        waiting.write_bytes(b"PK\x03\x04 member list")
        archive = self.tmp / "backups" / "tocnet.tar.gz"
        mid_commit, backup_done, stop_load = threading.Event(), threading.Event(), threading.Event()
        real_finish = import_services._finish
        imports: list[range] = [
            range(100_000, 100_150),
            range(200_000, 200_150),
            range(300_000, 300_150),
        ]
        committed_imports: list[int] = []
        load_committed: list[int] = []
        at_backup: dict[str, set[str]] = {}

        def dump_then_release(dump: Callable[..., None]) -> Callable[..., None]:
            def run(*args: Any) -> None:
                dump(*args)
                backup_done.set()  # the copy is taken: the second import may commit

            return run

        def finish_then_hold(job: ImportJob, plan: Any, actor: Any) -> dict[str, Any]:
            summary = real_finish(job, plan, actor)
            if len(committed_imports) == 1:  # the second import: written, not yet committed
                mid_commit.set()
                backup_done.wait(WAIT)
            return summary

        with override_settings(VAR_DIR=live_var), self.live_database():

            def prepare() -> str:
                unit = make_unit(name="หน่วยสำรองข้อมูล")
                for number in (1, 2, 3):
                    Register.objects.create(
                        unit=unit, number=number, line_group_name=f"ทดสอบ.{number}"
                    )
                audit_record(actor="test", action="test.before", target=unit)
                return unit.name

            unit_name = in_thread(prepare)

            def run_imports() -> None:
                with mock.patch.object(import_services, "_finish", finish_then_hold):
                    for index, numbers in enumerate(imports):
                        outcome = import_services.member_import_file(
                            data=member_file(numbers, unit_name),
                            file_name=f"import-{index}.xlsx",
                            actor="test import",
                        )
                        assert outcome.summary["created"] == len(numbers), outcome.summary
                        committed_imports.append(index)

            def write_load() -> None:
                n = 0
                while not stop_load.is_set():
                    with transaction.atomic():  # as every write of the app (IMMEDIATE on SQLite)
                        audit_record(
                            actor="load", action="test.load", target=None, changes={"n": n}
                        )
                    load_committed.append(n)
                    time.sleep(0.002)  # a busy office, not a lock-starving loop
                    n += 1

            def take_backup() -> None:
                assert mid_commit.wait(WAIT), "the second import never reached its commit"
                try:
                    at_backup.update(state())
                    at_backup["load"] = {str(n) for n in load_committed}
                    with (
                        mock.patch.object(
                            backup, "_sqlite_dump", dump_then_release(backup._sqlite_dump)
                        ),
                        mock.patch.object(backup, "_pg_dump", dump_then_release(backup._pg_dump)),
                    ):
                        backup.backup_create(out=archive, actor="test")
                finally:
                    backup_done.set()

            workers = [
                threading.Thread(target=self._catching(fn))
                for fn in (run_imports, write_load, take_backup)
            ]
            for worker in workers:
                worker.start()
            workers[2].join(WAIT * 2)
            workers[0].join(WAIT * 2)
            stop_load.set()
            workers[1].join(WAIT)
            self.assertEqual([repr(e) + str(getattr(e, "where", "")) for e in self.errors], [])
            self.assertEqual(committed_imports, [0, 1, 2])
            live_after = in_thread(state)

        # The snapshot held the first import only: the second was written but not committed.
        first, second, third = ({f"{n:06d}" for n in numbers} for numbers in imports)
        self.assertTrue(first <= at_backup["members"])
        self.assertFalse(second & at_backup["members"])
        self.assertTrue(first | second | third <= live_after["members"])
        self.assertGreater(len(load_committed), 0)

        with tarfile.open(archive) as written:
            manifest = json.loads(written.extractfile("manifest.json").read())  # type: ignore[union-attr]
        self.assertEqual(manifest["engine"], connection.vendor)
        self.assertEqual(
            [(f["name"], f["sha256"]) for f in manifest["files"]],
            [
                (
                    "var/conversations/2026/12/photo.jpg",
                    hashlib.sha256(attachment.read_bytes()).hexdigest(),
                ),
                (
                    "var/uploads/import-waiting.bin",
                    hashlib.sha256(waiting.read_bytes()).hexdigest(),
                ),
            ],
        )

        restored_var = self.tmp / "var-restored"
        with override_settings(VAR_DIR=restored_var), self.fresh_database():
            result = in_thread(lambda: backup.backup_restore(path=archive))
            restored = in_thread(state)
            load_restored = in_thread(
                lambda: sorted(
                    event.changes["n"] for event in AuditEvent.objects.filter(action="test.load")
                )
            )
            restore_events = in_thread(
                lambda: list(
                    AuditEvent.objects.filter(action__startswith="backup.").values_list(
                        "action", flat=True
                    )
                )
            )
            restore_codes = in_thread(
                lambda: [
                    str(c)
                    for c in AuditEvent.objects.filter(action="backup.restore").values_list(
                        "code", flat=True
                    )
                ]
            )
            extra_actions = in_thread(
                lambda: list(
                    AuditEvent.objects.exclude(code__in=at_backup["audit"]).values_list(
                        "action", flat=True
                    )
                )
            )
        self.assertEqual(result.files, 2)
        self.assertEqual(
            (restored_var / "uploads/import-waiting.bin").read_bytes(), waiting.read_bytes()
        )
        self.assertEqual(
            (restored_var / "conversations/2026/12/photo.jpg").read_bytes(), attachment.read_bytes()
        )
        # Every member and register committed when the backup began, nothing of the second import.
        self.assertEqual(restored["members"], at_backup["members"])
        self.assertEqual(restored["registers"], at_backup["registers"])
        self.assertEqual(len(restored["registers"]), 3)
        self.assertEqual(restored["jobs"], at_backup["jobs"])
        self.assertEqual(len(restored["jobs"]), 1)
        # Every audit event committed by then; the later ones only from the load (in order).
        self.assertTrue(at_backup["audit"] <= restored["audit"])
        self.assertEqual(load_restored, list(range(len(load_restored))))
        self.assertTrue({str(n) for n in load_restored} >= at_backup["load"])
        self.assertLessEqual(set(extra_actions), {"test.load", "backup.restore"})
        self.assertEqual(extra_actions.count("backup.restore"), 1)
        self.assertTrue(restored["audit"] - live_after["audit"] <= set(restore_codes))
        self.assertEqual(restore_events, ["backup.restore"])
        self.assertIn("backup.create", live_after["actions"])

    errors: list[BaseException]

    def _catching(self, fn: Callable[[], None]) -> Callable[[], None]:
        self.errors = getattr(self, "errors", [])

        def run() -> None:
            try:
                fn()
            except BaseException as error:
                import traceback

                error.where = traceback.format_exc()  # type: ignore[attr-defined]
                self.errors.append(error)
            finally:
                connections.close_all()

        return run


def archive_bytes(
    files: dict[str, bytes],
    *,
    manifest: dict[str, Any] | None = None,
    lie: set[str] = frozenset(),  # type: ignore[assignment]
) -> bytes:
    """A hand-made archive; checksums of the names in `lie` are wrong."""
    database_name = backup.DATABASE_MEMBER[connection.vendor]

    def entry(name: str, data: bytes) -> dict[str, Any]:
        digest = hashlib.sha256(data + (b"x" if name in lie else b"")).hexdigest()
        return {"name": name, "size": len(data), "sha256": digest}

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        body = manifest or {
            "format": backup.FORMAT,
            "version": backup.FORMAT_VERSION,
            "engine": connection.vendor,
            "created_at": "2026-12-04T00:00:00+00:00",
            "database": entry(database_name, files[database_name]),
            "files": [entry(name, data) for name, data in files.items() if name.startswith("var/")],
        }
        data = json.dumps(body).encode()
        info = tarfile.TarInfo(backup.MANIFEST)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class RestoreRefusalsTestCase(TestCase):
    def setUp(self) -> None:
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.tmp = Path(folder.name)
        self.database = {backup.DATABASE_MEMBER[connection.vendor]: b"not read before the checks"}

    def restore(self, data: bytes) -> str:
        path = self.tmp / "backup.tar.gz"
        path.write_bytes(data)
        tables = backup.database_tables()
        events = AuditEvent.objects.count()
        with (
            override_settings(VAR_DIR=self.tmp / "var"),
            self.assertRaises(CommandError) as refused,
        ):
            call_command("restore", str(path), stdout=io.StringIO())
        self.assertEqual(backup.database_tables(), tables)
        self.assertEqual(AuditEvent.objects.count(), events)
        self.assertFalse((self.tmp / "var").exists())
        return str(refused.exception)

    def test_it_refuses_a_database_that_is_not_empty_in_thai_and_english(self) -> None:
        message = self.restore(archive_bytes({**self.database, "var/media/a.png": b"png"}))
        self.assertIn("ฐานข้อมูลปลายทางไม่ว่าง", message)
        self.assertIn("The database is not empty", message)

    def test_it_refuses_a_damaged_archive_before_anything_else(self) -> None:
        name = backup.DATABASE_MEMBER[connection.vendor]
        message = self.restore(archive_bytes(self.database, lie={name}))
        self.assertIn("ไม่ตรงกับค่าตรวจสอบ", message)
        self.assertIn("does not match its checksum", message)
        message = self.restore(
            archive_bytes({**self.database, "var/media/a.png": b"png"}, lie={"var/media/a.png"})
        )
        self.assertIn("var/media/a.png", message)

    def test_it_refuses_files_outside_var_and_archives_that_are_not_backups(self) -> None:
        message = self.restore(archive_bytes({**self.database, "var/../../etc/x": b"x"}))
        self.assertIn("outside var/", message)
        message = self.restore(archive_bytes(self.database, manifest={"format": "other"}))
        self.assertIn("is not a TOC-Net backup", message)
        message = self.restore(b"plain text")
        self.assertIn("cannot be read", message)
        whole = archive_bytes({**self.database, "var/media/a.png": os.urandom(50_000)})
        message = self.restore(whole[: len(whole) // 2])  # cut off in the middle
        self.assertIn("อ่านไฟล์ backup.tar.gz ไม่ได้", message)

    def test_it_refuses_a_backup_of_the_other_engine(self) -> None:
        other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
        name = backup.DATABASE_MEMBER[other]
        manifest = {
            "format": backup.FORMAT,
            "version": backup.FORMAT_VERSION,
            "engine": other,
            "database": {"name": name, "size": 1, "sha256": ""},
            "files": [],
        }
        message = self.restore(archive_bytes({**self.database, name: b"x"}, manifest=manifest))
        self.assertIn(f"holds a {other} database", message)


class ScheduledBackupTestCase(TestCase):
    def test_it_is_off_without_a_folder_and_keeps_the_newest(self) -> None:
        with override_settings(BACKUP_DIR=""), mock.patch.object(backup, "backup_create") as create:
            self.assertIsNone(backup.backup_scheduled())
        create.assert_not_called()
        with tempfile.TemporaryDirectory() as folder:
            names = [f"tocnet-backup-2026120{day}T193000Z.tar.gz" for day in range(1, 6)]
            for name in names:
                (Path(folder) / name).write_bytes(b"")
            (Path(folder) / "other.tar.gz").write_bytes(b"")
            deleted = backup.backups_prune(folder=Path(folder), keep=2)
            self.assertEqual([path.name for path in deleted], names[:3])
            self.assertEqual(
                sorted(p.name for p in Path(folder).iterdir()), ["other.tar.gz", *names[3:]]
            )
