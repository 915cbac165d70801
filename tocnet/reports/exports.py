"""Dashboard export as .xlsx: the rows the user sees, in the order they sorted them."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from tocnet.core.thai import format_thai_date
from tocnet.core.xlsx import append_row, safe_sheet_title, set_column_widths, workbook_bytes
from tocnet.reports.responsiveness import Responsiveness
from tocnet.reports.selectors import Coverage, CoverageRow

STATUS_LABELS = {
    "not_started": gettext_lazy("Not started"),
    "in_progress": gettext_lazy("In progress"),
    "submitted": gettext_lazy("Submitted"),
    "late": gettext_lazy("Late"),
}


def status_label(key: str) -> str:
    """Translated label of a submission state key."""
    return str(STATUS_LABELS.get(key, key))


def _headers(*, with_status: bool) -> list[str]:
    columns = [
        _("Members"),
        _("Registers"),
        _("Representatives assigned"),
        _("Valid group names"),
        _("Groups verified"),
        _("Members in the LINE group"),
        _("Reachable another way"),
        _("Unreachable"),
        _("Unreachable, with reason"),
        _("Not on a register"),
        _("In the LINE group (%)"),
        _("Reachable (%)"),
        _("Vacant registers"),
        _("Terms ending within 90 days"),
        _("Terms ended"),
    ]
    if with_status:
        columns += [_("Submission"), _("Submitted by"), _("Submitted on")]
    return columns


def _values(row: CoverageRow, *, with_status: bool) -> list[object]:
    values: list[object] = [
        row.members,
        row.registers,
        row.representatives,
        row.valid_names,
        row.groups_verified,
        row.in_group,
        row.reachable_other,
        row.unreachable,
        row.unreachable_with_reason,
        row.not_in_register,
        round(row.group_share * 100, 1) if row.group_share is not None else None,
        round(row.reach_share * 100, 1) if row.reach_share is not None else None,
        row.vacant,
        row.terms_ending,
        row.terms_ended,
    ]
    if with_status:
        state = row.submission
        values += [
            status_label(state.key) if state else "",
            state.submitted_by if state else "",
            format_thai_date(state.submitted_at) if state and state.submitted_at else "",
        ]
    return values


def coverage_xlsx(
    coverage: Coverage, *, units: list[CoverageRow], follow_up: Responsiveness | None = None
) -> bytes:
    """Workbook with sheets for totals, provinces, units and registers (as scoped), and the
    representatives' follow-up of announcements when given."""
    wb = Workbook(write_only=True)
    totals = wb.create_sheet(safe_sheet_title(_("Totals")))
    set_column_widths(totals, [34, 14])
    append_row(totals, [_("Coverage of the TOC-Net network"), ""], header=True)
    append_row(totals, [_("Deadline"), format_thai_date(coverage.deadline)])
    append_row(totals, [_("Exported on"), format_thai_date(coverage.today)])
    for label, value in zip(
        _headers(with_status=False), _values(coverage.total, with_status=False), strict=True
    ):
        append_row(totals, [label, value])
    if coverage.level == "totals":
        return workbook_bytes(wb)
    sheets = [
        (_("Provinces"), [_("Province")], [(r, [r.label]) for r in coverage.provinces], False),
        (_("Units"), [_("Unit"), _("Province")], [(r, [r.label, r.province]) for r in units], True),
        (
            _("Registers"),
            [_("Register"), _("Province")],
            [(r, [r.label, r.province]) for r in coverage.registers],
            False,
        ),
    ]
    for title, first, rows, with_status in sheets:
        ws = wb.create_sheet(safe_sheet_title(title))
        set_column_widths(ws, [34] + [16] * (len(first) - 1) + [12] * 16)
        append_row(ws, first + _headers(with_status=with_status), header=True)
        for row, lead in rows:
            append_row(ws, lead + _values(row, with_status=with_status))
    if follow_up is not None:
        _follow_up_sheet(wb, follow_up)
    return workbook_bytes(wb)


def _follow_up_sheet(wb: Workbook, follow_up: Responsiveness) -> None:
    ws = wb.create_sheet(safe_sheet_title(_("Follow-up")))
    set_column_widths(ws, [30, 34] + [14] * 8)
    append_row(
        ws,
        [
            _("Representative"),
            _("Unit"),
            _("Announcements"),
            _("Recipients"),
            _("Reached"),
            _("To chase"),
            _("Informed by them"),
            _("Answered late"),
            _("Brought in"),
            _("Median hours"),
        ],
        header=True,
    )
    for row in [*follow_up.rows, follow_up.total]:
        append_row(
            ws,
            [
                row.name or _("Total"),
                row.unit,
                row.announcements,
                row.recipients,
                row.reached,
                row.to_chase,
                row.informed,
                row.late_responses,
                row.brought_in,
                row.median_hours if row.median_hours is not None else "",
            ],
        )
