"""The downloadable error report: every rejected, warned and duplicate row with its reason."""

from __future__ import annotations

from typing import Required

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from tocnet.core.xlsx import append_row, set_column_widths, workbook_bytes

from .messages import describe_both
from .planning import ImportDetails
from .reasons import FIELD_LABELS
from .rows import Problem

DUPLICATE_MESSAGE = gettext_lazy(
    "Sheet %(sheet)s, row %(row)s: same member number as %(place)s; this later row is used."
)


class ReportRow(Problem, total=False):
    """A row of the error report: a problem, and which list it came from."""

    kind: Required[str]  # rejected | warning | duplicate


def error_report_rows(details: ImportDetails) -> list[ReportRow]:
    """Rejected rows, warnings and duplicates in sheet and row order."""
    rows: list[ReportRow] = []
    for entry in details.get("rejected", []):
        rows.append({**entry, "kind": "rejected"})
    for entry in details.get("warnings", []):
        rows.append({**entry, "kind": "warning"})
    for duplicate in details.get("duplicates", []):
        rows.append(
            {
                "sheet": duplicate["sheet"],
                "row": duplicate["row"],
                "kind": "duplicate",
                "reason": "duplicate",
                "number": duplicate["member_number"],
                "value": f"{duplicate['first_sheet']}!{duplicate['first_row']}",
            }
        )
    sheets: dict[str, int] = {}
    for row in rows:
        sheets.setdefault(row["sheet"], len(sheets))
    rows.sort(key=lambda r: (sheets[r["sheet"]], r["row"]))
    return rows


def error_report_xlsx(details: ImportDetails, *, file_name: str) -> bytes:
    """An .xlsx an office can fix its file from; every text cell is stored as text."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(_("Errors"))[:31])
    append_row(sheet, [str(_("Errors in %(file)s") % {"file": file_name})])
    append_row(
        sheet,
        [
            _("Sheet"),
            _("Row"),
            _("Member no."),
            _("Field"),
            _("Outcome"),
            _("What to fix"),
            _("Value in the file"),
        ],
        header=True,
    )
    outcomes = {
        "rejected": _("not imported"),
        "warning": _("imported, to fix"),
        "duplicate": _("duplicate: the later row is used"),
    }
    # Offices read this report: Thai only, no internal codes (the page keeps both languages).
    for row in error_report_rows(details):
        if row["kind"] == "duplicate":
            with translation.override("th"):
                thai = str(DUPLICATE_MESSAGE) % {
                    "sheet": row["sheet"],
                    "row": row["row"],
                    "place": row["value"],
                }
        else:
            thai, _english = describe_both(row)
        append_row(
            sheet,
            [
                row["sheet"],
                row["row"],
                row.get("number") or row.get("member_number") or "",
                str(FIELD_LABELS.get(row.get("field", ""), row.get("field", ""))),
                str(outcomes[row["kind"]]),
                thai,
                str(row.get("value") or ""),
            ],
        )
    set_column_widths(sheet, [22, 8, 14, 14, 24, 70, 30])
    return workbook_bytes(workbook)
