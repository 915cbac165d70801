"""Privacy pages: the notice (public), a member's consents and rights, and the DPO's view."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypedDict

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tocnet.accounts import roles
from tocnet.accounts.http import AuthenticatedHttpRequest
from tocnet.accounts.models import User
from tocnet.core.audit import audit_access, audit_record
from tocnet.core.http import client_ip
from tocnet.core.models import AuditEvent
from tocnet.members.models import Member
from tocnet.members.selectors import as_uuid, member_list_for_user
from tocnet.privacy.forms import BreachForm, ConsentForm, DataRequestForm, DataRequestUpdateForm
from tocnet.privacy.models import Breach, DataRequest, Method, Restriction
from tocnet.privacy.notice import NOTICE_VERSIONS, current_notice, notice_by_version
from tocnet.privacy.selectors import audit_events_about_member, consent_matrix_for_member
from tocnet.privacy.services import (
    consent_set,
    data_request_create,
    data_request_update,
    member_data_export,
    member_erase,
    member_restrict,
    member_restriction_lift,
)

BREACH_NOTICE_HOURS = 72


is_dpo = roles.is_dpo


def _dpo_only(request: AuthenticatedHttpRequest, *, hide: bool = False) -> User:
    """The DPO; others get 403, or 404 on object pages (no hint that the code exists)."""
    user = request.user
    if not is_dpo(user):
        raise Http404 if hide else PermissionDenied
    return user


# --- the notice ------------------------------------------------------------------------------


def notice(request: HttpRequest, version: str | None = None) -> HttpResponse:
    """The privacy notice, current or an earlier version; public (linked from LINE and LIFF)."""
    shown = current_notice() if version is None else notice_by_version(version)
    if shown is None:
        raise Http404
    return render(
        request,
        "privacy/notice.html",
        {
            "notice": shown,
            "body_template": shown.template_name(get_language() or "th"),
            "versions": NOTICE_VERSIONS,
            "current": current_notice(),
            "privacy_contact": settings.PRIVACY_CONTACT,
        },
    )


# --- a member's privacy page -----------------------------------------------------------------


def _member_in_scope(user: User, code: str) -> Member:
    """Staff and the member's representative or agent; restricted members too (their record
    stays reachable here to serve the request that restricted them)."""
    if not roles.sees_personal_data(user):
        raise Http404
    try:
        return member_list_for_user(user, include_restricted=True).get(code=as_uuid(code))
    except Member.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def member_privacy(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    member = _member_in_scope(user, code)
    method = Method.REPRESENTATIVE if roles.is_representative(user) else Method.PAPER
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent_set(
                member=member,
                purpose=form.cleaned_data["purpose"],
                channel=form.cleaned_data["channel"],
                allowed=form.cleaned_data["allowed"],
                method=method,
                actor=user,
                member_statement=form.cleaned_data["member_statement"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect("privacy:member", code=member.code)
    audit_access(
        actor=user, action="privacy.member_viewed", target=member, ip_address=client_ip(request)
    )
    return render(
        request,
        "privacy/member.html",
        {
            "member": member,
            "cells": consent_matrix_for_member(member),
            "form": form,
            "method": method,
            "restriction": Restriction.objects.filter(member=member, active=True).first(),
            "requests": DataRequest.objects.filter(member=member).order_by("-received_on"),
            "dpo": is_dpo(user),
        },
    )


@login_required
def member_export(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = _dpo_only(request, hide=True)
    member = get_object_or_404(Member, code=as_uuid(code))
    file_format = "xlsx" if request.GET.get("format") == "xlsx" else "json"
    body, name = member_data_export(
        member=member, actor=user, file_format=file_format, via="web", ip_address=client_ip(request)
    )
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if file_format == "xlsx"
        else "application/json; charset=utf-8"
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def member_action(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """DPO: restrict, lift, or erase (POST only, each audited by its service)."""
    user = _dpo_only(request, hide=True)
    if request.method != "POST":
        raise Http404
    member = get_object_or_404(Member, code=as_uuid(code))
    action = request.POST.get("action")
    request_code = request.POST.get("request") or ""
    data_request = (
        DataRequest.objects.filter(code=as_uuid(request_code), member=member).first()
        if request_code
        else None
    )
    try:
        if action == "restrict":
            member_restrict(member=member, reason=request.POST.get("reason", ""), actor=user)
        elif action == "lift":
            member_restriction_lift(member=member, actor=user)
        elif action == "erase" and request.POST.get("confirm") == member.number:
            member_erase(member=member, actor=user, request=data_request)
        else:
            raise ValidationError("")
    except ValidationError:
        return redirect(f"{_member_url(member)}?error={action}")
    return redirect("privacy:member", code=member.code)


def _member_url(member: Member) -> str:
    from django.urls import reverse

    return reverse("privacy:member", kwargs={"code": member.code})


# --- the requests register -------------------------------------------------------------------


@login_required
def request_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _dpo_only(request)
    form = DataRequestForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        member = Member.objects.filter(number=form.cleaned_data["member_number"].strip()).first()
        if member is None:
            form.add_error("member_number", _("No member has this number."))
        else:
            try:
                created = data_request_create(
                    member=member,
                    kind=form.cleaned_data["kind"],
                    via=form.cleaned_data["via"],
                    received_on=form.cleaned_data["received_on"],
                    details=form.cleaned_data["details"],
                    actor=user,
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                return redirect("privacy:request_detail", code=created.code)
    today = timezone.localdate()
    show = request.GET.get("show", "open")
    rows = DataRequest.objects.select_related("member")
    if show == "open":
        rows = rows.filter(state__in=DataRequest.OPEN_STATES)
    return render(
        request,
        "privacy/request_list.html",
        {
            "rows": rows.order_by("due_on", "id")[:500],
            "form": form,
            "today": today,
            "soon": today + dt.timedelta(days=5),
            "show": show,
        },
    )


@login_required
def request_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = _dpo_only(request, hide=True)
    data_request = get_object_or_404(
        DataRequest.objects.select_related("member"), code=as_uuid(code)
    )
    form = DataRequestUpdateForm(
        request.POST or None,
        initial={"state": data_request.state, "answer": data_request.answer},
    )
    if request.method == "POST" and form.is_valid():
        try:
            data_request_update(
                request=data_request,
                state=form.cleaned_data["state"],
                answer=form.cleaned_data["answer"],
                actor=user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            return redirect("privacy:request_detail", code=data_request.code)
    return render(
        request,
        "privacy/request_detail.html",
        {"req": data_request, "form": form, "today": timezone.localdate()},
    )


# --- the access log ----------------------------------------------------------------------------


@login_required
def access_log(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who viewed, exported or changed personal data: by member number or by username."""
    user = _dpo_only(request)
    number = (request.GET.get("member") or "").strip()
    username = (request.GET.get("user") or "").strip()
    events = AuditEvent.objects.none()
    member = None
    if number:
        member = Member.objects.filter(number=number).first()
        if member is not None:
            events = audit_events_about_member(member)
    elif username:
        events = AuditEvent.objects.filter(
            Q(actor__username__iexact=username) | Q(actor_repr__iexact=username)
        )
    kind = request.GET.get("kind", "")
    if kind in AuditEvent.Kind.values:
        events = events.filter(kind=kind)
    if number or username:
        with transaction.atomic():
            audit_record(
                actor=user,
                action="privacy.access_log_searched",
                target=member,
                changes={"member": number, "user": username},
                kind=AuditEvent.Kind.ACCESS,
                ip_address=client_ip(request),
            )
    return render(
        request,
        "privacy/access_log.html",
        {
            "events": events.select_related("actor")[:500],
            "number": number,
            "username": username,
            "member": member,
            "kind": kind,
            "kinds": AuditEvent.Kind.choices,
            "searched": bool(number or username),
        },
    )


# --- breaches ----------------------------------------------------------------------------------


def breach_deadline(breach: Breach) -> dt.datetime:
    return breach.discovered_at + dt.timedelta(hours=BREACH_NOTICE_HOURS)


class BreachRow(TypedDict):
    breach: Breach
    deadline: dt.datetime  # the 72-hour notice to the office
    hours_left: int
    overdue: bool
    done: bool


def _breach_rows(breaches: Iterable[Breach]) -> list[BreachRow]:
    now = timezone.now()
    rows: list[BreachRow] = []
    for b in breaches:
        deadline = breach_deadline(b)
        left = deadline - now
        rows.append(
            {
                "breach": b,
                "deadline": deadline,
                "hours_left": int(left.total_seconds() // 3600),
                "overdue": b.office_notified_at is None and left.total_seconds() < 0,
                "done": b.office_notified_at is not None or b.risk == Breach.Risk.NONE,
            }
        )
    return rows


@login_required
def breach_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _dpo_only(request)
    form = BreachForm(request.POST or None, initial={"discovered_at": timezone.localtime()})
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            breach = form.save(commit=False)
            breach.recorded_by = user
            breach.save()
            audit_record(
                actor=user,
                action="privacy.breach_recorded",
                target=breach,
                kind=AuditEvent.Kind.SECURITY,
                changes={"title": breach.title},
            )
        return redirect("privacy:breach_detail", code=breach.code)
    return render(
        request,
        "privacy/breach_list.html",
        {"rows": _breach_rows(Breach.objects.all()[:200]), "form": form},
    )


@login_required
def breach_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = _dpo_only(request, hide=True)
    breach = get_object_or_404(Breach, code=as_uuid(code))
    form = BreachForm(request.POST or None, instance=breach)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            audit_record(
                actor=user,
                action="privacy.breach_updated",
                target=breach,
                kind=AuditEvent.Kind.SECURITY,
                changes={"fields": form.changed_data},
            )
        return redirect("privacy:breach_detail", code=breach.code)
    return render(
        request,
        "privacy/breach_detail.html",
        {"row": _breach_rows([breach])[0], "form": form},
    )
