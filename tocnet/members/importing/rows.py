"""The shapes of an import's plain data: what the parser gives, what the preview stores (as
JSON in ImportJob.result) and what the planner reads. Rejections and warnings stay open
dicts (`Problem`): each reason carries its own details (value, suggestion, actual, ...)."""

from __future__ import annotations

from typing import Any, TypedDict

Problem = dict[str, Any]  # {"sheet", "row", "reason", "field"?, ...the reason's details}


class PhoneCore(TypedDict):
    raw: str  # as written ("" when the number was read)
    e164: str  # "+66812345678"; "" when it could not be read
    extension: str
    valid: bool


class PhoneValues(PhoneCore):
    """A phone as the parser read it."""

    kind: str  # mobile | landline


class RowRef(TypedDict):
    sheet: str
    row: int


class Duplicate(TypedDict):
    """A member number met again: the later row's values win."""

    sheet: str
    row: int
    first_sheet: str
    first_row: int
    member_number: str


class UnknownUnit(TypedDict):
    name: str  # as written
    suggestion: str  # the closest known unit's name, "" for none
    rows: list[RowRef]


class PlannedUnknownUnit(UnknownUnit):
    action: str  # mapped | created | rejected
    target: str | None  # unit key, "create:<name>", or None


class SheetInfo(TypedDict):
    name: str
    header_row: int | None
    columns: list[str]


class ParsedRow(TypedDict):
    """One member's final values (the last row with its number wins)."""

    number: str
    sheet: str
    row: int
    values: dict[str, Any]  # only the fields the file has a column for (str, bool, None)
    phones: list[PhoneValues]
    has_phone_column: bool
    unit_text: str  # as written ("" when the file gives none)
    unit_key: str | None  # the known unit it resolves to


class ParsedFile(TypedDict):
    kind: str  # members | representatives
    rows_read: int
    members: list[ParsedRow]
    duplicates: list[Duplicate]
    rejected: list[Problem]
    warnings: list[Problem]
    unknown_units: list[UnknownUnit]
    sheets: list[SheetInfo]


class FieldChange(TypedDict):
    before: Any
    after: Any


class MissingMember(TypedDict):
    """A member of a listed unit whom the file does not name (or a representative it ends)."""

    number: str
    name: str
    unit: str
