"""Import services: check a file against the register, store the preview, commit atomically.

Two phases (house style rule 24): `import_job_validate` parses the file into an ImportJob
waiting for confirmation (nothing else changes); `member_import_commit` /
`representative_import_commit` apply it in one transaction with an AuditEvent per change.
The plan is computed again at commit time, so a preview that went stale (someone edited a
member meanwhile) still commits exactly what the register needs. The command line uses
`member_import_file` / `representative_import_file`: read the file, then plan, record and
write in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.audit import audit_record
from tocnet.core.progress import (
    APPOINTING,
    CHECKING,
    READING,
    WRITING,
    ProgressFn,
    ProgressReporter,
    progress_clear,
)
from tocnet.members.models import ImportJob, Unit

from .normalize import KnownUnit
from .parse import parse_list
from .planning import CREATE as CREATE
from .planning import (
    ImportCounts,
    ImportDetails,
    ImportSummary,
    Plan,
    plan_members,
    plan_representatives,
    summary_counts,
)
from .reasons import ImportFileError
from .retention import PREVIEW_KEPT as PREVIEW_KEPT
from .retention import import_previews_expire as import_previews_expire
from .rows import ParsedFile
from .safety import DEFAULT_MAX_UNCOMPRESSED_BYTES, Limits
from .sealing import SealError, seal_rows, unseal_rows
from .writing import DEFAULT_TERM_YEARS as DEFAULT_TERM_YEARS
from .writing import apply_members, apply_representatives
from .writing import default_term as default_term


class ImportStateError(Exception):
    """The job is not waiting for confirmation (already committed or discarded)."""


class ImportSealError(ImportStateError):
    """The preview's sealed values no longer open (SECRET_KEY changed): upload it again."""


def import_limits() -> Limits:
    """Size limits from settings (IMPORT_MAX_BYTES, IMPORT_MAX_UNCOMPRESSED_BYTES)."""
    return Limits(
        max_bytes=getattr(settings, "IMPORT_MAX_BYTES", 20 * 1024 * 1024),
        max_uncompressed_bytes=getattr(
            settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES
        ),
        max_seconds=getattr(settings, "IMPORT_MAX_SECONDS", 30.0),
    )


def known_units() -> list[KnownUnit]:
    """Every unit as plain data for the parser, keyed by its code."""
    return [
        KnownUnit(
            key=str(unit.code),
            name=unit.name,
            abbreviation=unit.abbreviation,
            kind=unit.kind,
            province=unit.province,
        )
        for unit in Unit.objects.all()
    ]


def import_scope(actor: Any) -> set[int] | None:
    """Unit ids the actor may import into: None = all (staff, command line); agents their own.

    Raises PermissionDenied for anyone else.
    """
    if not isinstance(actor, User):
        return None  # the command line: an operator with shell access
    if roles.is_cooperative_staff(actor):
        return None
    if roles.is_agent(actor):
        return set(actor.unit_links.values_list("unit_id", flat=True))
    raise PermissionDenied


def _parse_file(
    *, kind: str, data: bytes, file_name: str, actor: Any, progress: ProgressFn | None = None
) -> ParsedFile:
    """The parsed file as plain data (reads the units; writes nothing)."""
    scope = import_scope(actor)
    default_unit = None
    if scope is not None and len(scope) == 1:
        default_unit = str(Unit.objects.get(pk=next(iter(scope))).code)
    result = parse_list(
        data,
        file_name,
        kind=kind,
        units=known_units(),
        limits=import_limits(),
        default_unit_key=default_unit,
        on_rows=None if progress is None else lambda n, total: progress(READING, n, total),
    )
    return result.as_dict()


def _plan(
    kind: str,
    parsed: ParsedFile,
    *,
    actor: Any,
    unit_mapping: dict[str, str] | None = None,
    create_units: bool = False,
    progress: ProgressFn | None = None,
) -> Plan:
    scope = import_scope(actor)
    if kind == ImportJob.Kind.MEMBERS:
        plan = plan_members(
            parsed,
            scope=scope,
            unit_mapping=unit_mapping,
            create_units=create_units,
            on_rows=None if progress is None else lambda n, total: progress(CHECKING, n, total),
        )
    else:
        plan = plan_representatives(
            parsed,
            scope=scope,
            unit_mapping=unit_mapping,
            on_rows=None if progress is None else lambda n, total: progress(CHECKING, n, total),
        )
    plan.rows_by_number = {m["number"]: (m["sheet"], m["row"]) for m in parsed["members"]}
    return plan


def _job_unit(actor: Any) -> Unit | None:
    scope = import_scope(actor)
    if scope is not None and len(scope) == 1:
        return Unit.objects.get(pk=next(iter(scope)))
    return None


def import_job_validate(*, kind: str, data: bytes, file_name: str, actor: Any) -> ImportJob:
    """Parse a file into an ImportJob waiting for confirmation; the register is not touched.

    Raises ImportFileError (nothing stored) when the file cannot be read at all. Reading and
    planning run before the transaction: on SQLite it holds the write lock from its start.
    """
    parsed = _parse_file(kind=kind, data=data, file_name=file_name, actor=actor)
    plan = _plan(kind, parsed, actor=actor)
    sha256 = hashlib.sha256(data).hexdigest()
    result = {
        "parsed": seal_rows(parsed),  # national IDs encrypted until the commit
        "preview": plan.details(),
        "summary": plan.summary(),
    }
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            status=ImportJob.Status.PREVIEW,
            file_name=file_name[:255],
            sha256=sha256,
            size=len(data),
            uploaded_by=actor if isinstance(actor, User) else None,
            unit=_job_unit(actor),
            summary=_counts(plan),
            result=result,
        )
        audit_record(
            actor=actor,
            action="import.validate",
            target=job,
            changes={"file_name": file_name, "sha256": sha256, **_counts(plan)},
        )
    return job


def _upload_path(job: ImportJob) -> Path:
    """Where a file waiting to be read is kept (owner-only; removed once read)."""
    return Path(settings.VAR_DIR) / "uploads" / f"import-{job.code}.bin"


def import_job_start(*, kind: str, data: bytes, file_name: str, actor: Any) -> ImportJob:
    """Keep an uploaded file and read it in the background into a preview (``import_job_read``
    on the slow queue, after commit); the job is READING until then. For files too large to
    read while the person waits (IMPORT_INLINE_MAX_BYTES)."""
    from tocnet.members.tasks import import_job_read_task

    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=kind,
            status=ImportJob.Status.READING,
            file_name=file_name[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            uploaded_by=actor if isinstance(actor, User) else None,
            unit=_job_unit(actor),
        )
        path = _upload_path(job)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        transaction.on_commit(lambda: import_job_read_task(job.pk))
    return job


def import_job_read(*, job_id: int) -> ImportJob | None:
    """Read a READING job's file into its preview, as ``import_job_validate`` does in the
    request; a file that cannot be read leaves the job FAILED with the message. Once only."""
    job = ImportJob.objects.select_related("uploaded_by").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.READING:
        return None
    path = _upload_path(job)
    actor = job.uploaded_by
    progress = ProgressReporter(progress_key(job))
    try:
        data = path.read_bytes()
        parsed = _parse_file(
            kind=job.kind, data=data, file_name=job.file_name, actor=actor, progress=progress
        )
        plan = _plan(job.kind, parsed, actor=actor, progress=progress)
    except ImportFileError as error:
        progress_clear(progress.key)
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READING).update(
            status=ImportJob.Status.FAILED, error=error.message()
        )
        path.unlink(missing_ok=True)
        job.refresh_from_db()
        return job
    except FileNotFoundError:
        progress_clear(progress.key)
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READING).update(
            status=ImportJob.Status.FAILED, error=str(_("The file was lost; upload it again."))
        )
        job.refresh_from_db()
        return job
    result = {"parsed": seal_rows(parsed), "preview": plan.details(), "summary": plan.summary()}
    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READING).update(
            status=ImportJob.Status.PREVIEW, summary=_counts(plan), result=result
        )
        if moved:
            audit_record(
                actor=actor,
                action="import.validate",
                target=job,
                changes={"file_name": job.file_name, "sha256": job.sha256, **_counts(plan)},
            )
    path.unlink(missing_ok=True)
    progress_clear(progress.key)
    job.refresh_from_db()
    return job


def progress_key(job: ImportJob) -> str:
    """The key of a job's progress record (tocnet.core.progress)."""
    return f"import-{job.code}"


def import_jobs_sweep(*, now: dt.datetime | None = None) -> int:
    """Fail, with a message, uploads still being read long after any read could last (the
    worker was killed: the reader stops itself after IMPORT_MAX_SECONDS; twice the report
    jobs' limit allows for a queue behind a long report); their files are removed. Lists and
    forms confirmed but still not written go back to their preview with a message. Returns
    how many."""
    now = now or timezone.now()
    limit = dt.timedelta(seconds=2 * max(settings.REPORT_JOB_TIME_LIMIT, 60))
    stale = list(
        ImportJob.objects.filter(status=ImportJob.Status.READING, created_at__lt=now - limit)
    )
    failed = 0
    for job in stale:
        failed += ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READING).update(
            status=ImportJob.Status.FAILED, error=str(_("The file was lost; upload it again."))
        )
        _upload_path(job).unlink(missing_ok=True)
        progress_clear(progress_key(job))
    # Confirmed but never written (the worker died: its transaction left nothing): back to the
    # preview, to be confirmed again.
    for job in ImportJob.objects.filter(
        status=ImportJob.Status.APPLYING, committed_at__lt=now - limit
    ):
        failed += ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.APPLYING).update(
            status=ImportJob.Status.PREVIEW,
            committed_at=None,
            error=thai_and_english(COMMIT_FAILED),
            summary={k: v for k, v in job.summary.items() if k != "commit"},
        )
        progress_clear(progress_key(job))
    return failed


def _counts(plan: Plan) -> ImportCounts:
    """The summary's lists counted: what ImportJob.summary keeps."""
    return summary_counts(plan.summary())


@transaction.atomic
def import_job_discard(*, job: ImportJob, actor: Any) -> None:
    """Drop a preview without importing; the parsed rows are removed from the job."""
    if (
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
            status=ImportJob.Status.DISCARDED, result={}
        )
        != 1
    ):
        raise ImportStateError
    job.refresh_from_db()
    audit_record(actor=actor, action="import.discard", target=job)


def _stored_rows(job: ImportJob) -> ParsedFile:
    """The parsed rows a preview kept, opened again (inside the commit's transaction)."""
    try:
        return unseal_rows(job.result["parsed"])
    except SealError as error:
        raise ImportSealError from error


def _claim(job: ImportJob, from_status: str = ImportJob.Status.PREVIEW) -> None:
    claimed = ImportJob.objects.filter(pk=job.pk, status=from_status).update(
        status=ImportJob.Status.COMMITTED, committed_at=timezone.now(), error=""
    )
    if claimed != 1:
        raise ImportStateError


@transaction.atomic
def member_import_commit(
    *,
    job: ImportJob,
    actor: Any,
    unit_mapping: dict[str, str] | None = None,
    create_units: bool = False,
    progress: ProgressFn | None = None,
    from_status: str = ImportJob.Status.PREVIEW,
) -> ImportSummary:
    """Apply a validated member list in one transaction; returns the issue's JSON summary.

    Creates and updates members (the last row of a number wins), replaces the phones of rows
    that give any, never deletes: members missing from the file are only reported. Unknown
    units follow `unit_mapping` (written name -> unit code or "create"); `create_units`
    creates every one (staff and command line only). Re-importing the same file changes
    nothing. Raises ImportStateError if the job is not waiting for confirmation (``from_status``:
    APPLYING when the slow queue commits it). ``progress`` hears the rows checked, then the
    members written.
    """
    _claim(job, from_status)
    plan = _plan(
        ImportJob.Kind.MEMBERS,
        _stored_rows(job),
        actor=actor,
        unit_mapping=unit_mapping,
        create_units=create_units,
        progress=progress,
    )
    apply_members(
        plan, actor, None if progress is None else lambda n, total: progress(WRITING, n, total)
    )
    return _finish(job, plan, actor)


def _finish(job: ImportJob, plan: Plan, actor: Any) -> ImportSummary:
    summary = plan.summary()
    job.status = ImportJob.Status.COMMITTED
    job.summary = _counts(plan)  # small: the history page lists many jobs
    # The parsed rows served the preview; keep what people look at later, not every value.
    job.result = {"details": plan.details(), "summary": summary}
    job.save(update_fields=["summary", "result"])
    audit_record(
        actor=actor,
        action=f"import.commit_{job.kind}",
        target=job,
        changes={"file_name": job.file_name, "sha256": job.sha256, **_counts(plan)},
    )
    return summary


@transaction.atomic
def representative_import_commit(
    *,
    job: ImportJob,
    actor: Any,
    unit_mapping: dict[str, str] | None = None,
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
    progress: ProgressFn | None = None,
    from_status: str = ImportJob.Status.PREVIEW,
) -> ImportSummary:
    """Apply a validated representatives list in one transaction.

    Each row must name a member of that unit (mismatches are rejected, never guessed). New
    representatives get a Representative row for the term; current representatives of the
    units in the file who are missing from it are ended (kept as history, never deleted).
    ``progress`` hears the rows checked, then the representatives written (as a member
    list's commit does).
    """
    _claim(job, from_status)
    plan = _plan(
        ImportJob.Kind.REPRESENTATIVES,
        _stored_rows(job),
        actor=actor,
        unit_mapping=unit_mapping,
        progress=progress,
    )
    apply_representatives(
        plan,
        actor,
        job=job,
        term_start=term_start,
        term_end=term_end,
        on_rows=None if progress is None else lambda n, total: progress(APPOINTING, n, total),
    )
    return _finish(job, plan, actor)


# --- confirming a large list in the background ------------------------------------------

logger = logging.getLogger(__name__)

COMMIT_FAILED = gettext_lazy(
    "The import failed; nothing was written. Try again; if it fails again, tell the "
    "cooperative's staff."
)
COMMIT_STALE = gettext_lazy("This preview can no longer be confirmed; upload the file again.")
COMMIT_RACE = gettext_lazy("The register changed while importing; nothing was written. Try again.")
COMMIT_NOT_ALLOWED = gettext_lazy("You may no longer import this list; nothing was written.")


def import_commit_in_background(job: ImportJob) -> bool:
    """A list too large to read while the person waited is also written in the background
    (10,700 members: 1.1-6.3 s on the loaded demo machine, bench/README.md)."""
    return job.size > settings.IMPORT_INLINE_MAX_BYTES


def import_job_commit_start(
    *,
    job: ImportJob,
    actor: Any,
    unit_mapping: dict[str, str] | None = None,
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
) -> ImportJob:
    """Confirm a preview for the slow queue to write (``import_job_commit``, after commit):
    the job is APPLYING, with the person's choices kept, until it is written or sent back to
    its preview with a message. Raises ImportStateError unless it waits for confirmation."""
    from tocnet.members.tasks import import_job_commit_task

    choices = {
        "actor": actor.pk if isinstance(actor, User) else None,
        "unit_mapping": unit_mapping or {},
        "term_start": term_start.isoformat() if term_start else None,
        "term_end": term_end.isoformat() if term_end else None,
    }
    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
            status=ImportJob.Status.APPLYING,
            error="",
            committed_at=timezone.now(),  # when confirmed; the sweep times the write from it
            # With the small counts, not the parsed rows: rewriting those took longer than
            # the rest of the request (10,700 rows).
            summary={**job.summary, "commit": choices},
        )
        if moved != 1:
            raise ImportStateError
        audit_record(actor=actor, action="import.commit_requested", target=job)
        transaction.on_commit(lambda: import_job_commit_task(job.pk))
    job.refresh_from_db()
    return job


def import_job_commit(*, job_id: int) -> ImportJob | None:
    """Write an APPLYING job as the person confirmed it, in one transaction, counting its
    progress; on any failure nothing is written and the job returns to its preview with a
    message in Thai and English. Once only (a job no longer APPLYING is left alone)."""
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.APPLYING or job.kind == ImportJob.Kind.FORM:
        return None
    choices = job.summary.get("commit", {})
    actor = User.objects.filter(pk=choices.get("actor")).first()  # who confirmed it
    progress = ProgressReporter(progress_key(job))
    message: Any = None
    try:
        if actor is None or not actor.is_active:
            raise PermissionDenied
        with transaction.atomic():
            if job.kind == ImportJob.Kind.REPRESENTATIVES:
                representative_import_commit(
                    job=job,
                    actor=actor,
                    unit_mapping=choices.get("unit_mapping"),
                    term_start=_date_or_none(choices.get("term_start")),
                    term_end=_date_or_none(choices.get("term_end")),
                    progress=progress,
                    from_status=ImportJob.Status.APPLYING,
                )
            else:
                member_import_commit(
                    job=job,
                    actor=actor,
                    unit_mapping=choices.get("unit_mapping"),
                    progress=progress,
                    from_status=ImportJob.Status.APPLYING,
                )
    except ImportSealError:
        message = COMMIT_STALE
    except ImportStateError:
        return None  # sent back or discarded meanwhile: not this run's to write
    except IntegrityError:
        message = COMMIT_RACE
    except PermissionDenied:
        message = COMMIT_NOT_ALLOWED
    except Exception:  # the job says so; the worker logs it and goes on
        logger.exception("import job %s failed", job.code)
        message = COMMIT_FAILED
    finally:
        progress_clear(progress.key)
    if message is not None:
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.APPLYING).update(
            status=ImportJob.Status.PREVIEW,
            committed_at=None,
            error=thai_and_english(message),
            summary={k: v for k, v in job.summary.items() if k != "commit"},
        )
    job.refresh_from_db()
    return job


def _date_or_none(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def thai_and_english(text: Any) -> str:
    """A (lazy) message as "Thai / English", for a job's page whoever reads it later."""
    texts = []
    for language in ("th", "en"):
        with translation.override(language):
            texts.append(str(text))
    return texts[0] if texts[0] == texts[1] else f"{texts[0]} / {texts[1]}"


@dataclass
class Outcome:
    summary: ImportSummary  # the JSON
    details: ImportDetails  # the same lists with values, for people
    job: ImportJob | None  # None for a dry run


def member_import_file(
    *,
    data: bytes,
    file_name: str,
    actor: Any,
    create_units: bool = False,
    dry_run: bool = False,
) -> Outcome:
    """Check, record and commit a member list in one go (the command line); JSON summary.

    With dry_run nothing is written. Raises ImportFileError, with no change, when the file
    cannot be read at all.
    """
    return _import_file(
        ImportJob.Kind.MEMBERS,
        data=data,
        file_name=file_name,
        actor=actor,
        dry_run=dry_run,
        create_units=create_units,
        apply=lambda plan, job: apply_members(plan, actor),
    )


def _import_file(
    kind: str,
    *,
    data: bytes,
    file_name: str,
    actor: Any,
    dry_run: bool,
    apply: Callable[[Plan, ImportJob], None],
    create_units: bool = False,
) -> Outcome:
    """Read a file, then plan, record (ImportJob) and `apply` in one transaction."""
    parsed = _parse_file(kind=kind, data=data, file_name=file_name, actor=actor)
    if dry_run:
        plan = _plan(kind, parsed, actor=actor, create_units=create_units)
        return Outcome(summary=plan.summary(), details=plan.details(), job=None)
    # The slow part (reading the file) ran outside; plan and writes share one transaction.
    with transaction.atomic():
        plan = _plan(kind, parsed, actor=actor, create_units=create_units)
        job = _job_record(kind, data, file_name, actor)
        apply(plan, job)
        summary = _finish(job, plan, actor)
    return Outcome(summary=summary, details=job.result["details"], job=job)


def _job_record(kind: str, data: bytes, file_name: str, actor: Any) -> ImportJob:
    """An ImportJob for a file checked and committed in one go (the command line)."""
    return ImportJob.objects.create(
        kind=kind,
        status=ImportJob.Status.COMMITTED,
        committed_at=timezone.now(),
        file_name=file_name[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        uploaded_by=actor if isinstance(actor, User) else None,
        unit=_job_unit(actor),
    )


def representative_import_file(
    *,
    data: bytes,
    file_name: str,
    actor: Any,
    dry_run: bool = False,
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
) -> Outcome:
    """Check, record and commit a representatives list in one go; JSON summary."""
    return _import_file(
        ImportJob.Kind.REPRESENTATIVES,
        data=data,
        file_name=file_name,
        actor=actor,
        dry_run=dry_run,
        apply=lambda plan, job: apply_representatives(
            plan, actor, job=job, term_start=term_start, term_end=term_end
        ),
    )
