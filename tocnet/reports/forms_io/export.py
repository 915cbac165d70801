"""Forms out: attachment 3 per unit (.xlsx, one register per sheet; PDF, one per section),
attachment 2 (the unit's member list, .xlsx) and zips of all units.

Every export is read through the user's scope and logged as access to personal data.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.worksheet import Worksheet

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.audit import audit_access
from tocnet.core.pdf import css_string, render_pdf
from tocnet.core.thai import format_thai_date, phone_display, thai_sort_key
from tocnet.core.xlsx import (
    HEADER_FILL,
    append_row,
    make_cell,
    safe_sheet_title,
    set_cell,
    set_column_widths,
    workbook_bytes,
    workbook_in_font,
)
from tocnet.members.models import Member, Phone, Unit
from tocnet.members.selectors import unit_list_for_user
from tocnet.registers.models import Register
from tocnet.registers.selectors import register_list_for_user
from tocnet.reports.forms_io import layout as L
from tocnet.reports.models import MemberFormReport
from tocnet.reports.selectors import with_reach

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
ZIP = "application/zip"


class ExportNotAllowed(Exception):
    """The user may not export this form (board members, members, outsiders)."""


@dataclass
class FormRow:
    seq: int
    number: str
    full_name: str
    affiliation: str
    mobile: str
    email: str
    uses_line: str
    in_group: str
    note: str
    member_pk: int = 0  # whom the row shows (the access log names them), not written out


@dataclass
class FormSection:
    register_code: str
    register_name: str
    number_label: str
    line_group_name: str
    representative_name: str = ""
    representative_number: str = ""
    representative_phone: str = ""
    representative_pk: int | None = None
    rows: list[FormRow] = field(default_factory=list)
    # The register's representative left and no successor leads it yet: the form says so
    # where the representative's name goes (the way back never reads that cell).
    vacant: bool = False

    @property
    def representative_cell(self) -> str:
        return str(L.VACANT) if self.vacant else self.representative_name


@dataclass
class Attachment3:
    unit: Unit
    sections: list[FormSection]
    reporter_name: str
    exported_at: dt.datetime
    exported_by: str

    @property
    def member_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)

    @property
    def member_pks(self) -> list[int]:
        """Every member the form shows: the rows and the registers' representatives."""
        pks = [row.member_pk for s in self.sections for row in s.rows]
        pks += [s.representative_pk for s in self.sections if s.representative_pk]
        return list(dict.fromkeys(pks))


def _phone_text(phone: Phone) -> str:
    return phone_display(
        phone.e164 if phone.valid else "", raw=phone.raw, extension=phone.extension
    )


def _mobiles(member: Member) -> str:
    return ", ".join(_phone_text(p) for p in L.form_phones(member))


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return str(L.YES if value else L.NO)


def exportable_units(user: User) -> QuerySet[Unit]:
    """Units whose attachment 3 the user may export: the units in their scope (one scope,
    ``unit_list_for_user``), for staff, agents and representatives; never for the board."""
    if not roles.can_use_forms(user):
        return Unit.objects.none()
    return unit_list_for_user(user)


def _members_for(unit: Unit, register_ids: list[int] | None) -> list[Any]:
    qs = with_reach(Member.objects.filter(unit=unit, status=Member.Status.ACTIVE)).prefetch_related(
        Prefetch("phones", queryset=Phone.objects.order_by("position", "id"))
    )
    if register_ids is not None:
        qs = qs.filter(on_register__in=register_ids)
    return list(qs)


def attachment3_build(*, unit: Unit, user: User | None) -> Attachment3:
    """The content of a unit's attachment 3 as this user may see it (reps: their registers)."""
    registers_qs = Register.objects.filter(unit=unit, retired_at__isnull=True).select_related(
        "unit", "representative__member"
    )
    only_own = user is not None and roles.is_representative(user)
    if user is not None:
        if not exportable_units(user).filter(pk=unit.pk).exists():
            raise ExportNotAllowed
        if only_own:
            registers_qs = registers_qs.filter(pk__in=register_list_for_user(user).values("pk"))
    registers = sorted(registers_qs, key=lambda r: (r.number is None, r.number or 0))
    members = _members_for(unit, [r.pk for r in registers] if only_own else None)
    reports = {
        r.member_id: r for r in MemberFormReport.objects.filter(member__in=[m.pk for m in members])
    }
    rep_phones = {
        p.member_id: p
        for p in Phone.objects.filter(
            member__in=[r.representative.member_id for r in registers if r.representative],
            valid=True,
        ).order_by("-position", "-id")
    }
    by_register: dict[int | None, list[Member]] = {}
    for member in members:
        by_register.setdefault(member.on_register, []).append(member)

    def rows_for(group: list[Member]) -> list[FormRow]:
        group = sorted(group, key=lambda m: (thai_sort_key(m.sort_name), m.number))
        rows = []
        for seq, member in enumerate(group, start=1):
            report = reports.get(member.pk)
            in_group = L.exported_in_group(member, report)
            rows.append(
                FormRow(
                    seq=seq,
                    number=member.number,
                    full_name=member.full_name,
                    affiliation=member.district or member.position,
                    mobile=_mobiles(member),
                    email=member.email,
                    uses_line=_yes_no(L.exported_uses_line(member, report)),
                    in_group=_yes_no(in_group),
                    note=L.exported_note(member, report),
                    member_pk=member.pk,
                )
            )
        return rows

    sections = []
    for register in registers:
        rep = register.representative
        rep_member = rep.member if rep is not None and rep.ended_on is None else None
        phone = rep_phones.get(rep_member.pk) if rep_member else None
        sections.append(
            FormSection(
                register_code=str(register.code),
                register_name=register.line_group_name or str(register),
                number_label=str(register.number) if register.number else "-",
                line_group_name=register.line_group_name,
                representative_name=rep_member.full_name if rep_member else "",
                representative_number=rep_member.number if rep_member else "",
                representative_phone=_phone_text(phone) if phone else "",
                representative_pk=rep_member.pk if rep_member else None,
                rows=rows_for(by_register.get(register.pk, [])),
                vacant=rep_member is None,
            )
        )
    unplaced = [m for key, group in by_register.items() if key is None for m in group]
    if unplaced and not only_own:
        sections.append(
            FormSection(
                register_code="",
                register_name=str(L.NOT_ON_REGISTER),
                number_label="",
                line_group_name="",
                rows=rows_for(unplaced),
            )
        )
    reporter = ""
    if user is not None and roles.signs_forms_by_name(user):
        reporter = str(user)
    return Attachment3(
        unit=unit,
        sections=sections,
        reporter_name=reporter,
        exported_at=timezone.now(),
        exported_by=user.get_username() if user is not None else "command line",
    )


# --- xlsx ---------------------------------------------------------------------------------

_THIN = Side(style="thin", color="000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_DOTTED = Border(bottom=Side(style="dotted", color="000000"))


_CENTRED = {L.COL_SEQ, L.COL_NUMBER, L.COL_USES_LINE, L.COL_IN_GROUP}
_WRAPPED = {L.COL_NAME, L.COL_AFFILIATION, L.COL_MOBILE, L.COL_EMAIL, L.COL_NOTE}


def _section_sheet(ws: Worksheet, form: Attachment3, section: FormSection) -> None:
    ncols = len(L.COLUMNS)
    set_column_widths(ws, L.COLUMN_WIDTHS)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    title = set_cell(ws, row=1, column=1, value=f"{L.TITLE} ({L.ATTACHMENT_LABEL})", bold=True)
    title.font = Font(name=L.CELL_FONT, bold=True, size=14)
    title.alignment = Alignment(horizontal="center")
    coop = set_cell(ws, row=2, column=1, value=L.COOPERATIVE_NAME, bold=True)
    coop.alignment = Alignment(horizontal="center")
    values: dict[str, str | int] = {
        L.FIELD_UNIT: f"{form.unit.name} ({form.unit.abbreviation})",
        L.FIELD_REGISTER: section.number_label,
        L.FIELD_GROUP: section.line_group_name,
        L.FIELD_REP: section.representative_cell,
        L.FIELD_REP_NUMBER: section.representative_number,
        L.FIELD_REP_PHONE: section.representative_phone,
        L.FIELD_REPORTER: form.reporter_name,
        L.FIELD_DATE: format_thai_date(timezone.localtime(form.exported_at)),
        L.FIELD_COUNT: len(section.rows),
    }
    for offset, keys in enumerate(L.HEADER_GRID):
        row = L.FIRST_HEADER_ROW + offset
        for key, column in zip(keys, L.HEADER_COLUMNS, strict=True):
            set_cell(ws, row=row, column=column, value=str(L.HEADER_FIELDS[key]), bold=True)
            cell = set_cell(ws, row=row, column=column + 1, value=values[key])
            cell.border = _DOTTED
            if key == L.FIELD_REP and section.vacant:
                cell.font = Font(name=L.CELL_FONT, bold=True, color="B00020")
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        ws.merge_cells(start_row=row, start_column=8, end_row=row, end_column=9)
    for column, label in enumerate(L.COLUMNS.values(), start=1):
        target = set_cell(ws, row=L.TABLE_HEADER_ROW, column=column, value=str(label), bold=True)
        target.fill = HEADER_FILL
        target.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        target.border = _BOX
    ws.row_dimensions[L.TABLE_HEADER_ROW].height = 34
    row_idx = L.TABLE_HEADER_ROW
    widths = dict(zip(L.COLUMNS, L.COLUMN_WIDTHS, strict=True))
    for form_row in section.rows:
        row_idx += 1
        # Spreadsheet programs do not always grow rows for wrapped text: size them here.
        lines = max(
            [len(form_row.mobile.split(", "))]
            + [-(-len(str(getattr(form_row, k))) // max(1, int(widths[k] * 0.9))) for k in _WRAPPED]
        )
        if lines > 1:
            ws.row_dimensions[row_idx].height = 15 * lines
        for column, key in enumerate(L.COLUMNS, start=1):
            cell = set_cell(ws, row=row_idx, column=column, value=getattr(form_row, key))
            cell.border = _BOX
            cell.alignment = Alignment(
                vertical="top",
                horizontal="center" if key in _CENTRED else None,
                wrap_text=key in _WRAPPED,
            )
    _yes_no_drop_downs(ws, first_row=L.TABLE_HEADER_ROW + 1, last_row=row_idx)
    # Signature lines sit in the name and e-mail columns, never in the member-number column,
    # so rows a unit adds below them are still read back.
    row_idx += 3
    blank = "........................................"
    date_line = f"{L.HEADER_FIELDS[L.FIELD_DATE]} ......../......../.........."
    signature_lines = [
        (f"{L.SIGNED} {blank} {L.SIGNATURE_REP}", f"{L.SIGNED} {blank} {L.SIGNATURE_REPORTER}"),
        (f"( {section.representative_name or blank} )", f"( {form.reporter_name or blank} )"),
        ("", f"{L.POSITION} {blank}"),
        (date_line, date_line),
    ]
    for offset, (left, right) in enumerate(signature_lines):
        if left:
            set_cell(ws, row=row_idx + offset, column=3, value=left)
        set_cell(ws, row=row_idx + offset, column=6, value=right)
    ws.print_title_rows = f"{L.TABLE_HEADER_ROW}:{L.TABLE_HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.right.text = "หน้า &P/&N"
    ws.freeze_panes = ws.cell(row=L.TABLE_HEADER_ROW + 1, column=1)


def _yes_no_drop_downs(ws: Any, *, first_row: int, last_row: int) -> None:
    """A yes/no drop-down on the "uses LINE" and "in the group" cells of the member rows
    (and 20 spare rows a unit may add), so offices pick the words the way back reads."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    last = max(last_row, first_row) + 20
    choices = f'"{L.YES},{L.NO}"'
    validation = DataValidation(
        type="list",
        formula1=choices,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=str(L.TITLE),
        error=f"{L.YES} / {L.NO}",
    )
    for column, key in enumerate(L.COLUMNS, start=1):
        if key in (L.COL_USES_LINE, L.COL_IN_GROUP):
            letter = get_column_letter(column)
            validation.add(f"{letter}{first_row}:{letter}{last}")
    ws.add_data_validation(validation)


def attachment3_xlsx(form: Attachment3) -> bytes:
    """One sheet per register, plus a hidden sheet with the export stamp for the way back."""
    with translation.override("th"):
        wb = workbook_in_font(L.CELL_FONT)
        wb.remove(wb.active)
        used: set[str] = set()
        sheet_codes: list[tuple[str, str]] = []
        for index, section in enumerate(form.sections, start=1):
            title = safe_sheet_title(section.register_name)
            if title in used:
                title = safe_sheet_title(f"{index} {section.register_name}")
            used.add(title)
            ws = wb.create_sheet(title)
            _section_sheet(ws, form, section)
            sheet_codes.append((title, section.register_code))
        if not form.sections:
            ws = wb.create_sheet(safe_sheet_title(str(L.TITLE)))
            _section_sheet(
                ws,
                form,
                FormSection(
                    register_code="", register_name="", number_label="", line_group_name=""
                ),
            )
        meta = wb.create_sheet(L.META_SHEET)
        meta.sheet_state = "hidden"
        exported_at = form.exported_at.isoformat()
        for key, value in (
            ("kind", L.FORM_KIND),
            ("version", L.FORM_VERSION),
            ("unit_code", str(form.unit.code)),
            ("unit_abbreviation", form.unit.abbreviation),
            ("exported_at", exported_at),
            ("exported_by", form.exported_by),
            ("signature", L.stamp_sign(unit_code=str(form.unit.code), exported_at=exported_at)),
        ):
            meta.append([make_cell(meta, key), make_cell(meta, value)])
        for title, code in sheet_codes:
            meta.append([make_cell(meta, "sheet"), make_cell(meta, title), make_cell(meta, code)])
        wb.properties.title = f"{L.TITLE} {form.unit.abbreviation}"
        wb.properties.creator = "TOC-Net"
        wb.properties.keywords = f"{L.FORM_KIND};exported_at={form.exported_at.isoformat()}"
        return workbook_bytes(wb)


def attachment3_pdf(form: Attachment3) -> bytes:
    """The same form as an A4 PDF in Sarabun: one section per register, "หน้า x/y"."""
    with translation.override("th"):
        footer = (
            f"TOC-Net · {format_thai_date(timezone.localtime(form.exported_at))} "
            f"{timezone.localtime(form.exported_at):%H:%M}"
        )
        context = {
            "coop_css": mark_safe(css_string(L.COOPERATIVE_NAME)),  # noqa: S308 - escaped
            "attachment_css": mark_safe(css_string(L.ATTACHMENT_LABEL)),  # noqa: S308 - escaped
            "footer_css": mark_safe(css_string(footer)),  # noqa: S308 - escaped
            "title": str(L.TITLE),
            "coop_name": L.COOPERATIVE_NAME,
            "attachment_label": str(L.ATTACHMENT_LABEL),
            "unit_name": form.unit.name,
            "unit_abbreviation": form.unit.abbreviation,
            "reporter_name": form.reporter_name,
            "report_date": format_thai_date(timezone.localtime(form.exported_at)),
            "sections": form.sections,
        }
        return render_pdf("reports/pdf/attachment3.html", context)


# --- attachment 2: the member list --------------------------------------------------------


def attachment2_xlsx(*, unit: Unit, user: User | None) -> bytes:
    """The unit's active members for sending out (staff and the unit's agents only)."""
    return attachment2_file(unit=unit, user=user)[0]


def attachment2_file(*, unit: Unit, user: User | None) -> tuple[bytes, Attachment3]:
    """Attachment 2's bytes with the form it was built from (whom it shows)."""
    if user is not None and not roles.can_manage_forms(user):
        raise ExportNotAllowed
    if user is not None and not exportable_units(user).filter(pk=unit.pk).exists():
        raise ExportNotAllowed
    form = attachment3_build(unit=unit, user=None)
    with translation.override("th"):
        wb = workbook_in_font(L.CELL_FONT, write_only=True)
        attachment = _("Attachment 2")  # outside f-strings, where makemessages can see it
        member_list = _("Member list")
        ws = wb.create_sheet(safe_sheet_title(f"{attachment} {unit.abbreviation}"))
        set_column_widths(ws, (7, 13, 30, 24, 16, 28, 10, 22))
        append_row(ws, [f"{member_list} ({attachment}) — {unit.name}"], header=True)
        append_row(ws, [L.COOPERATIVE_NAME])
        append_row(
            ws, [f"{L.HEADER_FIELDS[L.FIELD_DATE]} {format_thai_date(timezone.localdate())}"]
        )
        append_row(
            ws,
            [
                str(L.COLUMNS[L.COL_SEQ]),
                str(L.COLUMNS[L.COL_NUMBER]),
                str(L.COLUMNS[L.COL_NAME]),
                str(L.COLUMNS[L.COL_AFFILIATION]),
                str(L.COLUMNS[L.COL_MOBILE]),
                str(L.COLUMNS[L.COL_EMAIL]),
                str(L.COLUMNS[L.COL_USES_LINE]),
                _("Register"),
            ],
            header=True,
        )
        rows = [(section, row) for section in form.sections for row in section.rows]
        rows.sort(key=lambda item: (thai_sort_key(item[1].full_name), item[1].number))
        for seq, (section, row) in enumerate(rows, start=1):
            append_row(
                ws,
                [
                    seq,
                    row.number,
                    row.full_name,
                    row.affiliation,
                    row.mobile,
                    row.email,
                    row.uses_line,
                    section.register_name,
                ],
            )
        return workbook_bytes(wb), form


# --- the whole set ------------------------------------------------------------------------


def form_file_name(unit: Unit, kind: str, fmt: str) -> str:
    """แบบฟอร์ม file names people recognise: attachment3-กพ.xlsx."""
    safe_abbr = "".join(ch for ch in unit.abbreviation if ch not in '/\\:*?"<>|')
    return f"{kind}-{safe_abbr}.{fmt}"


def attachment3_file(*, unit: Unit, user: User | None, fmt: str) -> tuple[bytes, Attachment3]:
    """One unit's attachment 3 as xlsx or pdf bytes, with the form it was built from."""
    form = attachment3_build(unit=unit, user=user)
    content = attachment3_pdf(form) if fmt == "pdf" else attachment3_xlsx(form)
    return content, form


def forms_zip(
    *,
    units: list[Unit],
    user: User | None,
    fmt: str,
    on_unit: Callable[[int], None] | None = None,
    shown: set[int] | None = None,
) -> bytes:
    """Attachment 3 of every unit given (and attachment 2 with xlsx) in one zip.

    ``on_unit(n)`` is called after the n-th unit is written (progress of a background job);
    ``shown`` collects the primary keys of every member in the zip (for the access log).
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for done, unit in enumerate(units, start=1):
            content, form = attachment3_file(unit=unit, user=user, fmt=fmt)
            if shown is not None:
                shown.update(form.member_pks)
            zf.writestr(form_file_name(unit, "attachment3", fmt), content)
            if fmt == "xlsx" and (user is None or roles.can_manage_forms(user)):
                zf.writestr(
                    form_file_name(unit, "attachment2", "xlsx"),
                    attachment2_xlsx(unit=unit, user=user),
                )
            if on_unit is not None:
                on_unit(done)
    return buffer.getvalue()


def export_forms_to_dir(*, units: list[Unit], fmt: str, out: Path) -> list[Path]:
    """Write each unit's attachment 3 (and 2 with xlsx) into ``out``; one access log entry."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    members = 0
    shown: list[int] = []
    for unit in units:
        content, form = attachment3_file(unit=unit, user=None, fmt=fmt)
        members += form.member_count
        shown += form.member_pks
        path = out / form_file_name(unit, "attachment3", fmt)
        path.write_bytes(content)
        written.append(path)
        if fmt == "xlsx":
            path = out / form_file_name(unit, "attachment2", "xlsx")
            path.write_bytes(attachment2_xlsx(unit=unit, user=None))
            written.append(path)
    audit_access(
        actor="command line",
        action="reports.forms_exported",
        target=units[0] if len(units) == 1 else None,
        detail={"format": fmt, "units": len(units), "members": members, "files": len(written)},
        members=shown,
    )
    return written
