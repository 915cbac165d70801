from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tocnet.accounts import roles
from tocnet.accounts.http import AuthenticatedHttpRequest
from tocnet.accounts.roles import is_representative, sees_personal_data
from tocnet.core.audit import audit_access
from tocnet.core.http import client_ip, is_htmx, safe_next
from tocnet.core.paging import thai_ordered_page
from tocnet.core.thai import phone_display
from tocnet.members.forms import ContactForm
from tocnet.members.models import Member, Phone, Unit
from tocnet.members.selectors import (
    get_member_for_user,
    get_unit_for_user,
    member_list_for_user,
    member_search,
    unit_list_for_user,
    unit_list_with_counts,
)
from tocnet.members.services import ContactChange, member_contact_update

PER_PAGE = 50


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if is_representative(user):
        # A representative's home is their register's page, made for a phone.
        return redirect("reports:my_register")
    units = unit_list_with_counts(unit_list_for_user(user))
    context: dict[str, object] = {"units": units}
    totals = units.aggregate(
        members=Count("members", filter=Q(members__status=Member.Status.ACTIVE)),
    )
    context["totals"] = {
        "units": len(units),
        "members": totals["members"] or 0,
        "representatives": sum(getattr(u, "current_representatives", 0) for u in units),
    }
    return render(request, "members/home.html", context)


def _prepare_rows(members: QuerySet[Member]) -> QuerySet[Member]:
    return members.select_related("unit").prefetch_related(
        Prefetch("phones", queryset=Phone.objects.order_by("position", "id"))
    )


@login_required
def unit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not roles.sees_unit_list(user):
        # Representatives see their register, not the unit's other representatives/agents.
        raise PermissionDenied
    units = unit_list_with_counts(unit_list_for_user(user))
    return render(request, "members/unit_list.html", {"units": units})


@login_required
def unit_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    if not roles.sees_unit_list(user):
        raise Http404  # the answer for a unit out of scope: no page tells units apart
    unit = get_unit_for_user(user, code)
    members = member_list_for_user(user).filter(unit=unit)
    counts = members.aggregate(
        active=Count("pk", filter=Q(status=Member.Status.ACTIVE)),
        total=Count("pk"),
    )
    can_see_members = sees_personal_data(user)
    if not can_see_members:
        # Board members see aggregates: count the whole unit, show nobody.
        counts = Member.objects.filter(unit=unit).aggregate(
            active=Count("pk", filter=Q(status=Member.Status.ACTIVE)), total=Count("pk")
        )
    representatives = (
        list(unit.representatives.filter(ended_on__isnull=True).select_related("member"))
        if can_see_members
        else []
    )
    agents = unit.agent_links.select_related("user") if can_see_members else []
    if can_see_members:
        # Names of the unit's representatives and agents: a read of personal data.
        # The representatives shown are members: the access log names them.
        audit_access(
            actor=user,
            action="unit.viewed",
            target=unit,
            ip_address=client_ip(request),
            members=[r.member_id for r in representatives],
        )
    return render(
        request,
        "members/unit_detail.html",
        {
            "unit": unit,
            "counts": counts,
            "representatives": representatives,
            "agents": agents,
            "can_see_members": can_see_members,
        },
    )


@login_required
def member_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not sees_personal_data(user):
        raise PermissionDenied  # the board sees totals, not a list of people
    members = member_list_for_user(user)
    query = request.GET.get("q", "")
    members = member_search(members, query)
    unit_code = request.GET.get("unit", "")
    unit: Unit | None = None
    if unit_code:
        unit = get_unit_for_user(user, unit_code)
        members = members.filter(unit=unit)
    status = request.GET.get("status", Member.Status.ACTIVE)
    if status in Member.Status.values:
        members = members.filter(status=status)
    page = thai_ordered_page(
        members,
        name_fields=("first_name", "last_name"),
        page_number=request.GET.get("page"),
        per_page=PER_PAGE,
        prepare=_prepare_rows,
    )
    units = list(unit_list_for_user(user).order_by("name").only("code", "name"))
    kept = {"q": query, "unit": str(unit.code) if unit else "", "status": status}
    context = {
        "page": page.page,
        "rows": page.rows,
        "query": query,
        "unit": unit,
        "units": units if len(units) > 1 else [],
        "status": status,
        "statuses": Member.Status.choices,
        "page_query": urlencode({k: v for k, v in kept.items() if v}),
        "page_range": page.page.paginator.get_elided_page_range(
            page.page.number, on_each_side=2, on_ends=1
        ),
    }
    if page.rows:
        audit_access(
            actor=user,
            action="members.listed",
            target=unit,
            detail={
                "searched": bool(query),
                "status": status,
                "page": page.page.number,
                "members": [m.number for m in page.rows],
            },
            ip_address=client_ip(request),
            members=[m.pk for m in page.rows],
        )
    template = "members/member_list.html#rows" if is_htmx(request) else "members/member_list.html"
    return render(request, template, context)


@login_required
def member_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    member = get_member_for_user(user, code)
    audit_access(actor=user, action="member.viewed", target=member, ip_address=client_ip(request))
    memberships = member.register_memberships.select_related("register", "register__unit").order_by(
        "-since"
    )
    return render(
        request,
        "members/member_detail.html",
        {"member": member, "phones": member.phones.all(), "memberships": memberships},
    )


@login_required
def member_contact_edit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    user = request.user
    member = get_member_for_user(user, code)
    initial = {
        # As people read them (081-234-5678, ต่อ 12); an unreadable number as it was typed.
        "phones": ", ".join(phone_display(p.e164, p.raw, p.extension) for p in member.phones.all()),
        "email": member.email,
        "line_id": member.line_id,
        "no_line": member.no_line,
        "unreachable_reason": member.unreachable_reason,
    }
    form = ContactForm(request.POST or None, initial=initial)
    back = safe_next(request, reverse("members:member_detail", args=[member.code]))
    if request.method == "GET":
        audit_access(
            actor=user, action="member.contact_viewed", target=member, ip_address=client_ip(request)
        )
    if request.method == "POST" and form.is_valid():
        member_contact_update(
            member=member,
            actor=user,
            change=ContactChange(**form.cleaned_data),
            ip_address=client_ip(request),
        )
        messages.success(request, _("Contact details saved."))
        return redirect(back)
    return render(
        request,
        "members/member_contact_form.html",
        {"member": member, "form": form, "back": back},
    )
