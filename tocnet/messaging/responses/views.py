"""Members' response pages: the LIFF page (inside LINE) and the personal link (SMS, e-mail)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from tocnet.accounts import roles
from tocnet.accounts.forms import throttle_message
from tocnet.accounts.models import User
from tocnet.accounts.services import (
    THROTTLED_BACKEND,
    login_failure_record,
    login_refusal_record,
    login_success_record,
    login_throttle_reserve,
)
from tocnet.core.audit import audit_access, audit_record
from tocnet.core.http import client_ip, is_htmx
from tocnet.core.models import AuditEvent
from tocnet.line import client
from tocnet.line.services.linking import member_link_by_answers
from tocnet.line.services.login import user_for_line_login
from tocnet.members.models import Member, Unit
from tocnet.messaging.models import Announcement, Recipient
from tocnet.messaging.responses import liff
from tocnet.messaging.responses.forms import (
    AnswerForm,
    AskForm,
    LinkForm,
    MarkForm,
    StaffCallForm,
)
from tocnet.messaging.responses.models import Ask, ClosingReport, Response, ResponseLink, Way
from tocnet.messaging.responses.report_export import feedback_xlsx, report_xlsx
from tocnet.messaging.responses.selectors import (
    AnnouncementReport,
    announcement_report,
    chase_page_for_user,
    chase_recipient_for_user,
    closing_report_as_report,
    feedback_announcement_list_for_user,
    feedback_answers,
    poll_by_register_rows,
    report_announcement_list_for_user,
    report_units_for_user,
    representatives_named_when_closed,
    staff_call_queue_for_user,
    staff_call_recipient,
    timeline_for,
    unreached_reason_label,
)
from tocnet.messaging.responses.services import (
    AskError,
    ResponseRefused,
    ask_close,
    ask_closes_at,
    ask_is_closed,
    ask_set,
    chase_mark_record,
    response_link_resolve,
    response_record,
    staff_call_record,
)
from tocnet.privacy.notice import current_notice
from tocnet.registers.models import Register

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("responses:liff_home")


def liff_line_user(request: HttpRequest) -> str | None:
    """The LINE user this browser proved to be within the last hour, through LIFF."""
    data = request.session.get(liff.SESSION_KEY)
    if not isinstance(data, dict):
        return None
    if time.time() - float(data.get("at", 0)) > liff.SESSION_SECONDS:
        request.session.pop(liff.SESSION_KEY, None)
        return None
    sub = data.get("sub")
    return sub if isinstance(sub, str) else None


def liff_start(
    request: HttpRequest, next_url: str, *, status: int = 200, login_url: str = ""
) -> HttpResponse:
    """The page that opens LIFF, gets the ID token and posts it back (static JS, no inline).
    ``login_url``: a way to sign in with a password instead (the chase list)."""
    return render(
        request,
        "messaging/responses/liff_start.html",
        {
            "liff_id": liff.liff_id(),
            "sdk_url": liff.liff_sdk_url(),
            "next": next_url,
            "configured": bool(liff.liff_id()),
            "login_url": login_url,
        },
        status=status,
    )


def refusal(
    request: HttpRequest,
    title: str,
    text: str,
    *,
    status: int,
    reason: str = "",
    link: tuple[str, str] | None = None,
) -> HttpResponse:
    """A Thai page in the site's frame saying why not; ``link``: (address, label) onwards."""
    return render(
        request,
        "messaging/responses/refusal.html",
        {"title": title, "text": text, "reason": reason, "link": link},
        status=status,
    )


LIFF_REFUSALS = {
    "expired": (
        gettext_lazy("Your LINE sign-in has expired"),
        gettext_lazy(
            "Nothing was recorded. Close this page and open it again from the LINE message."
        ),
    ),
    "other_channel": (
        gettext_lazy("This page was opened from another LINE app"),
        gettext_lazy(
            "Nothing was recorded. Open it from the cooperative's LINE message or official account."
        ),
    ),
    "invalid": (
        gettext_lazy("LINE could not confirm who you are"),
        gettext_lazy(
            "Nothing was recorded. Close this page and open it again from the LINE message."
        ),
    ),
}


@never_cache
@require_http_methods(["GET"])
def liff_home(request: HttpRequest) -> HttpResponse:
    """Where the LIFF app lands without an announcement: who you are, linked or not."""
    line_user = liff_line_user(request)
    if line_user is None:
        return liff_start(request, request.get_full_path())
    member = Member.objects.filter(line_user_id=line_user).first()
    if member is None:
        return redirect(f"{reverse('responses:liff_link')}?next={request.path}")
    return render(request, "messaging/responses/liff_home.html", {"member": member})


@require_POST
def liff_session(request: HttpRequest) -> HttpResponse:
    """The LIFF page posts its ID token here; LINE confirms it; the browser is that user."""
    next_url = _safe_next(request, request.POST.get("next"))
    try:
        claims = liff.liff_claims_verify(id_token=request.POST.get("id_token", ""))
    except liff.LiffTokenError as exc:
        audit_record(
            actor=None,
            action="responses.liff_token_refused",
            target=None,
            changes={"reason": exc.reason, "line_said": str(exc)[:100]},
            kind=AuditEvent.Kind.SECURITY,
            ip_address=request.META.get("REMOTE_ADDR"),
        )
        title, text = LIFF_REFUSALS.get(exc.reason, LIFF_REFUSALS["invalid"])
        return refusal(request, str(title), str(text), status=403, reason=exc.reason)
    except client.ChannelError:
        return refusal(
            request,
            _("LINE is not answering"),
            _("Please try again in a few minutes."),
            status=502,
        )
    request.session.cycle_key()
    request.session[liff.SESSION_KEY] = {"sub": claims["sub"], "at": time.time()}
    return redirect(next_url)


LINK_ERRORS = {
    "wrong_answer": "wrong",
    "locked": "locked",
    "follow_ask_number": "number",
    "ask_phone": "digits",
}


@never_cache
@require_http_methods(["GET", "POST"])
def liff_link(request: HttpRequest) -> HttpResponse:
    """Once per LINE user: member number + last four phone digits, with the bot's lock-out."""
    next_url = _safe_next(request, request.GET.get("next") or request.POST.get("next"))
    line_user = liff_line_user(request)
    if line_user is None:
        return liff_start(request, request.get_full_path())
    if Member.objects.filter(line_user_id=line_user).exists():
        return redirect(next_url)
    form = LinkForm(request.POST or None)
    problem, left, until = "", None, None
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            outcome = member_link_by_answers(
                line_user_id=line_user,
                number=form.cleaned_data["number"],
                last4=form.cleaned_data["last4"],
            )
        linked = outcome.context.get("member")
        if outcome.template in ("linked", "already_linked") and isinstance(linked, Member):
            messages.success(
                request,
                _("Your LINE account is now linked to member %(number)s.")
                % {"number": linked.number},
            )
            if outcome.template == "linked":
                # Linked here, not through the bot (whose reply carries it): the notice is
                # named on the page that follows, its link at the bottom.
                messages.info(
                    request,
                    _(
                        "How the cooperative looks after your personal data: read the privacy "
                        "notice (version %(version)s), linked at the bottom of this page."
                    )
                    % {"version": current_notice().version},
                )
            return redirect(next_url)
        problem = LINK_ERRORS.get(outcome.template, "wrong")
        left, until = outcome.context.get("left"), outcome.context.get("until")
    return render(
        request,
        "messaging/responses/liff_link.html",
        {"form": form, "next": next_url, "problem": problem, "left": left, "until": until},
        status=429 if problem == "locked" else 200,
    )


# --- responding: the LIFF page and the personal link -----------------------------------------

REFUSALS = {
    "not_in_audience": (
        gettext_lazy("This announcement was not sent to you"),
        gettext_lazy("Only the members it was sent to can answer it."),
    ),
    "closed": (
        gettext_lazy("Answers are closed"),
        gettext_lazy("This announcement no longer takes answers. Thank you."),
    ),
    "forged": (
        gettext_lazy("This link is not valid"),
        gettext_lazy("Check that the whole link was copied, or open the announcement in LINE."),
    ),
    "expired": (
        gettext_lazy("This link has expired"),
        gettext_lazy("Ask your representative or the cooperative for the announcement."),
    ),
    "bad_option": (
        gettext_lazy("Choose one of the answers"),
        gettext_lazy("Go back and choose one of the answers shown."),
    ),
    "already_responded": (
        gettext_lazy("Already answered"),
        gettext_lazy("This member has already answered."),
    ),
}


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    title, text = REFUSALS.get(reason, REFUSALS["forged"])
    status = {"forged": 404, "expired": 410, "closed": 409, "bad_option": 400}.get(reason, 403)
    return refusal(request, str(title), str(text), status=status)


def _respond(
    request: HttpRequest, *, announcement: Announcement, member: Member, way: str, source: str
) -> HttpResponse:
    ask = Ask.objects.filter(announcement=announcement).prefetch_related("options").first()
    response = Response.objects.filter(announcement=announcement, member=member).first()
    form = AnswerForm(request.POST if request.method == "POST" else None, ask=ask)
    if request.method == "POST":
        if not form.is_valid():
            return _refused(request, "bad_option")
        try:
            response = response_record(
                announcement=announcement,
                member=member,
                way=way,
                source=source,
                option=form.cleaned_data.get("option"),
                text=form.cleaned_data.get("text") or "",
            )
        except ResponseRefused as exc:
            return _refused(request, exc.reason)
        return redirect(request.path + "?done=1")
    return render(
        request,
        "messaging/responses/respond.html",
        {
            "announcement": announcement,
            "ask": ask,
            "member": member,
            "response": response,
            "form": form,
            "closed": ask_is_closed(ask, timezone.now()),
            "done": request.GET.get("done") == "1",
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def liff_announcement(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """The LIFF page behind the card's button: the announcement and one tap to answer."""
    announcement = get_object_or_404(Announcement, code=code)
    line_user = liff_line_user(request)
    if line_user is None:
        return liff_start(request, request.get_full_path())
    member = Member.objects.filter(line_user_id=line_user).first()
    if member is None:
        return redirect(f"{reverse('responses:liff_link')}?next={request.path}")
    if not Recipient.objects.filter(announcement=announcement, member=member).exists():
        return _refused(request, "not_in_audience")
    return _respond(
        request, announcement=announcement, member=member, way=Way.LIFF, source=f"liff:{line_user}"
    )


@never_cache
@require_http_methods(["GET", "POST"])
def link_announcement(request: HttpRequest, token: str) -> HttpResponse:
    """The personal link sent by SMS or e-mail: the same page without LINE."""
    try:
        link = response_link_resolve(token=token)
    except ResponseRefused as exc:
        audit_record(
            actor=None,
            action="responses.link_refused",
            target=None,
            changes={"reason": exc.reason},
            kind=AuditEvent.Kind.SECURITY,
            ip_address=request.META.get("REMOTE_ADDR"),
        )
        return _refused(request, exc.reason)
    way = Way.SMS_LINK if link.channel == ResponseLink.Channel.SMS else Way.EMAIL_LINK
    return _respond(
        request,
        announcement=link.announcement,
        member=link.member,
        way=way,
        source=f"link:{link.key}",
    )


# --- the chase list (representatives, deputies, agents) ---------------------------------------


def _chaser(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not (
        roles.is_representative(user) or roles.is_agent(user) or roles.is_cooperative_staff(user)
    ):
        raise PermissionDenied
    return user


def _with_mark_urls(rows: list[Recipient], url_name: str = "responses:chase_mark") -> None:
    """Each row's mark address, from one reversed pattern (not two reverse() per row)."""
    pattern = reverse(url_name, args=[_ZERO, _ONE])
    for row in rows:
        row.mark_url = pattern.replace(str(_ZERO), str(row.announcement.code)).replace(  # type: ignore[attr-defined]
            str(_ONE), str(row.member.code)
        )


_ZERO, _ONE = uuid.UUID(int=0), uuid.UUID(int=1)


def _opened_in_line(request: HttpRequest) -> bool:
    """The page was opened inside LINE: from a LINE message's link (``via=line``, which the
    representative's push carries) or in LINE's in-app browser (its user agent says Line/)."""
    return request.GET.get("via") == "line" or " Line/" in request.headers.get("User-Agent", "")


def _liff_sign_in(request: HttpRequest) -> HttpResponse | None:
    """Sign in, inside LINE, the representative (or deputy, or coop agent) whose account is
    tied to this LINE user, with LIFF: the page gets the LIFF ID token, LINE verifies it, the
    LINE user's account (``User.line_user_id``, tied by LINE Login while signed in or by the
    register's one-time code: never by the member link) is signed in as by LINE Login, under
    the same throttle, audited. Outside LINE, or without a LIFF app: the password sign-in.
    None when already signed in; otherwise the page to show (LIFF start, refusal, redirect:
    the signed-in request comes back through the second-factor check, which agents and
    representatives who turned it on pass as after any sign-in)."""
    if request.user.is_authenticated:
        return None
    here = request.get_full_path()
    login_url = f"{reverse(settings.LOGIN_URL)}?{urlencode({'next': here})}"
    if not (_opened_in_line(request) and liff.liff_id()):
        return redirect(login_url)
    line_user = liff_line_user(request)
    if line_user is None:
        return liff_start(request, here, login_url=login_url)
    user = user_for_line_login(line_user_id=line_user)
    ip = client_ip(request)
    if user is None:
        login_failure_record(username="", ip_address=ip, method="liff")
        return refusal(
            request,
            _("This LINE account is not tied to a representative's account"),
            _(
                "Nothing was opened. Sign in once with your password and connect LINE on your "
                "page, or post your register's one-time code in its LINE group; then the link "
                "opens your list directly."
            ),
            status=403,
            reason="not_tied",
            link=(login_url, _("Sign in with your password")),
        )
    throttle = login_throttle_reserve(username=user.username, ip_address=ip)
    if throttle is not None:
        login_refusal_record(
            username=user.username, ip_address=ip, throttle=throttle, method="liff"
        )
        return refusal(
            request, _("Sign-in refused"), throttle_message(throttle), status=429, reason="locked"
        )
    login(request, user, backend=THROTTLED_BACKEND)
    login_success_record(user=user, username=user.username, ip_address=ip, method="liff")
    return redirect(here)


@never_cache
@require_http_methods(["GET"])
def chase_list(request: HttpRequest) -> HttpResponse:
    """Members not yet responded to open announcements, with tap-to-call and one-tap marks.
    Opened from the representative's LINE push while not signed in on the site: signed in
    through LIFF (see :func:`_liff_sign_in`)."""
    signing_in = _liff_sign_in(request)
    if signing_in is not None:
        return signing_in
    user = _chaser(request)
    announcement = None
    if request.GET.get("a"):
        try:
            announcement = Announcement.objects.filter(code=uuid.UUID(request.GET["a"])).first()
        except ValueError:
            announcement = None
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    page = chase_page_for_user(user, announcement=announcement, page=number)
    _with_mark_urls([row for section in page.sections for row in section.rows])
    audit_access(
        actor=user,
        action="responses.chase_list_viewed",
        detail={"members": sum(len(s.rows) for s in page.sections), "page": page.number},
        ip_address=client_ip(request),
        members=[row.member_id for section in page.sections for row in section.rows],
    )
    # Page links keep the announcement chosen; absolute, as the list is also loaded into the
    # representative's page.
    base = reverse("responses:chase_list") + (
        f"?a={announcement.code}&page=" if announcement is not None else "?page="
    )
    template = "messaging/responses/chase_list.html"
    if is_htmx(request):
        template += "#sections"
    return render(
        request,
        template,
        {"sections": page.sections, "page": page, "page_url": base, "form": MarkForm()},
    )


@login_required
@require_POST
def chase_mark(
    request: HttpRequest, announcement_code: uuid.UUID, member_code: uuid.UUID
) -> HttpResponse:
    """Mark one member informed by phone / in person, or not reachable (why)."""
    user = _chaser(request)
    recipient = chase_recipient_for_user(
        user, announcement_code=announcement_code, member_code=member_code
    )
    if recipient is None:
        raise Http404
    _with_mark_urls([recipient])
    return _mark(
        request,
        recipient=recipient,
        form=MarkForm(request.POST),
        record=chase_mark_record,
        actor=user,
        row_template="messaging/responses/includes/chase_row.html",
        back="responses:chase_list",
    )


def _mark(
    request: HttpRequest,
    *,
    recipient: Recipient,
    form: MarkForm | StaffCallForm,
    record: Callable[..., Response],
    actor: User,
    row_template: str,
    back: str,
) -> HttpResponse:
    """A mark posted from a chase list or the call queue: ``record(recipient=, way=, note=,
    actor=)`` when the form is valid; answered with the member's row (htmx: 400 when the
    form is not valid, e.g. "could not reach" without a reason) or a message and the list."""
    problem = ""
    if form.is_valid():
        try:
            record(
                recipient=recipient,
                way=form.cleaned_data["way"],
                note=form.cleaned_data["note"],
                actor=actor,
            )
        except ResponseRefused as exc:
            problem = exc.reason
    else:
        problem = "form"
    if is_htmx(request):
        response = Response.objects.filter(
            announcement=recipient.announcement, member=recipient.member
        ).first()
        return render(
            request,
            row_template,
            {"row": recipient, "response": response, "problem": problem},
            status=400 if problem == "form" else 200,
        )
    name = recipient.member.full_name
    if problem:
        messages.error(request, _("Not saved: %(member)s.") % {"member": name})
    else:
        messages.success(request, _("Saved: %(member)s.") % {"member": name})
    return redirect(reverse(back))


# --- the staff call queue ---------------------------------------------------------------------


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not roles.is_cooperative_staff(user):
        raise Http404  # the queue's existence is not confirmed to others
    return user


@login_required
@require_http_methods(["GET"])
def call_queue(request: HttpRequest) -> HttpResponse:
    """Staff: members escalated past the third deadline, to call, with one-tap marks."""
    user = _staff(request)
    unit = None
    try:
        unit_code = uuid.UUID(request.GET.get("unit", ""))
    except ValueError:
        unit_code = None
    if unit_code is not None:
        unit = Unit.objects.filter(code=unit_code).first()
    rows = staff_call_queue_for_user(user, unit=unit)
    _with_mark_urls(rows, "responses:call_mark")
    audit_access(
        actor=user,
        action="responses.call_queue_viewed",
        detail={"members": len(rows), "unit": str(unit.code) if unit else None},
        ip_address=client_ip(request),
        members=[row.member_id for row in rows],
    )
    by_unit: dict[int, Unit] = {}
    counts: dict[int, int] = {}
    for row in rows:
        by_unit[row.unit_id] = row.unit
        counts[row.unit_id] = counts.get(row.unit_id, 0) + 1
    units = [(u, counts[pk]) for pk, u in by_unit.items()]
    return render(
        request,
        "messaging/responses/call_queue.html",
        {"rows": rows, "unit": unit, "units": units, "form": StaffCallForm()},
    )


@login_required
@require_POST
def call_mark(
    request: HttpRequest, announcement_code: uuid.UUID, member_code: uuid.UUID
) -> HttpResponse:
    """Staff mark one queued member: informed by phone, or could not reach (why)."""
    user = _staff(request)
    recipient = staff_call_recipient(
        user, announcement_code=announcement_code, member_code=member_code
    )
    if recipient is None:
        raise Http404
    _with_mark_urls([recipient], "responses:call_mark")
    return _mark(
        request,
        recipient=recipient,
        form=StaffCallForm(request.POST),
        record=staff_call_record,
        actor=user,
        row_template="messaging/responses/includes/call_row.html",
        back="responses:call_queue",
    )


# --- the report per announcement -------------------------------------------------------------


def chart_points(
    report: AnnouncementReport, *, width: int = 600, height: int = 200
) -> dict[str, object]:
    """The response curve as SVG polyline points (no inline styles: classes in the CSS)."""
    if not report.curve or not report.recipients:
        return {"points": "", "width": width, "height": height}
    last_hour = max(h for h, _n in report.curve) or 1.0
    pts = [f"0,{height}"]
    for hours, n in report.curve:
        x = round(width * hours / last_hour, 1)
        y = round(height - height * n / report.recipients, 1)
        pts.append(f"{x},{y}")
    marks = [{"y": round(height - height * p / 100, 1), "label": f"{p}%"} for p in (50, 80, 95)]
    return {
        "points": " ".join(pts),
        "width": width,
        "height": height,
        "marks": marks,
        "hours": round(last_hour),
    }


def _report_context(
    request: HttpRequest, user: User, data: AnnouncementReport, *, closing: ClosingReport | None
) -> dict[str, object]:
    announcement = data.announcement
    ask = data.ask
    live = closing is None and ask is not None and not ask_is_closed(ask, timezone.now())
    return {
        "report": data,
        "announcement": announcement,
        "chart": chart_points(data),
        "timeline": timeline_for(announcement),
        "ways": [(Way(w).label, n) for w, n in data.by_way.items()],
        "reasons": [(k, unreached_reason_label(k), n) for k, n in data.unreached_by_reason.items()],
        "times": [
            (p, round(d.total_seconds() / 3600, 1) if d is not None else None)
            for p, d in data.times.items()
        ],
        "closing": closing,
        "closes_around": ask_closes_at(ask, sent_at=announcement.send_started_at)
        if live and ask is not None
        else None,
        "poll_by_register": data.poll_by_register,
        "labels": list(data.poll or {}),
        "loaded": closing is not None,  # the frozen report shows its poll per register at once
        "closing_exists": closing is not None
        or ClosingReport.objects.filter(announcement=announcement).exists(),
        "is_live": live,
        "is_staff": roles.is_cooperative_staff(user),
        "scoped": report_units_for_user(user) is not None,
        "updated_at": timezone.now(),
    }


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _report_announcement(request: HttpRequest, code: uuid.UUID) -> tuple[User, Announcement]:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    # Outside the scope (or no such code) is a 404 alike: codes are not confirmed to outsiders.
    return user, get_object_or_404(report_announcement_list_for_user(user), code=code)


@login_required
@require_http_methods(["GET"])
def report(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """Who responded, how, how fast, per unit / register / representative; ?export=xlsx.
    While answers are open the totals, poll results and registers refresh by themselves
    (htmx asks for ``?part=live``). The poll per register (a row per register: the page's
    largest table) comes apart, when scrolled to (``?part=poll_registers``), and refreshes
    itself the same way; without htmx that address is the whole page with the table."""
    user, announcement = _report_announcement(request, code)
    units = report_units_for_user(user)
    if request.GET.get("part") == "poll_registers" and is_htmx(request):
        ask, rows = poll_by_register_rows(announcement, units=units)
        return render(
            request,
            "messaging/responses/report.html#poll_registers",
            {
                "announcement": announcement,
                "poll_by_register": rows,
                "labels": [o.label for o in ask.options.all()] if rows and ask else [],
                "is_live": ask is not None and not ask_is_closed(ask, timezone.now()),
                "loaded": True,
            },
        )
    data = announcement_report(announcement, units=units)
    if request.GET.get("export") == "xlsx":
        audit_access(
            actor=user,
            action="responses.report_exported",
            target=announcement,
            ip_address=client_ip(request),
            members=_representatives_named(data),
        )
        return _xlsx(report_xlsx(data), f"responses-{announcement.pk}.xlsx")
    template = "messaging/responses/report.html"
    if request.GET.get("part") == "live" and is_htmx(request):
        template += "#live"
    else:
        # The page names each register's representative (PDPA: a read of personal data);
        # its own 15-s refreshes of the figures are not logged again.
        audit_access(
            actor=user,
            action="responses.report_viewed",
            target=announcement,
            ip_address=client_ip(request),
            members=_representatives_named(data),
        )
    context = _report_context(request, user, data, closing=None)
    context["loaded"] = request.GET.get("part") == "poll_registers"  # no htmx: the whole page
    return render(request, template, context)


def _representatives_named(data: AnnouncementReport) -> list[int]:
    """The members a live report names: each register's current representative (as the
    report's rows name them). One query, none without registers."""
    codes = [row.key for row in data.by_register if row.key and row.representative]
    if not codes:
        return []
    return list(
        Register.objects.filter(code__in=codes, representative__ended_on__isnull=True)
        .exclude(representative__isnull=True)
        .values_list("representative__member_id", flat=True)
    )


@login_required
@require_http_methods(["GET"])
def closing_report(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """The frozen summary stored when the response window ended ("รายงานปิด"); ?export=xlsx."""
    user, announcement = _report_announcement(request, code)
    closing = get_object_or_404(
        ClosingReport.objects.select_related("announcement", "closed_by"),
        announcement=announcement,
    )
    data = closing_report_as_report(closing, units=report_units_for_user(user))
    if request.GET.get("export") == "xlsx":
        audit_access(
            actor=user,
            action="responses.closing_report_exported",
            target=announcement,
            ip_address=client_ip(request),
            members=representatives_named_when_closed(data),
        )
        return _xlsx(
            report_xlsx(data, closed_at=closing.closed_at),
            f"closing-report-{announcement.pk}.xlsx",
        )
    audit_access(
        actor=user,
        action="responses.closing_report_viewed",
        target=announcement,
        ip_address=client_ip(request),
        members=representatives_named_when_closed(data),
    )
    return render(
        request,
        "messaging/responses/report.html",
        _report_context(request, user, data, closing=closing),
    )


@login_required
@require_POST
def report_close(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """Staff end the response window now: the closing report is frozen and shown."""
    user, announcement = _report_announcement(request, code)
    if not roles.is_cooperative_staff(user):
        raise Http404
    ask = get_object_or_404(Ask, announcement=announcement)
    if ask_close(ask=ask, reason=ClosingReport.Reason.STAFF, actor=user) is None:
        messages.info(request, _("Answers were already closed."))
    else:
        messages.success(request, _("Answers are closed; the closing report is stored."))
    return redirect(reverse("responses:closing_report", args=[announcement.code]))


# --- open feedback (staff only) ------------------------------------------------------------------

FEEDBACK_PER_PAGE = 100


@login_required
@require_http_methods(["GET"])
def feedback(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """Staff read the free-text answers to one announcement (100 a page, newest first), or
    download them all (?export=xlsx). Each view and export is logged as access to member
    data. Others get a 404 alike: feedback reaches staff only."""
    user = request.user
    if not isinstance(user, User):
        raise Http404
    announcement = get_object_or_404(feedback_announcement_list_for_user(user), code=code)
    answers = feedback_answers(announcement)
    if request.GET.get("export") == "xlsx":
        shown: list[int] = []

        def noted(rows: Iterable[Response]) -> Iterator[Response]:
            for row in rows:
                shown.append(row.member_id)
                yield row

        content, count = feedback_xlsx(announcement, noted(answers.iterator(chunk_size=2000)))
        audit_access(
            actor=user,
            action="responses.feedback_exported",
            target=announcement,
            detail={"answers": count},
            ip_address=client_ip(request),
            members=shown,
        )
        return _xlsx(content, f"feedback-{announcement.pk}.xlsx")
    page = Paginator(answers, FEEDBACK_PER_PAGE).get_page(request.GET.get("page"))
    audit_access(
        actor=user,
        action="responses.feedback_viewed",
        target=announcement,
        detail={"answers": len(page.object_list), "page": page.number},
        ip_address=client_ip(request),
        members=[answer.member_id for answer in page.object_list],
    )
    return render(
        request,
        "messaging/responses/feedback.html",
        {"announcement": announcement, "ask": announcement.ask, "page": page},
    )


# --- what an announcement asks (staff) -------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def ask_edit(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """Staff choose what an announcement asks: รับทราบ, a poll, or open feedback."""
    user = request.user
    if not isinstance(user, User) or not roles.is_cooperative_staff(user):
        raise Http404
    announcement = get_object_or_404(Announcement, code=code)
    ask = Ask.objects.filter(announcement=announcement).prefetch_related("options").first()
    initial: dict[str, object] = {"kind": Ask.Kind.ACKNOWLEDGE, "audience": Ask.Audience.MEMBERS}
    if ask is not None:
        initial = {
            "kind": ask.kind,
            "question": ask.question,
            "options": "\n".join(o.label for o in ask.options.all()),
            "audience": ask.audience,
            "member_hours": ask.member_hours,
            "representative_hours": ask.representative_hours,
            "deputy_hours": ask.deputy_hours,
            "staff_hours": ask.staff_hours,
            "closes_at": ask.closes_at,
        }
    form = AskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ask_set(
                announcement=announcement,
                actor=user,
                kind=data["kind"],
                question=data["question"],
                options=data["options"].splitlines(),
                audience=data["audience"],
                member_hours=data["member_hours"],
                representative_hours=data["representative_hours"],
                deputy_hours=data["deputy_hours"],
                staff_hours=data["staff_hours"],
                closes_at=data["closes_at"],
            )
        except AskError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved what the announcement asks."))
            return redirect(request.path)
    return render(
        request,
        "messaging/responses/ask_form.html",
        {"form": form, "announcement": announcement, "ask": ask},
        status=400 if request.method == "POST" else 200,
    )
