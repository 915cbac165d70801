"""Parse phase: a checked file becomes a plain result (members, duplicates, rejections, warnings).

Nothing here touches the database; the known units come in as plain data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Unpack

from tocnet.core.thai import clean_text, national_id_masked, to_arabic_digits

from .headers import HEADER_SCAN_ROWS, Header, find_header, is_header, match_header
from .leaders import LEADER_COLUMNS, normalize_role
from .normalize import (
    KnownUnit,
    UnitResolver,
    normalize_date,
    normalize_email,
    normalize_member_number,
    normalize_member_type,
    normalize_national_id,
    normalize_title,
    parse_phones,
    split_full_name,
    split_title,
)
from .readers import RowsRead, Sheet, open_sheets
from .reasons import ImportFileError
from .rows import (
    Duplicate,
    ParsedFile,
    ParsedRow,
    PhoneValues,
    Problem,
    ProblemDetail,
    RowValues,
    SheetInfo,
    UnknownUnit,
)
from .safety import Limits

_SUBTOTAL = re.compile(
    r"^(?:ยอด)?รวม(?:ทั้งสิ้น|ทั้งหมด)?\s*[:=]?\s*(?:\d[\d,]*\s*(?:คน|ราย)?)?$"
    r"|^(?:total|sum|grand total)\b.*$",
    re.IGNORECASE,
)


@dataclass
class MemberRow:
    """One member's final values (the last row with its number wins)."""

    number: str
    sheet: str
    row: int
    values: RowValues
    phones: list[PhoneValues]
    has_phone_column: bool
    unit_text: str  # as written ("" when the file gives none)
    unit_key: str | None  # the known unit it resolves to

    def as_dict(self) -> ParsedRow:
        return {
            "number": self.number,
            "sheet": self.sheet,
            "row": self.row,
            "values": self.values,
            "phones": self.phones,
            "has_phone_column": self.has_phone_column,
            "unit_text": self.unit_text,
            "unit_key": self.unit_key,
        }


@dataclass
class ParseResult:
    kind: str  # members | representatives
    rows_read: int = 0
    members: dict[str, MemberRow] = field(default_factory=dict)
    duplicates: list[Duplicate] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    unknown_units: dict[str, UnknownUnit] = field(default_factory=dict)
    sheets: list[SheetInfo] = field(default_factory=list)

    def as_dict(self) -> ParsedFile:
        """JSON-ready form, stored in ImportJob.result."""
        return {
            "kind": self.kind,
            "rows_read": self.rows_read,
            "members": [member.as_dict() for member in self.members.values()],
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "unknown_units": list(self.unknown_units.values()),
            "sheets": self.sheets,
        }


# What offices type into a cell that has nothing to say.
PLACEHOLDERS = frozenset({"-", "--", "---", "–", "—", ".", "ไม่มี", "n/a", "na", "none", "null"})


def _is_blank(values: Sequence[object], ignore: int | None) -> bool:
    for index, value in enumerate(values):
        if index == ignore or value is None:
            continue
        if isinstance(value, str) and not clean_text(value):
            continue
        return False
    return True


def _is_subtotal(values: Sequence[object]) -> bool:
    for value in values:
        if isinstance(value, str) and _SUBTOTAL.match(to_arabic_digits(clean_text(value))):
            return True
    return False


class _Parser:
    def __init__(
        self,
        *,
        kind: str,
        units: Iterable[KnownUnit],
        default_unit_key: str | None = None,
    ) -> None:
        self.result = ParseResult(kind=kind)
        self.resolver = UnitResolver(units)
        self.default_unit_key = default_unit_key
        self.first_seen: dict[str, tuple[str, int]] = {}

    # --- row bookkeeping ---

    def reject(self, sheet: str, row: int, reason: str, **detail: Unpack[ProblemDetail]) -> None:
        self.result.rejected.append({"sheet": sheet, "row": row, "reason": reason, **detail})

    def warn(
        self, sheet: str, row: int, field_name: str, reason: str, **detail: Unpack[ProblemDetail]
    ) -> None:
        self.result.warnings.append(
            {"sheet": sheet, "row": row, "field": field_name, "reason": reason, **detail}
        )

    # --- sheets ---

    def parse_sheets(self, sheets: Iterable[Sheet]) -> ParseResult:
        found_header = False
        for sheet in sheets:
            found_header |= self.parse_sheet(sheet)
        if not found_header:
            raise ImportFileError("no_header", rows=HEADER_SCAN_ROWS)
        return self.result

    def parse_sheet(self, sheet: Sheet) -> bool:
        head: list[tuple[int, tuple[object, ...]]] = []
        header: Header | None = None
        required = ("number",)
        for number, values in sheet.rows:
            head.append((number, values))
            header = find_header([(number, values)], required=required)
            if header or len(head) >= HEADER_SCAN_ROWS:
                break
        if header is None:
            self.result.sheets.append({"name": sheet.name, "header_row": None, "columns": []})
            for _ in sheet.rows:  # drain: openpyxl streams sheets one after another
                pass
            return False
        self.result.sheets.append(
            {"name": sheet.name, "header_row": header.row, "columns": sorted(header.columns)}
        )
        sheet_unit_key = self._sheet_unit(sheet.name, head[:-1], header)
        for number, values in sheet.rows:
            self.parse_row(sheet.name, number, values, header, sheet_unit_key)
        return True

    def _sheet_unit(
        self, sheet_name: str, title_rows: list[tuple[int, tuple[object, ...]]], header: Header
    ) -> str | None:
        """The unit a sheet without a unit column is about: its name, a title line, or default."""
        if "unit" in header.columns:
            return None
        key = self.resolver.resolve(sheet_name)
        if key:
            return key
        for _, values in title_rows:
            for value in values:
                if not isinstance(value, str):
                    continue
                text = clean_text(value)
                for unit in self.resolver.units:
                    if unit.name and unit.name in text:
                        return unit.key
        return self.default_unit_key

    # --- rows ---

    def parse_row(
        self,
        sheet: str,
        row: int,
        values: tuple[object, ...],
        header: Header,
        sheet_unit_key: str | None,
    ) -> None:
        columns = header.columns
        seq_index = columns.get("seq")
        values = tuple(
            None
            if type(value) is str and len(value) <= 8 and value.strip().lower() in PLACEHOLDERS
            else value
            for value in values
        )  # a placeholder ("-", "ไม่มี", ...) counts as empty; inline: it runs for every cell
        if _is_blank(values, seq_index):
            return
        number_index = columns["number"]
        raw_number = values[number_index] if number_index < len(values) else None
        try:
            member_number = normalize_member_number(raw_number)
        except ValueError:
            if is_header(match_header(values)[0]):
                return  # the header repeated (blocks pasted one under another)
            self.result.rows_read += 1
            self.reject(sheet, row, "bad_number", value=clean_text(raw_number))
            return
        if member_number is None and _is_subtotal(values):
            return
        self.result.rows_read += 1

        def cell(name: str) -> object:
            index = columns.get(name)
            if index is None or index >= len(values):
                return None
            return values[index]

        if member_number is None:
            if self.result.kind == "representatives" and self._names_nobody(cell, columns):
                # A vacant register's row of the exported list: no one to import, not an error.
                self.result.rows_read -= 1
                return
            self.reject(sheet, row, "missing_number", value="")
            return
        if (
            self.result.kind == "representatives"
            and "role" in columns
            and normalize_role(cell("role")) is None
        ):
            self.reject(sheet, row, "bad_role", value=clean_text(cell("role")))
            return
        member = self.member_row(sheet, row, member_number, cell, columns, sheet_unit_key)
        earlier = self.first_seen.get(member_number)
        if earlier is None:
            self.first_seen[member_number] = (sheet, row)
        else:
            self.result.duplicates.append(
                {
                    "sheet": sheet,
                    "row": row,
                    "first_sheet": earlier[0],
                    "first_row": earlier[1],
                    "member_number": member_number,
                }
            )
            # The member keeps its place in file order but takes the later row's values.
            del self.result.members[member_number]
        self.result.members[member_number] = member
        if member.unit_key is None and member.unit_text:
            self._note_unknown_unit(member.unit_text, sheet, row)

    @staticmethod
    def _names_nobody(cell: Any, columns: dict[str, int]) -> bool:
        """No name and no predecessor: only the register (and its deputy) are written."""
        return "register" in columns and not any(
            clean_text(cell(name))
            for name in ("first_name", "last_name", "full_name", "successor_of")
            if name in columns
        )

    def _note_unknown_unit(self, text: str, sheet: str, row: int) -> None:
        entry = self.result.unknown_units.get(text)
        if entry is None:
            entry = self.result.unknown_units[text] = {
                "name": text,
                "suggestion": self.resolver.suggest(text),
                "rows": [],
            }
        entry["rows"].append({"sheet": sheet, "row": row})

    def _names(self, cell: Any, columns: dict[str, int]) -> RowValues:
        title = normalize_title(cell("title")) if "title" in columns else ""
        first = clean_text(cell("first_name")) if "first_name" in columns else ""
        last = clean_text(cell("last_name")) if "last_name" in columns else ""
        if "full_name" in columns and not first:
            split_title_, first, split_last = split_full_name(cell("full_name"))
            title = title or split_title_
            last = last or split_last
        elif first and not title:
            title, first = split_title(first)
        names: RowValues = {"first_name": first, "last_name": last}
        if "title" in columns or title:
            names["title"] = title
        return names

    def _unit(
        self, cell: Any, columns: dict[str, int], sheet_unit_key: str | None
    ) -> tuple[str, str | None]:
        if "unit" in columns:
            text = clean_text(cell("unit"))
            if text:
                return text, self.resolver.resolve(text)
            return "", self.default_unit_key
        return "", sheet_unit_key

    def member_row(
        self,
        sheet: str,
        row: int,
        number: str,
        cell: Any,
        columns: dict[str, int],
        sheet_unit_key: str | None,
    ) -> MemberRow:
        """One row's values; a representatives list keeps only names and unit."""
        values: RowValues = self._names(cell, columns)
        phones: list[PhoneValues] = []
        if self.result.kind == "members":
            phones = self._member_fields(sheet, row, number, cell, columns, values)
        else:
            for name in LEADER_COLUMNS:
                if name in columns:
                    text = clean_text(cell(name))
                    values[name] = normalize_role(text) if name == "role" else text
        unit_text, unit_key = self._unit(cell, columns, sheet_unit_key)
        return MemberRow(
            number=number,
            sheet=sheet,
            row=row,
            values=values,
            phones=phones,
            has_phone_column="phone" in columns and self.result.kind == "members",
            unit_text=unit_text,
            unit_key=unit_key,
        )

    def _member_fields(
        self,
        sheet: str,
        row: int,
        number: str,
        cell: Any,
        columns: dict[str, int],
        values: RowValues,
    ) -> list[PhoneValues]:
        """A member list's other columns into `values` (warnings for bad cells); the phones."""
        first_warning = len(self.result.warnings)
        for name in ("position", "district", "province", "line_id"):
            if name in columns:
                values[name] = clean_text(cell(name))
        if "member_type" in columns:
            try:
                values["member_type"] = normalize_member_type(cell("member_type"))
            except ValueError:
                self.warn(
                    sheet,
                    row,
                    "member_type",
                    "bad_member_type",
                    value=clean_text(cell("member_type")),
                    member_number=number,
                )
        if "email" in columns:
            email, valid = normalize_email(cell("email"))
            values["email"] = email
            values["email_valid"] = valid
            if not valid:
                self.warn(sheet, row, "email", "bad_email", value=email, member_number=number)
        if "joined_on" in columns:
            try:
                joined = normalize_date(cell("joined_on"))
            except ValueError:
                joined = None
                self.warn(
                    sheet,
                    row,
                    "joined_on",
                    "bad_date",
                    value=clean_text(cell("joined_on")),
                    member_number=number,
                )
            values["joined_on"] = joined.isoformat() if joined else None
        if "national_id" in columns and cell("national_id") not in (None, ""):
            try:
                values["national_id"] = normalize_national_id(cell("national_id"))
            except ValueError:
                self.warn(
                    sheet,
                    row,
                    "national_id",
                    "bad_national_id",
                    # A mistyped ID is still one digit off a real person's: never kept whole.
                    value=national_id_masked(clean_text(cell("national_id"))),
                    member_number=number,
                )
        phones: list[PhoneValues] = []
        if "phone" in columns:
            for phone in parse_phones(cell("phone")):
                phones.append(
                    {
                        "raw": phone.raw,
                        "e164": phone.e164,
                        "kind": phone.kind,
                        "valid": phone.valid,
                        "extension": phone.extension,
                    }
                )
                if not phone.valid:
                    self.warn(
                        sheet, row, "phone", "bad_phone", value=phone.raw, member_number=number
                    )
        # A row's warnings read left to right, in the sheet's column order.
        self.result.warnings[first_warning:] = sorted(
            self.result.warnings[first_warning:], key=lambda w: columns.get(w["field"], 0)
        )
        return phones


def parse_list(
    data: bytes,
    file_name: str,
    *,
    units: Iterable[KnownUnit],
    kind: str = "members",
    limits: Limits | None = None,
    default_unit_key: str | None = None,
    on_rows: RowsRead | None = None,
) -> ParseResult:
    """Read a member list (kind "members") or a representatives list ("representatives":
    member numbers with name and unit); ImportFileError when the file cannot be read at all.
    ``on_rows(read, total)`` hears the count of rows read (a background job's progress)."""
    parser = _Parser(kind=kind, units=units, default_unit_key=default_unit_key)
    return parser.parse_sheets(open_sheets(data, file_name, limits, on_rows))
