"""Forms back in: a unit's filled attachment 3 (.xlsx) read, previewed, then applied.

Phase 1, :func:`form_upload_preview`: the file is checked, every sheet and row read, and
compared with the system into an ImportJob (kind "form") -- nothing changes yet.
Phase 2, :func:`form_upload_apply`: in one transaction, contacts ("uses LINE", mobile,
e-mail), "in the group", remarks and the register's LINE group name are applied with
AuditEvents.  A value that differs from the system where the system changed that field after
the form was exported is a *conflict*: it is shown and applied only when the person ticks it.
Numbers that are not members of the unit (or, for a representative, of the registers they
lead) are all reported alike, from the file's values only, so an upload never tells who else a
number belongs to; unreadable values are reported too.  The whole form as read is kept in the
ImportJob, so nothing on it is lost.  The export stamp (unit and time) is signed: a changed or
unsigned stamp is refused, and a time in the future counts as the upload time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any, TypedDict, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.audit import audit_record
from tocnet.core.progress import APPLYING, ProgressFn, ProgressReporter, progress_clear
from tocnet.members.models import ImportJob, Member, Unit
from tocnet.members.services import ContactChange, member_contact_update
from tocnet.registers.services import register_line_group_name_set
from tocnet.reports.forms_io import layout as L
from tocnet.reports.forms_io.comparing import Plan, RegisterChange, RowPlan, plan_form
from tocnet.reports.forms_io.reading import (
    Change,
    FormRead,
    FormRowRead,
    FormUploadError,
    Problem,
    ProblemParams,
    SheetRead,
    read_form,
)
from tocnet.reports.models import MemberFormReport
from tocnet.reports.selectors import current_campaign
from tocnet.reports.services import submitter_role, unit_submission_start

# --- the two phases -----------------------------------------------------------------------


class ProblemJSON(TypedDict):
    code: str
    params: ProblemParams


class PlanJSON(TypedDict):
    """A preview's plan as ImportJob.summary stores it (rows as their dataclass fields)."""

    rows: list[dict[str, object]]
    register_changes: list[RegisterChange]
    problems: list[ProblemJSON]


class FormRowJSON(TypedDict):
    sheet: str
    row: int
    number: str
    name: str
    mobile: str
    email: str
    uses_line: bool | None
    in_group: bool | None
    note: str


class SheetJSON(TypedDict):
    title: str
    register_code: str
    group_name: str
    rows: list[FormRowJSON]


class FormJSON(TypedDict):
    """What the form said, as ImportJob.summary stores it for the apply step."""

    unit_code: str
    exported_at: str  # ISO
    sheets: list[SheetJSON]


def _plan_json(plan: Plan) -> PlanJSON:
    return {
        "rows": [asdict(r) for r in plan.rows],
        "register_changes": plan.register_changes,
        "problems": [{"code": p.code, "params": p.params} for p in plan.problems],
    }


def _form_json(form: FormRead) -> FormJSON:
    return {
        "unit_code": form.unit_code,
        "exported_at": form.exported_at.isoformat(),
        # asdict gives exactly these TypedDicts' keys (the dataclasses' fields).
        "sheets": [cast(SheetJSON, asdict(s)) for s in form.sheets],
    }


def _form_from_json(data: FormJSON) -> FormRead:
    sheets = []
    for s in data["sheets"]:
        sheets.append(
            SheetRead(
                title=s["title"],
                register_code=s["register_code"],
                group_name=s["group_name"],
                rows=[FormRowRead(**r) for r in s["rows"]],
            )
        )
    return FormRead(
        unit_code=data["unit_code"],
        exported_at=dt.datetime.fromisoformat(data["exported_at"]),
        sheets=sheets,
    )


def form_upload_preview(*, unit: Unit, actor: User, data: bytes, file_name: str) -> ImportJob:
    """Read and compare an uploaded attachment 3 into a preview ImportJob; nothing applied.

    Raises FormUploadError when the user may not upload for the unit or the file is unusable.
    """
    if submitter_role(unit=unit, user=actor) is None:
        raise FormUploadError("not_allowed")
    form, problems = read_form(data, file_name)
    if form.unit_code != str(unit.code):
        other = (
            Unit.objects.filter(code=form.unit_code).values_list("abbreviation", flat=True).first()
        )
        raise FormUploadError("other_unit", abbreviation=other or "?")
    plan = plan_form(unit=unit, actor=actor, form=form)
    plan.problems[:0] = problems
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=ImportJob.Kind.FORM,
            status=ImportJob.Status.PREVIEW,
            file_name=file_name[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            uploaded_by=actor,
            unit=unit,
            summary={"form": _form_json(form), "plan": _plan_json(plan)},
        )
        campaign = current_campaign()
        if campaign is not None:
            unit_submission_start(campaign=campaign, unit=unit, actor=actor)
    return job


def job_plan(job: ImportJob) -> Plan:
    """The plan stored with a preview job, as objects for the template."""
    data = job.summary.get("plan", {})
    rows = []
    for r in data.get("rows", []):
        r = dict(r)
        r["changes"] = [Change(**c) for c in r.get("changes", [])]
        r["reported"] = [Change(**c) for c in r.get("reported", [])]
        rows.append(RowPlan(**r))
    return Plan(
        rows=rows,
        register_changes=list(data.get("register_changes", [])),
        problems=[Problem(p["code"], p["params"]) for p in data.get("problems", [])],
    )


@transaction.atomic
def form_upload_apply(
    *,
    job: ImportJob,
    actor: User,
    accept_conflicts: Iterable[str] = (),
    progress: ProgressFn | None = None,
    from_status: str = ImportJob.Status.PREVIEW,
) -> ImportJob:
    """Apply a previewed form: re-compared now, conflicts only where accepted; all or nothing.

    Idempotent: a committed job is returned unchanged. ``from_status`` is APPLYING when the
    slow queue applies it; ``progress`` hears the rows written.
    """
    claimed = ImportJob.objects.filter(pk=job.pk, status=from_status).update(
        status=ImportJob.Status.COMMITTED, committed_at=timezone.now(), error=""
    )
    job.refresh_from_db()
    if not claimed:
        return job
    unit = job.unit
    assert unit is not None
    if submitter_role(unit=unit, user=actor) is None:
        raise FormUploadError("not_allowed")
    plan = plan_form(unit=unit, actor=actor, form=_form_from_json(job.summary["form"]))
    accepted = set(accept_conflicts)
    applied, kept = _apply_member_rows(plan, accepted, job=job, actor=actor, progress=progress)
    register_applied, register_kept = _apply_register_changes(plan, accepted, actor=actor)
    applied += register_applied
    kept += register_kept
    job.result = {
        "applied": applied,
        "conflicts_kept": kept,
        "problems": [{"code": p.code, "params": p.params} for p in plan.problems],
        "unknown_members": [
            r.number for r in plan.rows if r.status in ("not_in_unit", "out_of_scope")
        ],
    }
    job.save(update_fields=["result"])
    audit_record(
        actor=actor,
        action="form.applied",
        target=unit,
        changes={"job": str(job.code), "applied": len(applied), "conflicts_kept": len(kept)},
    )
    return job


# --- applying a large form in the background ----------------------------------------------

logger = logging.getLogger(__name__)

APPLY_FAILED = gettext_lazy(
    "The form could not be applied; nothing was changed. Try again; if it fails again, tell "
    "the cooperative's staff."
)


def form_apply_in_background(job: ImportJob) -> bool:
    """A form with more rows than FORM_APPLY_INLINE_MAX_ROWS is applied by the slow queue (the
    largest demo unit's 565 rows took 0.65-7.2 s on the loaded machine, bench/README.md)."""
    rows = len(job.summary.get("plan", {}).get("rows", []))
    return rows > settings.FORM_APPLY_INLINE_MAX_ROWS


def form_upload_apply_start(
    *, job: ImportJob, actor: User, accept_conflicts: Iterable[str] = ()
) -> ImportJob:
    """Confirm a previewed form for the slow queue to apply (``form_upload_apply_job``, after
    commit): APPLYING, with the ticked conflicts and who confirmed, until it is applied or sent
    back to its preview with a message. FormUploadError if not allowed; a form no longer
    waiting is returned unchanged."""
    from tocnet.reports.tasks import form_upload_apply_task

    unit = job.unit
    if unit is None or submitter_role(unit=unit, user=actor) is None:
        raise FormUploadError("not_allowed")
    choices = {"actor": actor.pk, "accept": sorted(set(accept_conflicts))}
    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
            status=ImportJob.Status.APPLYING,
            error="",
            committed_at=timezone.now(),
            result={"commit": choices},
        )
        if moved:
            transaction.on_commit(lambda: form_upload_apply_task(job.pk))
    job.refresh_from_db()
    return job


def form_upload_apply_job(*, job_id: int) -> ImportJob | None:
    """Apply an APPLYING form as confirmed, in one transaction, counting rows; on a failure
    nothing changes and the form returns to its preview with a message (Thai / English)."""
    from tocnet.members.importing.services import progress_key

    job = ImportJob.objects.select_related("unit").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.APPLYING or job.kind != ImportJob.Kind.FORM:
        return None
    choices = job.result.get("commit", {})
    actor = User.objects.filter(pk=choices.get("actor"), is_active=True).first()
    progress = ProgressReporter(progress_key(job))
    message = ""
    try:
        if actor is None:
            raise FormUploadError("not_allowed")
        form_upload_apply(
            job=job,
            actor=actor,
            accept_conflicts=choices.get("accept", []),
            progress=progress,
            from_status=ImportJob.Status.APPLYING,
        )
    except FormUploadError as exc:
        message = in_thai_and_english(exc.message)
    except Exception:  # the page says so; the worker logs it and goes on
        logger.exception("form job %s failed", job.code)
        message = in_thai_and_english(lambda: str(APPLY_FAILED))
    finally:
        progress_clear(progress.key)
    if message:
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.APPLYING).update(
            status=ImportJob.Status.PREVIEW, committed_at=None, result={}, error=message
        )
    job.refresh_from_db()
    return job


def _apply_member_rows(
    plan: Plan,
    accepted: set[str],
    *,
    job: ImportJob,
    actor: User,
    progress: ProgressFn | None = None,
) -> tuple[list[str], list[str]]:
    """Each sound row's contact changes (conflicts only where accepted) and its reported
    LINE state; (keys applied, conflicting keys kept as they are)."""
    applied: list[str] = []
    kept: list[str] = []
    now = timezone.now()
    members = {
        m.pk: m
        for m in Member.objects.filter(
            pk__in=[r.member_id for r in plan.rows if r.member_id and r.status == "ok"]
        ).prefetch_related("phones")
    }
    for index, row in enumerate(plan.rows, start=1):
        if progress is not None:
            progress(APPLYING, index, len(plan.rows))
        if row.status != "ok" or row.member_id is None:
            continue
        member = members[row.member_id]
        take = {c.field: c for c in row.changes if not c.conflict or c.key in accepted}
        kept += [c.key for c in row.changes if c.conflict and c.key not in accepted]
        if take:
            _apply_contact(member, row, take, actor=actor)
            applied += [c.key for c in take.values()]
        if row.in_group is not None or row.uses_line is not None or row.note:
            _record_report(member, row, job=job, actor=actor, now=now)
    return applied, kept


def _apply_contact(member: Member, row: RowPlan, take: dict[str, Change], *, actor: User) -> None:
    """The member's contact details with the form's values for the fields taken."""
    if "phones" in take:
        # The cell replaces exactly the phones it showed; the others are kept.
        shown = {p.pk for p in L.form_phones(member)}
        kept_phones = [p.raw for p in member.phones.all() if p.pk not in shown]
        phones = [row.form_phones, *kept_phones]
    else:
        phones = [p.raw for p in member.phones.all()]
    email = take["email"].form if "email" in take else member.email
    no_line = take["no_line"].form if "no_line" in take else member.no_line
    reason = (
        take["unreachable_reason"].form
        if "unreachable_reason" in take
        else member.unreachable_reason
    )
    member_contact_update(
        member=member,
        actor=actor,
        change=ContactChange(
            phones=", ".join(phones),
            email=email,
            line_id=member.line_id,
            no_line=no_line,
            unreachable_reason=reason,
        ),
    )


def _record_report(
    member: Member, row: RowPlan, *, job: ImportJob, actor: User, now: dt.datetime
) -> None:
    """What the form says about the member's LINE group and LINE use, kept with its author."""
    MemberFormReport.objects.update_or_create(
        member_id=member.pk,
        defaults={
            "in_group": row.in_group,
            "uses_line": row.uses_line,
            "note": row.note[:500],
            "import_job": job,
            "reported_by": actor,
            "reported_at": now,
        },
    )
    audit_record(
        actor=actor,
        action="member.form_reported",
        target=member,
        changes={
            "form_in_group": row.in_group,
            "form_uses_line": row.uses_line,
            "form_note": row.note,
        },
    )


def _apply_register_changes(
    plan: Plan, accepted: set[str], *, actor: User
) -> tuple[list[str], list[str]]:
    """LINE group names written in the form; a verified group's name only by staff."""
    applied: list[str] = []
    kept: list[str] = []
    for change in plan.register_changes:
        verified = change.get("verified", False)
        if (change["conflict"] and change["key"] not in accepted) or (
            verified and not roles.is_cooperative_staff(actor)
        ):
            kept.append(change["key"])
            continue
        register_line_group_name_set(
            register_id=change["register_id"],
            name=change["form"],
            actor=actor,
            action="register.group_name_from_form",
            confirm_verified=verified,
        )
        applied.append(change["key"])
    return applied, kept


def in_thai_and_english(message_builder: Any) -> str:
    """A message in Thai and in English, "th / en" (error messages name the place in both);
    one text when both are the same."""
    texts = []
    for language in ("th", "en"):
        with translation.override(language):
            texts.append(str(message_builder()))
    return texts[0] if texts[0] == texts[1] else f"{texts[0]} / {texts[1]}"
