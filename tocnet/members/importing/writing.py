"""Writing a plan: members and phones in bulk with an AuditEvent each, representatives one by
one. Called inside the commit's transaction; the plan has checked every value."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any, TypedDict

from django.utils import timezone

from tocnet.core.audit import AuditEntry, audit_record, audit_record_many
from tocnet.core.bulk import insert_rows
from tocnet.members.models import ImportJob, Member, Phone, Representative, Unit
from tocnet.members.provinces import PROVINCE_OFFICE_PREFIX, STUDY_CENTRE_PREFIX

from .leaders import leader_actions_apply
from .planning import CHUNK, ModelValues, Plan, jsonable
from .rows import PhoneValues

DEFAULT_TERM_YEARS = 4
MEMBER_TARGET = "members.member"  # AuditEvent.target_type, as audit_record names a Member


# Members written between two progress reports.
WRITE_BLOCK = 1000


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


class PhoneRow(TypedDict):
    """A Phone row as insert_rows writes it."""

    member_id: int
    raw: str
    e164: str
    extension: str
    kind: str
    valid: bool
    position: int


def _phone_row(member_id: int, position: int, phone: PhoneValues) -> PhoneRow:
    return {
        "member_id": member_id,
        "raw": phone["raw"][:100],
        "e164": phone["e164"],
        "extension": phone["extension"][:10],
        "kind": phone["kind"],
        "valid": phone["valid"],
        "position": position,
    }


def _member_label(number: str, values: ModelValues) -> str:
    """What str(member) gives, without building the model instance."""
    name = f"{values.get('title', '')}{values.get('first_name', '')} {values.get('last_name', '')}"
    return f"{number} {name.strip()}"


def apply_members(
    plan: Plan, actor: Any, on_written: Callable[[int, int], None] | None = None
) -> None:
    """Write a plan: values were checked while planning (_field_problems).

    ``on_written(members, total)`` hears how many new and changed members were written (after
    each block of rows; a background job's progress)."""
    total = len(plan.creates) + len(plan.updates)
    written = 0

    def advance(rows: int) -> None:
        nonlocal written
        written += rows
        if on_written is not None:
            on_written(written, total)

    new_units = _create_units(plan, actor)
    events: list[AuditEntry] = []
    phones: list[PhoneRow] = []
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
                    **{k: jsonable(v) for k, v in item["values"].items()},
                    "phones": len(item["phones"] or []),
                },
            )
        )
    for start in range(0, len(member_rows), WRITE_BLOCK):
        insert_rows(Member, member_rows[start : start + WRITE_BLOCK])
        advance(len(member_rows[start : start + WRITE_BLOCK]))
    numbers = [item["number"] for item in plan.creates]
    ids: dict[str, int] = {}
    for start in range(0, len(numbers), CHUNK):
        ids.update(
            Member.objects.filter(number__in=numbers[start : start + CHUNK]).values_list(
                "number", "pk"
            )
        )
    for item in plan.creates:
        phones.extend(
            _phone_row(ids[item["number"]], n, p) for n, p in enumerate(item["phones"] or [])
        )
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
        for start in range(0, len(changed), WRITE_BLOCK):
            block = changed[start : start + WRITE_BLOCK]
            Member.objects.bulk_update(block, [*sorted(fields), "updated_at"], batch_size=500)
            advance(len(block))
    for start in range(0, len(replaced_phones), CHUNK):
        Phone.objects.filter(member_id__in=replaced_phones[start : start + CHUNK]).delete()
    insert_rows(Phone, phones)
    audit_record_many(actor=actor, entries=events)


def default_term(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """A new representative's term when none is given: DEFAULT_TERM_YEARS years from today,
    ending the day before the anniversary (the demo's terms are four years)."""
    start = today or timezone.localdate()
    anniversary = dt.date(start.year + DEFAULT_TERM_YEARS, start.month, 1) + dt.timedelta(
        days=start.day - 1
    )
    return start, anniversary - dt.timedelta(days=1)


def apply_representatives(
    plan: Plan,
    actor: Any,
    *,
    job: ImportJob,
    term_start: dt.date | None,
    term_end: dt.date | None,
    on_rows: Callable[[int, int], None] | None = None,
) -> None:
    """Write a representatives plan. ``on_rows(done, total)`` hears each representative
    ended and each one appointed (a background job's progress)."""
    start, end = default_term()
    start, end = term_start or start, term_end or end
    today = timezone.localdate()
    reason = f"not in representatives list {job.file_name}"[:200]
    ending = [*plan.ends, *(u["previous"] for u in plan.updates)]
    appointing = [*plan.creates, *plan.updates]
    total = len(ending) + len(appointing)
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if on_rows is not None:
            on_rows(done, total)

    for rep in ending:
        rep.ended_on = today
        rep.end_reason = reason
        rep.save(update_fields=["ended_on", "end_reason"])
        audit_record(
            actor=actor, action="representative.end", target=rep, changes={"reason": reason}
        )
        advance()
    for item in appointing:
        rep = Representative(
            member=item["member"], unit=item["unit"], term_start=start, term_end=end
        )
        rep.full_clean()
        rep.save()
        audit_record(
            actor=actor,
            action="representative.create",
            target=rep,
            changes={"unit": str(rep.unit.name), "term_start": str(start), "term_end": str(end)},
        )
        advance()
    if on_rows is not None and total == 0:
        on_rows(0, 0)
    skipped = leader_actions_apply(plan.leaders, actor, job.file_name)
    plan.warnings = [*plan.warnings, *skipped]
