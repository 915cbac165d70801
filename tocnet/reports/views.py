"""Dashboard, representative's page, forms out and back in, submissions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tocnet.accounts.models import User
from tocnet.core.audit import audit_access
from tocnet.core.http import client_ip
from tocnet.reports.exports import STATUS_LABELS, coverage_xlsx, status_label
from tocnet.reports.selectors import coverage_for_user, dashboard_level, sort_rows
from tocnet.reports.svg import Bar, bar_chart_svg, province_map_svg

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_COLOURS = {
    "not_started": "#9ca3af",
    "in_progress": "#f59e0b",
    "submitted": "#047857",
    "late": "#b91c1c",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def attachment(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A download response with an RFC 6266 file name (Thai names survive)."""
    from urllib.parse import quote

    response = HttpResponse(content, content_type=content_type)
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    level = dashboard_level(user)
    if level == "none":
        raise PermissionDenied
    coverage = coverage_for_user(user)
    units, sort = sort_rows(coverage.units, request.GET.get("sort", "name"))
    registers, _rsort = sort_rows(coverage.registers, request.GET.get("sort", "name"))
    if request.GET.get("export") == "xlsx":
        audit_access(
            actor=user,
            action="reports.dashboard_exported",
            detail={"level": level, "units": len(units)},
            ip_address=client_ip(request),
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return attachment(
            coverage_xlsx(coverage, units=units),
            filename=f"tocnet-coverage-{stamp}.xlsx",
            content_type=XLSX,
        )
    map_metric = "reach" if request.GET.get("map") == "reach" else "line"
    status_chart = bar_chart_svg(
        [
            Bar(
                label=status_label(key),
                value=coverage.status_counts.get(key, 0),
                text=str(coverage.status_counts.get(key, 0)),
                key=key,
                colour=STATUS_COLOURS[key],
            )
            for key in STATUS_LABELS
        ],
        title=_("Units by submission status"),
        label_width=110,
        width=420,
        row_height=22,
    )
    context: dict[str, object] = {
        "coverage": coverage,
        "level": level,
        "status_chart": status_chart,
        "sort": sort,
        "map_metric": map_metric,
    }
    if level != "totals":
        by_share = sorted(
            (u for u in coverage.units if u.members),
            key=lambda r: (r.group_share or 0, r.label),
        )
        context["unit_chart"] = bar_chart_svg(
            [
                Bar(
                    label=r.label,
                    value=r.group_share or 0,
                    text=f"{(r.group_share or 0) * 100:.0f}% ({r.in_group}/{r.members})",
                    key=r.unit_code,
                )
                for r in by_share
            ],
            title=_("Members in the LINE group, per unit"),
            maximum=1,
            colour_by_share=True,
            label_width=230,
            width=620,
        )
        shares = {
            p.label: (p.reach_share if map_metric == "reach" else p.group_share)
            for p in coverage.provinces
        }
        details = {
            p.label: f"{p.reachable if map_metric == 'reach' else p.in_group}/{p.members}"
            for p in coverage.provinces
        }
        context["province_map"] = province_map_svg(
            shares,
            title=_("Coverage by province"),
            details=details,
        )
        context["units"] = units
        context["registers"] = registers
    return render(request, "reports/dashboard.html", context)


__all__ = [
    "Http404",
    "ValidationError",
    "attachment",
    "dashboard",
    "messages",
    "redirect",
    "require_POST",
]
