"""Writes of PDPA records; each in one transaction with its AuditEvent."""

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, TypedDict

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from tocnet.core.audit import audit_access, audit_record
from tocnet.core.xlsx import append_row, safe_sheet_title, workbook_bytes
from tocnet.members.models import Member
from tocnet.privacy.erasure import identifiers_for
from tocnet.privacy.models import (
    REPRESENTATIVE_CHANNEL,
    Channel,
    Consent,
    ConsentChange,
    DataRequest,
    Erasure,
    Method,
    Purpose,
    Restriction,
)
from tocnet.privacy.notice import current_notice
from tocnet.privacy.registry import (
    ExportRow,
    member_data_hooks,
    retention_kind,
    retention_kinds,
)


def _actor_repr(actor: Any) -> str:
    if getattr(actor, "is_authenticated", False):
        return str(actor.get_username())[:150]
    return str(actor or "system")[:150]


@transaction.atomic
def consent_set(
    *,
    member: Member,
    purpose: str,
    channel: str,
    allowed: bool,
    method: str,
    actor: Any,
    member_statement: str = "",
    notice_version: str | None = None,
) -> Consent:
    """Record a member's choice for a purpose on a channel; a no-op change still leaves history."""
    if purpose not in Purpose.values or channel not in Channel.values:
        raise ValidationError(_("Unknown purpose or channel."))
    if purpose == Purpose.REPRESENTATIVE:
        channel = REPRESENTATIVE_CHANNEL  # one record per member, whatever the form said
    if method not in Method.values:
        raise ValidationError(_("Unknown way of recording a consent."))
    if method == Method.REPRESENTATIVE and not member_statement.strip():
        raise ValidationError(
            {"member_statement": _("Write down what the member said (their own words).")}
        )
    now = timezone.now()
    version = notice_version or current_notice().version
    user = actor if getattr(actor, "is_authenticated", False) else None
    consent = (
        Consent.objects.select_for_update()
        .filter(member=member, purpose=purpose, channel=channel)
        .first()
    )
    previous = consent.allowed if consent else None
    if consent is None:
        consent = Consent(member=member, purpose=purpose, channel=channel)
    consent.allowed = allowed
    consent.method = method
    consent.notice_version = version
    consent.recorded_by = user
    consent.recorded_at = now
    consent.full_clean(validate_unique=False)
    consent.save()
    ConsentChange.objects.create(
        member=member,
        purpose=purpose,
        channel=channel,
        allowed=allowed,
        previous=previous,
        method=method,
        notice_version=version,
        member_statement=member_statement.strip()[:300],
        recorded_by=user,
        recorded_by_repr=_actor_repr(actor),
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="privacy.consent_set",
        target=member,
        changes={
            "purpose": purpose,
            "channel": channel,
            "allowed": {"before": previous, "after": allowed},
            "method": method,
            "notice_version": version,
        },
    )
    return consent


@transaction.atomic
def member_restrict(*, member: Member, reason: str, actor: Any) -> Restriction:
    """Restrict processing: the member disappears from sends and search, the record stays."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the restriction.")})
    existing = Restriction.objects.filter(member=member, active=True).first()
    if existing:
        return existing
    user = actor if getattr(actor, "is_authenticated", False) else None
    restriction = Restriction.objects.create(
        member=member,
        reason=reason.strip()[:300],
        started_at=timezone.now(),
        started_by=user,
    )
    audit_record(
        actor=actor, action="privacy.member_restricted", target=member, changes={"reason": reason}
    )
    return restriction


@transaction.atomic
def member_restriction_lift(*, member: Member, actor: Any) -> int:
    """Lift an active restriction; returns how many were lifted (0 or 1)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    lifted = Restriction.objects.filter(member=member, active=True).update(
        active=False, lifted_at=timezone.now(), lifted_by=user
    )
    if lifted:
        audit_record(actor=actor, action="privacy.member_restriction_lifted", target=member)
    return lifted


# --- members' requests ---------------------------------------------------------------------

REQUEST_ANSWER_DAYS = 30


@transaction.atomic
def data_request_create(
    *,
    member: Member,
    kind: str,
    via: str,
    received_on: dt.date,
    details: str,
    actor: Any,
) -> DataRequest:
    """Register a member's request; it is due 30 days after it was received (PDPA s.30)."""
    request = DataRequest(
        member=member,
        kind=kind,
        via=via,
        received_on=received_on,
        due_on=received_on + dt.timedelta(days=REQUEST_ANSWER_DAYS),
        details=details.strip(),
        received_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("The date received cannot be in the future.")})
    request.full_clean()
    request.save()
    audit_record(
        actor=actor,
        action="privacy.request_received",
        target=member,
        changes={"request": str(request.code), "kind": kind, "due_on": request.due_on.isoformat()},
    )
    return request


@transaction.atomic
def data_request_update(
    *, request: DataRequest, state: str, answer: str, actor: Any
) -> DataRequest:
    """Move a request on; done and refused close it, and a refusal needs its reason."""
    if state not in DataRequest.State.values:
        raise ValidationError({"state": _("Unknown state.")})
    if state == DataRequest.State.REFUSED and not answer.strip():
        raise ValidationError({"answer": _("Write the reason for refusing.")})
    before = request.state
    request.state = state
    request.answer = answer.strip()
    if state in DataRequest.OPEN_STATES:
        request.closed_at = None
        request.closed_by = None
    elif request.closed_at is None:
        request.closed_at = timezone.now()
        request.closed_by = actor if getattr(actor, "is_authenticated", False) else None
    request.full_clean()
    request.save()
    audit_record(
        actor=actor,
        action="privacy.request_updated",
        target=request.member,
        changes={"request": str(request.code), "state": {"before": before, "after": state}},
    )
    return request


# --- erasure ---------------------------------------------------------------------------------


@transaction.atomic
def member_erase(*, member: Member, actor: Any, request: DataRequest | None = None) -> Erasure:
    """Erase a member across every app's hook; the number and the counts stay (docs/privacy.md).

    Refused for a current representative (their term must end first). All or nothing.
    """
    if Erasure.objects.filter(member=member).exists():
        raise ValidationError(_("This member's data has already been erased."))
    if member.representations.filter(ended_on__isnull=True).exists():
        raise ValidationError(
            _("This member is a current representative: end their term before erasing.")
        )
    member = Member.objects.select_related("unit", "user").get(pk=member.pk)
    ids = identifiers_for(member)
    counts: dict[str, dict[str, int]] = {}
    for hook in member_data_hooks():
        if hook.erase is not None:
            counts[hook.name] = hook.erase(member, ids)
    user = actor if getattr(actor, "is_authenticated", False) else None
    Restriction.objects.filter(member=member, active=True).update(
        active=False, lifted_at=timezone.now(), lifted_by=user
    )
    Restriction.objects.create(
        member=member, reason=_("Erased"), started_at=timezone.now(), started_by=user
    )
    erasure = Erasure.objects.create(
        member=member,
        member_number=member.number,
        request=request,
        erased_by=user,
        erased_at=timezone.now(),
        counts=counts,
    )
    member.refresh_from_db()
    audit_record(
        actor=actor,
        action="privacy.member_erased",
        target=member,
        changes={"request": str(request.code) if request else "", "counts": counts},
    )
    return erasure


# --- access and portability export ----------------------------------------------------------


class ExportSection(TypedDict):
    name: str
    label: str
    rows: Sequence[ExportRow]


class MemberData(TypedDict):
    """Everything held about one member (the JSON export; the .xlsx has a sheet a section)."""

    member_number: str
    generated_at: str
    privacy_notice_version: str
    sections: list[ExportSection]


def member_data_collect(member: Member) -> MemberData:
    """Everything held about one member, section by section (every registered hook)."""
    member = Member.objects.select_related("unit", "user").get(pk=member.pk)
    return {
        "member_number": member.number,
        "generated_at": timezone.now().isoformat(),
        "privacy_notice_version": current_notice().version,
        "sections": [
            {"name": hook.name, "label": str(hook.label), "rows": hook.export(member)}
            for hook in member_data_hooks()
        ],
    }


@transaction.atomic
def member_data_export(
    *, member: Member, actor: Any, file_format: str, via: str, ip_address: str | None = None
) -> tuple[bytes, str]:
    """The export file (json or xlsx) and its name; the export itself is logged as an access."""
    if file_format not in ("json", "xlsx"):
        raise ValidationError(_("Unknown file format."))
    data = member_data_collect(member)
    audit_access(
        actor=actor,
        action="privacy.member_data_exported",
        target=member,
        detail={"format": file_format, "via": via},
        ip_address=ip_address,
    )
    name = f"member-{member.number}-data.{file_format}"
    if file_format == "json":
        body = json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
        return body.encode("utf-8"), name
    return member_data_xlsx(data), name


# A spreadsheet cell holds at most 32,767 characters; longer values (an attachment in base64)
# are complete in the JSON export only.
CELL_MAX = 32000


def _cell(value: object) -> str | int | float | bool | None:
    if value is None or isinstance(value, int | float | bool):
        return value
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    )
    if len(text) > CELL_MAX:
        return text[:CELL_MAX] + " … " + _("(longer: complete in the JSON export)")
    return text


def member_data_xlsx(data: MemberData) -> bytes:
    """One sheet per section; the first lists the sections and their row counts."""
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = safe_sheet_title(_("Contents"))
    append_row(summary, [_("Member number"), data["member_number"]])
    append_row(summary, [_("Made at"), data["generated_at"]])
    append_row(summary, [_("Privacy notice version"), data["privacy_notice_version"]])
    append_row(summary, [])
    append_row(summary, [_("Data"), _("Rows")], header=True)
    used: set[str] = set()
    for section in data["sections"]:
        append_row(summary, [section["label"], len(section["rows"])])
        title = safe_sheet_title(section["label"])[:28]
        while title in used:
            title = title[:26] + f"{len(used)}"
        used.add(title)
        ws = wb.create_sheet(title)
        rows = section["rows"]
        keys = list(dict.fromkeys(k for row in rows for k in row))
        append_row(ws, keys or [_("No data")], header=True)
        for row in rows:
            append_row(ws, [_cell(row.get(k)) for k in keys])
    return workbook_bytes(wb)


# --- retention -------------------------------------------------------------------------------


def retention_run(*, name: str, dry_run: bool = False, now: dt.datetime | None = None) -> int:
    """Delete (or count) one kind's rows past its period; audited when anything went."""
    kind = retention_kind(name)
    moment = now or timezone.now()
    if dry_run:
        return kind.past(moment)
    with transaction.atomic():
        count = kind.run(moment)
        if count:
            audit_record(
                actor="system: retention",
                action="privacy.retention_swept",
                target=None,
                changes={"kind": name, "count": count, "period_days": kind.period.days},
            )
    return count


def retention_sweep(
    *, dry_run: bool = False, kinds: list[str] | None = None, now: dt.datetime | None = None
) -> dict[str, int]:
    """Every registered kind (or `kinds`), each in its own transaction; counts per kind."""
    names = [k.name for k in retention_kinds()]
    if kinds:
        unknown = sorted(set(kinds) - set(names))
        if unknown:
            raise ValidationError(
                _("Unknown kind of data: %(kinds)s") % {"kinds": ", ".join(unknown)}
            )
        names = [n for n in names if n in kinds]
    return {name: retention_run(name=name, dry_run=dry_run, now=now) for name in names}
