"""Pages of announcements."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tocnet.accounts import roles
from tocnet.accounts.http import AuthenticatedHttpRequest
from tocnet.accounts.models import User
from tocnet.core.audit import audit_access
from tocnet.core.http import client_ip
from tocnet.messaging import content, services
from tocnet.messaging.forms import AnnouncementForm
from tocnet.messaging.models import Announcement, Channel, DeliveryStatus, Reason, Relay
from tocnet.messaging.planning import Audience, announcement_plan, plan_alternatives, sms_body
from tocnet.messaging.selectors import (
    announcement_list_for_user,
    announcement_progress_by_register,
    announcement_status,
    can_compose,
    can_view_announcements,
    delivery_unit_scope,
    get_announcement_for_user,
    public_announcement_list,
    recipient_list_for_export,
    register_announcement_deliveries,
)


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """Public announcements, newest first: no sign-in, no personal data."""
    return render(
        request,
        "messaging/public_list.html",
        {"announcements": public_announcement_list()[:50]},
    )


@require_GET
def public_detail(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """One public announcement with Open Graph tags (a Facebook post shows a proper card)."""
    try:
        announcement = public_announcement_list().get(code=code)
    except Announcement.DoesNotExist as exc:
        raise Http404 from exc
    return render(
        request,
        "messaging/public_detail.html",
        {
            "announcement": announcement,
            "body_html": content.body_html(announcement.body),
            "summary": content.body_text(announcement.body)[:200],
            "page_url": content.public_url(announcement),
            "image_url": content.image_url(announcement),
        },
    )


# --- staff and agents -----------------------------------------------------------------------


def _refuse(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "messaging/refusal.html", {"message": message}, status=status)


@login_required
@require_GET
def announcement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Announcements the user may open, newest first."""
    user = request.user
    if not can_view_announcements(user):
        return _refuse(request, _("Announcements are for cooperative staff and coop agents."))
    return render(
        request,
        "messaging/announcement_list.html",
        {
            "announcements": announcement_list_for_user(user)[:100],
            "can_compose": can_compose(user),
        },
    )


def _form_page(
    request: HttpRequest, form: AnnouncementForm, announcement: Announcement | None
) -> HttpResponse:
    return render(
        request,
        "messaging/announcement_form.html",
        {"form": form, "announcement": announcement, "preview": _preview_context(form)},
    )


@login_required
def announcement_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Write a new announcement (a draft); the preview follows as you type."""
    user = request.user
    if not can_compose(user):
        return _refuse(request, _("Only cooperative staff and coop agents write announcements."))
    form = AnnouncementForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            announcement = services.announcement_create(actor=user, **form.announcement_fields())
        except services.AnnouncementError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Draft saved."))
            return redirect("messaging:detail", code=announcement.code)
    return _form_page(request, form, None)


@login_required
def announcement_edit(request: AuthenticatedHttpRequest, code: uuid.UUID) -> HttpResponse:
    user = request.user
    announcement = get_announcement_for_user(user, code)
    if not announcement.is_editable or not can_compose(user):
        return _refuse(request, _("This announcement can no longer be changed."))
    form = AnnouncementForm(
        request.POST or None, request.FILES or None, instance=announcement, user=user
    )
    if request.method == "POST" and form.is_valid():
        fields = form.announcement_fields()
        announcement.refresh_from_db()  # the form wrote into the instance; compare to the DB
        try:
            services.announcement_update(announcement=announcement, actor=user, **fields)
        except services.AnnouncementError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("messaging:detail", code=announcement.code)
    return _form_page(request, form, announcement)


def _preview_context(form: AnnouncementForm) -> dict[str, object]:
    data = form.data if form.is_bound else {}
    instance = form.instance
    draft = Announcement(
        title=str(data.get("title", instance.title or "")),
        body=str(data.get("body", instance.body or "")),
        link=str(data.get("link", instance.link or "")),
        category=str(data.get("category", instance.category or "other")),
        is_public=bool(data.get("is_public", instance.is_public)),
        sms_text=str(data.get("sms_text", instance.sms_text or "")),
        image=instance.image,
    )
    if instance.pk:
        draft.code = instance.code
    return preview_context(draft)


def preview_context(announcement: Announcement) -> dict[str, object]:
    from tocnet.messaging.channels.sms import sms_length, sms_segments, sms_single_limit
    from tocnet.messaging.planning import sms_body

    sms = sms_body(announcement)
    return {
        "card": content.announcement_card(announcement),
        "body_html": content.body_html(announcement.body),
        "body_text": content.body_text(announcement.body),
        "sms": sms,
        "sms_length": sms_length(sms),
        "sms_segments": sms_segments(sms),
        "sms_limit": sms_single_limit(sms),
        "announcement": announcement,
        "image_url": content.image_url(announcement) if announcement.image else "",
    }


@login_required
@require_POST
def announcement_preview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """htmx: the LINE card, SMS and e-mail as a member will see them."""
    user = request.user
    if not can_compose(user):
        raise PermissionDenied
    form = AnnouncementForm(request.POST, user=user)
    return render(request, "messaging/includes/preview.html", {"preview": _preview_context(form)})


def _detail_context(
    request: AuthenticatedHttpRequest, announcement: Announcement
) -> dict[str, object]:
    user = request.user
    scope = delivery_unit_scope(user)
    context: dict[str, object] = {
        "announcement": announcement,
        "preview": preview_context(announcement),
        "is_staff": roles.is_cooperative_staff(user),
        "can_edit": announcement.is_editable
        and (roles.is_cooperative_staff(user) or announcement.author_id == user.pk),
        "approval_refusal": services.approval_refusal(announcement=announcement, user=user)
        if announcement.state == Announcement.State.SUBMITTED
        else "",
        "can_send": services.can_send(user, announcement),
        "scoped": scope is not None,
    }
    if announcement.state in (Announcement.State.APPROVED, Announcement.State.SCHEDULED):
        audience = Audience.from_json(announcement.audience)
        plan = announcement_plan(
            audience=audience,
            mode=announcement.mode,
            sms_text=sms_body(announcement),
            broadcast=announcement.oa_broadcast,
            purpose=announcement.purpose,
        )
        # The page may show a quota read in the last minute; the send asks LINE again.
        quota, refusal = services.quota_check(plan, max_age=60)
        summary = plan.summary()
        reasons = dict(Reason.choices)
        context.update(
            plan=summary,
            unreachable_reasons=[
                (reasons.get(code, code), n) for code, n in summary["unreachable_reasons"].items()
            ],
            alternatives=plan_alternatives(plan, audience),
            quota=quota,
            quota_refusal=refusal,
        )
    if announcement.send_started_at:
        context.update(_progress_context(announcement, scope))
    context.update(_responses_context(user, announcement))
    return context


def _responses_context(user: User, announcement: Announcement) -> dict[str, object]:
    """What the announcement asks, and whether this user may open its reports."""
    from tocnet.messaging.responses.models import Ask, ClosingReport
    from tocnet.messaging.responses.selectors import report_announcement_list_for_user

    ask = Ask.objects.filter(announcement=announcement).first()
    return {
        "ask": ask,
        "can_report": ask is not None
        and report_announcement_list_for_user(user).filter(pk=announcement.pk).exists(),
        "closing_report": ClosingReport.objects.filter(announcement=announcement).exists(),
    }


def _progress_context(announcement: Announcement, scope: Q | None) -> dict[str, object]:
    """The counts with their Thai labels (the status dict itself keeps the codes, as the
    command line prints them)."""
    status = announcement_status(announcement, scope=scope)
    states = dict(DeliveryStatus.choices)
    channels = {**dict(Channel.choices), "unreachable": Channel.NONE.label}
    relays = dict(Relay.Status.choices)
    return {
        "status": status,
        "counts": [(key, states.get(key, key), n) for key, n in status["deliveries"].items()],
        "channel_counts": [
            (
                channel,
                channels.get(channel, channel),
                [(states.get(key, key), n) for key, n in counts.items()],
            )
            for channel, counts in status["by_channel"].items()
        ],
        "relay_counts": [(relays.get(key, key), n) for key, n in status["relays"].items()],
        "progress_class": f"w-{min(100, round(status['progress'], -1))}",
        "table": [
            (row, relays.get(row.relay, "") if row.relay else "")
            for row in announcement_progress_by_register(announcement, scope=scope)
        ],
        "polling": announcement.state == Announcement.State.SENDING,
    }


@login_required
@require_GET
def announcement_detail(request: AuthenticatedHttpRequest, code: uuid.UUID) -> HttpResponse:
    """The announcement: preview, approval, the cost before sending, then progress."""
    user = request.user
    announcement = get_announcement_for_user(user, code)  # 404 outside the user's scope
    return render(
        request, "messaging/announcement_detail.html", _detail_context(request, announcement)
    )


@login_required
@require_GET
def announcement_progress(request: AuthenticatedHttpRequest, code: uuid.UUID) -> HttpResponse:
    """htmx polling: the progress bar, counts and the per-register table."""
    user = request.user
    announcement = get_announcement_for_user(user, code)  # 404 outside the user's scope
    from tocnet.core.http import is_htmx

    if is_htmx(request) and announcement.state != Announcement.State.SENDING:
        # The send ended (or was paused): reload the whole page once, so its state, buttons
        # and counts agree; the reloaded page no longer polls.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    context: dict[str, object] = {"announcement": announcement}
    context.update(_progress_context(announcement, delivery_unit_scope(user)))
    return render(request, "messaging/includes/progress.html", context)


ACTIONS = {
    "submit": lambda a, u, r: services.announcement_submit(announcement=a, actor=u),
    "approve": lambda a, u, r: services.announcement_approve(announcement=a, actor=u),
    "reject": lambda a, u, r: services.announcement_reject(
        announcement=a, actor=u, note=r.POST.get("note", "").strip() or "-"
    ),
    "send": lambda a, u, r: services.announcement_send(announcement=a, actor=u),
    "pause": lambda a, u, r: services.announcement_pause(announcement=a, actor=u),
    "resume": lambda a, u, r: services.announcement_resume(announcement=a, actor=u),
    "cancel": lambda a, u, r: services.announcement_cancel(announcement=a, actor=u),
}
STAFF_ONLY = {"pause", "resume", "cancel"}


@login_required
@require_POST
def announcement_action(
    request: AuthenticatedHttpRequest, code: uuid.UUID, action: str
) -> HttpResponse:
    """One step of the state machine; every refusal is a message, nothing half-done."""
    user = request.user
    if action not in ACTIONS or not can_view_announcements(user):
        raise Http404
    announcement = get_announcement_for_user(user, code)
    if action in STAFF_ONLY and not roles.is_cooperative_staff(user):
        return _refuse(request, _("Only cooperative staff can do this."))
    if action == "submit" and not (
        roles.is_cooperative_staff(user) or announcement.author_id == user.pk
    ):
        return _refuse(request, _("Only cooperative staff can do this."))
    try:
        ACTIONS[action](announcement, user, request)
    except services.AnnouncementError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, DONE_MESSAGES[action])
    return redirect("messaging:detail", code=announcement.code)


DONE_MESSAGES = {
    "submit": _("Sent for approval."),
    "approve": _("Approved."),
    "reject": _("Sent back to the author."),
    "send": _("Sending has started."),
    "pause": _("Paused."),
    "resume": _("Sending again."),
    "cancel": _("Cancelled."),
}


@login_required
@require_GET
def announcement_export(request: AuthenticatedHttpRequest, code: uuid.UUID) -> HttpResponse:
    """The deliveries as .xlsx: member, unit, register, channel, state, reason (agents: their
    units). Logged as an access to personal data."""
    user = request.user
    announcement = get_announcement_for_user(user, code)  # 404 outside the user's scope
    if not (roles.is_cooperative_staff(user) or roles.is_agent(user)):
        return _refuse(request, _("Only cooperative staff and coop agents export deliveries."))
    from tocnet.core.xlsx import append_row, workbook_bytes, workbook_in_font

    wb = workbook_in_font("Sarabun", write_only=True)
    ws = wb.create_sheet("deliveries")
    append_row(
        ws,
        [
            str(_("member number")),
            str(_("name")),
            str(_("unit")),
            str(_("register")),
            str(_("channel")),
            str(_("state")),
            str(_("reason")),
            str(_("sent at")),
        ],
        header=True,
    )
    count = 0
    shown: list[int] = []
    for r in recipient_list_for_export(announcement, scope=delivery_unit_scope(user)).iterator(
        chunk_size=2000
    ):
        append_row(
            ws,
            [
                r.member.number,
                r.member.full_name,
                r.unit.name,
                str(r.register) if r.register else "",
                str(r.get_channel_display()),
                str(r.delivery.get_status_display()),
                str(r.get_reason_display() if r.reason else r.delivery.get_reason_display()),
                timezone.localtime(r.delivery.sent_at).strftime("%Y-%m-%d %H:%M")
                if r.delivery.sent_at
                else "",
            ],
        )
        count += 1
        shown.append(r.member_id)
    audit_access(
        actor=user,
        action="messaging.deliveries_exported",
        detail={"announcement": str(announcement.code), "rows": count},
        ip_address=client_ip(request),
        members=shown,
    )
    response = HttpResponse(
        workbook_bytes(wb),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="deliveries-{announcement.pk}.xlsx"'
    return response


# --- the LIFF app: its entry at the endpoint URL, the representative's relay page ------------


@never_cache
@require_GET
@xframe_options_exempt
def liff_entry(request: HttpRequest) -> HttpResponse:
    """The LIFF app's endpoint URL (SITE_URL/r/), shared by the relay page and the members' pages.

    A LIFF URL ``https://liff.line.me/<LIFF_ID>/relay/<code>/`` first lands here with
    ``?liff.state=/relay/<code>/`` (LINE's "primary redirect"); this page only loads the SDK and
    calls liff.init(), which opens ``/r/relay/<code>/`` (the "secondary redirect"). LINE asks
    that nothing change the URL before liff.init() is done, so there is no server redirect.
    Opened without liff.state (the bare LIFF URL) it is the members' LIFF home."""
    from tocnet.messaging.responses import liff
    from tocnet.messaging.responses.views import liff_home

    state = request.GET.get("liff.state")
    if state is None:
        return liff_home(request)
    target = liff.liff_state_target(state)
    return render(
        request,
        "messaging/liff_entry.html",
        {
            "liff_id": liff.liff_id(),
            "sdk_url": liff.liff_sdk_url(),
            "target": target,
        },
        status=200 if target else 404,
    )


# --- the representative: relay page (LIFF) and their members' deliveries ---------------------


@require_GET
@xframe_options_exempt
def relay_page(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """The LIFF page a representative opens from the card pushed to them: shares the card into
    their group as themselves (shareTargetPicker, or sendMessages when opened in the group) and
    reports back. No personal data on the page; identity comes from the LIFF ID token."""
    relay = get_object_or_404(Relay.objects.select_related("announcement", "register"), code=code)
    services.relay_opened(relay=relay)
    card = content.announcement_card(relay.announcement)
    return render(
        request,
        "messaging/relay_page.html",
        {
            "relay": relay,
            "announcement": relay.announcement,
            "preview": preview_context(relay.announcement),
            "card_json": card,
            "liff_id": settings.LIFF_ID,
            "liff_sdk_url": settings.LIFF_SDK_URL,
        },
    )


@csrf_exempt  # called from inside LINE by script; authenticated by the LIFF ID token
@require_POST
def relay_report(request: HttpRequest, code: uuid.UUID) -> JsonResponse:
    """The relay page says the card went into the group. The ID token must be the
    representative's (verified by LINE); repeated reports are harmless."""
    from tocnet.line.client import ChannelError
    from tocnet.messaging.responses.liff import LiffTokenError, liff_claims_verify

    relay = get_object_or_404(Relay, code=code)
    method = request.POST.get("method", "")
    if method not in (Relay.Method.SHARE_TARGET_PICKER, Relay.Method.SEND_MESSAGES):
        return JsonResponse({"ok": False, "error": "method"}, status=400)
    try:
        claims = liff_claims_verify(id_token=request.POST.get("id_token", ""))
    except LiffTokenError:
        return JsonResponse({"ok": False, "error": "token"}, status=403)
    except ChannelError:
        return JsonResponse({"ok": False, "error": "line"}, status=502)
    try:
        settled = services.relay_forwarded(relay=relay, line_user_id=claims["sub"], method=method)
    except services.AnnouncementError:
        return JsonResponse({"ok": False, "error": "not_representative"}, status=403)
    return JsonResponse({"ok": True, "settled": settled})


@login_required
@require_GET
def register_deliveries(request: AuthenticatedHttpRequest) -> HttpResponse:
    """htmx fragment for /my/register/: how the representative's members were reached."""
    user = request.user
    if not roles.is_representative(user):
        raise PermissionDenied
    sections = register_deliveries_for_user(user)
    if sections:
        # Names the register's members and how each was reached: a read of personal data.
        audit_access(
            actor=user,
            action="messaging.register_deliveries_viewed",
            detail={"registers": sorted({str(register.code) for register, _a, _r in sections})},
            ip_address=client_ip(request),
            members=[r.member_id for _register, _a, recipients in sections for r in recipients],
        )
    return render(request, "messaging/includes/register_deliveries.html", {"sections": sections})


def register_deliveries_for_user(user: User) -> list[tuple[Any, Any, Any]]:
    from tocnet.registers.models import Register

    registers = Register.objects.filter(
        retired_at__isnull=True,
        representative__member__user=user,
        representative__ended_on__isnull=True,
    )
    return [
        (register, announcement, recipients)
        for register in registers
        for announcement, recipients in register_announcement_deliveries(register=register)
    ]
