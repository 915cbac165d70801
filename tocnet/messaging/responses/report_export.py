"""The per-announcement report as .xlsx (small: served straight from the page)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from openpyxl import Workbook

from tocnet.core.xlsx import append_row, safe_sheet_title, set_column_widths, workbook_bytes
from tocnet.messaging.responses.models import Way
from tocnet.messaging.responses.selectors import AnnouncementReport


def report_xlsx(report: AnnouncementReport) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = safe_sheet_title(_("Summary"))
    append_row(ws, [_("Announcement"), report.announcement.title], header=True)
    for label, value in (
        (_("Recipients"), report.recipients),
        (_("Responded"), report.responded),
        (_("Informed by their representative"), report.informed),
        (_("Unreached"), report.unreached),
    ):
        append_row(ws, [label, value])
    append_row(ws, [])
    append_row(ws, [_("Way"), _("Members")], header=True)
    for way, n in report.by_way.items():
        append_row(ws, [str(Way(way).label), n])
    append_row(ws, [])
    append_row(ws, [_("Unreached, why"), _("Members")], header=True)
    for reason, n in report.unreached_by_reason.items():
        append_row(ws, [reason, n])
    append_row(ws, [])
    append_row(ws, [_("Share"), _("Time after sending (hours)")], header=True)
    for p, delta in report.times.items():
        append_row(ws, [f"{p} %", round(delta.total_seconds() / 3600, 1) if delta else "–"])
    set_column_widths(ws, [40, 24])
    headers = [
        _("Register"),
        _("Unit"),
        _("Representative"),
        _("Recipients"),
        _("Responded"),
        _("Informed by their representative"),
        _("Unreached"),
    ]
    sheet = wb.create_sheet(safe_sheet_title(_("By register")))
    append_row(sheet, headers, header=True)
    for row in report.by_register:
        append_row(
            sheet,
            [
                row.name,
                row.unit,
                row.representative,
                row.recipients,
                row.responded,
                row.informed,
                row.unreached,
            ],
        )
    set_column_widths(sheet, [22, 36, 28, 12, 12, 16, 12])
    units = wb.create_sheet(safe_sheet_title(_("By unit")))
    append_row(units, [headers[1], *headers[3:]], header=True)
    for row in report.by_unit:
        append_row(units, [row.name, row.recipients, row.responded, row.informed, row.unreached])
    set_column_widths(units, [36, 12, 12, 16, 12])
    if report.poll is not None:
        poll = wb.create_sheet(safe_sheet_title(_("Poll")))
        labels = list(report.poll)
        append_row(poll, [report.ask.question if report.ask else "", *labels], header=True)
        append_row(poll, [_("All"), *[report.poll[label] for label in labels]])
        for unit_row in report.poll_by_unit:
            answers = unit_row["answers"]
            assert isinstance(answers, dict)
            append_row(poll, [unit_row["unit"], *[answers.get(label, 0) for label in labels]])
        set_column_widths(poll, [36] + [14] * len(labels))
    return workbook_bytes(wb)
