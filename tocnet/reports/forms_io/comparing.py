"""Comparing a returned attachment 3 with the system: per member the contact values, "in
the group" and remarks that differ (and conflicts with changes made since the export), and
the register names the unit reported; nothing is written here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.utils.translation import gettext as _

from tocnet.accounts.models import User
from tocnet.core.models import AuditEvent
from tocnet.core.thai import phone_display
from tocnet.members.importing.normalize import (
    normalize_email,
    normalize_member_number,
    parse_phones,
)
from tocnet.members.models import Member, Unit
from tocnet.registers.models import Register, RegisterMembership
from tocnet.registers.naming import RegisterName, normalise_abbreviation, parse_register_name
from tocnet.registers.selectors import register_list_for_user
from tocnet.reports.forms_io import layout as L
from tocnet.reports.forms_io.reading import Change, FormRead, FormRowRead, Problem, ProblemParams
from tocnet.reports.models import MemberFormReport
from tocnet.reports.selectors import with_reach
from tocnet.reports.services import submitter_role

# --- comparing ----------------------------------------------------------------------------


def _changed_fields_since(members: list[Member], since: dt.datetime) -> dict[int, set[str] | None]:
    """Per member pk: fields changed in the system after ``since`` (None: changed, unknown which)."""
    by_code = {str(m.code): m for m in members}
    changed: dict[int, set[str] | None] = {}
    events = AuditEvent.objects.filter(
        kind=AuditEvent.Kind.CHANGE,
        target_type="members.member",
        target_id__in=list(by_code),
        created_at__gt=since,
    ).values_list("target_id", "changes")
    for target_id, changes in events:
        member = by_code.get(target_id)
        if member is None:
            continue
        fields = changed.setdefault(member.pk, set())
        if fields is not None:
            fields.update((changes or {}).keys())
    for member in members:
        if member.updated_at > since and member.pk not in changed:
            changed[member.pk] = None
    return changed


def _current_mobiles(member: Member) -> list[str]:
    """The phones the form's mobile cell showed (one rule with the export), comparable."""
    return sorted(p.e164 or p.raw for p in L.form_phones(member))


def _phones_text(values: list[str]) -> str:
    """The compared phones as people read them (081-234-5678), for the preview."""
    return ", ".join(phone_display(v if v.startswith("+") else "", raw=v) for v in values)


def _form_mobiles(text: str) -> tuple[list[str], bool]:
    values = parse_phones(text)
    return sorted(v.e164 or v.raw for v in values), all(v.valid for v in values)


@dataclass
class RowPlan:
    number: str
    sheet: str
    row: int
    member_id: int | None = None
    member_code: str = ""
    name: str = ""
    status: str = "ok"  # ok, not_in_unit, out_of_scope, duplicate, bad_number, missing_number
    changes: list[Change] = field(default_factory=list)
    form_phones: str = ""
    in_group: bool | None = None
    uses_line: bool | None = None
    note: str = ""
    # What the form reports that differs from what the export showed ("in the group",
    # "uses LINE", remarks): stored with the member on apply, never a conflict.
    reported: list[Change] = field(default_factory=list)


class RegisterChange(TypedDict):
    """A register's LINE group name the form would change (stored as JSON with the preview)."""

    key: str  # "register:<code>:line_group_name"
    field: str
    current: str
    form: str
    conflict: bool
    verified: bool  # the group is verified: renamed in LINE too, by staff only
    register_id: int


@dataclass
class Plan:
    rows: list[RowPlan] = field(default_factory=list)
    register_changes: list[RegisterChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [c for r in self.rows for c in r.changes] + [
            Change(
                key=rc["key"],
                field=rc["field"],
                current=rc["current"],
                form=rc["form"],
                conflict=rc["conflict"],
            )
            for rc in self.register_changes
        ]

    @property
    def reported(self) -> list[Change]:
        return [c for r in self.rows for c in r.reported]

    @property
    def conflicts(self) -> list[Change]:
        return [c for c in self.changes if c.conflict]


def plan_form(*, unit: Unit, actor: User | None, form: FormRead) -> Plan:
    """Compare a read form with the system: changes, conflicts and problems (reads only)."""
    plan = Plan()
    numbers: dict[str, FormRowRead] = {}
    for sheet in form.sheets:
        for row in sheet.rows:
            if not row.number:
                plan.problems.append(
                    Problem(
                        "missing_number", {"sheet": row.sheet, "row": row.row, "name": row.name}
                    )
                )
                plan.rows.append(
                    RowPlan(
                        number="",
                        sheet=row.sheet,
                        row=row.row,
                        name=row.name,
                        status="missing_number",
                    )
                )
                continue
            try:
                number = normalize_member_number(row.number)
            except ValueError:
                plan.problems.append(
                    Problem("bad_number", {"sheet": row.sheet, "row": row.row, "value": row.number})
                )
                plan.rows.append(
                    RowPlan(number=row.number, sheet=row.sheet, row=row.row, status="bad_number")
                )
                continue
            if number in numbers:
                plan.problems.append(
                    Problem("duplicate", {"sheet": row.sheet, "row": row.row, "number": number})
                )
                plan.rows.append(
                    RowPlan(number=number, sheet=row.sheet, row=row.row, status="duplicate")
                )
                continue
            numbers[number or ""] = row
    # Only members this upload may touch are looked up: the unit's, and for a representative
    # those of the registers they lead.  Any other number gets the same answer, built from the
    # file alone, so nobody learns whether or where it exists.
    candidates = Member.objects.filter(
        unit=unit, number__in=[*numbers, *(n.zfill(6) for n in numbers)]
    )
    outside = "not_in_unit"
    if actor is not None and submitter_role(unit=unit, user=actor) == "representative":
        outside = "out_of_scope"
        candidates = candidates.filter(
            pk__in=RegisterMembership.objects.filter(
                until__isnull=True, register__in=register_list_for_user(actor)
            ).values("member_id")
        )
    members = {m.number.lstrip("0"): m for m in with_reach(candidates).prefetch_related("phones")}
    changed = _changed_fields_since(list(members.values()), form.exported_at)
    reports = {
        r.member_id: r
        for r in MemberFormReport.objects.filter(member__in=[m.pk for m in members.values()])
    }
    for number, row in numbers.items():
        member = members.get(number.lstrip("0"))
        plan_row = RowPlan(number=number, sheet=row.sheet, row=row.row, name=row.name)
        plan.rows.append(plan_row)
        where: ProblemParams = {"sheet": row.sheet, "row": row.row, "number": number}
        if member is None:
            plan_row.status = outside
            plan.problems.append(Problem(outside, where))
            continue
        plan_row.member_id, plan_row.member_code = member.pk, str(member.code)
        plan_row.name = member.full_name
        plan_row.in_group, plan_row.uses_line, plan_row.note = row.in_group, row.uses_line, row.note
        _plan_member_fields(plan, plan_row, row, member, changed.get(member.pk, set()), where)
        _plan_reported(plan_row, row, member, reports.get(member.pk))
    _plan_registers(unit=unit, actor=actor, form=form, plan=plan)
    return plan


def _plan_member_fields(
    plan: Plan,
    plan_row: RowPlan,
    row: FormRowRead,
    member: Member,
    since: set[str] | None,
    where: ProblemParams,
) -> None:
    """Compare one row's contact fields; ``since``: fields the system changed after export."""

    def add(field_name: str, current: Any, value: Any, audit_keys: tuple[str, ...]) -> None:
        conflict = since is None or any(k in since for k in audit_keys)
        plan_row.changes.append(
            Change(
                key=f"{plan_row.number}:{field_name}",
                field=field_name,
                current=current,
                form=value,
                conflict=conflict,
            )
        )

    if row.mobile:
        form_phones, valid = _form_mobiles(row.mobile)
        current = _current_mobiles(member)
        if form_phones and form_phones != current:
            if not valid:
                plan.problems.append(Problem("bad_phone", {**where, "value": row.mobile}))
            plan_row.form_phones = row.mobile
            add("phones", _phones_text(current), _phones_text(form_phones), ("phones",))
    if row.email:
        email, valid = normalize_email(row.email)
        if email != member.email:
            if not valid:
                plan.problems.append(Problem("bad_email", {**where, "value": row.email}))
            add("email", member.email, email, ("email", "email_valid"))
    if row.uses_line is not None and row.uses_line == member.no_line:
        add("no_line", member.no_line, not row.uses_line, ("no_line", "line_id"))
    # A remark on a member nobody can reach becomes the recorded reason (the completeness
    # rule asks for one), unless the system already has a reason.
    if row.note and not member.unreachable_reason:
        phone_after = any(p.valid for p in member.phones.all()) or (
            bool(row.mobile) and _form_mobiles(row.mobile)[1] and bool(parse_phones(row.mobile))
        )
        email_after = (bool(member.email) and member.email_valid) or (
            bool(row.email) and normalize_email(row.email)[1]
        )
        if not (phone_after or email_after or member.line_user_id):
            add("unreachable_reason", "", row.note[:200], ("unreachable_reason",))


def _plan_reported(
    plan_row: RowPlan, row: FormRowRead, member: Member, report: MemberFormReport | None
) -> None:
    """The form's "in the group", "uses LINE" and remarks where they differ from what the
    export showed; applying stores them with the member (only when the row reports any)."""
    if row.in_group is None and row.uses_line is None and not row.note:
        return  # nothing is stored for this row
    fields = {c.field: c for c in plan_row.changes}
    shown = {
        "in_group": (L.exported_in_group(member, report), row.in_group),
        "uses_line": (L.exported_uses_line(member, report), row.uses_line),
        "note": (L.exported_note(member, report), row.note),
    }
    for name, (before, after) in shown.items():
        if before == after:
            continue
        if name == "uses_line" and "no_line" in fields:
            continue  # already shown as the "does not use LINE" change
        reason = fields.get("unreachable_reason")
        if name == "note" and reason is not None and reason.form == str(after)[:200]:
            continue  # already shown as the reason it becomes
        plan_row.reported.append(
            Change(key=f"{plan_row.number}:{name}", field=name, current=before, form=after)
        )


def _plan_registers(*, unit: Unit, actor: User | None, form: FormRead, plan: Plan) -> None:
    registers = {
        str(r.code): r for r in Register.objects.filter(unit=unit, retired_at__isnull=True)
    }
    allowed = None
    if actor is not None and submitter_role(unit=unit, user=actor) == "representative":
        allowed = {str(c) for c in register_list_for_user(actor).values_list("code", flat=True)}
    known = list(Unit.objects.values_list("abbreviation", flat=True))
    numbers = {normalise_abbreviation(unit.abbreviation): [r.number for r in registers.values()]}
    changed_registers = set(
        AuditEvent.objects.filter(
            kind=AuditEvent.Kind.CHANGE,
            target_type="registers.register",
            target_id__in=list(registers),
            created_at__gt=form.exported_at,
        ).values_list("target_id", flat=True)
    )
    for sheet in form.sheets:
        if not sheet.register_code:
            continue  # the "not on a register" sheet
        register = registers.get(sheet.register_code)
        if register is None:
            plan.problems.append(Problem("unknown_register", {"sheet": sheet.title}))
            continue
        if allowed is not None and sheet.register_code not in allowed:
            continue
        text = sheet.group_name
        if not text or text == register.line_group_name:
            continue
        parsed = parse_register_name(text, known, numbers)
        if not (
            isinstance(parsed, RegisterName)
            and parsed.abbreviation == normalise_abbreviation(unit.abbreviation)
            and parsed.number == register.number
        ):
            reason = (
                parsed.message
                if not isinstance(parsed, RegisterName)
                else _("“%(text)s” names another register (%(name)s).")
                % {"text": text, "name": parsed.name}
            )
            plan.problems.append(
                Problem("bad_group_name", {"sheet": sheet.title, "reason": reason})
            )
            continue
        if parsed.name == register.line_group_name:
            continue
        plan.register_changes.append(
            {
                "key": f"register:{register.code}:line_group_name",
                "field": "line_group_name",
                "current": register.line_group_name,
                "form": parsed.name,
                "conflict": str(register.code) in changed_registers
                or register.updated_at > form.exported_at
                # A verified group is renamed only when staff tick it (renamed in LINE too).
                or bool(register.line_group_id),
                "verified": bool(register.line_group_id),
                "register_id": register.pk,
            }
        )
