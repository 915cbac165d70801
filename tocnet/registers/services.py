"""Writes of registers: approving a register plan (registers, memberships with history, audit)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tocnet.accounts import roles
from tocnet.core.audit import audit_record
from tocnet.members.models import Member, Representative, Unit
from tocnet.registers.leaders import leader_changed, register_retired
from tocnet.registers.models import Register, RegisterMembership
from tocnet.registers.planning import PlannedRegister, PlanOptions, UnitPlan
from tocnet.registers.selectors import unit_plan_list

# Numbers parked while registers swap numbers: the (unit, number) constraint holds throughout.
_PARKING = 30_000


class PlanChangedError(Exception):
    """The plan differs from the one reviewed (members or representatives changed meanwhile)."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        super().__init__(
            _("The plan of %(unit)s changed since it was shown; review it again.")
            % {"unit": unit.name}
        )


class RenameNeedsConfirmationError(Exception):
    """The plan renames a register whose LINE group is verified; staff must confirm that the
    group will be renamed in LINE too (the Messaging API cannot rename a group)."""

    def __init__(self, unit: Unit, renames: list[tuple[str, str]]) -> None:
        self.unit = unit
        self.renames = renames
        super().__init__(
            _(
                "The plan of %(unit)s renames a register whose LINE group is verified "
                "(%(names)s). Cooperative staff must confirm that the group's name in LINE "
                "will be changed too."
            )
            % {"unit": unit.name, "names": ", ".join(f"{a} → {b}" for a, b in renames)}
        )


@dataclass
class PlanApplyResult:
    units_changed: list[str] = field(default_factory=list)
    registers_created: int = 0
    registers_updated: int = 0
    registers_retired: int = 0
    memberships_opened: int = 0
    memberships_closed: int = 0
    moves: int = 0
    placed: int = 0
    left: int = 0
    vacant: int = 0
    deputies_cleared: int = 0
    skipped_without_representative: list[str] = field(default_factory=list)


@transaction.atomic
def register_plan_apply(
    *,
    units: Iterable[Unit],
    actor: Any,
    fingerprints: Mapping[str, str] | None = None,
    options: PlanOptions | None = None,
    confirm_renames: bool = False,
) -> PlanApplyResult:
    """Plan the units again and save the plan: registers, memberships (since/until), audit.

    All units in one transaction. With ``fingerprints`` (unit code -> fingerprint of the plan
    the person reviewed) a unit whose plan changed meanwhile raises PlanChangedError and nothing
    is saved. A plan that renames a register with a verified LINE group raises
    RenameNeedsConfirmationError unless staff pass ``confirm_renames``. Vacant registers keep
    their members, number and name. A deputy who is no longer in their register is cleared.
    Idempotent: approving an unchanged plan again changes nothing.
    """
    units = list(Unit.objects.select_for_update().filter(pk__in=[u.pk for u in units]))
    units.sort(key=lambda u: (u.kind, u.name))
    cooperative = unit_plan_list(units, options=options)
    if fingerprints is not None:
        for unit, plan in cooperative.pairs():
            expected = fingerprints.get(str(unit.code))
            if expected is not None and expected != cooperative.fingerprints[plan.key]:
                raise PlanChangedError(unit)
    staff_confirms = confirm_renames and roles.is_cooperative_staff(actor)
    for unit, plan in cooperative.pairs():
        renames = [(r.previous_name, r.name) for r in plan.registers if r.renames_verified_group]
        if renames and not staff_confirms:
            raise RenameNeedsConfirmationError(unit, renames)
    result = PlanApplyResult()
    now = timezone.now()
    for unit, plan in cooperative.pairs():
        if not plan.registers:
            result.skipped_without_representative.append(unit.abbreviation)
            continue
        result.vacant += len(plan.vacant)
        if not plan.changes_anything:
            continue
        _apply_unit(unit=unit, plan=plan, actor=actor, now=now, result=result)
        for planned in plan.registers:
            if planned.renames_verified_group:
                audit_record(
                    actor=actor,
                    action="register.group_rename_confirmed",
                    target=unit,
                    changes={"before": planned.previous_name, "after": planned.name},
                )
        result.deputies_cleared += _deputies_follow_members(unit=unit, actor=actor)
        # A new representative from the imported list took a register over: as for a
        # successor named on the page, its LINE group waits for their own one-time code.
        changed = [p.key for p in plan.registers if p.key and p.representative_changed]
        for register in Register.objects.filter(code__in=changed):
            leader_changed(register=register, actor=actor)
        result.placed += len(plan.added)
        result.left += len(plan.left)
        result.units_changed.append(unit.abbreviation)
    return result


def _deputies_follow_members(*, unit: Unit, actor: Any) -> int:
    """Clear the deputy of any register they no longer belong to (moved, left); audited."""
    cleared = 0
    registers = Register.objects.filter(
        unit=unit, retired_at__isnull=True, deputy__isnull=False
    ).select_related("deputy")
    for register in registers:
        deputy = register.deputy
        assert deputy is not None
        still = RegisterMembership.objects.filter(
            register=register, member=deputy, until__isnull=True
        ).exists()
        if still and deputy.status == Member.Status.ACTIVE:
            continue
        Register.objects.filter(pk=register.pk).update(deputy=None)
        cleared += 1
        audit_record(
            actor=actor,
            action="register.deputy_cleared",
            target=register,
            changes={"deputy": {"before": deputy.number, "after": None}, "why": "left register"},
        )
    return cleared


@dataclass
class _UnitApply:
    """What applying one unit's plan works on: the unit's rows, locked, and the tallies."""

    unit: Unit
    actor: Any
    now: Any
    result: PlanApplyResult
    registers: dict[str, Register]  # current registers by code
    reps: dict[str, Representative]  # current representatives by member number
    member_ids: dict[str, int]  # member number -> pk, for everyone the plan names


def _apply_unit(
    *, unit: Unit, plan: UnitPlan, actor: Any, now: Any, result: PlanApplyResult
) -> None:
    """Save one unit's plan: retire, renumber, create and update registers, move members."""
    work = _UnitApply(
        unit=unit,
        actor=actor,
        now=now,
        result=result,
        registers={
            str(r.code): r
            for r in Register.objects.select_for_update(of=("self",))
            .filter(unit=unit, retired_at__isnull=True)
            .select_related("representative__member")
        },
        reps={
            r.member.number: r
            for r in Representative.objects.filter(unit=unit, ended_on__isnull=True).select_related(
                "member"
            )
        },
        member_ids=dict(
            Member.objects.filter(
                number__in={n for r in plan.registers for n in r.members} | set(plan.left)
            ).values_list("number", "pk")
        ),
    )
    _retire_registers(work, plan)
    _park_changing_registers(work, plan)
    saved = [_save_register(work, planned) for planned in plan.registers]
    _move_members(work, plan, saved)
    result.moves += len(plan.moves)
    audit_record(
        actor=actor,
        action="register_plan.applied",
        target=unit,
        changes={
            "registers": [[r.name, r.representative, r.size] for r in plan.registers],
            "moves": [[m.member, m.from_name, m.to_name, m.reason] for m in plan.moves],
            "added": plan.added,
            "left": plan.left,
            "retired": [r.name for r in plan.retired],
            "split_districts": plan.split_districts,
            "baseline_split_districts": plan.baseline_split_districts,
        },
    )


def _retire_registers(work: _UnitApply, plan: UnitPlan) -> None:
    """Retire registers without a representative; their open memberships end now."""
    for current in plan.retired:
        register = work.registers.pop(current.key)
        closed = RegisterMembership.objects.filter(register=register, until__isnull=True)
        members_removed = sorted(closed.values_list("member__number", flat=True))
        work.result.memberships_closed += closed.update(until=work.now)
        Register.objects.filter(pk=register.pk).update(retired_at=work.now, line_group_id=None)
        work.result.registers_retired += 1
        audit_record(
            actor=work.actor,
            action="register.retired",
            target=register,
            changes={"members_removed": members_removed, "line_group_id": register.line_group_id},
        )
        register_retired(register=register, group_id=register.line_group_id, actor=work.actor)


def _park_changing_registers(work: _UnitApply, plan: UnitPlan) -> None:
    """Park the numbers and representatives of registers that change them, so that the
    (unit, number) and one-register-per-representative constraints hold throughout."""
    planned_existing = [r for r in plan.registers if r.key is not None]
    for index, planned in enumerate(planned_existing):
        register = work.registers[planned.key]  # type: ignore[index]
        # A vacancy keeps the representative who left: history says who led it until when.
        rep_pk = work.reps[planned.representative].pk if planned.representative else None
        keeps_rep = rep_pk is None or register.representative_id == rep_pk
        if register.number != planned.number or not keeps_rep:
            Register.objects.filter(pk=register.pk).update(
                number=_PARKING + index,
                representative=register.representative if rep_pk is None else None,
            )


def _save_register(work: _UnitApply, planned: PlannedRegister) -> Register:
    """Give a register its final number, name and representative, or create it; audited."""
    rep = work.reps[planned.representative] if planned.representative else None
    if planned.key is None:
        register = Register(
            unit=work.unit,
            number=planned.number,
            representative=rep,
            line_group_name=planned.name,
        )
        register.full_clean()
        register.save()
        work.result.registers_created += 1
        audit_record(
            actor=work.actor,
            action="register.created",
            target=register,
            changes={
                "number": planned.number,
                "line_group_name": planned.name,
                "representative": planned.representative,
            },
        )
        return register
    register = work.registers[planned.key]
    before = {
        "number": register.number,
        "line_group_name": register.line_group_name,
        "representative": register.representative.member.number
        if register.representative
        else None,
    }
    after = {
        "number": planned.number,
        "line_group_name": planned.name,
        "representative": planned.representative or before["representative"],
    }
    if rep is None:  # vacant: the representative who left stays on record
        rep = register.representative
    new_term = rep is not None and register.representative_id != rep.pk
    register.number = planned.number
    register.line_group_name = planned.name
    register.representative = rep
    register.full_clean()
    register.save(update_fields=["number", "line_group_name", "representative", "updated_at"])
    changed: dict[str, object] = {
        k: {"before": before[k], "after": v} for k, v in after.items() if before[k] != v
    }
    if new_term and "representative" not in changed:
        # Same member, new Representative row (re-elected for a new term).
        changed["representative_term"] = {"member": planned.representative}
    if changed:
        work.result.registers_updated += 1
        audit_record(actor=work.actor, action="register.updated", target=register, changes=changed)
    return register


def _move_members(work: _UnitApply, plan: UnitPlan, saved: list[Register]) -> None:
    """Memberships: keep who stays, close and open for who moves, arrives or leaves."""
    member_ids, now, result = work.member_ids, work.now, work.result
    wanted: dict[int, Register] = {}
    for planned, register in zip(plan.registers, saved, strict=True):
        for number in planned.members:
            wanted[member_ids[number]] = register
    left_ids = {member_ids[n] for n in plan.left if n in member_ids}
    open_rows = RegisterMembership.objects.filter(
        until__isnull=True, member_id__in=[*wanted, *left_ids]
    ).values_list("pk", "member_id", "register_id", "register__unit_id")
    to_close: list[int] = []
    staying: set[int] = set()
    removed: dict[int, list[int]] = {}
    for pk, member_id, register_id, unit_id in open_rows:
        target = wanted.get(member_id)
        if target is not None and target.pk == register_id:
            staying.add(member_id)
            continue
        if target is None and unit_id != work.unit.pk:
            continue  # left this unit but already placed elsewhere
        to_close.append(pk)
        removed.setdefault(register_id, []).append(member_id)
    result.memberships_closed += RegisterMembership.objects.filter(pk__in=to_close).update(
        until=now
    )
    new_rows = [
        RegisterMembership(register=register, member_id=member_id, since=now)
        for member_id, register in wanted.items()
        if member_id not in staying
    ]
    RegisterMembership.objects.bulk_create(new_rows, batch_size=2000)
    result.memberships_opened += len(new_rows)
    _audit_member_changes(work, saved, new_rows, removed)


def _audit_member_changes(
    work: _UnitApply,
    saved: list[Register],
    new_rows: list[RegisterMembership],
    removed: dict[int, list[int]],
) -> None:
    """One audit row per register whose members changed, registers of other units included."""
    number_of = {pk: number for number, pk in work.member_ids.items()}
    added_to: dict[int, list[str]] = {}
    for row in new_rows:
        added_to.setdefault(row.register.pk, []).append(number_of[row.member_id])
    for register in saved:
        gained = sorted(added_to.get(register.pk, []))
        lost = sorted(number_of[m] for m in removed.get(register.pk, []) if m in number_of)
        if gained or lost:
            audit_record(
                actor=work.actor,
                action="register.members_changed",
                target=register,
                changes={"members_added": gained, "members_removed": lost},
            )
    foreign = [pk for pk in removed if pk not in {r.pk for r in saved}]
    for register in Register.objects.filter(pk__in=foreign):
        audit_record(
            actor=work.actor,
            action="register.members_changed",
            target=register,
            changes={
                "members_added": [],
                "members_removed": sorted(number_of[m] for m in removed[register.pk]),
            },
        )


@transaction.atomic
def register_line_group_name_set(
    *,
    register_id: int,
    name: str,
    actor: Any,
    action: str = "register.group_name_set",
    confirm_verified: bool = False,
) -> Register:
    """Rename a register's LINE group (validated, audited as ``action``, row locked).

    A register whose LINE group is verified is renamed only when cooperative staff confirm
    (``confirm_verified``) that the group is renamed in LINE too; otherwise ValidationError."""
    register = Register.objects.select_for_update().get(pk=register_id)
    before = register.line_group_name
    if (
        register.line_group_id
        and name != before
        and not (confirm_verified and roles.is_cooperative_staff(actor))
    ):
        raise ValidationError(
            _(
                "The LINE group of %(register)s is verified: only cooperative staff can rename "
                "it, confirming that the group's name in LINE is changed too."
            )
            % {"register": before}
        )
    register.line_group_name = name
    register.full_clean()
    register.save(update_fields=["line_group_name", "updated_at"])
    audit_record(
        actor=actor,
        action=action,
        target=register,
        changes={"line_group_name": {"before": before, "after": register.line_group_name}},
    )
    return register
