"""Writes about the people who lead a register: deputy (ผู้ช่วยผู้แทน), vacancy, successor.

Kept apart from the planner's services: these change who leads a register, never its members
(except the successor's own place) nor its number, name or LINE group.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tocnet.core.audit import audit_record
from tocnet.members.models import Member, Representative
from tocnet.registers.models import Register, RegisterMembership
from tocnet.registers.planning import Move, plan_merge
from tocnet.registers.selectors import default_plan_options, unit_plan_inputs

# Later apps (line) react when a register's representative changes: the LINE group must be
# confirmed again by the new representative. Registered in AppConfig.ready.
LeaderChangedHandler = Callable[..., None]
leader_changed_handlers: list[LeaderChangedHandler] = []


def on_leader_changed(handler: LeaderChangedHandler) -> LeaderChangedHandler:
    """Register ``handler(register=..., actor=...)``, called inside the changing transaction."""
    if handler not in leader_changed_handlers:
        leader_changed_handlers.append(handler)
    return handler


def leader_changed(*, register: Register, actor: Any) -> None:
    """Tell the subscribed apps (line) that the register has a new representative."""
    for handler in leader_changed_handlers:
        handler(register=register, actor=actor)


# And when a register is retired (merged into the others, or dropped by a first plan): its
# LINE group is no longer a register's group. ``handler(register=..., group_id=..., actor=...)``
# with the group id the register had (cleared on the register), inside the transaction.
RegisterRetiredHandler = Callable[..., None]
register_retired_handlers: list[RegisterRetiredHandler] = []


def on_register_retired(handler: RegisterRetiredHandler) -> RegisterRetiredHandler:
    """Register ``handler(register=..., group_id=..., actor=...)`` (line releases the group)."""
    if handler not in register_retired_handlers:
        register_retired_handlers.append(handler)
    return handler


def register_retired(*, register: Register, group_id: str | None, actor: Any) -> None:
    """Tell the subscribed apps (line) that the register is retired."""
    for handler in register_retired_handlers:
        handler(register=register, group_id=group_id, actor=actor)


def _in_register(member: Member, register: Register) -> bool:
    return RegisterMembership.objects.filter(
        register=register, member=member, until__isnull=True
    ).exists()


@transaction.atomic
def register_deputy_set(*, register: Register, member: Member | None, actor: Any) -> Register:
    """Name (or with ``member=None`` clear) the register's deputy; audited.

    The deputy must be an active member of this register and not its representative.
    Raises ValidationError (Thai message) and changes nothing otherwise. Idempotent."""
    register = Register.objects.select_for_update().get(pk=register.pk)
    if member is not None:
        if member.status != Member.Status.ACTIVE:
            raise ValidationError(
                _("%(member)s is not an active member.") % {"member": member.full_name}
            )
        if not _in_register(member, register):
            raise ValidationError(
                _("%(member)s is not a member of register %(register)s.")
                % {"member": member.full_name, "register": register}
            )
        rep = register.representative
        if rep is not None and rep.ended_on is None and rep.member_id == member.pk:
            raise ValidationError(_("The representative cannot also be the deputy."))
        elsewhere = (
            Register.objects.filter(deputy=member, retired_at__isnull=True)
            .exclude(pk=register.pk)
            .exists()
        )
        if elsewhere:
            raise ValidationError(
                _("%(member)s is already the deputy of another register.")
                % {"member": member.full_name}
            )
    before = register.deputy.number if register.deputy else None
    after = member.number if member else None
    if before == after:
        return register
    register.deputy = member
    register.save(update_fields=["deputy", "updated_at"])
    audit_record(
        actor=actor,
        action="register.deputy_set" if member else "register.deputy_cleared",
        target=register,
        changes={"deputy": {"before": before, "after": after}},
    )
    return register


def _current_rep(register: Register) -> Representative | None:
    rep = register.representative
    return rep if rep is not None and rep.ended_on is None else None


@transaction.atomic
def register_vacate(*, register: Register, reason: str, actor: Any) -> Register:
    """The representative leaves (resigned, deceased, moved, term ended, removed by staff):
    their term ends today and the register becomes vacant, keeping its number, name, members
    and LINE group. Audited. Raises ValidationError when it is already vacant."""
    register = Register.objects.select_for_update().get(pk=register.pk)
    rep = _current_rep(register)
    if rep is None:
        raise ValidationError(_("%(register)s is already vacant.") % {"register": register})
    reason = (reason or "").strip()[:200]
    if not reason:
        raise ValidationError(_("Say why the representative leaves."))
    Representative.objects.filter(pk=rep.pk).update(
        ended_on=timezone.localdate(), end_reason=reason
    )
    audit_record(
        actor=actor,
        action="register.vacated",
        target=register,
        changes={"representative": rep.member.number, "reason": reason},
    )
    return register


@transaction.atomic
def register_successor_set(
    *,
    register: Register,
    member: Member,
    actor: Any,
    term_end: dt.date | None = None,
    reason: str = "",
) -> Representative:
    """The successor (the election's runner-up or a newly elected member of the unit) takes the
    register as it is: members, number, name and LINE group. The predecessor's term ends
    today if it had not; history keeps who led it when. The successor joins the register if
    they sat elsewhere, stops being its deputy, and the LINE group waits for the successor's
    own one-time code (line's handler). Raises ValidationError and changes nothing otherwise.
    """
    register = Register.objects.select_for_update().select_related("unit").get(pk=register.pk)
    if member.status != Member.Status.ACTIVE or member.unit_id != register.unit_id:
        raise ValidationError(
            _("%(member)s is not an active member of %(unit)s.")
            % {"member": member.full_name, "unit": register.unit.name}
        )
    previous = _current_rep(register)
    if previous is not None and previous.member_id == member.pk:
        raise ValidationError(
            _("%(member)s already leads this register.") % {"member": member.full_name}
        )
    elsewhere = Register.objects.filter(
        retired_at__isnull=True,
        representative__member=member,
        representative__ended_on__isnull=True,
    ).exclude(pk=register.pk)
    if elsewhere.exists():
        raise ValidationError(
            _("%(member)s already leads another register.") % {"member": member.full_name}
        )
    today = timezone.localdate()
    if previous is not None:
        Representative.objects.filter(pk=previous.pk).update(
            ended_on=today,
            end_reason=(reason or _("succeeded by %(number)s") % {"number": member.number})[:200],
        )
    # A current, unattached Representative row (imported from the election) is taken over.
    rep = Representative.objects.filter(
        member=member, ended_on__isnull=True, unit=register.unit
    ).first()
    if rep is None:
        Representative.objects.filter(member=member, ended_on__isnull=True).update(
            ended_on=today, end_reason="moved unit"
        )
        predecessor = previous or register.representative
        end = term_end or (
            predecessor.term_end
            if predecessor is not None and predecessor.term_end >= today
            else default_term_end(today)
        )
        rep = Representative(member=member, unit=register.unit, term_start=today, term_end=end)
        rep.full_clean()
        rep.save()
    before = register.representative.member.number if register.representative else None
    register.representative = rep
    if register.deputy_id == member.pk:
        register.deputy = None
    register.save(update_fields=["representative", "deputy", "updated_at"])
    now = timezone.now()
    sits = RegisterMembership.objects.filter(member=member, until__isnull=True).first()
    moved_from = None
    if sits is None or sits.register_id != register.pk:
        if sits is not None:
            moved_from = str(sits.register)
            RegisterMembership.objects.filter(pk=sits.pk).update(until=now)
        RegisterMembership.objects.create(register=register, member=member, since=now)
    audit_record(
        actor=actor,
        action="register.successor_set",
        target=register,
        changes={
            "representative": {"before": before, "after": member.number},
            "term": [str(rep.term_start), str(rep.term_end)],
            "joined_from": moved_from,
        },
    )
    leader_changed(register=register, actor=actor)
    return rep


def default_term_end(today: dt.date) -> dt.date:
    """A four-year term from today, ending the day before the anniversary."""
    years = 4
    try:
        anniversary = today.replace(year=today.year + years)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year + years, day=28)
    return anniversary - dt.timedelta(days=1)


@dataclass
class TermRenewal:
    renewed: list[str] = field(default_factory=list)
    not_current: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # member number -> name, current reps
    member_ids: list[int] = field(default_factory=list)  # the members named (access log)

    @property
    def renewed_named(self) -> list[tuple[str, str]]:
        return [(n, self.names.get(n, "")) for n in self.renewed]


def _current_reps(numbers: list[str], unit_ids: Iterable[int] | None) -> Any:
    reps = Representative.objects.filter(ended_on__isnull=True, member__number__in=numbers)
    if unit_ids is not None:
        reps = reps.filter(unit_id__in=list(unit_ids))
    return reps.select_related("member")


def term_renewal_preview(
    *, numbers: list[str], term_start: dt.date, unit_ids: Iterable[int] | None = None
) -> TermRenewal:
    """What renewing would do (reads only): see representative_terms_renew.

    With ``unit_ids`` (an agent's units) only those units' representatives count; any other
    number is "not a current representative", whether it leads elsewhere or not."""
    result = TermRenewal()
    current = {rep.member.number: rep for rep in _current_reps(numbers, unit_ids)}
    result.names = {number: rep.member.full_name for number, rep in current.items()}
    result.member_ids = [rep.member_id for rep in current.values()]
    for number in dict.fromkeys(numbers):
        rep = current.get(number)
        if rep is None:
            result.not_current.append(number)
        elif rep.term_start >= term_start:
            result.already.append(number)
        else:
            result.renewed.append(number)
    return result


@transaction.atomic
def representative_terms_renew(
    *,
    numbers: list[str],
    term_start: dt.date,
    term_end: dt.date,
    actor: Any,
    unit_ids: Iterable[int] | None = None,
) -> TermRenewal:
    """Re-elected representatives (the new election's results) get a new term in one action.

    Each listed member who is a current representative gets a new Representative row for
    [term_start, term_end]; the old row ends the day before, and their register follows the
    new row (same register, members, name and LINE group). Listed members who are not current
    representatives are reported, not changed (new representatives come with the import).
    Idempotent: a representative already on a term starting then is left alone. With
    ``unit_ids`` (an agent) only those units' representatives are renewed."""
    if term_end < term_start:
        raise ValidationError(_("The term must end after it starts."))
    if unit_ids is not None:
        unit_ids = list(unit_ids)
    result = term_renewal_preview(numbers=numbers, term_start=term_start, unit_ids=unit_ids)
    reps = _current_reps(result.renewed, unit_ids)
    for old in reps:
        Representative.objects.filter(pk=old.pk).update(
            ended_on=max(term_start - dt.timedelta(days=1), old.term_start),
            end_reason="re-elected",
        )
        new = Representative(
            member=old.member, unit_id=old.unit_id, term_start=term_start, term_end=term_end
        )
        new.full_clean()
        new.save()
        moved = Register.objects.filter(representative=old, retired_at__isnull=True)
        for register in moved:
            Register.objects.filter(pk=register.pk).update(representative=new)
        audit_record(
            actor=actor,
            action="representative.term_renewed",
            target=new,
            changes={
                "member": old.member.number,
                "before": [str(old.term_start), str(old.term_end)],
                "after": [str(term_start), str(term_end)],
            },
        )
    return result


def register_merge_preview(*, register: Register) -> list[Move]:
    """The moves that merging this vacant register into the unit's others would make."""
    [unit_input] = unit_plan_inputs([register.unit])
    try:
        return plan_merge(unit_input, str(register.code), default_plan_options())
    except ValueError as exc:
        raise ValidationError(
            _("Only a vacant register can be merged, into registers that have a representative.")
        ) from exc


@transaction.atomic
def register_merge(*, register: Register, actor: Any, expected: list[Move]) -> int:
    """Merge a vacant register into the unit's other registers: the previewed moves (refused
    if the preview changed meanwhile), memberships closed and opened with history, the
    register retired with its LINE group, one audit event with every move. Returns the
    members moved."""
    register = Register.objects.select_for_update().select_related("unit").get(pk=register.pk)
    moves = register_merge_preview(register=register)
    if [(m.member, m.to_key) for m in moves] != [(m.member, m.to_key) for m in expected]:
        raise ValidationError(_("The merge changed since it was shown; review it again."))
    now = timezone.now()
    targets = {
        str(r.code): r
        for r in Register.objects.filter(code__in=[m.to_key for m in moves if m.to_key])
    }
    member_ids = dict(
        Member.objects.filter(number__in=[m.member for m in moves]).values_list("number", "pk")
    )
    RegisterMembership.objects.filter(register=register, until__isnull=True).update(until=now)
    RegisterMembership.objects.bulk_create(
        [
            RegisterMembership(
                register=targets[m.to_key],  # type: ignore[index]
                member_id=member_ids[m.member],
                since=now,
            )
            for m in moves
        ]
    )
    # The register's LINE group is retired with it: no longer any register's group (line
    # marks it so); the id stays in the audit event.
    Register.objects.filter(pk=register.pk).update(retired_at=now, deputy=None, line_group_id=None)
    audit_record(
        actor=actor,
        action="register.merged",
        target=register,
        changes={
            "moves": [[m.member, m.from_name, m.to_name] for m in moves],
            "line_group_id": register.line_group_id,
        },
    )
    register_retired(register=register, group_id=register.line_group_id, actor=actor)
    return len(moves)
