"""The shapes of an import's plain data: what the parser gives, what the preview stores (as
JSON in ImportJob.result) and what the planner reads. A rejection or warning (`Problem`)
names its place and reason, and carries the few details its reason's message uses."""

from __future__ import annotations

from typing import Required, TypedDict

# A cell's value once read: text, a yes/no (email_valid), or nothing (a blank date).
FieldValue = str | bool | None
# Only the fields the file has a column for, by Member field name (and role, register, ...).
RowValues = dict[str, FieldValue]


def text_value(values: RowValues, name: str) -> str:
    """A text field of a row: "" when the file has no such column or the cell was blank."""
    value = values.get(name)
    return value if isinstance(value, str) else ""


class ProblemDetail(TypedDict, total=False):
    """What a reason's message may name besides the place (each reason uses a few)."""

    field: str  # the Member field (warnings)
    value: str  # as written
    actual: str  # what the register holds instead
    suggestion: str  # the closest known unit
    unit: str
    register: str
    number: str
    member_number: str
    known: str  # the registers a unit has (a register not found)
    first_sheet: str  # where a register was named first
    first_row: int


class Refusal(ProblemDetail, total=False):
    """A row refused by a later app's check, before its place is added."""

    reason: Required[str]


class Problem(Refusal, total=False):
    """A rejected or warned row: sheet, row, reason code, and the reason's details."""

    sheet: Required[str]
    row: Required[int]


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
    values: RowValues
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
    before: object
    after: object


class MissingMember(TypedDict):
    """A member of a listed unit whom the file does not name (or a representative it ends)."""

    number: str
    name: str
    unit: str
