"""Safe .xlsx writing: every export goes through these helpers.

A text value is always stored as a text cell, never as a formula: values starting with
``=``, ``+``, ``-`` or ``@`` (or a tab or line break) are written as text with Excel's
"quote prefix" style, so spreadsheet programs show them as typed and never evaluate them
(CSV/formula injection, OWASP).  Bold cells keep the workbook's default font name, so a workbook
made by :func:`workbook_in_font` (the forms: Sarabun) is in one font throughout.  The stored value itself is unchanged, so a phone number
``+66 81 234 5678`` round-trips exactly when the file is read back.  Characters that XML
cannot hold are removed instead of crashing the export.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.cell.cell import WriteOnlyCell as _write_only_cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r", "\n")

HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
WRAP = Alignment(wrap_text=True, vertical="top")


def workbook_in_font(name: str, *, write_only: bool = False) -> Workbook:
    """A workbook whose cells use the font ``name`` -- only its name is written, nothing is
    embedded: programs without the font show a similar one."""
    wb = Workbook(write_only=write_only)
    # Font 0 is every cell's default font (openpyxl has no public setter for it).
    wb._fonts = IndexedList([Font(name=name, sz=11, family=2)])
    return wb


def _bold_font(ws: Any) -> Font:
    """Bold in the workbook's default font (a font without a name falls back to anything)."""
    return Font(name=ws.parent._fonts[0].name, bold=True)


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet program could read ``text`` as a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def xml_safe(text: str) -> str:
    """Drop control characters XML 1.0 cannot store; carriage returns become line feeds.

    XML parsers turn a stored carriage return into a line feed anyway, so normalising
    first keeps what is written equal to what is read back.
    """
    return str(ILLEGAL_CHARACTERS_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))


def csv_safe(value: Any) -> str:
    """Text for a CSV cell: formula-like values get a leading apostrophe (OWASP)."""
    text = "" if value is None else xml_safe(str(value))
    return "'" + text if is_formula_like(text) else text


def _apply_value(cell: Cell, value: Any) -> Cell:
    if isinstance(value, str):
        text = xml_safe(value)
        cell.value = text
        # openpyxl infers formulas ("=...") and error codes ("#N/A") from strings:
        # force plain text whatever the content.
        cell.data_type = "s"
        if is_formula_like(text):
            cell.quotePrefix = True
    else:
        cell.value = value
    return cell


def make_cell(
    ws: Worksheet,
    value: Any,
    *,
    bold: bool = False,
    header: bool = False,
    wrap: bool = False,
    number_format: str | None = None,
) -> Cell:
    """A detached cell for ``append_row`` (works for normal and write-only sheets)."""
    cell = _apply_value(_write_only_cell(ws), value)
    if bold or header:
        cell.font = _bold_font(ws)
    if header:
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    elif wrap:
        cell.alignment = WRAP
    if number_format:
        cell.number_format = number_format
    return cell


def append_row(ws: Worksheet, values: Iterable[Any], *, header: bool = False) -> None:
    """Append one row to a normal or write-only sheet; text values are stored as text."""
    ws.append([v if isinstance(v, Cell) else make_cell(ws, v, header=header) for v in values])


def set_cell(ws: Worksheet, *, row: int, column: int, value: Any, bold: bool = False) -> Cell:
    """Set one cell of a normal worksheet; text values are stored as text."""
    cell = ws.cell(row=row, column=column)
    _apply_value(cell, value)
    if bold:
        cell.font = _bold_font(ws)
    return cell


def set_column_widths(ws: Worksheet, widths: Sequence[float]) -> None:
    """Set column widths (in characters) from the first column on."""
    for idx, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width


def safe_sheet_title(title: str) -> str:
    """A valid, unique-enough worksheet title: no ``[]:*?/\\``, at most 31 characters."""
    cleaned = xml_safe("".join("-" if ch in "[]:*?/\\" else ch for ch in title)).strip("'")
    return (cleaned or "Sheet")[:31]


def workbook_bytes(wb: Workbook) -> bytes:
    """Serialise a workbook to .xlsx bytes."""
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
