"""The dashboard's charts (HTML bars) and map (SVG), drawn from a Coverage."""

from __future__ import annotations

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from tocnet.members.provinces import short_unit_name
from tocnet.reports.exports import STATUS_LABELS, status_label
from tocnet.reports.selectors import Coverage
from tocnet.reports.svg import Bar, bar_chart_html, province_map_svg

STATUS_COLOURS = {
    "not_started": "#9ca3af",
    "in_progress": "#f59e0b",
    "submitted": "#047857",
    "late": "#b91c1c",
}


def submission_status_chart(coverage: Coverage) -> SafeString:
    """Units per submission status (not started, in progress, submitted, late)."""
    return bar_chart_html(
        [
            Bar(
                label=status_label(key),
                value=coverage.status_counts.get(key, 0),
                text=f"{coverage.status_counts.get(key, 0):,}",
                key=key,
                colour=STATUS_COLOURS[key],
            )
            for key in STATUS_LABELS
        ],
        title=_("Units by submission status"),
    )


def unit_group_share_chart(coverage: Coverage) -> SafeString:
    """Share of members in the LINE group per unit, lowest first (units without members left out)."""
    by_share = sorted(
        (u for u in coverage.units if u.members),
        key=lambda r: (r.group_share or 0, r.label),
    )
    return bar_chart_html(
        [
            Bar(
                label=short_unit_name(r.label),
                value=r.group_share or 0,
                text=f"{(r.group_share or 0) * 100:.0f}% ({r.in_group:,}/{r.members:,})",
                key=r.unit_code,
            )
            for r in by_share
        ],
        title=_("Members in the LINE group, per unit"),
        maximum=1,
        colour_by_share=True,
    )


def coverage_map(coverage: Coverage, *, metric: str) -> SafeString:
    """Provinces shaded by share in the LINE group (``metric`` "line") or reachable ("reach")."""
    reach = metric == "reach"
    shares = {p.label: (p.reach_share if reach else p.group_share) for p in coverage.provinces}
    details = {
        p.label: f"{p.reachable if reach else p.in_group}/{p.members}" for p in coverage.provinces
    }
    return province_map_svg(shares, title=_("Coverage by province"), details=details)
