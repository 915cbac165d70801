"""Reads of registers and register plans, always through the user's scope."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.models import AuditEvent
from tocnet.core.thai import thai_sort_key
from tocnet.members.models import Member, Representative, Unit
from tocnet.members.selectors import as_uuid, unit_list_for_user
from tocnet.registers.models import Register, RegisterMembership
from tocnet.registers.planning import (
    CurrentRegister,
    MemberIn,
    PlanOptions,
    UnitInput,
    UnitPlan,
    plan_unit,
)


def register_leader_q(user: User, prefix: str = "") -> Q:
    """Registers (reached through ``prefix``) this user leads as current representative or
    stands in for as deputy. The one definition of "a representative's own register"."""
    led = Q(
        **{
            f"{prefix}representative__member__user": user,
            f"{prefix}representative__ended_on__isnull": True,
        }
    )
    deputised = Q(
        **{f"{prefix}deputy__user": user, f"{prefix}deputy__status": Member.Status.ACTIVE}
    )
    return Q(**{f"{prefix}retired_at__isnull": True}) & (led | deputised)


def register_list_for_user(user: User) -> QuerySet[Register]:
    """Current registers the user may see: staff and board all, agents their units',
    representatives the ones they lead, deputies the one they stand in for."""
    qs = Register.objects.filter(retired_at__isnull=True).select_related(
        "unit", "representative__member", "deputy"
    )
    if roles.sees_whole_cooperative(user):
        return qs
    if roles.is_agent(user):
        return qs.filter(unit__in=user.unit_links.values("unit_id"))
    if roles.is_representative(user):
        return qs.filter(register_leader_q(user))
    return qs.none()


def get_register_for_user(user: User, code: object) -> Register:
    """One current register by code, or 404 when it does not exist or is outside the scope."""
    try:
        return register_list_for_user(user).get(code=as_uuid(code))
    except Register.DoesNotExist as exc:
        raise Http404 from exc


def register_deputy(register: Register) -> Member | None:
    """The register's deputy (ผู้ช่วยผู้แทน) while they are an active member, else None.

    Escalation (a representative who does not act) goes to this member."""
    deputy = register.deputy
    if deputy is None or deputy.status != Member.Status.ACTIVE:
        return None
    return deputy


def register_deputy_user(register: Register) -> User | None:
    """The deputy's web account (role representative, active), or None: who signs in for them."""
    deputy = register_deputy(register)
    if deputy is None or deputy.user_id is None:
        return None
    return roles.representative_accounts().filter(pk=deputy.user_id).first()


def register_leader_role(user: User, register: Register) -> str:
    """How the user stands to the register: "representative", "deputy" or ""."""
    rep = register.representative
    if rep is not None and rep.ended_on is None and rep.member.user_id == user.pk:
        return "representative"
    deputy = register_deputy(register)
    if deputy is not None and deputy.user_id == user.pk:
        return "deputy"
    return ""


def led_member_ids(user: User) -> QuerySet[RegisterMembership, Any]:
    """Ids of the members on the current registers this user leads or deputises (a subquery;
    members.selectors scopes representatives with it)."""
    return RegisterMembership.objects.filter(
        Q(until__isnull=True) & register_leader_q(user, "register__")
    ).values("member_id")


def led_unit_ids(user: User) -> QuerySet[Register, Any]:
    """Ids of the units of the current registers this user leads or deputises (a subquery)."""
    return Register.objects.filter(register_leader_q(user)).values("unit_id")


_HISTORY_KINDS = {
    "register.successor_set": "successor",
    "register.updated": "successor",
    "register.vacated": "vacated",
    "register.created": "created",
    "representative.end": "vacated",
    "representative.term_renewed": "term",
}


def register_leader_history(register: Register) -> list[dict[str, object]]:
    """Who led the register when, newest first, from the audit trail, whichever way the
    leader changed: a successor named on the page or in the imported list (``successor``),
    a new representative the plan seated from the imported list (``register.updated`` with a
    representative change, also ``successor``), a vacancy marked on the page or a
    representative left out of the imported list (``vacated``), a new term (``term``) and
    the register's creation. Each entry: when, action, kind, changes, by. Three queries."""
    own = list(
        AuditEvent.objects.filter(
            Q(action__in=["register.successor_set", "register.vacated", "register.created"])
            | Q(action="register.updated", changes__has_key="representative"),
            target_type="registers.register",
            target_id=str(register.code),
        ).order_by("-created_at", "-pk")[:40]
    )
    # The representatives who led it (their rows' events: left out of a list, re-elected).
    numbers = set()
    if register.representative is not None:
        numbers.add(register.representative.member.number)
    for e in own:
        people = (e.changes or {}).get("representative")
        if isinstance(people, dict):
            numbers.update(str(n) for n in people.values() if n)
        elif people:
            numbers.add(str(people))
    reps = dict(
        Representative.objects.filter(
            unit_id=register.unit_id, member__number__in=numbers
        ).values_list("code", "member__number")
    )
    theirs = list(
        AuditEvent.objects.filter(
            target_type="members.representative",
            target_id__in=[str(c) for c in reps],
            action__in=["representative.end", "representative.term_renewed"],
        ).order_by("-created_at", "-pk")[:40]
    )
    numbers_by_code = {str(c): n for c, n in reps.items()}
    events = sorted([*own, *theirs], key=lambda e: (e.created_at, e.pk), reverse=True)[:20]
    out: list[dict[str, object]] = []
    for e in events:
        changes: dict[str, Any] = dict(e.changes or {})
        if e.action == "representative.end":
            # The imported list without them: named as the vacancy it made.
            changes = {"representative": numbers_by_code[e.target_id], "reason": "not_in_list"}
        elif e.action == "representative.term_renewed":
            start, end = changes.get("after") or ["", ""]
            changes = {
                "member": changes.get("member", ""),
                "start": dt.date.fromisoformat(start) if start else None,
                "end": dt.date.fromisoformat(end) if end else None,
            }
        out.append(
            {
                "when": e.created_at,
                "action": e.action,
                "kind": _HISTORY_KINDS[e.action],
                "changes": changes,
                "by": e.actor_repr,
            }
        )
    return out


# --- planning ---------------------------------------------------------------------------------


def planning_unit_list_for_user(user: User) -> QuerySet[Unit]:
    """Units whose registers the user may review and approve."""
    if not roles.can_plan(user):
        return Unit.objects.none()
    return unit_list_for_user(user).order_by("kind", "name")


def get_planning_unit_for_user(user: User, code: object) -> Unit:
    """One unit the user may plan, or 404."""
    try:
        return planning_unit_list_for_user(user).get(code=as_uuid(code))
    except Unit.DoesNotExist as exc:
        raise Http404 from exc


def unit_plan_inputs(units: Iterable[Unit]) -> list[UnitInput]:
    """The planner's input for each unit, read in a constant number of queries.

    Active members with district and a Thai sort key, current representatives (by member
    number), current registers with their representative, and every open membership in them.
    """
    units = list(units)
    unit_ids = [u.pk for u in units]
    members: dict[int, list[MemberIn]] = defaultdict(list)
    rows = Member.objects.filter(unit_id__in=unit_ids, status=Member.Status.ACTIVE).values_list(
        "unit_id", "number", "district", "first_name", "last_name"
    )
    for unit_id, number, district, first, last in rows:
        members[unit_id].append(
            MemberIn(number, (district or "").strip(), thai_sort_key(f"{first} {last}"))
        )
    reps: dict[int, list[str]] = defaultdict(list)
    for unit_id, number in (
        Representative.objects.filter(unit_id__in=unit_ids, ended_on__isnull=True)
        .order_by("member__number")
        .values_list("unit_id", "member__number")
    ):
        reps[unit_id].append(number)
    registers: dict[int, list[CurrentRegister]] = defaultdict(list)
    for reg in (
        Register.objects.filter(unit_id__in=unit_ids, retired_at__isnull=True)
        .select_related("representative__member")
        .order_by("number", "pk")
    ):
        rep = reg.representative
        current_rep = (
            rep.member.number
            if rep is not None and rep.ended_on is None and rep.unit_id == reg.unit_id
            else None
        )
        registers[reg.unit_id].append(
            CurrentRegister(
                str(reg.code),
                reg.number,
                current_rep,
                reg.line_group_name,
                group_verified=bool(reg.line_group_id),
            )
        )
    assignments: dict[int, dict[str, str]] = defaultdict(dict)
    for unit_id, number, code in RegisterMembership.objects.filter(
        until__isnull=True, register__retired_at__isnull=True, register__unit_id__in=unit_ids
    ).values_list("register__unit_id", "member__number", "register__code"):
        assignments[unit_id][number] = str(code)
    return [
        UnitInput(
            key=str(unit.code),
            abbreviation=unit.abbreviation,
            name=unit.name,
            members=members[unit.pk],
            representatives=reps[unit.pk],
            registers=registers[unit.pk],
            assignments=assignments[unit.pk],
        )
        for unit in units
    ]


def plan_fingerprint(plan: UnitPlan) -> str:
    """A short digest of what approving the plan would do; approval checks it is unchanged."""
    payload = {
        "registers": [
            [r.key, r.number, r.name, r.representative, r.members] for r in plan.registers
        ],
        "moves": [[m.member, m.from_key, m.to_key] for m in plan.moves],
        "retired": sorted(r.key for r in plan.retired),
        "left": plan.left,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return digest[:24]


@dataclass
class CooperativePlan:
    """Plans of several units, in unit order, with the pure planning time."""

    units: list[Unit]
    plans: list[UnitPlan]
    planning_seconds: float = 0.0
    fingerprints: dict[str, str] = field(default_factory=dict)

    def pairs(self) -> list[tuple[Unit, UnitPlan]]:
        return list(zip(self.units, self.plans, strict=True))

    @property
    def moves(self) -> int:
        return sum(len(p.moves) for p in self.plans)

    @property
    def split_districts(self) -> int:
        return sum(p.split_districts for p in self.plans)

    @property
    def baseline_split_districts(self) -> int:
        return sum(p.baseline_split_districts for p in self.plans)


def default_plan_options(*, tolerance: int | None = None) -> PlanOptions:
    """Planner options from settings (REGISTER_SIZE_TOLERANCE, REGISTER_MEMBERS_LOW/HIGH)."""
    return PlanOptions(
        tolerance=settings.REGISTER_SIZE_TOLERANCE if tolerance is None else tolerance,
        low_per_representative=settings.REGISTER_MEMBERS_LOW,
        high_per_representative=settings.REGISTER_MEMBERS_HIGH,
    )


def unit_plan_list(units: Iterable[Unit], *, options: PlanOptions | None = None) -> CooperativePlan:
    """Plan the given units from the database (reads only; nothing is saved).

    Units with neither active members nor registers are left out: there is nothing to plan.
    """
    units = list(units)
    pairs = [
        (unit, unit_input)
        for unit, unit_input in zip(units, unit_plan_inputs(units), strict=True)
        if unit_input.members or unit_input.registers  # empty units have nothing to plan
    ]
    units = [unit for unit, _ in pairs]
    inputs = [unit_input for _, unit_input in pairs]
    options = options or default_plan_options()
    started = time.perf_counter()
    plans = [plan_unit(unit_input, options) for unit_input in inputs]
    elapsed = time.perf_counter() - started
    return CooperativePlan(
        units=units,
        plans=plans,
        planning_seconds=elapsed,
        fingerprints={p.key: plan_fingerprint(p) for p in plans},
    )


def plan_as_json(cooperative: CooperativePlan) -> dict[str, object]:
    """The command line's JSON: units with their registers, and every proposed move."""
    return {
        "units": [
            {
                "unit": unit.name,
                "abbr": unit.abbreviation,
                "members": plan.member_count,
                "representatives": plan.representative_count,
                "flags": plan.flags,
                "registers": [
                    {
                        "number": r.number,
                        "name": r.name,
                        "representative": r.representative,
                        "members": r.members,
                    }
                    for r in plan.registers
                ],
            }
            for unit, plan in cooperative.pairs()
        ],
        "moves": [
            {"member": m.member, "from": m.from_name, "to": m.to_name}
            for plan in cooperative.plans
            for m in plan.moves
        ],
    }


# --- terms ------------------------------------------------------------------------------------

TERM_WARNING_DAYS = 90


def term_state(term_end: dt.date, today: dt.date) -> str:
    """ "ended" (past its end), "ending" (within TERM_WARNING_DAYS) or "running"."""
    if term_end < today:
        return "ended"
    if term_end <= today + dt.timedelta(days=TERM_WARNING_DAYS):
        return "ending"
    return "running"


@dataclass
class UnitTerms:
    """A unit's current representatives by term state; due for election once a term ended."""

    unit: Unit
    ended: list[Representative] = field(default_factory=list)
    ending: list[Representative] = field(default_factory=list)
    running: int = 0

    @property
    def due_for_election(self) -> bool:
        return bool(self.ended)


def unit_terms_list(units: Iterable[Unit], *, today: dt.date) -> list[UnitTerms]:
    """Units whose representatives' terms have ended or end within 90 days (one query)."""
    by_unit = {u.pk: UnitTerms(unit=u) for u in units}
    reps = (
        Representative.objects.filter(unit_id__in=by_unit, ended_on__isnull=True)
        .select_related("member")
        .order_by("term_end", "member__number")
    )
    for rep in reps:
        terms = by_unit[rep.unit_id]
        state = term_state(rep.term_end, today)
        if state == "ended":
            terms.ended.append(rep)
        elif state == "ending":
            terms.ending.append(rep)
        else:
            terms.running += 1
    return [t for t in by_unit.values() if t.ended or t.ending]


def representative_terms(units: Iterable[Unit]) -> dict[str, dt.date]:
    """Member number -> term end of each current representative of these units."""
    return dict(
        Representative.objects.filter(unit__in=list(units), ended_on__isnull=True).values_list(
            "member__number", "term_end"
        )
    )
