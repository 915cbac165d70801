"""The representatives list as Excel: today's leaders of each register, to fill in and import.

One row per current register (its LINE group, representative, deputy) and per current
representative without a register yet, in the columns the import of representatives reads.
For a successor the office overwrites the departed representative's number and name; a vacant
register's row is left without a number (skipped by the import).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from tocnet.core.thai import thai_sort_key
from tocnet.members.models import Representative, Unit
from tocnet.registers.models import Register

HEADER = [
    "ลำดับ",
    "เลขทะเบียนสมาชิก",
    "ชื่อ-สกุล",
    "หน่วยงาน",
    "กลุ่มไลน์",
    "ผู้ช่วยผู้แทน",
    "ชื่อผู้ช่วยผู้แทน",
]
WIDTHS = [7, 18, 32, 40, 18, 16, 32]


def _instructions() -> list[str]:
    return [
        _("How to fill in the list of representatives"),
        _("One row per register (LINE group). Keep the column names."),
        _(
            "A representative who leaves: delete the row's member number and name; the register "
            "stays vacant with its members and LINE group."
        ),
        _(
            "A successor (the election's runner-up or a newly elected member): write their member "
            "number and name over the departed representative's, keeping the LINE group."
        ),
        _(
            "A deputy (ผู้ช่วยผู้แทน): the member number (or the name) of a member of the same "
            "register. An empty cell leaves the deputy as it is."
        ),
        _("A new representative without a register yet: a new row with the LINE group empty."),
        _(
            "Representatives of the units in the file who are missing from it end their term. "
            "Terms are set when the file is imported."
        ),
    ]


def representatives_xlsx(
    units: Iterable[Unit], *, shown: list[int] | None = None
) -> tuple[bytes, int]:
    """The workbook for these units, and the number of people named in it; ``shown``
    collects the primary keys of the members it names (for the access log)."""
    units = list(units)
    registers = list(
        Register.objects.filter(unit__in=units, retired_at__isnull=True)
        .select_related("unit", "representative__member", "deputy")
        .order_by("unit__name", "number")
    )
    leading = {
        r.representative_id
        for r in registers
        if r.representative is not None and r.representative.ended_on is None
    }
    unattached = (
        Representative.objects.filter(unit__in=units, ended_on__isnull=True)
        .exclude(pk__in=leading)
        .select_related("unit", "member")
    )
    rows: list[tuple[object, ...]] = []
    people = 0
    for register in sorted(registers, key=lambda r: (thai_sort_key(r.unit.name), r.number or 0)):
        rep = register.representative
        current = rep if rep is not None and rep.ended_on is None else None
        deputy = register.deputy
        people += bool(current) + bool(deputy)
        if shown is not None:
            shown += [m.pk for m in (current.member if current else None, deputy) if m]
        rows.append(
            (
                current.member.number if current else None,
                current.member.full_name if current else None,
                register.unit.name,
                str(register),
                deputy.number if deputy else None,
                deputy.full_name if deputy else None,
            )
        )
    for rep in sorted(unattached, key=lambda r: (thai_sort_key(r.unit.name), r.member.number)):
        people += 1
        if shown is not None:
            shown.append(rep.member_id)
        rows.append((rep.member.number, rep.member.full_name, rep.unit.name, None, None, None))

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "ผู้แทนสมาชิก"
    sheet.append([_("Representatives and deputies by register")])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(HEADER)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for index, row in enumerate(rows, start=1):
        sheet.append([index, *row])
    for column, width in zip("ABCDEFG", WIDTHS, strict=True):
        sheet.column_dimensions[column].width = width
        for cell in sheet[column][2:]:
            cell.number_format = "@"  # member numbers stay text (no leading zeros lost)
    sheet.freeze_panes = "A3"
    notes = book.create_sheet("คำอธิบาย")
    for line in _instructions():
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), people
