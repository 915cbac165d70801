"""Registers, successors and deputies named in the representatives list (see
``members.importing.leaders``): checked while the import is planned, applied when it commits.

A row may name the register its representative leads (its LINE group, "สอ.พช.กพ.3", "กพ.3",
"ทะเบียนที่ ๓") or the representative it replaces; when that register is led by someone else
or vacant, the row's member succeeds (``register_successor_set``: the register, its members,
name and LINE group stay; the group waits for the successor's own code). A deputy is named by
number and/or name in the deputy column, or by a row whose role is ผู้ช่วยผู้แทน. Problems with
the representative's own row refuse the row (nothing of it is imported); problems with the
deputy only leave the deputy unset (a warning naming sheet, row and field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction

from tocnet.core.thai import clean_text, to_arabic_digits
from tocnet.members.importing.leaders import (
    ROLE_DEPUTY,
    ROLE_SUCCESSOR,
    LeaderAction,
    LeaderCheck,
    LeaderRow,
)
from tocnet.members.importing.normalize import split_full_name
from tocnet.members.importing.rows import Problem, ProblemDetail
from tocnet.members.models import Member, Unit
from tocnet.registers.leaders import register_deputy_set, register_successor_set
from tocnet.registers.models import Register, RegisterMembership
from tocnet.registers.naming import RegisterName, normalise_abbreviation, parse_register_name

_DIGITS = re.compile(r"\d+")


def _name_key(text: str) -> str:
    _title, first, last = split_full_name(text)
    return re.sub(r"\s+", "", f"{first}{last}")


def _member_name_key(member: Member) -> str:
    return re.sub(r"\s+", "", clean_text(f"{member.first_name}{member.last_name}"))


def _number_in(text: str) -> str | None:
    """The member number written in a cell ("12345", "๑๒๓๔๕", "12345.0", "นาย ก (12345)")."""
    found = _DIGITS.findall(to_arabic_digits(text).replace(".0", "", 1) if text else "")
    found = [n for n in found if len(n) >= 2]
    return found[0].lstrip("0") or None if found else None


@dataclass
class _Unit:
    unit: Unit
    registers: list[Register]
    members: dict[int, set[int]] = field(default_factory=dict)  # register pk -> member ids

    def name_list(self) -> str:
        return ", ".join(str(r) for r in self.registers) or "–"


class _Checker:
    def __init__(self, rows: list[LeaderRow], listed: set[str]) -> None:
        self.listed = listed
        unit_ids = {row.unit_id for row in rows}
        registers = (
            Register.objects.filter(unit_id__in=unit_ids, retired_at__isnull=True)
            .select_related("unit", "representative__member", "deputy")
            .order_by("number", "pk")
        )
        self.units = {u.pk: _Unit(u, []) for u in Unit.objects.filter(pk__in=unit_ids)}
        for register in registers:
            self.units[register.unit_id].registers.append(register)
        self.abbreviations = list(Unit.objects.values_list("abbreviation", flat=True))
        self.members = {
            m.pk: m for m in Member.objects.filter(pk__in=[row.member_id for row in rows])
        }
        self.result = LeaderCheck()
        self.claimed: dict[int, LeaderRow] = {}

    # --- lookups ---

    def register_members(self, register: Register) -> set[int]:
        unit = self.units[register.unit_id]
        if register.pk not in unit.members:
            unit.members[register.pk] = set(
                RegisterMembership.objects.filter(
                    register=register, until__isnull=True, member__status=Member.Status.ACTIVE
                ).values_list("member_id", flat=True)
            )
        return unit.members[register.pk]

    def register_named(self, text: str, unit: _Unit) -> Register | str:
        """The unit's register a cell names, or a reason code."""
        written = clean_text(text)
        for register in unit.registers:
            if written and written == register.line_group_name:
                return register
        arabic = to_arabic_digits(written)
        parsed = parse_register_name(arabic, self.abbreviations)
        number: int | None
        if isinstance(parsed, RegisterName):
            if parsed.abbreviation != normalise_abbreviation(unit.unit.abbreviation):
                return "register_other_unit"
            number = parsed.number
        else:
            # "3", "กพ.3", "ทะเบียนที่ 3", "กลุ่มไลน์ 3": only words of the column and the
            # unit's own abbreviation around the number; "กพ" alone: the single group.
            rest = re.sub(r"[\s.\-–—_#:/()]", "", arabic).lower()
            rest = rest.removeprefix("สอพช")
            for word in ("ทะเบียนที่", "ทะเบียน", "กลุ่มไลน์", "กลุ่มline", "กลุ่มที่", "กลุ่ม"):
                rest = rest.removeprefix(word)
            rest = rest.removeprefix(re.sub(r"[\s.]", "", unit.unit.abbreviation))
            if rest.isdigit() and len(rest) <= 3:
                number = int(rest)
            elif rest == "":
                number = None
            else:
                return "unknown_register"
        for register in unit.registers:
            if register.number == number:
                return register
        return "unknown_register"

    def register_of_predecessor(self, text: str, unit: _Unit) -> Register | None:
        number = _number_in(text)
        key = _name_key(text)
        for register in unit.registers:
            rep = register.representative
            if rep is None:
                continue
            if (number and rep.member.number == number) or (
                not number and key and _member_name_key(rep.member) == key
            ):
                return register
        return None

    def led_by(self, member_id: int) -> Register | None:
        for unit in self.units.values():
            for register in unit.registers:
                rep = register.representative
                if rep is not None and rep.ended_on is None and rep.member_id == member_id:
                    return register
        return None

    # --- results ---

    def refuse(self, row: LeaderRow, reason: str, **detail: Unpack[ProblemDetail]) -> None:
        self.result.refused[row.number] = {"reason": reason, **detail}

    def warn(
        self, row: LeaderRow, field_name: str, reason: str, **detail: Unpack[ProblemDetail]
    ) -> None:
        self.result.warnings.append(
            {
                "sheet": row.sheet,
                "row": row.row,
                "field": field_name,
                "reason": reason,
                "member_number": row.number,
                **detail,
            }
        )

    def act(self, row: LeaderRow, kind: str, register: Register, member: Member) -> None:
        self.result.actions.append(
            {
                "kind": kind,
                "register": str(register.code),
                "register_name": str(register),
                "number": member.number,
                "name": member.full_name,
                "sheet": row.sheet,
                "row": row.row,
            }
        )

    # --- rows ---

    def target(self, row: LeaderRow, unit: _Unit) -> Register | bool | None:
        """The register the row names (None: none named), or False once refused."""
        target: Register | None = None
        if row.register:
            found = self.register_named(row.register, unit)
            if isinstance(found, str):
                self.refuse(
                    row,
                    found,
                    field="register",
                    value=row.register,
                    unit=unit.unit.name,
                    known=unit.name_list(),
                )
                return False
            target = found
        if row.successor_of and row.role != ROLE_DEPUTY:
            before = self.register_of_predecessor(row.successor_of, unit)
            if before is None or (target is not None and before != target):
                self.refuse(
                    row,
                    "unknown_predecessor",
                    field="successor_of",
                    value=row.successor_of,
                    unit=unit.unit.name,
                )
                return False
            target = before
        return target

    def check(self, row: LeaderRow) -> None:
        unit = self.units[row.unit_id]
        member = self.members[row.member_id]
        target = self.target(row, unit)
        if target is False:
            return
        assert target is None or isinstance(target, Register)
        if row.role == ROLE_DEPUTY:
            if target is None:
                self.refuse(row, "register_needed", field="register", value="")
                return
            problem = self.deputy_problem(target, member)
            if problem:
                self.refuse(row, problem, field="role", value=member.number, register=str(target))
            elif target.deputy_id != member.pk:
                self.act(row, "deputy", target, member)
            return
        if row.role == ROLE_SUCCESSOR and target is None:
            self.refuse(row, "register_needed", field="register", value="")
            return
        leads = self.led_by(member.pk)
        if target is not None:
            earlier = self.claimed.get(target.pk)
            if earlier is not None:
                self.refuse(
                    row,
                    "register_named_twice",
                    field="register",
                    value=str(target),
                    first_sheet=earlier.sheet,
                    first_row=earlier.row,
                )
                return
            current = target.representative
            if current is not None and current.ended_on is not None:
                current = None
            if current is None or current.member_id != member.pk:
                if leads is not None:
                    self.refuse(row, "leads_another_register", value=str(target), actual=str(leads))
                    return
                if current is not None and current.member.number in self.listed:
                    self.refuse(
                        row,
                        "register_led_by_listed",
                        field="register",
                        value=str(target),
                        actual=f"{current.member.full_name} ({current.member.number})",
                    )
                    return
                self.act(row, "successor", target, member)
            self.claimed[target.pk] = row
        self.check_deputy_column(row, target or leads, member, unit)

    def deputy_problem(self, register: Register, deputy: Member) -> str:
        rep = register.representative
        successor = next(
            (
                a["number"]
                for a in self.result.actions
                if a["kind"] == "successor" and a["register"] == str(register.code)
            ),
            None,
        )
        if deputy.number == successor or (
            successor is None and rep is not None and rep.ended_on is None
            and rep.member_id == deputy.pk
        ):  # fmt: skip
            return "deputy_is_representative"
        if deputy.status != Member.Status.ACTIVE or deputy.pk not in self.register_members(
            register
        ):
            return "deputy_not_in_register"
        elsewhere = (
            Register.objects.filter(deputy=deputy, retired_at__isnull=True)
            .exclude(pk=register.pk)
            .exists()
        )
        return "deputy_elsewhere" if elsewhere else ""

    def check_deputy_column(
        self, row: LeaderRow, register: Register | None, rep: Member, unit: _Unit
    ) -> None:
        if not row.deputy and not row.deputy_name:
            return
        written = row.deputy or row.deputy_name
        if register is None:
            self.warn(row, "deputy", "deputy_needs_register", value=written)
            return
        number = _number_in(row.deputy)
        deputy: Member | None = None
        if number:
            deputy = Member.objects.filter(number=number, unit_id=unit.unit.pk).first()
        else:
            key = _name_key(written)
            found = [
                m
                for m in Member.objects.filter(pk__in=self.register_members(register))
                if key and _member_name_key(m) == key
            ]
            if len(found) > 1:
                self.warn(row, "deputy", "deputy_ambiguous", value=written, unit=unit.unit.name)
                return
            deputy = found[0] if found else None
        if deputy is None:
            self.warn(row, "deputy", "deputy_unknown", value=written, unit=unit.unit.name)
            return
        if number and row.deputy_name and _name_key(row.deputy_name) != _member_name_key(deputy):
            self.warn(
                row,
                "deputy_name",
                "deputy_name_mismatch",
                value=row.deputy_name,
                number=deputy.number,
                actual=deputy.full_name,
            )
            return
        if deputy.pk == rep.pk:
            self.warn(
                row, "deputy", "deputy_is_representative", value=written, register=str(register)
            )
            return
        problem = self.deputy_problem(register, deputy)
        if problem:
            self.warn(row, "deputy", problem, value=written, register=str(register))
        elif register.deputy_id != deputy.pk:
            self.act(row, "deputy", register, deputy)


def leader_rows_check(rows: list[LeaderRow], listed: set[str]) -> LeaderCheck:
    """Check registers, successors and deputies named in a representatives list (reads only).

    Successor rows come first so that a deputy row can name a register changing hands."""
    checker = _Checker(rows, listed)
    ordered = sorted(rows, key=lambda r: (r.role == ROLE_DEPUTY, r.sheet, r.row))
    for row in ordered:
        checker.check(row)
    return checker.result


def leader_actions_apply(actions: list[LeaderAction], actor: Any, file_name: str) -> list[Problem]:
    """Apply checked actions (successors first, then deputies), each in a savepoint; an action
    the register no longer allows is skipped with a warning, the rest of the import stands."""
    skipped: list[Problem] = []
    registers = {
        str(r.code): r for r in Register.objects.filter(code__in=[a["register"] for a in actions])
    }
    members = {
        m.number: m for m in Member.objects.filter(number__in=[a["number"] for a in actions])
    }
    reason = f"named in representatives list {file_name}"[:200]
    ordered = sorted(actions, key=lambda a: a["kind"] != "successor")
    for action in ordered:
        register, member = registers.get(action["register"]), members.get(action["number"])
        try:
            if register is None or member is None:
                raise ValidationError("gone")
            with transaction.atomic():
                if action["kind"] == "successor":
                    register_successor_set(
                        register=register, member=member, actor=actor, reason=reason
                    )
                else:
                    register.refresh_from_db()
                    register_deputy_set(register=register, member=member, actor=actor)
        except ValidationError as exc:
            skipped.append(
                {
                    "sheet": action["sheet"],
                    "row": action["row"],
                    "field": "register" if action["kind"] == "successor" else "deputy",
                    "reason": "leader_not_applied",
                    "member_number": action["number"],
                    "value": f"{action['name']} ({action['number']})",
                    "register": action["register_name"],
                    "actual": " ".join(exc.messages),
                }
            )
    return skipped
