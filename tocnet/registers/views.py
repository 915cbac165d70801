"""Register plan review and approval, for staff (every unit) and coop agents (their units)."""

from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tocnet.accounts.http import AuthenticatedHttpRequest
from tocnet.accounts.models import User
from tocnet.accounts.roles import can_plan, is_cooperative_staff
from tocnet.core.audit import audit_access
from tocnet.core.http import client_ip
from tocnet.members.models import Member, Unit
from tocnet.registers.forms import PlanApproveForm
from tocnet.registers.models import VACANT_LABEL
from tocnet.registers.planning import UnitPlan
from tocnet.registers.planning.types import (
    FLAG_FEW_MEMBERS,
    FLAG_MANY_MEMBERS,
    FLAG_MOVES_PROPOSED,
    FLAG_NEEDS_REPRESENTATIVE,
    FLAG_RENAMES_VERIFIED_GROUP,
    FLAG_REPRESENTATIVE_NOT_MEMBER,
    FLAG_VACANT,
    MOVE_BALANCE,
    MOVE_REPRESENTATIVE,
    MOVE_RETIRED_REGISTER,
)
from tocnet.registers.selectors import (
    get_planning_unit_for_user,
    planning_unit_list_for_user,
    representative_terms,
    term_state,
    unit_plan_list,
    unit_terms_list,
)
from tocnet.registers.services import (
    PlanApplyResult,
    PlanChangedError,
    RenameNeedsConfirmationError,
    register_plan_apply,
)

FLAG_LABELS = {
    FLAG_NEEDS_REPRESENTATIVE: gettext_lazy("Needs a representative"),
    FLAG_REPRESENTATIVE_NOT_MEMBER: gettext_lazy("A representative is not an active member here"),
    FLAG_MOVES_PROPOSED: gettext_lazy("Moves proposed"),
    FLAG_VACANT: VACANT_LABEL,
    FLAG_RENAMES_VERIFIED_GROUP: gettext_lazy("Renames a verified LINE group"),
}
FLAG_LEVELS = {
    FLAG_NEEDS_REPRESENTATIVE: "bad",
    FLAG_REPRESENTATIVE_NOT_MEMBER: "bad",
    FLAG_VACANT: "bad",
}
MOVE_LABELS = {
    MOVE_BALANCE: gettext_lazy("restores balance"),
    MOVE_REPRESENTATIVE: gettext_lazy("joins the register they lead"),
    MOVE_RETIRED_REGISTER: gettext_lazy("register retired"),
}


@dataclass
class Flag:
    code: str
    label: Any
    level: str


def _flag_label(code: str) -> Any:
    """The flag in a clerk's words, with the thresholds the settings hold today."""
    if code == FLAG_FEW_MEMBERS:
        return _("Fewer than %(low)s members per representative: fewer registers would do") % {
            "low": settings.REGISTER_MEMBERS_LOW
        }
    if code == FLAG_MANY_MEMBERS:
        return _(
            "More than %(high)s members per representative: the unit needs more representatives"
        ) % {"high": settings.REGISTER_MEMBERS_HIGH}
    return FLAG_LABELS.get(code, code)


def _flags(plan: UnitPlan) -> list[Flag]:
    return [Flag(f, _flag_label(f), FLAG_LEVELS.get(f, "warn")) for f in plan.flags]


def _plan_settings() -> dict[str, int]:
    return {
        "tolerance": settings.REGISTER_SIZE_TOLERANCE,
        "low": settings.REGISTER_MEMBERS_LOW,
        "high": settings.REGISTER_MEMBERS_HIGH,
    }


def _planner(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    if not can_plan(user):
        raise PermissionDenied
    return user


@login_required
def plan_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _planner(request)
    cooperative = unit_plan_list(planning_unit_list_for_user(user))
    rows = [
        {
            "unit": unit,
            "plan": plan,
            "flags": _flags(plan),
            "fingerprint": cooperative.fingerprints[plan.key],
            "pending": bool(plan.registers) and plan.changes_anything,
        }
        for unit, plan in cooperative.pairs()
    ]
    terms = unit_terms_list(
        [unit for unit, _plan in cooperative.pairs()], today=timezone.localdate()
    )
    totals = {
        "units": len(rows),
        "members": sum(p.member_count for p in cooperative.plans),
        "registers": sum(len(p.registers) for p in cooperative.plans),
        "split": cooperative.split_districts,
        "baseline": cooperative.baseline_split_districts,
        "moves": cooperative.moves,
        "needs_representative": sum(1 for p in cooperative.plans if not p.registers),
        "pending": sum(1 for row in rows if row["pending"]),
        "seconds": cooperative.planning_seconds,
    }
    return render(
        request,
        "registers/plan_overview.html",
        {
            "rows": rows,
            "totals": totals,
            "pending": [r for r in rows if r["pending"]],
            "limits": _plan_settings(),
            "terms_due": [t for t in terms if t.due_for_election],
            "terms_ending": [t for t in terms if not t.due_for_election],
        },
    )


@login_required
def plan_unit_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    unit = get_planning_unit_for_user(user, code)  # 404 outside the planning scope
    cooperative = unit_plan_list([unit])
    if not cooperative.plans:
        return render(request, "registers/plan_unit.html", {"unit": unit, "plan": None})
    plan = cooperative.plans[0]
    context = _unit_context(unit, plan, cooperative.fingerprints[plan.key])
    context["can_confirm_renames"] = is_cooperative_staff(user)
    audit_access(
        actor=user,
        action="register_plan.viewed",
        target=unit,
        detail={"members": plan.member_count},
        ip_address=client_ip(request),
        members=cast(list[int], context["shown_members"]),
    )
    return render(request, "registers/plan_unit.html", context)


def _unit_context(unit: Unit, plan: UnitPlan, fingerprint: str) -> dict[str, object]:
    numbers = {n for r in plan.registers for n in r.members} | set(plan.unassigned)
    numbers |= {m.member for m in plan.moves}
    people = {
        m.number: m
        for m in Member.objects.filter(number__in=numbers).only(
            "code", "number", "title", "first_name", "last_name", "district"
        )
    }
    moved_in = {m.member for m in plan.moves} | set(plan.added)
    term_ends = representative_terms([unit])
    today = timezone.localdate()
    registers = [
        {
            "register": r,
            "term_end": term_ends.get(r.representative or ""),
            "term_state": term_state(term_ends[r.representative], today)
            if r.representative in term_ends
            else "",
            "representative": people.get(r.representative or ""),
            "members": [(people[n], n in moved_in) for n in r.members if n in people],
        }
        for r in plan.registers
    ]
    moves = [
        {"move": m, "member": people.get(m.member), "reason": MOVE_LABELS.get(m.reason, m.reason)}
        for m in plan.moves
    ]
    return {
        "shown_members": [m.pk for m in people.values()],  # for the access log
        "unit": unit,
        "plan": plan,
        "flags": _flags(plan),
        "registers": registers,
        "moves": moves,
        "unassigned": [people[n] for n in plan.unassigned if n in people],
        "form": PlanApproveForm(initial={"fingerprint": fingerprint}),
        "pending": bool(plan.registers) and plan.changes_anything,
        "renames": [r for r in plan.registers if r.renames_verified_group],
        "limits": _plan_settings(),
    }


def _report(request: HttpRequest, result: PlanApplyResult) -> None:
    if not result.units_changed:
        messages.info(request, _("Nothing to approve: the registers already match the plan."))
        return
    messages.success(
        request,
        _(
            "Approved %(units)s unit(s): %(placed)s new members placed, %(moves)s members "
            "moved, %(left)s left; %(created)s registers created, %(updated)s updated, "
            "%(retired)s retired, %(vacant)s vacant."
        )
        % {
            key: f"{count:,}"  # 10,669 members placed when all units are approved at once
            for key, count in {
                "units": len(result.units_changed),
                "placed": result.placed,
                "moves": result.moves,
                "left": result.left,
                "created": result.registers_created,
                "updated": result.registers_updated,
                "retired": result.registers_retired,
                "vacant": result.vacant,
            }.items()
        },
    )


@login_required
@require_POST
def plan_approve(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    unit = get_planning_unit_for_user(user, code)  # 404 outside the planning scope
    form = PlanApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The approval did not say which plan it approves."))
        return redirect("registers:plan_unit", code=unit.code)
    try:
        result = register_plan_apply(
            units=[unit],
            actor=user,
            fingerprints={str(unit.code): form.cleaned_data["fingerprint"]},
            confirm_renames=form.cleaned_data["confirm_renames"],
        )
    except (PlanChangedError, RenameNeedsConfirmationError) as exc:
        messages.error(request, str(exc))
    else:
        _report(request, result)
    return redirect("registers:plan_unit", code=unit.code)


@login_required
@require_POST
def plan_approve_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _planner(request)
    units = planning_unit_list_for_user(user)
    fingerprints = {
        str(unit.code): request.POST[f"fp_{unit.code}"]
        for unit in units
        if f"fp_{unit.code}" in request.POST
    }
    chosen = [u for u in units if str(u.code) in fingerprints]
    if not chosen:
        messages.error(request, _("No unit was chosen for approval."))
        return redirect("registers:plan_overview")
    try:
        result = register_plan_apply(units=chosen, actor=user, fingerprints=fingerprints)
    except (PlanChangedError, RenameNeedsConfirmationError) as exc:
        messages.error(request, str(exc))
    else:
        _report(request, result)
    return redirect("registers:plan_overview")
