"""Reading a returned attachment 3: what can be wrong with it (the problems and changes the
preview shows), the signed export stamp checked first and alone, then every sheet streamed
read-only under the row, cell and time caps."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tocnet.members.importing.normalize import (
    cell_text,
)
from tocnet.members.importing.readers import read_xlsx
from tocnet.members.importing.reasons import ImportFileError
from tocnet.members.importing.safety import Limits, sniff
from tocnet.reports.forms_io import layout as L

FORM_ERRORS = {
    "not_allowed": gettext_lazy("You may not upload forms for this unit."),
    "not_xlsx": gettext_lazy("Send the attachment 3 Excel file (.xlsx) exported by TOC-Net."),
    "no_stamp": gettext_lazy(
        "This workbook has no TOC-Net export stamp (hidden sheet “_tocnet”): download the "
        "unit's attachment 3 from TOC-Net, fill it in and send that file."
    ),
    "bad_stamp": gettext_lazy(
        "Sheet “_tocnet”: the TOC-Net export stamp is missing its signature or was changed; "
        "download the unit's attachment 3 from TOC-Net again, fill it in and send that file."
    ),
    "other_unit": gettext_lazy(
        "This form was exported for another unit (%(abbreviation)s); upload it on that unit's page."
    ),
    "no_table": gettext_lazy(
        "Sheet %(sheet)s: no table header with “เลขทะเบียนสมาชิก” (member number) was found."
    ),
}

ROW_PROBLEMS = {
    "not_in_unit": gettext_lazy(
        "Sheet %(sheet)s, row %(row)s: member number %(number)s is not a member of this unit; "
        "not changed."
    ),
    "bad_number": gettext_lazy(
        "Sheet %(sheet)s, row %(row)s, column “เลขทะเบียนสมาชิก”: “%(value)s” is not a member number."
    ),
    "missing_number": gettext_lazy(
        "Sheet %(sheet)s, row %(row)s, column “เลขทะเบียนสมาชิก”: “%(name)s” has no member number; "
        "not changed. Add the number and send the form again."
    ),
    "out_of_scope": gettext_lazy(
        "Sheet %(sheet)s, row %(row)s: member %(number)s is not on a register you lead; not changed."
    ),
    "duplicate": gettext_lazy(
        "Sheet %(sheet)s, row %(row)s: member %(number)s appears a second time; the first row is used."
    ),
    "bad_phone": gettext_lazy(
        "Sheet %(sheet)s, row %(row)s, column “โทรศัพท์มือถือ”: “%(value)s” is not a phone number; "
        "kept as typed and flagged."
    ),
    "bad_email": gettext_lazy(
        "Sheet %(sheet)s, row %(row)s, column “อีเมล”: “%(value)s” is not an e-mail address; "
        "kept as typed and flagged."
    ),
    "bad_group_name": gettext_lazy("Sheet %(sheet)s, field “ชื่อกลุ่ม LINE”: %(reason)s"),
    "unknown_register": gettext_lazy(
        "Sheet %(sheet)s: no register of this unit matches the sheet; its rows are checked "
        "against the unit only."
    ),
}

FIELD_LABELS = {
    "phones": gettext_lazy("Mobile phone"),
    "email": gettext_lazy("E-mail"),
    "no_line": gettext_lazy("Does not use LINE"),
    "unreachable_reason": gettext_lazy("Why unreachable"),
    "line_group_name": gettext_lazy("LINE group name"),
    # What the form reports, stored with the member (MemberFormReport), shown in the preview.
    "uses_line": L.COLUMNS[L.COL_USES_LINE],
    "in_group": L.COLUMNS[L.COL_IN_GROUP],
    "note": L.COLUMNS[L.COL_NOTE],
}


class FormUploadError(Exception):
    """The upload cannot be read or is not allowed; ``code`` is a key of FORM_ERRORS."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    def message(self) -> str:
        if self.code in FORM_ERRORS:
            return str(FORM_ERRORS[self.code]) % self.params
        cause = self.params.get("cause")
        if isinstance(cause, ImportFileError):  # the reader's reason, in the active language
            return cause.message()
        return str(self.params.get("message", self.code))


class ProblemParams(TypedDict, total=False):
    """What a row problem's message names: the place, and the value or reason at fault."""

    sheet: str
    row: int
    number: str
    name: str
    value: str
    reason: str


@dataclass
class Problem:
    code: str
    params: ProblemParams

    def message(self) -> str:
        return str(ROW_PROBLEMS[self.code]) % self.params


@dataclass
class Change:
    """One field of one member (or a register's group name) the form would change."""

    key: str  # "<member number>:<field>" or "register:<code>:line_group_name"
    field: str
    current: Any
    form: Any
    conflict: bool = False

    @property
    def label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))

    @property
    def current_text(self) -> str:
        return _value_text(self.current)

    @property
    def form_text(self) -> str:
        return _value_text(self.form)


def _value_text(value: Any) -> str:
    """A compared value as people read it: yes/no in words, "–" for nothing."""
    if value is True:
        return str(L.YES)
    if value is False:
        return str(L.NO)
    if value is None or value == "":
        return "–"
    return str(value)


@dataclass
class FormRowRead:
    sheet: str
    row: int
    number: str
    name: str
    mobile: str
    email: str
    uses_line: bool | None
    in_group: bool | None
    note: str


@dataclass
class SheetRead:
    title: str
    register_code: str
    group_name: str
    rows: list[FormRowRead] = field(default_factory=list)


@dataclass
class FormRead:
    unit_code: str
    exported_at: dt.datetime
    sheets: list[SheetRead]


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormStamp:
    """The export's stamp, from the form's hidden sheet (checked against its signature)."""

    unit_code: str
    exported_at: dt.datetime  # never later than now
    register_codes: dict[str, str]  # sheet title -> register code


def _meta(rows: Iterable[tuple[int, tuple[object, ...]]]) -> FormStamp:
    """The export stamp from the rows of the hidden sheet, its signature checked."""
    meta: dict[str, object] = {}
    register_codes: dict[str, str] = {}
    for _number, row in rows:
        if not row or row[0] is None:
            continue
        if row[0] == "sheet" and len(row) >= 3:
            register_codes[str(row[1])] = str(row[2] or "")
        elif len(row) >= 2:
            meta[str(row[0])] = row[1]
    if meta.get("kind") != L.FORM_KIND or not meta.get("exported_at"):
        raise FormUploadError("no_stamp")
    unit_code = str(meta.get("unit_code", ""))
    if not L.stamp_valid(
        str(meta.get("signature") or ""),
        unit_code=unit_code,
        exported_at=str(meta["exported_at"]),
    ):
        raise FormUploadError("bad_stamp")
    try:
        exported_at = dt.datetime.fromisoformat(str(meta["exported_at"]))
    except ValueError as exc:
        raise FormUploadError("bad_stamp") from exc
    if exported_at.tzinfo is None:
        raise FormUploadError("bad_stamp")
    # Never later than now: a stamp "from the future" would hide every newer change.
    return FormStamp(
        unit_code=unit_code,
        exported_at=min(exported_at, timezone.now()),
        register_codes=register_codes,
    )


SheetRows = list[tuple[int, tuple[object, ...]]]


def _find_header_values(rows: SheetRows, table_row: int) -> dict[str, str]:
    wanted = {key: L.label_variants(label) for key, label in L.HEADER_FIELDS.items()}
    found: dict[str, str] = {}
    for number, values in rows:
        if number >= max(table_row, 2):
            break
        for index, value in enumerate(values):
            text = L.normalise_label(value)
            if not text:
                continue
            for key, variants in wanted.items():
                if key not in found and text in variants:
                    after = values[index + 1] if index + 1 < len(values) else None
                    found[key] = cell_text(after)
    return found


def _find_table(rows: SheetRows) -> tuple[int, dict[str, int]] | None:
    wanted = {key: L.label_variants(label) for key, label in L.COLUMNS.items()}
    for number, values in rows:
        if number > 30:
            break
        columns: dict[str, int] = {}
        for index, value in enumerate(values, start=1):
            text = L.normalise_label(value)
            for key, variants in wanted.items():
                if key not in columns and text in variants:
                    columns[key] = index
        if L.COL_NUMBER in columns and len(columns) >= 4:
            return number, columns
    return None


_SIGNATURE_NAME = re.compile(r"^\(.*\)$")


def _is_signature_row(values: Iterable[object]) -> bool:
    """Our own signature block: "ลงชื่อ ....", "( name )", "ตำแหน่ง ....", "วันที่ ..../..../...."."""
    starts = L.label_variants(L.SIGNED) | L.label_variants(L.POSITION)
    for value in values:
        if value is None:
            continue
        text = str(value).strip()
        if "......" in text or _SIGNATURE_NAME.match(text):
            return True
        if any(L.normalise_label(text).startswith(s) for s in starts):
            return True
    return False


# Cells a returned form's row may have (its table has about a dozen columns).
FORM_CELLS_PER_ROW = 40


def _form_limits() -> Limits:
    """What reading one returned form may cost: the import's caps (size, unpacked size,
    sheets, shared strings) and time limit (IMPORT_MAX_SECONDS), and rows and cells for one
    unit's form (FORM_MAX_ROWS: it is read while the person waits, so a form padded with
    rows is refused within a second or two, not after the time limit)."""
    rows = int(getattr(settings, "FORM_MAX_ROWS", 5000))
    return Limits(
        max_bytes=settings.IMPORT_MAX_BYTES,
        max_rows=rows,
        max_cells=rows * FORM_CELLS_PER_ROW,
        max_seconds=float(getattr(settings, "IMPORT_MAX_SECONDS", 30)),
    )


def read_form(data: bytes, file_name: str) -> tuple[FormRead, list[Problem]]:
    """Parse an uploaded attachment 3; FormUploadError when it cannot be used at all.

    The caps on sheets, shared strings and unpacked size apply before openpyxl opens the
    workbook; rows are streamed (read-only) under the row, cell and time caps; the hidden
    stamp sheet is read and its signature checked first, so a workbook that is not TOC-Net's
    own export costs the reading of that one small sheet, never of the others."""
    limits = _form_limits()
    try:
        kind = sniff(data, file_name, limits)
    except ImportFileError as exc:
        raise FormUploadError("file", cause=exc) from exc
    if kind != "xlsx":
        raise FormUploadError("not_xlsx")
    try:
        with contextlib.closing(read_xlsx(data, limits, first=L.META_SHEET)) as sheets:
            stamp = next(sheets, None)
            if stamp is None or stamp.name != L.META_SHEET:
                raise FormUploadError("no_stamp")
            meta = _meta(stamp.rows)
            read = [_sheet_read(sheet.name, list(sheet.rows), meta) for sheet in sheets]
    except ImportFileError as exc:
        if exc.code in ("corrupt_xlsx", "unsafe_xml"):
            raise FormUploadError("not_xlsx") from exc
        raise FormUploadError("file", cause=exc) from exc
    return FormRead(unit_code=meta.unit_code, exported_at=meta.exported_at, sheets=read), []


def _sheet_read(title: str, rows: SheetRows, meta: FormStamp) -> SheetRead:
    table = _find_table(rows)
    if table is None:
        raise FormUploadError("no_table", sheet=title)
    table_row, columns = table
    header = _find_header_values(rows, table_row)
    sheet = SheetRead(
        title=title,
        register_code=meta.register_codes.get(title, ""),
        group_name=header.get(L.FIELD_GROUP, ""),
    )
    for number, values in rows:
        if number <= table_row:
            continue

        def col(
            key: str, values: tuple[object, ...] = values, columns: dict[str, int] = columns
        ) -> object:
            index = columns.get(key)
            return values[index - 1] if index and index - 1 < len(values) else None

        raw_number = col(L.COL_NUMBER)
        if raw_number is None or cell_text(raw_number) == "":
            if _is_signature_row(values) or not any(
                cell_text(col(k)) for k in (L.COL_NAME, L.COL_MOBILE, L.COL_EMAIL)
            ):
                continue
            raw_number = ""  # a person written in without a member number: reported
        sheet.rows.append(
            FormRowRead(
                sheet=title,
                row=number,
                number=cell_text(raw_number),
                name=cell_text(col(L.COL_NAME)),
                mobile=cell_text(col(L.COL_MOBILE)),
                email=cell_text(col(L.COL_EMAIL)),
                uses_line=L.read_yes_no(col(L.COL_USES_LINE)),
                in_group=L.read_yes_no(col(L.COL_IN_GROUP)),
                note=cell_text(col(L.COL_NOTE)),
            )
        )
    return sheet
