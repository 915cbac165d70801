"""Planning an import: what committing a parsed file would do to the register, row by row.

Reads the database (units, members, phones, current representatives), writes nothing. The
member and representative lists share the start (units, unknown unit names resolved or
rejected, rows outside the actor's scope refused) and the end (rejections in file order);
`plan_members` and `plan_representatives` hold what differs.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Required, TypedDict, Unpack

from django.db import models
from django.db.models import Q

from tocnet.core.audit import redact
from tocnet.core.thai import clean_text
from tocnet.members.demo import SPECIAL_UNITS
from tocnet.members.models import Member, Phone, Representative, Unit

from .leaders import ROLE_DEPUTY, ROLE_REPRESENTATIVE, LeaderAction, LeaderRow, leader_rows_check
from .normalize import centre_from_name, office_from_name
from .rows import (
    Duplicate,
    FieldChange,
    MissingMember,
    ParsedFile,
    ParsedRow,
    PhoneCore,
    PhoneValues,
    PlannedUnknownUnit,
    Problem,
    ProblemDetail,
    Refusal,
    text_value,
)

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

# Member fields as the model stores them (joined_on a date), from a row's values.
ModelValues = dict[str, str | bool | dt.date]


class PlannedRow(TypedDict, total=False):
    """A member (or representative) the import creates or changes."""

    number: Required[str]
    unit: Required[Unit | None]  # None: a unit the import creates (new_unit_name)
    new_unit_name: str
    member: Member  # the member already in the register
    values: ModelValues
    phones: list[PhoneValues] | None  # None: the phones stay as they are
    changes: dict[str, FieldChange]
    previous: Representative  # a representative moving to another unit
    code: uuid.UUID  # a new member's code, given when it is written


class ProblemSummary(TypedDict, total=False):
    sheet: Required[str]
    row: Required[int]
    reason: Required[str]
    field: str


class DuplicateSummary(TypedDict):
    sheet: str
    row: int
    first_sheet: str
    first_row: int
    member_number: str


class UnknownUnitSummary(TypedDict):
    name: str
    suggestion: str
    rows: int
    action: str


class ImportSummary(TypedDict):
    """The issue's JSON (`import_members --json`, ImportJob.summary)."""

    rows_read: int
    created: int
    updated: int
    unchanged: int
    duplicates: list[DuplicateSummary]
    rejected: list[ProblemSummary]
    warnings: list[ProblemSummary]
    not_in_file: int
    unknown_units: list[UnknownUnitSummary]


class ImportCounts(TypedDict):
    """The summary's lists counted (ImportJob.summary, the history page's figures)."""

    rows_read: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    rejected: int
    warnings: int
    not_in_file: int
    unknown_units: int


def summary_counts(summary: ImportSummary) -> ImportCounts:
    return {
        "rows_read": summary["rows_read"],
        "created": summary["created"],
        "updated": summary["updated"],
        "unchanged": summary["unchanged"],
        "duplicates": len(summary["duplicates"]),
        "rejected": len(summary["rejected"]),
        "warnings": len(summary["warnings"]),
        "not_in_file": summary["not_in_file"],
        "unknown_units": len(summary["unknown_units"]),
    }


class UpdateDetail(TypedDict):
    number: str
    changes: dict[str, object]  # {field: {"before", "after"}} as people read them


class EndedRepresentative(TypedDict):
    number: str
    name: str


class ImportDetails(TypedDict, total=False):
    """The lists people read in the preview and the error report (ImportJob.result; a job
    stored by an earlier version may lack the later lists)."""

    rejected: list[Problem]
    warnings: list[Problem]
    duplicates: list[Duplicate]
    not_in_file: list[MissingMember]
    unknown_units: list[PlannedUnknownUnit]
    updates: list[UpdateDetail]
    ended: list[EndedRepresentative]
    leaders: list[LeaderAction]


_MEMBER_FIELDS_BY_NAME = {f.name: f for f in Member._meta.concrete_fields}


@dataclass
class Plan:
    """What committing a parsed file would do to the register, row by row."""

    kind: str
    rows_read: int
    duplicates: list[Duplicate]
    warnings: list[Problem]
    rejected: list[Problem] = field(default_factory=list)
    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    ends: list[Representative] = field(default_factory=list)
    not_in_file: list[MissingMember] = field(default_factory=list)
    unknown_units: list[PlannedUnknownUnit] = field(default_factory=list)
    units_to_create: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    rows_by_number: dict[str, tuple[str, int]] = field(default_factory=dict)
    leaders: list[LeaderAction] = field(default_factory=list)  # successors and deputies

    def summary(self) -> ImportSummary:
        """The issue's JSON: counts and lists, rows_read = created + updated + unchanged
        + len(duplicates) + len(rejected)."""
        return {
            "rows_read": self.rows_read,
            "created": len(self.creates),
            "updated": len(self.updates),
            "unchanged": len(self.unchanged),
            "duplicates": [
                {
                    "sheet": d["sheet"],
                    "row": d["row"],
                    "first_sheet": d["first_sheet"],
                    "first_row": d["first_row"],
                    "member_number": d["member_number"],
                }
                for d in self.duplicates
            ],
            "rejected": [
                {"sheet": r["sheet"], "row": r["row"], "reason": r["reason"]} for r in self.rejected
            ],
            "warnings": [
                {"sheet": w["sheet"], "row": w["row"], "field": w["field"], "reason": w["reason"]}
                for w in self.warnings
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

    def details(self) -> ImportDetails:
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


def jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _readable(changes: Mapping[str, object]) -> dict[str, object]:
    def text(value: Any) -> Any:
        return ", ".join(map(str, value)) if isinstance(value, list) else value

    return {
        key: {"before": text(change["before"]), "after": text(change["after"])}
        if isinstance(change, dict)
        else change
        for key, change in changes.items()
    }


def _reject(plan: Plan, row: ParsedRow, reason: str, **detail: Unpack[ProblemDetail]) -> None:
    plan.rejected.append(
        {
            "sheet": row["sheet"],
            "row": row["row"],
            "reason": reason,
            "number": row["number"],
            **detail,
        }
    )


def _refuse(plan: Plan, row: ParsedRow, refusal: Refusal) -> None:
    """A row a later app's check refused: its reason and details, at the row's place."""
    plan.rejected.append(
        {
            "sheet": row["sheet"],
            "row": row["row"],
            "reason": refusal["reason"],
            "number": row["number"],
            **refusal,
        }
    )


def _reject_outside_scope(plan: Plan, row: ParsedRow) -> None:
    """A number no member of the actor's units has, whether it exists elsewhere or not.

    One reason for both, holding only the file's own values: naming the member's unit (or
    answering differently for an unknown number) would let an agent look up any member.
    """
    _reject(plan, row, "not_a_member_here", value=row["number"])


def _sort_rejected(plan: Plan, parsed: ParsedFile) -> None:
    order = {sheet["name"]: index for index, sheet in enumerate(parsed["sheets"])}
    plan.rejected.sort(key=lambda r: (order.get(r["sheet"], 0), r["row"]))


def _row_unit_key(
    plan: Plan, row: ParsedRow, resolved: dict[str, str | None], parsed: ParsedFile
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
    parsed: ParsedFile,
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


def _load_phones(members: Iterable[Member]) -> dict[int, list[PhoneCore]]:
    ids = [m.pk for m in members]
    phones: dict[int, list[PhoneCore]] = {pk: [] for pk in ids}
    for start in range(0, len(ids), CHUNK):
        rows = (
            Phone.objects.filter(member_id__in=ids[start : start + CHUNK])
            .order_by("member_id", "position", "id")
            .values_list("member_id", "raw", "e164", "extension", "valid")
        )
        for member_id, raw, e164, extension, valid in rows:
            phones[member_id].append(
                {"raw": raw, "e164": e164, "extension": extension, "valid": valid}
            )
    return phones


def _phone_signature(phones: Iterable[PhoneCore]) -> list[tuple[str, str, str, bool]]:
    return [
        (p["e164"], p["extension"], p["raw"] if not p["e164"] else "", p["valid"]) for p in phones
    ]


def _unique_phones(phones: list[PhoneValues]) -> list[PhoneValues]:
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


def _field_problems(values: ModelValues) -> list[str]:
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


@dataclass
class _Start:
    """What both planners begin with: the plan, every unit, and where each unknown unit
    name written in the file goes (a unit key, CREATE:name, or None: rejected)."""

    plan: Plan
    units_by_key: dict[str, Unit]
    units_by_pk: dict[int, Unit]
    unknown: dict[str, str | None]


def _plan_start(
    kind: str,
    parsed: ParsedFile,
    *,
    scope: set[int] | None,
    unit_mapping: dict[str, str],
    create_units: bool,
) -> _Start:
    plan = Plan(
        kind=kind,
        rows_read=parsed["rows_read"],
        duplicates=parsed["duplicates"],
        warnings=parsed["warnings"],
        rejected=list(parsed["rejected"]),
    )
    all_units = list(Unit.objects.all())
    units_by_key = {str(u.code): u for u in all_units}
    unknown = _resolve_unknown_units(
        parsed,
        plan,
        units_by_key,
        scope=scope,
        unit_mapping=unit_mapping,
        create_units=create_units,
    )
    return _Start(plan, units_by_key, {u.pk: u for u in all_units}, unknown)


def _rows_in_scope(
    start: _Start,
    parsed: ParsedFile,
    members: dict[str, Member],
    scope: set[int] | None,
    on_rows: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[ParsedRow, str | None, Member | None]]:
    """(row, unit key, existing member) of each row whose written unit is known, mapped or to
    be created, and, for an agent, whose number is a member of their units; the others are
    rejected on the way. ``on_rows(checked, total)`` hears the count every 256 rows."""
    total = len(parsed["members"])
    for index, row in enumerate(parsed["members"]):
        if on_rows is not None and index % 256 == 0:
            on_rows(index, total)
        accepted, unit_key = _row_unit_key(start.plan, row, start.unknown, parsed)
        if not accepted:
            continue
        member = members.get(row["number"])
        if scope is not None and (member is None or member.unit_id not in scope):
            # An unused number and another unit's member get the same answer: creating the
            # one and refusing the other told an agent which numbers exist. New members and
            # moves between units are entered by the cooperative's staff.
            _reject_outside_scope(start.plan, row)
            continue
        yield row, unit_key, member
    if on_rows is not None:
        on_rows(total, total)


def _member_values(row: ParsedRow) -> ModelValues:
    """The member fields a row gives a value for, as the model stores them."""
    values: ModelValues = {
        key: value
        for key, value in row["values"].items()
        if key in MEMBER_FIELDS and value is not None and value != ""
    }
    joined = row["values"].get("joined_on")
    if isinstance(joined, str) and joined:
        values["joined_on"] = dt.date.fromisoformat(joined)
    values.pop("email_valid", None)
    if "email" in values:  # the flag travels with the address it describes
        flag = row["values"].get("email_valid", True)
        values["email_valid"] = True if flag is None else flag
    return values


def _member_changes(
    member: Member,
    values: ModelValues,
    unit_name: str,
    *,
    unit_moved: bool,
    before_unit: str,
    phones_before: list[PhoneCore],
    phones_after: list[PhoneValues] | None,
) -> dict[str, FieldChange]:
    """{field: {"before", "after"}} of what a row changes in an existing member."""
    changes: dict[str, FieldChange] = {}
    for key, value in values.items():
        if getattr(member, key) != value:
            changes[key] = {"before": jsonable(getattr(member, key)), "after": jsonable(value)}
    if unit_moved:
        changes["unit"] = {"before": before_unit, "after": unit_name}
    if phones_after is not None and _phone_signature(phones_before) != _phone_signature(
        phones_after
    ):
        changes["phones"] = {
            "before": [p["e164"] or p["raw"] for p in phones_before],
            "after": [p["e164"] or p["raw"] for p in phones_after],
        }
    return changes


def plan_members(
    parsed: ParsedFile,
    *,
    scope: set[int] | None,
    unit_mapping: dict[str, str] | None = None,
    create_units: bool = False,
    on_rows: Callable[[int, int], None] | None = None,
) -> Plan:
    start = _plan_start(
        "members",
        parsed,
        scope=scope,
        unit_mapping=unit_mapping or {},
        create_units=create_units,
    )
    plan = start.plan
    rows = parsed["members"]
    existing = _load_members([row["number"] for row in rows])
    phones = _load_phones(existing.values())
    covered_units: set[int] = set()
    for row, unit_key, member in _rows_in_scope(start, parsed, existing, scope, on_rows):
        unit: Unit | None
        new_unit_name = ""
        if unit_key is None:
            if member is None:
                _reject(plan, row, "missing_unit", value="")
                continue
            unit = start.units_by_pk[member.unit_id]
        elif unit_key.startswith(f"{CREATE}:"):
            unit, new_unit_name = None, unit_key.split(":", 1)[1]
        else:
            unit = start.units_by_key[unit_key]
        if scope is not None and (unit is None or unit.pk not in scope):
            # The unit comes from the file (cell, sheet name or title line), never the member.
            _reject(plan, row, "out_of_scope", value=row["unit_text"] or str(unit or ""))
            continue
        if unit is not None:
            covered_units.add(unit.pk)
        new_values = _member_values(row)
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
        changes = _member_changes(
            member,
            new_values,
            str(unit or new_unit_name),
            unit_moved=unit is None or member.unit_id != unit.pk,
            before_unit=start.units_by_pk[member.unit_id].name,
            phones_before=phones[member.pk],
            phones_after=new_phones,
        )
        if changes:
            plan.updates.append(
                {
                    "number": row["number"],
                    "member": member,
                    "unit": unit,
                    "new_unit_name": new_unit_name,
                    "values": new_values,
                    "phones": new_phones if "phones" in changes else None,
                    "changes": changes,
                }
            )
        else:
            plan.unchanged.append(row["number"])
    _sort_rejected(plan, parsed)
    plan.not_in_file = _members_not_in_file(covered_units, {row["number"] for row in rows})
    return plan


def _members_not_in_file(units: set[int], numbers: set[str]) -> list[MissingMember]:
    """Active members of the units the file lists whom it does not name (only reported)."""
    active = Member.objects.filter(unit_id__in=units, status=Member.Status.ACTIVE)
    missing = [n for n in active.values_list("number", flat=True) if n not in numbers]
    found: list[MissingMember] = [
        {"number": m.number, "name": m.full_name, "unit": m.unit.name}
        for start in range(0, len(missing), CHUNK)
        for m in Member.objects.filter(number__in=missing[start : start + CHUNK]).select_related(
            "unit"
        )
    ]
    return sorted(found, key=lambda m: (m["unit"], m["number"]))


def _name_key(text: str) -> str:
    return re.sub(r"\s+", "", clean_text(text))


def plan_representatives(
    parsed: ParsedFile,
    *,
    scope: set[int] | None,
    unit_mapping: dict[str, str] | None = None,
    on_rows: Callable[[int, int], None] | None = None,
) -> Plan:
    start = _plan_start(
        "representatives",
        parsed,
        scope=scope,
        # A representative belongs to a member's existing unit: never create one here.
        unit_mapping={k: v for k, v in (unit_mapping or {}).items() if v != CREATE},
        create_units=False,
    )
    plan = start.plan
    rows = parsed["members"]
    members = _load_members([row["number"] for row in rows], with_unit=True)
    current = {
        rep.member_id: rep
        for rep in Representative.objects.filter(ended_on__isnull=True).select_related(
            "member", "unit"
        )
    }
    covered: set[int] = set()
    accepted: list[tuple[ParsedRow, Member, Unit]] = []
    for row, unit_key, member in _rows_in_scope(start, parsed, members, scope, on_rows):
        unit = _representative_unit(start, row, unit_key, member, scope)
        if member is not None and unit is not None:
            accepted.append((row, member, unit))
    # Registers, successors and deputies named in the list (checked by the registers app).
    in_file = {row["number"] for row in rows if row["values"].get("role") != ROLE_DEPUTY}
    check = leader_rows_check([_leader_row(r, m, u) for r, m, u in accepted], in_file)
    plan.warnings = [*plan.warnings, *check.warnings]
    plan.leaders = check.actions
    for row, member, unit in accepted:
        refused = check.refused.get(row["number"])
        if refused is not None:
            _refuse(plan, row, refused)
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


def _representative_unit(
    start: _Start,
    row: ParsedRow,
    unit_key: str | None,
    member: Member | None,
    scope: set[int] | None,
) -> Unit | None:
    """The unit a representatives row names, once the row is known to name a member of it
    (by number and, when the file gives one, by name); None after rejecting the row."""
    plan = start.plan
    if member is None:
        _reject(plan, row, "not_a_member", value=row["number"])
        return None
    unit = start.units_by_key[unit_key] if unit_key else member.unit
    if scope is not None and unit.pk not in scope:
        _reject(plan, row, "out_of_scope", value=row["unit_text"] or unit.name)
        return None
    if member.unit_id != unit.pk:
        _reject(
            plan, row, "wrong_unit", value=row["number"], actual=member.unit.name, unit=unit.name
        )
        return None
    first, last = text_value(row["values"], "first_name"), text_value(row["values"], "last_name")
    written = _name_key(first + last)
    if written and written != _name_key(member.first_name + member.last_name):
        name = " ".join(v for v in (first, last) if v)
        _reject(
            plan, row, "name_mismatch", value=name, actual=member.full_name, number=row["number"]
        )
        return None
    return unit


def _leader_row(row: ParsedRow, member: Member, unit: Unit) -> LeaderRow:
    values = row["values"]
    return LeaderRow(
        sheet=row["sheet"],
        row=row["row"],
        number=row["number"],
        member_id=member.pk,
        unit_id=unit.pk,
        role=text_value(values, "role") or ROLE_REPRESENTATIVE,
        register=text_value(values, "register"),
        successor_of=text_value(values, "successor_of"),
        deputy=text_value(values, "deputy"),
        deputy_name=text_value(values, "deputy_name"),
    )
