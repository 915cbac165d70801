"""The downloadable error report: every rejected, warned and duplicate row with its reason."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from tocnet.core.xlsx import append_row, set_column_widths, workbook_bytes

from .messages import describe_both
from .reasons import FIELD_LABELS


def error_report_rows(details: dict[str, Any]) -> list[dict[str, Any]]:
    """Rejected rows, warnings and duplicates in sheet and row order."""
    rows: list[dict[str, Any]] = []
    for entry in details.get("rejected", []):
        rows.append({**entry, "kind": "rejected"})
    for entry in details.get("warnings", []):
        rows.append({**entry, "kind": "warning"})
    for entry in details.get("duplicates", []):
        rows.append(
            {
                "sheet": entry["sheet"],
                "row": entry["row"],
                "kind": "duplicate",
                "reason": "duplicate",
                "number": entry["member_number"],
                "value": f"{entry['first_sheet']}!{entry['first_row']}",
            }
        )
    sheets: dict[str, int] = {}
    for row in rows:
        sheets.setdefault(row["sheet"], len(sheets))
    rows.sort(key=lambda r: (sheets[r["sheet"]], r["row"]))
    return rows


def error_report_xlsx(details: dict[str, Any], *, file_name: str) -> bytes:
    """An .xlsx an office can fix its file from; every text cell is stored as text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Errors")[:31])
    append_row(sheet, [_("Errors in %(file)s") % {"file": file_name}])
    append_row(
        sheet,
        [
            "แผ่นงาน / Sheet",
            "แถว / Row",
            "เลขทะเบียน / Member no.",
            "ช่อง / Field",
            "ผล / Outcome",
            "รหัส / Code",
            "ข้อความ (ไทย)",
            "Message (English)",
            "ค่าในไฟล์ / Value",
        ],
        header=True,
    )
    outcomes = {
        "rejected": "ไม่นำเข้า / rejected",
        "warning": "นำเข้า ต้องแก้ไข / imported, to fix",
        "duplicate": "ซ้ำ แถวหลังใช้แทน / duplicate, later row used",
    }
    for row in error_report_rows(details):
        if row["kind"] == "duplicate":
            thai = f"เลขทะเบียนซ้ำกับแถว {row['value']} ใช้ข้อมูลแถวนี้แทน"
            english = f"Same member number as {row['value']}; this later row is used."
        else:
            thai, english = describe_both(row)
        append_row(
            sheet,
            [
                row["sheet"],
                row["row"],
                row.get("number") or row.get("member_number") or "",
                str(FIELD_LABELS.get(row.get("field", ""), row.get("field", ""))),
                outcomes[row["kind"]],
                row["reason"],
                thai,
                english,
                str(row.get("value") or ""),
            ],
        )
    set_column_widths(sheet, [22, 8, 14, 14, 24, 16, 60, 60, 30])
    return workbook_bytes(workbook)
