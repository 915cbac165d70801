"""The per-announcement report as .xlsx (small: served straight from the page)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from tocnet.core.xlsx import (
    append_row,
    safe_sheet_title,
    set_column_widths,
    workbook_bytes,
    workbook_in_font,
)
from tocnet.messaging.models import Announcement
from tocnet.messaging.responses.models import Response, Way
from tocnet.messaging.responses.selectors import AnnouncementReport, unreached_reason_label


def report_xlsx(report: AnnouncementReport, *, closed_at: dt.datetime | None = None) -> bytes:
    """The report as a workbook: summary, by register, by unit, the poll (overall, per unit,
    per register). ``closed_at`` marks a closing report (the frozen summary)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = safe_sheet_title(_("Summary"))
    append_row(ws, [_("Announcement"), report.announcement.title], header=True)
    if closed_at is not None:
        append_row(
            ws,
            [_("Closing report"), timezone.localtime(closed_at).strftime("%Y-%m-%d %H:%M")],
        )
    for label, value in (
        (_("Recipients"), report.recipients),
        (_("Responded"), report.responded),
        (_("Informed by their representative"), report.informed),
        (_("Informed by staff or coop agents"), report.informed_staff),
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
        append_row(ws, [unreached_reason_label(reason), n])
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
        _("Informed by staff or coop agents"),
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
                row.informed_staff,
                row.unreached,
            ],
        )
    set_column_widths(sheet, [22, 36, 28, 12, 12, 16, 16, 12])
    units = wb.create_sheet(safe_sheet_title(_("By unit")))
    append_row(units, [headers[1], *headers[3:]], header=True)
    for row in report.by_unit:
        append_row(
            units,
            [
                row.name,
                row.recipients,
                row.responded,
                row.informed,
                row.informed_staff,
                row.unreached,
            ],
        )
    set_column_widths(units, [36, 12, 12, 16, 16, 12])
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
        by_register = wb.create_sheet(safe_sheet_title(_("Poll by register")))
        append_row(by_register, [_("Unit"), _("Register"), *labels], header=True)
        for register_row in report.poll_by_register:
            answers = register_row["answers"]
            assert isinstance(answers, dict)
            append_row(
                by_register,
                [
                    register_row["unit"],
                    register_row["register"],
                    *[answers.get(label, 0) for label in labels],
                ],
            )
        set_column_widths(by_register, [36, 22] + [14] * len(labels))
    return workbook_bytes(wb)


def feedback_xlsx(announcement: Announcement, answers: Iterable[Response]) -> tuple[bytes, int]:
    """Every free-text answer as one row: member, unit, register, time, way, text. Returns
    the file and the number of answers in it (for the access log)."""
    wb = workbook_in_font("Sarabun", write_only=True)
    ws = wb.create_sheet(safe_sheet_title(_("Feedback")))
    question = announcement.ask.question if hasattr(announcement, "ask") else ""
    append_row(ws, [announcement.title, question], header=True)
    append_row(
        ws,
        [
            _("Member number"),
            _("Name"),
            _("Unit"),
            _("Register"),
            _("Answered at"),
            _("Way"),
            _("Answer"),
        ],
        header=True,
    )
    count = 0
    for answer in answers:
        recipient = answer.recipient
        register = recipient.register if recipient else None
        append_row(
            ws,
            [
                answer.member.number,
                answer.member.full_name,
                recipient.unit.name if recipient else "",
                (register.line_group_name or str(register)) if register else "",
                timezone.localtime(answer.at).strftime("%Y-%m-%d %H:%M"),
                str(Way(answer.way).label),
                answer.text,
            ],
        )
        count += 1
    return workbook_bytes(wb), count
