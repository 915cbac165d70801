"""Writes of the reports app: unit submissions for the campaign, big exports as tasks."""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.audit import audit_access, audit_record
from tocnet.core.thai import be_year
from tocnet.members.models import Unit, UnitAgent
from tocnet.registers.selectors import register_list_for_user
from tocnet.reports.models import Campaign, ReportJob, UnitSubmission
from tocnet.reports.selectors import (
    CoverageRow,
    unit_completeness_problems,
    unit_completeness_warnings,
    unit_coverage,
)

PROBLEM_MESSAGES = {
    "no_registers": _("The unit has no registers yet."),
    "registers_without_representative": _("Vacant registers — need a new representative"),
    "invalid_group_names": _("Some registers have no valid LINE group name."),
    "members_not_in_register": _("Some members are not on any register."),
    "members_unreachable_without_reason": _(
        "Some members cannot be reached and have no reason recorded."
    ),
}


def completeness_messages(row: CoverageRow, *, warnings: bool = False) -> list[str]:
    """What stops a unit's submission (or, with ``warnings``, what is worth fixing), with
    counts, in the active language."""
    counts = {
        "no_registers": 0,
        "registers_without_representative": row.registers - row.representatives,
        "invalid_group_names": row.registers - row.valid_names,
        "members_not_in_register": row.not_in_register,
        "members_unreachable_without_reason": row.unaccounted,
    }
    codes = unit_completeness_warnings(row) if warnings else unit_completeness_problems(row)
    out = []
    for problem in codes:
        text = str(PROBLEM_MESSAGES[problem])
        if counts.get(problem):
            text = f"{text} ({counts[problem]:,})"
        out.append(text)
    return out


class SubmissionError(Exception):
    """A submission that is not allowed or not complete; ``problems`` holds the reasons."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems

    @property
    def messages(self) -> list[str]:
        return [str(PROBLEM_MESSAGES.get(p, p)) for p in self.problems]


def submitter_role(*, unit: Unit, user: User) -> str | None:
    """The role in which this user reports for the unit, or None if they may not."""
    if roles.is_cooperative_staff(user):
        return UnitSubmission.SubmitterRole.MANAGEMENT
    if roles.is_agent(user):
        link = UnitAgent.objects.filter(unit=unit, user=user).first()
        if link is None:
            return None
        if link.role == UnitAgent.Role.ASSISTANT:
            return UnitSubmission.SubmitterRole.ASSISTANT
        return UnitSubmission.SubmitterRole.AGENT
    if roles.is_representative(user) and register_list_for_user(user).filter(unit=unit).exists():
        return UnitSubmission.SubmitterRole.REPRESENTATIVE
    return None


@transaction.atomic
def unit_submission_start(*, campaign: Campaign, unit: Unit, actor: User | None) -> UnitSubmission:
    """Mark the unit's submission in progress if it had not started. Idempotent."""
    submission, _created = UnitSubmission.objects.get_or_create(campaign=campaign, unit=unit)
    started = UnitSubmission.objects.filter(
        pk=submission.pk, status=UnitSubmission.Status.NOT_STARTED
    ).update(status=UnitSubmission.Status.IN_PROGRESS, updated_at=timezone.now())
    if started:
        audit_record(
            actor=actor,
            action="submission.started",
            target=unit,
            changes={"campaign": campaign.name, "status": UnitSubmission.Status.IN_PROGRESS},
        )
        submission.refresh_from_db()
    return submission


@transaction.atomic
def unit_submission_submit(*, campaign: Campaign, unit: Unit, actor: User) -> UnitSubmission:
    """Submit the unit's attachment 3: allowed roles only, complete units only; audited.

    Raises SubmissionError(["not_allowed"]) or SubmissionError(<completeness problems>).
    """
    role = submitter_role(unit=unit, user=actor)
    if role is None:
        raise SubmissionError(["not_allowed"])
    problems = unit_completeness_problems(unit_coverage(unit))
    if problems:
        raise SubmissionError(problems)
    submission, _created = UnitSubmission.objects.get_or_create(campaign=campaign, unit=unit)
    before = submission.status
    submission.status = UnitSubmission.Status.SUBMITTED
    submission.submitted_by = actor
    submission.submitted_role = role
    submission.submitted_at = timezone.now()
    submission.full_clean()
    submission.save()
    audit_record(
        actor=actor,
        action="submission.submitted",
        target=unit,
        changes={
            "campaign": campaign.name,
            "status": {"before": before, "after": submission.status},
            "role": role,
            "late": submission.is_late,
        },
    )
    return submission


# --- big exports as tasks -----------------------------------------------------------------


@transaction.atomic
def report_job_request(*, actor: User, kind: str, unit: Unit | None = None) -> ReportJob:
    """Record a big export for a task to build; enqueued after commit.

    The zips of every unit: staff and agents. One unit's PDF (``unit``): anyone who may export
    that unit's attachment 3 (a representative gets their own registers); asking again for the
    same unit while a job is waiting, running or ready (and fresh) returns that job. One unit's
    .xlsx (``UNIT_XLSX``, a large unit): the same, but a finished file is not handed out again.
    """
    from tocnet.reports.forms_io.export import exportable_units
    from tocnet.reports.tasks import report_job_run_task

    if kind in UNIT_KINDS:
        if unit is None or not exportable_units(actor).filter(pk=unit.pk).exists():
            raise PermissionDenied
        reused = [ReportJob.Status.PENDING, ReportJob.Status.RUNNING]
        if kind == ReportJob.Kind.UNIT_PDF:
            # A PDF is read, not returned: a fresh one is as good as a new one. A form to fill
            # in (.xlsx) carries the time it was made, so a finished one is not handed out again.
            reused.append(ReportJob.Status.DONE)
        recent = (
            ReportJob.objects.filter(
                kind=kind,
                requested_by=actor,
                unit_codes=[str(unit.code)],
                status__in=reused,
                created_at__gt=timezone.now() - UNIT_PDF_REUSE,
            )
            .defer("content")
            .first()
        )
        if recent is not None:
            return recent
        job = ReportJob.objects.create(
            kind=kind, requested_by=actor, unit_codes=[str(unit.code)], units=1
        )
    else:
        if not roles.can_manage_forms(actor):
            raise PermissionDenied
        job = ReportJob.objects.create(kind=kind, requested_by=actor)
    transaction.on_commit(lambda: report_job_run_task(job.pk))
    return job


# A unit's PDF asked for again within this time is the same job (no duplicate builds).
UNIT_PDF_REUSE = dt.timedelta(minutes=10)
# Jobs that build one unit's attachment 3, and the format of each.
UNIT_KINDS = {ReportJob.Kind.UNIT_PDF: "pdf", ReportJob.Kind.UNIT_XLSX: "xlsx"}


REPORT_JOB_KEEP = dt.timedelta(days=7)


def report_job_expired(job: ReportJob, *, now: dt.datetime | None = None) -> bool:
    """True when the job's file is past REPORT_JOB_KEEP (counted from when it was asked for)."""
    return job.created_at <= (now or timezone.now()) - REPORT_JOB_KEEP


def report_job_expire(*, now: dt.datetime | None = None) -> int:
    """Empty the files of jobs older than REPORT_JOB_KEEP; returns how many. Idempotent."""
    cutoff = (now or timezone.now()) - REPORT_JOB_KEEP
    return ReportJob.objects.filter(
        created_at__lte=cutoff,
        status__in=[ReportJob.Status.DONE, ReportJob.Status.FAILED, ReportJob.Status.PENDING],
    ).update(status=ReportJob.Status.EXPIRED, content=b"", size=0)


def report_job_run(*, job_id: int) -> ReportJob | None:
    """Build a pending job's file (claimed once; a second run is a no-op). Logs the access."""
    from tocnet.reports.forms_io.export import exportable_units, forms_zip

    claimed = ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.PENDING).update(
        status=ReportJob.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    job = ReportJob.objects.select_related("requested_by").get(pk=job_id)
    user = job.requested_by
    if job.kind in UNIT_KINDS:
        return _unit_file_run(job)
    try:
        if user is None or not user.is_active:
            raise PermissionDenied
        units = list(exportable_units(user).order_by("name"))
        ReportJob.objects.filter(pk=job_id).update(units=len(units), progress=0)
        fmt = "xlsx" if job.kind == ReportJob.Kind.FORMS_XLSX_ZIP else "pdf"

        def advance(done: int) -> None:
            ReportJob.objects.filter(pk=job_id).update(progress=done)

        shown: set[int] = set()
        content = forms_zip(units=units, user=user, fmt=fmt, on_unit=advance, shown=shown)
    except Exception as exc:  # the row records the failure; the worker keeps running
        ReportJob.objects.filter(pk=job_id).update(
            status=ReportJob.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:500],
            finished_at=timezone.now(),
        )
        raise
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    with transaction.atomic():
        ReportJob.objects.filter(pk=job_id).update(
            status=ReportJob.Status.DONE,
            content=content,
            size=len(content),
            units=len(units),
            progress=len(units),
            unit_codes=[str(u.code) for u in units],
            file_name=f"tocnet-attachment3-{fmt}-{stamp}.zip",
            finished_at=timezone.now(),
        )
        audit_access(
            actor=user,
            action=f"reports.forms_{fmt}_zip_built",
            detail={"units": len(units), "bytes": len(content), "job": str(job.code)},
            members=shown,
        )
    job.refresh_from_db()
    return job


def _unit_file_run(job: ReportJob) -> ReportJob:
    """Build one unit's attachment 3 (PDF or .xlsx) for the person who asked (their scope,
    now)."""
    from tocnet.reports.forms_io.export import attachment3_file, exportable_units, form_file_name

    user = job.requested_by
    try:
        unit = exportable_units(user).get(code=job.unit_codes[0]) if user else None
        if user is None or not user.is_active or unit is None:
            raise PermissionDenied
        fmt = UNIT_KINDS[ReportJob.Kind(job.kind)]
        content, form = attachment3_file(unit=unit, user=user, fmt=fmt)
    except Exception as exc:  # the row records the failure; the worker keeps running
        ReportJob.objects.filter(pk=job.pk).update(
            status=ReportJob.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:500],
            finished_at=timezone.now(),
        )
        raise
    with transaction.atomic():
        ReportJob.objects.filter(pk=job.pk).update(
            status=ReportJob.Status.DONE,
            content=content,
            size=len(content),
            units=1,
            progress=1,
            file_name=form_file_name(unit, "attachment3", fmt),
            finished_at=timezone.now(),
        )
        audit_access(
            actor=user,
            action="reports.attachment3_exported",
            target=unit,
            detail={
                "format": fmt,
                "members": form.member_count,
                "sections": len(form.sections),
                "job": str(job.code),
            },
            members=form.member_pks,
        )
    job.refresh_from_db()
    return job


@transaction.atomic
def campaign_current_set(
    *, starts_on: dt.date, deadline: dt.date, ends_on: dt.date, actor: object = None
) -> Campaign:
    """Make a campaign starting ``starts_on`` the current one (named by its Buddhist-era
    year); the previous current campaign stays as history. Idempotent per start date."""
    if not starts_on <= deadline <= ends_on:
        raise ValueError("starts_on <= deadline <= ends_on")
    name = f"TOC-Net {be_year(starts_on)}"
    existing = Campaign.objects.filter(is_current=True).first()
    if existing is not None and existing.starts_on == starts_on:
        Campaign.objects.filter(pk=existing.pk).update(deadline=deadline, ends_on=ends_on)
        existing.refresh_from_db()
        return existing
    Campaign.objects.filter(is_current=True).update(is_current=False)
    campaign = Campaign(
        name=name, starts_on=starts_on, ends_on=ends_on, deadline=deadline, is_current=True
    )
    campaign.full_clean()
    campaign.save()
    audit_record(
        actor=actor,
        action="campaign.started",
        target=campaign,
        changes={"starts_on": str(starts_on), "deadline": str(deadline)},
    )
    return campaign


REPORT_JOB_MAX_ATTEMPTS = 2


def report_jobs_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Jobs whose worker died: RUNNING past REPORT_JOB_TIME_LIMIT seconds, or PENDING that
    long (a lost enqueue). Retried once (back to PENDING, enqueued on the slow queue after
    commit), then FAILED with a message. Idempotent; returns the counts."""
    from tocnet.reports.tasks import report_job_run_task

    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.REPORT_JOB_TIME_LIMIT)
    retried = failed = 0
    stale = ReportJob.objects.filter(
        Q(status=ReportJob.Status.RUNNING, started_at__lt=cutoff)
        | Q(status=ReportJob.Status.PENDING, created_at__lt=cutoff, started_at__isnull=True)
        | Q(status=ReportJob.Status.PENDING, started_at__lt=cutoff)
    )
    for job in stale:
        with transaction.atomic():
            if job.attempts < REPORT_JOB_MAX_ATTEMPTS:
                moved = ReportJob.objects.filter(pk=job.pk, status=job.status).update(
                    status=ReportJob.Status.PENDING, started_at=now, progress=0
                )
                if moved:
                    retried += 1
                    transaction.on_commit(functools.partial(report_job_run_task, job.pk))
            else:
                moved = ReportJob.objects.filter(pk=job.pk, status=job.status).update(
                    status=ReportJob.Status.FAILED,
                    error=str(_("The export did not finish in time. Ask for it again.")),
                    finished_at=now,
                )
                failed += moved
    return {"retried": retried, "failed": failed}
