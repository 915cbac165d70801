"""The register's leaders page and the new-term page (staff, and coop agents for their units)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import openpyxl
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from tocnet.accounts.http import AuthenticatedHttpRequest
from tocnet.accounts.models import User
from tocnet.accounts.roles import can_plan, is_cooperative_staff
from tocnet.core.audit import audit_access
from tocnet.core.http import client_ip
from tocnet.core.thai import thai_sort_key, to_arabic_digits
from tocnet.members.models import Member
from tocnet.registers.forms import DeputyForm, SuccessorForm, TermRenewForm, VacateForm
from tocnet.registers.leaders import (
    register_deputy_set,
    register_merge,
    register_merge_preview,
    register_successor_set,
    register_vacate,
    representative_terms_renew,
    term_renewal_preview,
)
from tocnet.registers.models import Register
from tocnet.registers.planning import Move
from tocnet.registers.representatives_list import representatives_xlsx
from tocnet.registers.selectors import (
    get_register_for_user,
    planning_unit_list_for_user,
    register_deputy,
    register_deputy_user,
    register_leader_history,
    term_state,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _manager(request: AuthenticatedHttpRequest) -> User:
    user = request.user
    if not can_plan(user):
        raise PermissionDenied
    return user


def _agent_unit_ids(user: User) -> list[int]:
    return list(planning_unit_list_for_user(user).values_list("pk", flat=True))


def _members(register: Register) -> list[Member]:
    members = list(
        Member.objects.filter(
            register_memberships__register=register,
            register_memberships__until__isnull=True,
            status=Member.Status.ACTIVE,
        )
    )
    members.sort(key=lambda m: thai_sort_key(m.sort_name))
    return members


@dataclass(frozen=True)
class MergeRow:
    """One member of a vacant register being merged: who, and the register they join."""

    number: str
    name: str
    district: str
    to_name: str
    member_pk: int | None = None


def _merge_rows(register: Register, moves: list[Move]) -> list[MergeRow]:
    """The previewed moves with the members' names, in the order of the register's target and
    Thai name. Only the merged register's own members are looked up (the user's scope)."""
    if not moves:
        return []
    members = {
        m.number: m
        for m in Member.objects.filter(
            register_memberships__register=register,
            register_memberships__until__isnull=True,
            number__in=[m.member for m in moves],
        )
    }
    rows = []
    for move in moves:
        member = members.get(move.member)
        rows.append(
            MergeRow(
                number=move.member,
                name=member.full_name if member else "",
                district=member.district if member else "",
                to_name=move.to_name,
                member_pk=member.pk if member else None,
            )
        )
    by_sort = {n: thai_sort_key(m.sort_name) for n, m in members.items()}
    rows.sort(key=lambda r: (r.to_name, by_sort.get(r.number, ""), r.number))
    return rows


def _merge_targets(moves: list[Move]) -> list[tuple[str, int]]:
    """(register name, members it receives), in name order."""
    return sorted(Counter(m.to_name for m in moves).items())


def _choices(register: Register, members: list[Member]) -> list[tuple[str, str]]:
    rep = register.representative
    rep_member = rep.member_id if rep is not None and rep.ended_on is None else None
    return [(m.number, f"{m.full_name} ({m.number})") for m in members if m.pk != rep_member]


@login_required
def register_leaders(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Who leads the register: representative and term, deputy (named here)."""
    user = request.user
    register = get_register_for_user(user, code)  # 404 outside the user's scope
    _manager(request)
    members = _members(register)
    if request.method == "GET":
        # The leaders and, in the choices, every member of the register are shown.
        rep = register.representative
        audit_access(
            actor=user,
            action="register.leaders_viewed",
            target=register,
            ip_address=client_ip(request),
            members=[
                *(m.pk for m in members),
                rep.member_id if rep is not None else None,
                register.deputy_id,
            ],
        )
    action = request.POST.get("action", "deputy") if request.method == "POST" else ""
    successor_form = SuccessorForm(request.POST if action == "successor" else None)
    vacate_form = VacateForm(request.POST if action == "vacate" else None)
    if action == "successor" and successor_form.is_valid():
        data = successor_form.cleaned_data
        number = to_arabic_digits(data["member_number"]).strip()
        member = Member.objects.filter(number=number, unit=register.unit).first()
        if member is None:
            successor_form.add_error(
                "member_number",
                _("No member %(number)s in %(unit)s.")
                % {"number": number, "unit": register.unit.name},
            )
        else:
            try:
                register_successor_set(
                    register=register,
                    member=member,
                    actor=user,
                    term_end=data["term_end"],
                    reason=data["reason"],
                )
            except ValidationError as exc:
                for text in exc.messages:
                    successor_form.add_error("member_number", text)
            else:
                messages.success(
                    request,
                    _("%(member)s now leads %(register)s.")
                    % {"member": member.full_name, "register": register},
                )
                return redirect("registers:leaders", code=register.code)
    if action == "vacate" and vacate_form.is_valid():
        try:
            register_vacate(
                register=register, reason=vacate_form.cleaned_data["reason"], actor=user
            )
        except ValidationError as exc:
            for text in exc.messages:
                vacate_form.add_error("reason", text)
        else:
            messages.success(request, _("%(register)s is now vacant.") % {"register": register})
            return redirect("registers:leaders", code=register.code)
    merge_moves = None
    merge_error = ""
    rep = register.representative
    vacant = rep is None or rep.ended_on is not None
    if vacant and (request.GET.get("merge") == "preview" or action == "merge"):
        try:
            merge_moves = register_merge_preview(register=register)
        except ValidationError as exc:
            merge_error = " ".join(exc.messages)
    if action == "merge" and merge_moves is not None:
        shown = [
            Move(member=n, from_key="", from_name="", to_key=k, to_name="")
            for n, _sep, k in (
                item.partition(":") for item in request.POST.get("moves", "").split(",") if item
            )
        ]
        try:
            moved = register_merge(register=register, actor=user, expected=shown)
        except ValidationError as exc:
            merge_error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("%(register)s was merged: %(count)s members moved.")
                % {"register": register, "count": moved},
            )
            return redirect("registers:plan_unit", code=register.unit.code)
    merge_rows = _merge_rows(register, merge_moves or [])
    if merge_rows:
        # Names of the members who would move: a read of personal data.
        audit_access(
            actor=user,
            action="register.merge_previewed",
            target=register,
            detail={"members": len(merge_rows)},
            ip_address=client_ip(request),
            members=[row.member_pk for row in merge_rows],
        )
    form = DeputyForm(
        request.POST if action == "deputy" else None,
        members=_choices(register, members),
        initial={"deputy": register.deputy.number if register.deputy else ""},
    )
    if action == "deputy" and form.is_valid():
        number = form.cleaned_data["deputy"]
        deputy = next((m for m in members if m.number == number), None) if number else None
        try:
            register_deputy_set(register=register, member=deputy, actor=user)
        except ValidationError as exc:
            for text in exc.messages:
                form.add_error("deputy", text)
        else:
            messages.success(
                request, _("The deputy of %(register)s was saved.") % {"register": register}
            )
            return redirect("registers:leaders", code=register.code)
    return render(
        request,
        "registers/register_leaders.html",
        {
            "register": register,
            "form": form,
            "deputy": register_deputy(register),
            "deputy_user": register_deputy_user(register),
            "member_count": len(members),
            "successor_form": successor_form,
            "vacate_form": vacate_form,
            "history": register_leader_history(register),
            "today": timezone.localdate(),
            "term": term_state(rep.term_end, timezone.localdate()) if rep is not None else "",
            "vacant": vacant,
            "merge_moves": merge_moves,
            "merge_rows": merge_rows,
            "merge_targets": _merge_targets(merge_moves or []),
            "merge_key": ",".join(f"{m.member}:{m.to_key}" for m in merge_moves or []),
            "merge_error": merge_error,
        },
    )


def _numbers_from(upload: Any, text: str) -> tuple[list[str], str]:
    """Member numbers from an Excel file (the column headed เลขทะเบียน…, else the first) or
    from text; and a Thai/English problem naming the place, if any."""
    found: list[str] = []
    if upload:
        try:
            book = openpyxl.load_workbook(upload, read_only=True, data_only=True)
        except Exception:
            return [], _("The file could not be read as Excel (.xlsx).")
        sheet = book.worksheets[0]
        column = 0
        for row in sheet.iter_rows(min_row=1, max_row=10, values_only=True):
            for index, value in enumerate(row):
                if value is not None and "เลขทะเบียน" in str(value):
                    column = index
                    break
        for row in sheet.iter_rows(values_only=True):
            if len(row) > column and row[column] is not None:
                found.append(str(row[column]))
    found += text.splitlines()
    numbers = []
    for raw in found:
        value = to_arabic_digits(str(raw)).strip().removesuffix(".0")
        if value.isdigit():
            numbers.append(value)
    return list(dict.fromkeys(numbers)), ""


@login_required
def terms_renew(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff (every unit) and coop agents (their units) set a new term for re-elected
    representatives in one action: preview, confirm."""
    user = _manager(request)
    unit_ids = None if is_cooperative_staff(user) else _agent_unit_ids(user)
    form = TermRenewForm(
        request.POST or None,
        request.FILES or None,
        initial={"numbers": to_arabic_digits(request.GET.get("numbers", ""))[:2000]},
    )
    preview = None
    numbers: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        numbers, problem = _numbers_from(data["file"], data["numbers"])
        if problem:
            form.add_error("file", problem)
        elif not numbers:
            form.add_error("numbers", _("No member number was found."))
        elif data["confirm"]:
            result = representative_terms_renew(
                numbers=numbers,
                term_start=data["term_start"],
                term_end=data["term_end"],
                actor=user,
                unit_ids=unit_ids,
            )
            messages.success(
                request,
                _("New term set for %(count)s re-elected representatives.")
                % {"count": len(result.renewed)},
            )
            return redirect("registers:plan_overview")
        else:
            preview = term_renewal_preview(
                numbers=numbers, term_start=data["term_start"], unit_ids=unit_ids
            )
            if preview.names:
                # The representatives' names are shown: a read of personal data.
                audit_access(
                    actor=user,
                    action="representative.terms_previewed",
                    detail={"representatives": len(preview.names)},
                    ip_address=client_ip(request),
                    members=preview.member_ids,
                )
    return render(
        request,
        "registers/terms_renew.html",
        {
            "form": form,
            "preview": preview,
            "numbers": "\n".join(numbers),
            "scoped": unit_ids is not None,
        },
    )


@login_required
def representatives_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Today's representatives and deputies of the user's units, by register (.xlsx): the
    template of the import of representatives. Staff and agents; the download is logged."""
    user = _manager(request)
    units = list(planning_unit_list_for_user(user))
    shown: list[int] = []
    content, people = representatives_xlsx(units, shown=shown)
    audit_access(
        actor=user,
        action="registers.representatives_exported",
        detail={"units": len(units), "people": people},
        ip_address=client_ip(request),
        members=shown,
    )
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=f"ผู้แทนสมาชิก-{stamp}.xlsx")
        or "attachment"
    )
    return response
