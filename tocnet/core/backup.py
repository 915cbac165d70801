"""Backups that restore: the database and the var/ files still needed, in one archive.

The archive is a gzipped tar holding

- ``database.sqlite3`` (SQLite's online backup API: one step, so one consistent snapshot while
  other connections keep writing) or ``database.pgdump`` (``pg_dump --format=custom``, which
  reads inside one snapshot as well);
- ``var/<folder>/...``: the files the database points at (conversation attachments,
  announcement images, uploads waiting to be read);
- ``manifest.json`` (last): format, version, engine, creation time, the migrations applied and
  the size and SHA-256 of every other member.

A restore checks every checksum before it touches anything and only writes into an empty
database, so a failed restore leaves the target as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypedDict, cast

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tocnet.core.audit import audit_access, audit_record

FORMAT = "tocnet-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
# Folders of var/ that rows point at: announcement images, conversation attachments, uploaded
# member lists waiting to be read (import jobs "being read"). The rest of var/ is rebuilt or
# disposable: the SQLite database itself (in the archive through the backup API), the huey
# queues, collected static files, backups.
VAR_FOLDERS = ("media", "conversations", "uploads")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore refused or failed; the message is in Thai, then English."""


def _both(message: str, **params: Any) -> str:
    """The message in Thai and in English (the console shows both)."""
    with translation.override("th"):
        thai = _(message) % params
    with translation.override("en"):
        english = _(message) % params
    return thai if thai == english else f"{thai}\n{english}"


class ArchivePart(TypedDict):
    """One member of the archive with its size and SHA-256, checked before it is restored."""

    name: str
    size: int
    sha256: str


class Manifest(TypedDict):
    """manifest.json of a backup archive."""

    format: str
    version: int
    engine: str  # sqlite | postgresql
    created_at: str  # ISO, UTC
    migrations: dict[str, str]  # the last applied migration of each app
    database: ArchivePart
    files: list[ArchivePart]  # the var/ files rows point at


@dataclass
class BackupResult:
    path: Path
    manifest: Manifest


@dataclass
class RestoreResult:
    manifest: Manifest
    files: int = 0
    unapplied_migrations: list[str] = field(default_factory=list)


def _engine(connection: BaseDatabaseWrapper) -> str:
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBER:
        raise BackupError(
            _both("Backups support SQLite and PostgreSQL, not %(vendor)s.", vendor=vendor)
        )
    return vendor


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _applied_migrations(connection: BaseDatabaseWrapper) -> dict[str, str]:
    """The last applied migration of each app (a restore onto older code can say so)."""
    from django.db.migrations.recorder import MigrationRecorder

    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


# --- database dumps ---------------------------------------------------------------------------


def _sqlite_name(connection: BaseDatabaseWrapper) -> str:
    return str(connection.settings_dict["NAME"])


def _sqlite_connect(name: str) -> sqlite3.Connection:
    return sqlite3.connect(name, uri=name.startswith("file:"), timeout=60)


def _sqlite_dump(connection: BaseDatabaseWrapper, target: Path) -> None:
    source = _sqlite_connect(_sqlite_name(connection))
    copy = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, inside one read transaction: a snapshot of
        # what was committed when it began, whatever other connections write meanwhile (WAL
        # lets them go on). Stepwise copies restart whenever another connection writes.
        source.backup(copy, pages=-1)
        (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise BackupError(
                _both("The database copy failed its check: %(detail)s", detail=verdict)
            )
    finally:
        copy.close()
        source.close()


def _pg_command(connection: BaseDatabaseWrapper, program: str) -> tuple[list[str], dict[str, str]]:
    """The program with the connection's host, port, user and database, and its environment."""
    if shutil.which(program) is None:
        raise BackupError(
            _both(
                "%(program)s is not installed: install the PostgreSQL client of the server's "
                "version (apt-get install postgresql-client).",
                program=program,
            )
        )
    options = connection.settings_dict
    args = [program]
    if options.get("HOST"):
        args += ["--host", str(options["HOST"])]
    if options.get("PORT"):
        args += ["--port", str(options["PORT"])]
    if options.get("USER"):
        args += ["--username", str(options["USER"])]
    args += ["--dbname", str(options["NAME"]), "--no-password"]
    env = dict(os.environ)
    if options.get("PASSWORD"):
        env["PGPASSWORD"] = str(options["PASSWORD"])
    sslmode = (options.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip()[-2000:]
        raise BackupError(
            _both("%(program)s failed: %(detail)s", program=Path(args[0]).name, detail=detail)
        )


def _pg_dump(connection: BaseDatabaseWrapper, target: Path) -> None:
    args, env = _pg_command(connection, "pg_dump")
    _run([*args, "--format=custom", "--file", str(target)], env)


# --- writing an archive -----------------------------------------------------------------------


def _var_files() -> Iterator[tuple[str, Path]]:
    """(name in the archive, path) of every file under the var/ folders that rows point at."""
    var_dir = Path(settings.VAR_DIR)
    for folder in VAR_FOLDERS:
        root = var_dir / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield PurePosixPath("var", *path.relative_to(var_dir).parts).as_posix(), path


class _HashingReader:
    """Reads a file for tarfile while hashing exactly the bytes that went into the archive."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _add_file(archive: tarfile.TarFile, name: str, path: Path) -> ArchivePart | None:
    """Add one file; None if it vanished meanwhile (a purge ran)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = int(os.fstat(handle.fileno()).st_mtime)
        info.mode = 0o600
        reader = _HashingReader(handle)
        # tarfile reads exactly `size` bytes; a file that shrank meanwhile raises OSError.
        archive.addfile(info, reader)
    return {"name": name, "size": size, "sha256": reader.digest.hexdigest()}


def backup_create(
    *, out: Path, actor: Any = "system", using: str = DEFAULT_DB_ALIAS
) -> BackupResult:
    """Write one archive (database snapshot, var/ files, manifest) to ``out``, atomically.

    The database is copied first, then the files: every file a row of the snapshot points at
    exists by then (files only come later or are purged much later). The archive carries
    personal data: it is written readable by its owner only. Logged as an access event, which
    the next backup includes.
    """
    connection = connections[using]
    engine = _engine(connection)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    migrations = _applied_migrations(connection)
    connection.close()  # nothing of ours held open across the copy
    partial = out.with_name(f".{out.name}.partial")
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".tocnet-backup-") as work:
        dump = Path(work) / DATABASE_MEMBER[engine]
        if engine == "sqlite":
            _sqlite_dump(connection, dump)
        else:
            _pg_dump(connection, dump)
        database: ArchivePart = {
            "name": dump.name,
            "size": dump.stat().st_size,
            "sha256": _sha256_file(dump),
        }
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
                archive.add(dump, arcname=dump.name)
                files = [
                    entry
                    for name, path in _var_files()
                    if (entry := _add_file(archive, name, path)) is not None
                ]
                manifest: Manifest = {
                    "format": FORMAT,
                    "version": FORMAT_VERSION,
                    "engine": engine,
                    "created_at": timezone.now().isoformat(),
                    "migrations": migrations,
                    "database": database,
                    "files": files,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size = len(data)
                info.mtime = int(timezone.now().timestamp())
                archive.addfile(info, io.BytesIO(data))
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    # After the copy: a write now waits for a running import instead of holding the copy up.
    audit_access(
        actor=actor,
        action="backup.create",
        detail={
            "file": out.name,
            "engine": engine,
            "files": len(files),
            "size": out.stat().st_size,
        },
    )
    return BackupResult(path=out, manifest=manifest)


def backups_prune(*, folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives this module named in ``folder``."""
    archives = sorted(folder.glob("tocnet-backup-*.tar.gz"))
    doomed = archives[: max(len(archives) - keep, 0)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def backup_scheduled(*, now: dt.datetime | None = None) -> BackupResult | None:
    """The periodic backup: an archive in BACKUP_DIR, then keep the newest BACKUP_KEEP.

    None when BACKUP_DIR is unset (backups off).
    """
    if not settings.BACKUP_DIR:
        return None
    folder = Path(settings.BACKUP_DIR)
    stamp = (now or timezone.now()).astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    result = backup_create(out=folder / f"tocnet-backup-{stamp}.tar.gz", actor="scheduled backup")
    backups_prune(folder=folder, keep=max(int(settings.BACKUP_KEEP), 1))
    return result


# --- restoring --------------------------------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and len(path.parts) >= 3
        and path.parts[0] == "var"
        and path.parts[1] in VAR_FOLDERS
    )


def _read_manifest(archive: tarfile.TarFile, name: str) -> Manifest:
    try:
        member = archive.getmember(MANIFEST)
        handle = archive.extractfile(member)
        manifest = json.loads(handle.read()) if handle else None
    except (KeyError, ValueError):
        manifest = None
    except UNREADABLE as error:
        raise _unreadable(name, error) from error
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or not isinstance(manifest.get("database"), dict)
        or not isinstance(manifest.get("files"), list)
    ):
        raise BackupError(_both("%(file)s is not a TOC-Net backup (no manifest).", file=name))
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            _both(
                "%(file)s was written by a backup format this version cannot read (%(version)s).",
                file=name,
                version=manifest.get("version"),
            )
        )
    # Checked above as far as restoring relies on it; each part is checked again as it is read.
    return cast(Manifest, manifest)


def _extract_checked(
    archive: tarfile.TarFile, member_name: str, expected: ArchivePart, target: Path, file: str
) -> None:
    """Copy one member to ``target``, refusing it unless its size and SHA-256 match."""
    try:
        member = archive.getmember(member_name)
    except KeyError:
        member = None
    handle = archive.extractfile(member) if member is not None and member.isfile() else None
    if handle is None:
        raise BackupError(
            _both(
                "%(file)s lacks %(member)s: the archive is incomplete.",
                file=file,
                member=member_name,
            )
        )
    digest = hashlib.sha256()
    size = 0
    with handle, target.open("wb") as out:
        try:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        except UNREADABLE as error:
            raise _unreadable(file, error) from error
    if digest.hexdigest() != expected.get("sha256") or size != expected.get("size"):
        raise BackupError(
            _both(
                "%(file)s: %(member)s does not match its checksum: the archive is damaged; "
                "nothing was restored.",
                file=file,
                member=member_name,
            )
        )


UNREADABLE = (EOFError, zlib.error, tarfile.TarError)


def _unreadable(file: str, error: BaseException) -> BackupError:
    return BackupError(_both("%(file)s cannot be read: %(detail)s", file=file, detail=error))


@contextmanager
def _open_archive(path: Path) -> Iterator[tarfile.TarFile]:
    """The archive open for reading; an unreadable one is a BackupError."""
    try:
        archive = tarfile.open(path, mode="r:*")  # noqa: SIM115 (closed by the with below)
    except (OSError, *UNREADABLE) as error:
        raise _unreadable(path.name, error) from error
    with archive:
        yield archive


def _work_folder() -> Path:
    """Where a restore stages its files: beside var/ (same disk), without creating var/."""
    folder = Path(settings.VAR_DIR)
    while not folder.is_dir():
        folder = folder.parent
    return folder


def database_tables(*, using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The tables of the database (empty for a new one)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return list(connection.introspection.table_names(cursor))


def backup_restore(*, path: Path, using: str = DEFAULT_DB_ALIAS) -> RestoreResult:
    """Restore an archive into the (empty) database and var/ folders; checks everything first.

    Refuses, changing nothing, an archive that is not a TOC-Net backup, is damaged or of the
    other engine, a database that already has tables, and var/ files that exist with other
    contents.
    """
    connection = connections[using]
    engine = _engine(connection)
    name = path.name
    with (
        _open_archive(path) as archive,
        tempfile.TemporaryDirectory(dir=_work_folder(), prefix=".tocnet-restore-") as work,
    ):
        manifest = _read_manifest(archive, name)
        if manifest.get("engine") != engine:
            raise BackupError(
                _both(
                    "%(file)s holds a %(source)s database; this installation uses %(target)s. "
                    "Restore it into a %(source)s database.",
                    file=name,
                    source=manifest.get("engine"),
                    target=engine,
                )
            )
        database_member = DATABASE_MEMBER[engine]
        dump = Path(work) / database_member
        _extract_checked(archive, database_member, manifest["database"], dump, name)
        staged: list[tuple[Path, Path]] = []
        var_dir = Path(settings.VAR_DIR)
        for number, entry in enumerate(manifest["files"]):
            member_name = str(entry.get("name", ""))
            if not _safe_member_name(member_name):
                raise BackupError(
                    _both(
                        "%(file)s names a file outside var/: %(member)s",
                        file=name,
                        member=member_name,
                    )
                )
            staging = Path(work) / f"file-{number}"
            _extract_checked(archive, member_name, entry, staging, name)
            destination = var_dir.joinpath(*PurePosixPath(member_name).parts[1:])
            if destination.exists() and _sha256_file(destination) != entry["sha256"]:
                raise BackupError(
                    _both(
                        "%(path)s already exists with other contents: restore into an empty "
                        "var/ folder (TOCNET_VAR_DIR).",
                        path=destination,
                    )
                )
            staged.append((staging, destination))

        tables = database_tables(using=using)
        if tables:
            raise BackupError(
                _both(
                    "The database is not empty (%(count)s tables): a backup is restored only "
                    "into a new, empty database. Nothing was changed.",
                    count=len(tables),
                )
            )
        connection.close()
        if engine == "sqlite":
            source = sqlite3.connect(dump)
            target = _sqlite_connect(_sqlite_name(connection))
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            args, env = _pg_command(connection, "pg_restore")
            _run(
                [
                    *args,
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    str(dump),
                ],
                env,
            )
        for staging, destination in staged:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staging, destination)

    audit_record(
        actor="command line: restore",
        action="backup.restore",
        target=None,
        changes={"file": name, "created_at": manifest.get("created_at"), "files": len(staged)},
    )
    return RestoreResult(
        manifest=manifest, files=len(staged), unapplied_migrations=_unapplied(connection)
    )


def _unapplied(connection: BaseDatabaseWrapper) -> list[str]:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
