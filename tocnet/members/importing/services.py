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
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.audit import AuditEntry, audit_record, audit_record_many, redact
from tocnet.core.bulk import insert_rows
from tocnet.core.thai import clean_text
from tocnet.members.demo import SPECIAL_UNITS
from tocnet.members.models import ImportJob, Member, Phone, Representative, Unit
from tocnet.members.provinces import PROVINCE_OFFICE_PREFIX, STUDY_CENTRE_PREFIX

from .leaders import (
    ROLE_DEPUTY,
    ROLE_REPRESENTATIVE,
    LeaderRow,
    leader_actions_apply,
    leader_rows_check,
)
from .normalize import KnownUnit, centre_from_name, office_from_name
from .parse import parse_list
from .retention import PREVIEW_KEPT as PREVIEW_KEPT
from .retention import import_previews_expire as import_previews_expire
from .safety import DEFAULT_MAX_UNCOMPRESSED_BYTES, Limits
from .sealing import SealError, seal_rows, unseal_rows

CREATE = "create"
MEMBER_FIELDS = (
    "title",
    "first_name",
    "last_name",
    "position",
    "district",
    "member_type",
    "email",
    "email_valid",
    "line_id",
    "national_id",
    "joined_on",
)
CHUNK = 1000
_MEMBER_FIELDS_BY_NAME = {f.name: f for f in Member._meta.concrete_fields}
DEFAULT_TERM_YEARS = 4
MEMBER_TARGET = "members.member"  # AuditEvent.target_type, as audit_record names a Member


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


# --- plan ------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What committing a parsed file would do to the register, row by row."""

    kind: str
    rows_read: int
    duplicates: list[dict[str, Any]]
    warnings: list[dict[str, Any]]
    rejected: list[dict[str, Any]] = field(default_factory=list)
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    ends: list[Representative] = field(default_factory=list)
    not_in_file: list[dict[str, Any]] = field(default_factory=list)
    unknown_units: list[dict[str, Any]] = field(default_factory=list)
    units_to_create: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    rows_by_number: dict[str, tuple[str, int]] = field(default_factory=dict)
    leaders: list[dict[str, Any]] = field(default_factory=list)  # successors and deputies

    def summary(self) -> dict[str, Any]:
        """The issue's JSON: counts and lists, rows_read = created + updated + unchanged
        + len(duplicates) + len(rejected)."""
        return {
            "rows_read": self.rows_read,
            "created": len(self.creates),
            "updated": len(self.updates),
            "unchanged": len(self.unchanged),
            "duplicates": [
                {k: d[k] for k in ("sheet", "row", "first_sheet", "first_row", "member_number")}
                for d in self.duplicates
            ],
            "rejected": [{k: r[k] for k in ("sheet", "row", "reason")} for r in self.rejected],
            "warnings": [
                {k: w[k] for k in ("sheet", "row", "field", "reason")} for w in self.warnings
            ],
            "not_in_file": len(self.not_in_file),
            "unknown_units": [
                {
                    "name": u["name"],
                    "suggestion": u["suggestion"],
                    "rows": len(u["rows"]),
                    "action": u["action"],
                }
                for u in self.unknown_units
            ],
        }

    def details(self) -> dict[str, Any]:
        """The lists people read in the preview and the error report (with values)."""
        return {
            "rejected": self.rejected,
            "warnings": self.warnings,
            "duplicates": self.duplicates,
            "not_in_file": self.not_in_file,
            "unknown_units": self.unknown_units,
            "updates": [
                {"number": u["number"], "changes": _readable(redact(u["changes"]))}
                for u in self.updates
            ],
            "ended": [{"number": r.member.number, "name": r.member.full_name} for r in self.ends],
            "leaders": self.leaders,
        }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _readable(changes: dict[str, Any]) -> dict[str, Any]:
    def text(value: Any) -> Any:
        return ", ".join(map(str, value)) if isinstance(value, list) else value

    return {
        key: {"before": text(change["before"]), "after": text(change["after"])}
        if isinstance(change, dict)
        else change
        for key, change in changes.items()
    }


def _reject(plan: Plan, row: dict[str, Any], reason: str, **detail: Any) -> None:
    plan.rejected.append(
        {"sheet": row["sheet"], "row": row["row"], "reason": reason, "number": row["number"]}
        | detail
    )


def _reject_outside_scope(plan: Plan, row: dict[str, Any]) -> None:
    """A number no member of the actor's units has, whether it exists elsewhere or not.

    One reason for both, holding only the file's own values: naming the member's unit (or
    answering differently for an unknown number) would let an agent look up any member.
    """
    _reject(plan, row, "not_a_member_here", value=row["number"])


def _sort_rejected(plan: Plan, parsed: dict[str, Any]) -> None:
    order = {sheet["name"]: index for index, sheet in enumerate(parsed["sheets"])}
    plan.rejected.sort(key=lambda r: (order.get(r["sheet"], 0), r["row"]))


def _row_unit_key(
    plan: Plan, row: dict[str, Any], resolved: dict[str, str | None], parsed: dict[str, Any]
) -> tuple[bool, str | None]:
    """(accepted, unit key) of a row: the key its unit resolves to (None when the file names
    no unit); not accepted, and rejected as unknown_unit, when its written unit is unknown and
    neither mapped nor created."""
    if row["unit_key"] is not None or not row["unit_text"]:
        return True, row["unit_key"]
    key = resolved.get(row["unit_text"])
    if key is None:
        suggestion = next(
            (u["suggestion"] for u in parsed["unknown_units"] if u["name"] == row["unit_text"]), ""
        )
        _reject(plan, row, "unknown_unit", value=row["unit_text"], suggestion=suggestion)
        return False, None
    return True, key


def _resolve_unknown_units(
    parsed: dict[str, Any],
    plan: Plan,
    units_by_key: dict[str, Unit],
    *,
    scope: set[int] | None,
    unit_mapping: dict[str, str],
    create_units: bool,
) -> dict[str, str | None]:
    """Written unit name -> unit key (or CREATE); None where the rows are to be rejected."""
    resolved: dict[str, str | None] = {}
    planned: dict[str, str] = {}  # name of a unit to create -> the first written form
    for entry in parsed["unknown_units"]:
        name = entry["name"]
        choice = unit_mapping.get(name, "")
        action = "rejected"
        target: str | None = None
        if choice and choice != CREATE and choice in units_by_key:
            unit = units_by_key[choice]
            if scope is None or unit.pk in scope:
                target, action = choice, "mapped"
        elif (choice == CREATE or create_units) and scope is None:
            spec = centre_from_name(name) or office_from_name(name) or _other_unit_spec(name)
            existing = Unit.objects.filter(Q(name=spec[0]) | Q(abbreviation=spec[2])).first()
            if existing is not None:
                target, action = str(existing.code), "mapped"
            elif spec[0] in planned:  # "ศพช.ตาก" and "ศูนย์ศึกษาและพัฒนาชุมชนตาก": one unit
                target, action = f"{CREATE}:{planned[spec[0]]}", "created"
            else:
                planned[spec[0]] = name
                plan.units_to_create[name] = spec
                target, action = f"{CREATE}:{name}", "created"
        resolved[name] = target
        plan.unknown_units.append({**entry, "action": action, "target": target})
    return resolved


def _other_unit_spec(name: str) -> tuple[str, str, str]:
    for special_name, kind, abbreviation, _responsible, _size in SPECIAL_UNITS:
        if _name_key(name) == _name_key(special_name):
            return special_name, kind, abbreviation
    base = re.sub(r"[\s.]", "", name)[:18] or "หน่วย"
    abbreviation = base
    counter = 2
    while Unit.objects.filter(abbreviation=abbreviation).exists():
        abbreviation = f"{base[:16]}{counter}"
        counter += 1
    return name[:200], Unit.Kind.OTHER, abbreviation


def _load_members(numbers: list[str], *, with_unit: bool = False) -> dict[str, Member]:
    found: dict[str, Member] = {}
    for start in range(0, len(numbers), CHUNK):
        members = Member.objects.filter(number__in=numbers[start : start + CHUNK])
        if with_unit:
            members = members.select_related("unit")
        for member in members:
            found[member.number] = member
    return found


def _load_phones(members: Iterable[Member]) -> dict[int, list[dict[str, Any]]]:
    ids = [m.pk for m in members]
    phones: dict[int, list[dict[str, Any]]] = {pk: [] for pk in ids}
    for start in range(0, len(ids), CHUNK):
        rows = (
            Phone.objects.filter(member_id__in=ids[start : start + CHUNK])
            .order_by("member_id", "position", "id")
            .values("member_id", "raw", "e164", "extension", "valid")
        )
        for phone in rows:
            phones[phone["member_id"]].append(dict(phone))
    return phones


def _phone_signature(phones: Iterable[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    return [
        (p["e164"], p["extension"], p["raw"] if not p["e164"] else "", p["valid"]) for p in phones
    ]


def _unique_phones(phones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for phone in phones:
        key = (phone["e164"], phone["extension"], "" if phone["e164"] else phone["raw"])
        if key not in seen:
            seen.add(key)
            out.append(phone)
    return out


def _field_rule(field: models.Field[Any, Any]) -> tuple[int | None, frozenset[Any] | None, bool]:
    choices = frozenset(choice for choice, _label in field.flatchoices) if field.choices else None
    return getattr(field, "max_length", None), choices, field.blank


# name -> (max length, allowed values or None, blank allowed), read once from the model
_FIELD_RULES = {name: _field_rule(field) for name, field in _MEMBER_FIELDS_BY_NAME.items()}


def _field_problems(values: dict[str, Any]) -> list[str]:
    """Fields whose value the Member model would refuse (full_clean's field checks: length,
    choices, required), found while planning so the preview shows them."""
    problems = []
    for name, value in values.items():
        max_length, choices, blank = _FIELD_RULES[name]
        if (
            (isinstance(value, str) and max_length and len(value) > max_length)
            or (choices is not None and value not in choices)
            or (not blank and value in ("", None))
        ):
            problems.append(name)
    return problems


def _plan_members(
    parsed: dict[str, Any],
    *,
    scope: set[int] | None,
    unit_mapping: dict[str, str] | None = None,
    create_units: bool = False,
) -> Plan:
    plan = Plan(
        kind="members",
        rows_read=parsed["rows_read"],
        duplicates=parsed["duplicates"],
        warnings=parsed["warnings"],
        rejected=list(parsed["rejected"]),
    )
    all_units = list(Unit.objects.all())
    units_by_key = {str(u.code): u for u in all_units}
    units_by_pk = {u.pk: u for u in all_units}
    unknown = _resolve_unknown_units(
        parsed,
        plan,
        units_by_key,
        scope=scope,
        unit_mapping=unit_mapping or {},
        create_units=create_units,
    )
    rows = parsed["members"]
    existing = _load_members([row["number"] for row in rows])
    phones = _load_phones(existing.values())
    covered_units: set[int] = set()
    for row in rows:
        member = existing.get(row["number"])
        accepted, unit_key = _row_unit_key(plan, row, unknown, parsed)
        if not accepted:
            continue
        unit: Unit | None
        new_unit_name = ""
        if unit_key is None:
            if member is None:
                if scope is not None:
                    _reject_outside_scope(plan, row)
                else:
                    _reject(plan, row, "missing_unit", value="")
                continue
            unit = units_by_pk[member.unit_id]
        elif unit_key.startswith(f"{CREATE}:"):
            unit, new_unit_name = None, unit_key.split(":", 1)[1]
        else:
            unit = units_by_key[unit_key]
        if scope is not None and (member is None or member.unit_id not in scope):
            # An unused number and another unit's member get the same answer: creating the
            # one and refusing the other told an agent which numbers exist. New members and
            # moves between units are entered by the cooperative's staff.
            _reject_outside_scope(plan, row)
            continue
        if scope is not None and (unit is None or unit.pk not in scope):
            # The unit comes from the file (cell, sheet name or title line), never the member.
            _reject(plan, row, "out_of_scope", value=row["unit_text"] or str(unit or ""))
            continue
        if unit is not None:
            covered_units.add(unit.pk)
        new_values = {
            key: value
            for key, value in row["values"].items()
            if key in MEMBER_FIELDS and value not in (None, "")
        }
        if "joined_on" in new_values:
            new_values["joined_on"] = dt.date.fromisoformat(new_values["joined_on"])
        new_values.pop("email_valid", None)
        if "email" in new_values:  # the flag travels with the address it describes
            new_values["email_valid"] = row["values"].get("email_valid", True)
        new_phones = _unique_phones(row["phones"]) if row["phones"] else None
        if member is None and not new_values.get("first_name"):
            _reject(plan, row, "missing_name", value="")
            continue
        problems = _field_problems({"number": row["number"], **new_values})
        if problems:
            _reject(plan, row, "invalid_value", value=", ".join(problems))
            continue
        if member is None:
            plan.creates.append(
                {
                    "number": row["number"],
                    "unit": unit,
                    "new_unit_name": new_unit_name,
                    "values": new_values,
                    "phones": new_phones or [],
                }
            )
            continue
        changes: dict[str, Any] = {}
        for key, value in new_values.items():
            if getattr(member, key) != value:
                changes[key] = {
                    "before": _jsonable(getattr(member, key)),
                    "after": _jsonable(value),
                }
        if unit is None or member.unit_id != unit.pk:
            changes["unit"] = {
                "before": units_by_pk[member.unit_id].name,
                "after": str(unit or new_unit_name),
            }
        phones_changed = new_phones is not None and _phone_signature(
            phones[member.pk]
        ) != _phone_signature(new_phones)
        if phones_changed:
            changes["phones"] = {
                "before": [p["e164"] or p["raw"] for p in phones[member.pk]],
                "after": [p["e164"] or p["raw"] for p in new_phones or []],
            }
        if changes:
            plan.updates.append(
                {
                    "number": row["number"],
                    "member": member,
                    "unit": unit,
                    "new_unit_name": new_unit_name,
                    "values": new_values,
                    "phones": new_phones if phones_changed else None,
                    "changes": changes,
                }
            )
        else:
            plan.unchanged.append(row["number"])
    _sort_rejected(plan, parsed)
    file_numbers = {row["number"] for row in rows}
    active = Member.objects.filter(unit_id__in=covered_units, status=Member.Status.ACTIVE)
    missing = [n for n in active.values_list("number", flat=True) if n not in file_numbers]
    plan.not_in_file = [
        {"number": m.number, "name": m.full_name, "unit": m.unit.name}
        for start in range(0, len(missing), CHUNK)
        for m in Member.objects.filter(number__in=missing[start : start + CHUNK]).select_related(
            "unit"
        )
    ]
    plan.not_in_file.sort(key=lambda m: (m["unit"], m["number"]))
    return plan


# --- validate (phase 1) ------------------------------------------------------------------------


def _parse_file(*, kind: str, data: bytes, file_name: str, actor: Any) -> dict[str, Any]:
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
    )
    return result.as_dict()


def _plan(
    kind: str,
    parsed: dict[str, Any],
    *,
    actor: Any,
    unit_mapping: dict[str, str] | None = None,
    create_units: bool = False,
) -> Plan:
    scope = import_scope(actor)
    if kind == ImportJob.Kind.MEMBERS:
        plan = _plan_members(
            parsed, scope=scope, unit_mapping=unit_mapping, create_units=create_units
        )
    else:
        plan = _plan_representatives(parsed, scope=scope, unit_mapping=unit_mapping)
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


def _counts(plan: Plan) -> dict[str, int]:
    summary = plan.summary()
    return {key: value if isinstance(value, int) else len(value) for key, value in summary.items()}


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


# --- commit (phase 2) ------------------------------------------------------------------------


def _create_units(plan: Plan, actor: Any) -> dict[str, Unit]:
    created: dict[str, Unit] = {}
    for written, (name, kind, abbreviation) in plan.units_to_create.items():
        province = ""
        if kind in (Unit.Kind.CENTRE, Unit.Kind.PROVINCE):
            province = name.removeprefix(STUDY_CENTRE_PREFIX).removeprefix(PROVINCE_OFFICE_PREFIX)
        unit = Unit(name=name, kind=kind, abbreviation=abbreviation, province=province)
        unit.full_clean()
        unit.save()
        audit_record(
            actor=actor,
            action="unit.create",
            target=unit,
            changes={"written_as": written, "kind": kind, "abbreviation": abbreviation},
        )
        created[written] = unit
    return created


def _phone_row(member_id: int, position: int, phone: dict[str, Any]) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "raw": phone["raw"][:100],
        "e164": phone["e164"],
        "extension": phone["extension"][:10],
        "kind": phone["kind"],
        "valid": phone["valid"],
        "position": position,
    }


def _member_label(number: str, values: dict[str, Any]) -> str:
    """What str(member) gives, without building the model instance."""
    name = f"{values.get('title', '')}{values.get('first_name', '')} {values.get('last_name', '')}"
    return f"{number} {name.strip()}"


def _apply_members(plan: Plan, actor: Any) -> None:
    """Write a plan: values were checked while planning (_field_problems)."""
    new_units = _create_units(plan, actor)
    events: list[AuditEntry] = []
    phones: list[dict[str, Any]] = []
    member_rows = []
    for item in plan.creates:
        unit = item["unit"] or new_units[item["new_unit_name"]]
        item["code"] = uuid.uuid4()
        member_rows.append(
            {"code": item["code"], "number": item["number"], "unit_id": unit.pk, **item["values"]}
        )
        events.append(
            AuditEntry(
                action="member.import_create",
                target_type=MEMBER_TARGET,
                target_id=str(item["code"]),
                target_repr=_member_label(item["number"], item["values"]),
                changes={
                    "unit": unit.name,
                    **{k: _jsonable(v) for k, v in item["values"].items()},
                    "phones": len(item["phones"]),
                },
            )
        )
    insert_rows(Member, member_rows)
    numbers = [item["number"] for item in plan.creates]
    ids: dict[str, int] = {}
    for start in range(0, len(numbers), CHUNK):
        ids.update(
            Member.objects.filter(number__in=numbers[start : start + CHUNK]).values_list(
                "number", "pk"
            )
        )
    for item in plan.creates:
        phones.extend(_phone_row(ids[item["number"]], n, p) for n, p in enumerate(item["phones"]))
    changed: list[Member] = []
    fields: set[str] = set()
    replaced_phones: list[int] = []
    for item in plan.updates:
        member = item["member"]
        for key, value in item["values"].items():
            setattr(member, key, value)
        member.unit = item["unit"] or new_units[item["new_unit_name"]]
        fields.update(k for k in item["changes"] if k != "phones")
        changed.append(member)
        if item["phones"] is not None:
            replaced_phones.append(member.pk)
            phones.extend(_phone_row(member.pk, n, p) for n, p in enumerate(item["phones"]))
        events.append(
            AuditEntry(
                action="member.import_update",
                target_type=MEMBER_TARGET,
                target_id=str(member.code),
                target_repr=str(member),
                changes=item["changes"],
            )
        )
    if changed and fields:
        now = timezone.now()
        for member in changed:
            member.updated_at = now
        Member.objects.bulk_update(changed, [*sorted(fields), "updated_at"], batch_size=500)
    for start in range(0, len(replaced_phones), CHUNK):
        Phone.objects.filter(member_id__in=replaced_phones[start : start + CHUNK]).delete()
    insert_rows(Phone, phones)
    audit_record_many(actor=actor, entries=events)


def _stored_rows(job: ImportJob) -> dict[str, Any]:
    """The parsed rows a preview kept, opened again (inside the commit's transaction)."""
    try:
        return unseal_rows(job.result["parsed"])
    except SealError as error:
        raise ImportSealError from error


def _claim(job: ImportJob) -> None:
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
        status=ImportJob.Status.COMMITTED, committed_at=timezone.now()
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
) -> dict[str, Any]:
    """Apply a validated member list in one transaction; returns the issue's JSON summary.

    Creates and updates members (the last row of a number wins), replaces the phones of rows
    that give any, never deletes: members missing from the file are only reported. Unknown
    units follow `unit_mapping` (written name -> unit code or "create"); `create_units`
    creates every one (staff and command line only). Re-importing the same file changes
    nothing. Raises ImportStateError if the job is not waiting for confirmation.
    """
    _claim(job)
    plan = _plan(
        ImportJob.Kind.MEMBERS,
        _stored_rows(job),
        actor=actor,
        unit_mapping=unit_mapping,
        create_units=create_units,
    )
    _apply_members(plan, actor)
    return _finish(job, plan, actor)


def _finish(job: ImportJob, plan: Plan, actor: Any) -> dict[str, Any]:
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


# --- representatives -------------------------------------------------------------------------


def _name_key(text: str) -> str:
    return re.sub(r"\s+", "", clean_text(text))


def _plan_representatives(
    parsed: dict[str, Any],
    *,
    scope: set[int] | None,
    unit_mapping: dict[str, str] | None = None,
) -> Plan:
    plan = Plan(
        kind="representatives",
        rows_read=parsed["rows_read"],
        duplicates=parsed["duplicates"],
        warnings=parsed["warnings"],
        rejected=list(parsed["rejected"]),
    )
    units_by_key = {str(u.code): u for u in Unit.objects.all()}
    unknown = _resolve_unknown_units(
        parsed,
        plan,
        units_by_key,
        scope=scope,
        # A representative belongs to a member's existing unit: never create one here.
        unit_mapping={k: v for k, v in (unit_mapping or {}).items() if v != CREATE},
        create_units=False,
    )
    rows = parsed["members"]
    members = _load_members([row["number"] for row in rows], with_unit=True)
    current = {
        rep.member_id: rep
        for rep in Representative.objects.filter(ended_on__isnull=True).select_related(
            "member", "unit"
        )
    }
    covered: set[int] = set()
    accepted: list[tuple[dict[str, Any], Member, Unit]] = []
    for row in rows:
        ok, unit_key = _row_unit_key(plan, row, unknown, parsed)
        if not ok:
            continue
        member = members.get(row["number"])
        if scope is not None and (member is None or member.unit_id not in scope):
            _reject_outside_scope(plan, row)
            continue
        if member is None:
            _reject(plan, row, "not_a_member", value=row["number"])
            continue
        unit = units_by_key[unit_key] if unit_key else member.unit
        if scope is not None and unit.pk not in scope:
            _reject(plan, row, "out_of_scope", value=row["unit_text"] or unit.name)
            continue
        if member.unit_id != unit.pk:
            _reject(
                plan,
                row,
                "wrong_unit",
                value=row["number"],
                actual=member.unit.name,
                unit=unit.name,
            )
            continue
        values = row["values"]
        written = _name_key(values.get("first_name", "") + values.get("last_name", ""))
        if written and written != _name_key(member.first_name + member.last_name):
            name = " ".join(v for v in (values.get("first_name"), values.get("last_name")) if v)
            _reject(
                plan,
                row,
                "name_mismatch",
                value=name,
                actual=member.full_name,
                number=row["number"],
            )
            continue
        accepted.append((row, member, unit))
    # Registers, successors and deputies named in the list (checked by the registers app).
    in_file = {row["number"] for row in rows if row["values"].get("role") != ROLE_DEPUTY}
    check = leader_rows_check([_leader_row(r, m, u) for r, m, u in accepted], in_file)
    plan.warnings = [*plan.warnings, *check.warnings]
    plan.leaders = check.actions
    for row, member, unit in accepted:
        refused = check.refused.get(row["number"])
        if refused is not None:
            _reject(plan, row, **refused)
            continue
        # Only a unit with an accepted row counts as listed: a file whose rows for a unit are
        # all wrong must not end that unit's representatives.
        covered.add(unit.pk)
        if row["values"].get("role") == ROLE_DEPUTY:
            plan.unchanged.append(row["number"])  # a deputy's row: see plan.leaders
            continue
        rep = current.get(member.pk)
        if rep is not None and rep.unit_id == unit.pk:
            plan.unchanged.append(row["number"])
        elif rep is not None:
            plan.updates.append(
                {
                    "number": row["number"],
                    "member": member,
                    "unit": unit,
                    "previous": rep,
                    "changes": {"unit": {"before": rep.unit.name, "after": unit.name}},
                }
            )
        else:
            plan.creates.append({"number": row["number"], "member": member, "unit": unit})
    _sort_rejected(plan, parsed)
    plan.ends = [
        rep
        for rep in current.values()
        if rep.unit_id in covered and rep.member.number not in in_file
    ]
    plan.not_in_file = [
        {"number": rep.member.number, "name": rep.member.full_name, "unit": rep.unit.name}
        for rep in plan.ends
    ]
    return plan


def _leader_row(row: dict[str, Any], member: Member, unit: Unit) -> LeaderRow:
    values = row["values"]
    return LeaderRow(
        sheet=row["sheet"],
        row=row["row"],
        number=row["number"],
        member_id=member.pk,
        unit_id=unit.pk,
        role=values.get("role") or ROLE_REPRESENTATIVE,
        register=values.get("register", ""),
        successor_of=values.get("successor_of", ""),
        deputy=values.get("deputy", ""),
        deputy_name=values.get("deputy_name", ""),
    )


def default_term(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """A new representative's term when none is given: DEFAULT_TERM_YEARS years from today,
    ending the day before the anniversary (the demo's terms are four years)."""
    start = today or timezone.localdate()
    anniversary = dt.date(start.year + DEFAULT_TERM_YEARS, start.month, 1) + dt.timedelta(
        days=start.day - 1
    )
    return start, anniversary - dt.timedelta(days=1)


@transaction.atomic
def representative_import_commit(
    *,
    job: ImportJob,
    actor: Any,
    unit_mapping: dict[str, str] | None = None,
    term_start: dt.date | None = None,
    term_end: dt.date | None = None,
) -> dict[str, Any]:
    """Apply a validated representatives list in one transaction.

    Each row must name a member of that unit (mismatches are rejected, never guessed). New
    representatives get a Representative row for the term; current representatives of the
    units in the file who are missing from it are ended (kept as history, never deleted).
    """
    _claim(job)
    plan = _plan(
        ImportJob.Kind.REPRESENTATIVES, _stored_rows(job), actor=actor, unit_mapping=unit_mapping
    )
    _apply_representatives(plan, actor, job=job, term_start=term_start, term_end=term_end)
    return _finish(job, plan, actor)


def _apply_representatives(
    plan: Plan,
    actor: Any,
    *,
    job: ImportJob,
    term_start: dt.date | None,
    term_end: dt.date | None,
) -> None:
    start, end = default_term()
    start, end = term_start or start, term_end or end
    today = timezone.localdate()
    reason = f"not in representatives list {job.file_name}"[:200]
    for rep in [*plan.ends, *(u["previous"] for u in plan.updates)]:
        rep.ended_on = today
        rep.end_reason = reason
        rep.save(update_fields=["ended_on", "end_reason"])
        audit_record(
            actor=actor, action="representative.end", target=rep, changes={"reason": reason}
        )
    for item in [*plan.creates, *plan.updates]:
        rep = Representative(
            member=item["member"], unit=item["unit"], term_start=start, term_end=end
        )
        rep.full_clean()
        rep.save()
        audit_record(
            actor=actor,
            action="representative.create",
            target=rep,
            changes={"unit": item["unit"].name, "term_start": str(start), "term_end": str(end)},
        )
    skipped = leader_actions_apply(plan.leaders, actor, job.file_name)
    plan.warnings = [*plan.warnings, *skipped]


# --- one call for the command line -----------------------------------------------------------


@dataclass
class Outcome:
    summary: dict[str, Any]  # the JSON
    details: dict[str, Any]  # the same lists with values, for people
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
        apply=lambda plan, job: _apply_members(plan, actor),
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
        apply=lambda plan, job: _apply_representatives(
            plan, actor, job=job, term_start=term_start, term_end=term_end
        ),
    )
