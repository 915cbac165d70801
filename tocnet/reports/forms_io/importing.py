"""Forms back in: a unit's filled attachment 3 (.xlsx) read, previewed, then applied.

Phase 1, :func:`form_upload_preview`: the file is checked, every sheet and row read, and
compared with the system into an ImportJob (kind "form") -- nothing changes yet.
Phase 2, :func:`form_upload_apply`: in one transaction, contacts ("uses LINE", mobile,
e-mail), "in the group", remarks and the register's LINE group name are applied with
AuditEvents.  A value that differs from the system where the system changed that field after
the form was exported is a *conflict*: it is shown and applied only when the person ticks it.
Numbers that are not members of the unit (or, for a representative, of the registers they
lead) are all reported alike, from the file's values only, so an upload never tells who else a
number belongs to; unreadable values are reported too.  The whole form as read is kept in the
ImportJob, so nothing on it is lost.  The export stamp (unit and time) is signed: a changed or
unsigned stamp is refused, and a time in the future counts as the upload time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.audit import audit_record
from tocnet.core.models import AuditEvent
from tocnet.core.progress import APPLYING, ProgressFn, ProgressReporter, progress_clear
from tocnet.core.thai import phone_display
from tocnet.members.importing.normalize import (
    cell_text,
    normalize_email,
    normalize_member_number,
    parse_phones,
)
from tocnet.members.importing.readers import read_xlsx
from tocnet.members.importing.reasons import ImportFileError
from tocnet.members.importing.safety import Limits, sniff
from tocnet.members.models import ImportJob, Member, Unit
from tocnet.members.services import ContactChange, member_contact_update
from tocnet.registers.models import Register, RegisterMembership
from tocnet.registers.naming import RegisterName, normalise_abbreviation, parse_register_name
from tocnet.registers.selectors import register_list_for_user
from tocnet.registers.services import register_line_group_name_set
from tocnet.reports.forms_io import layout as L
from tocnet.reports.models import MemberFormReport
from tocnet.reports.selectors import current_campaign, with_reach
from tocnet.reports.services import submitter_role, unit_submission_start

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


# --- comparing ----------------------------------------------------------------------------


def _changed_fields_since(members: list[Member], since: dt.datetime) -> dict[int, set[str] | None]:
    """Per member pk: fields changed in the system after ``since`` (None: changed, unknown which)."""
    by_code = {str(m.code): m for m in members}
    changed: dict[int, set[str] | None] = {}
    events = AuditEvent.objects.filter(
        kind=AuditEvent.Kind.CHANGE,
        target_type="members.member",
        target_id__in=list(by_code),
        created_at__gt=since,
    ).values_list("target_id", "changes")
    for target_id, changes in events:
        member = by_code.get(target_id)
        if member is None:
            continue
        fields = changed.setdefault(member.pk, set())
        if fields is not None:
            fields.update((changes or {}).keys())
    for member in members:
        if member.updated_at > since and member.pk not in changed:
            changed[member.pk] = None
    return changed


def _current_mobiles(member: Member) -> list[str]:
    """The phones the form's mobile cell showed (one rule with the export), comparable."""
    return sorted(p.e164 or p.raw for p in L.form_phones(member))


def _phones_text(values: list[str]) -> str:
    """The compared phones as people read them (081-234-5678), for the preview."""
    return ", ".join(phone_display(v if v.startswith("+") else "", raw=v) for v in values)


def _form_mobiles(text: str) -> tuple[list[str], bool]:
    values = parse_phones(text)
    return sorted(v.e164 or v.raw for v in values), all(v.valid for v in values)


@dataclass
class RowPlan:
    number: str
    sheet: str
    row: int
    member_id: int | None = None
    member_code: str = ""
    name: str = ""
    status: str = "ok"  # ok, not_in_unit, out_of_scope, duplicate, bad_number, missing_number
    changes: list[Change] = field(default_factory=list)
    form_phones: str = ""
    in_group: bool | None = None
    uses_line: bool | None = None
    note: str = ""
    # What the form reports that differs from what the export showed ("in the group",
    # "uses LINE", remarks): stored with the member on apply, never a conflict.
    reported: list[Change] = field(default_factory=list)


class RegisterChange(TypedDict):
    """A register's LINE group name the form would change (stored as JSON with the preview)."""

    key: str  # "register:<code>:line_group_name"
    field: str
    current: str
    form: str
    conflict: bool
    verified: bool  # the group is verified: renamed in LINE too, by staff only
    register_id: int


@dataclass
class Plan:
    rows: list[RowPlan] = field(default_factory=list)
    register_changes: list[RegisterChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [c for r in self.rows for c in r.changes] + [
            Change(
                key=rc["key"],
                field=rc["field"],
                current=rc["current"],
                form=rc["form"],
                conflict=rc["conflict"],
            )
            for rc in self.register_changes
        ]

    @property
    def reported(self) -> list[Change]:
        return [c for r in self.rows for c in r.reported]

    @property
    def conflicts(self) -> list[Change]:
        return [c for c in self.changes if c.conflict]


def plan_form(*, unit: Unit, actor: User | None, form: FormRead) -> Plan:
    """Compare a read form with the system: changes, conflicts and problems (reads only)."""
    plan = Plan()
    numbers: dict[str, FormRowRead] = {}
    for sheet in form.sheets:
        for row in sheet.rows:
            if not row.number:
                plan.problems.append(
                    Problem(
                        "missing_number", {"sheet": row.sheet, "row": row.row, "name": row.name}
                    )
                )
                plan.rows.append(
                    RowPlan(
                        number="",
                        sheet=row.sheet,
                        row=row.row,
                        name=row.name,
                        status="missing_number",
                    )
                )
                continue
            try:
                number = normalize_member_number(row.number)
            except ValueError:
                plan.problems.append(
                    Problem("bad_number", {"sheet": row.sheet, "row": row.row, "value": row.number})
                )
                plan.rows.append(
                    RowPlan(number=row.number, sheet=row.sheet, row=row.row, status="bad_number")
                )
                continue
            if number in numbers:
                plan.problems.append(
                    Problem("duplicate", {"sheet": row.sheet, "row": row.row, "number": number})
                )
                plan.rows.append(
                    RowPlan(number=number, sheet=row.sheet, row=row.row, status="duplicate")
                )
                continue
            numbers[number or ""] = row
    # Only members this upload may touch are looked up: the unit's, and for a representative
    # those of the registers they lead.  Any other number gets the same answer, built from the
    # file alone, so nobody learns whether or where it exists.
    candidates = Member.objects.filter(
        unit=unit, number__in=[*numbers, *(n.zfill(6) for n in numbers)]
    )
    outside = "not_in_unit"
    if actor is not None and submitter_role(unit=unit, user=actor) == "representative":
        outside = "out_of_scope"
        candidates = candidates.filter(
            pk__in=RegisterMembership.objects.filter(
                until__isnull=True, register__in=register_list_for_user(actor)
            ).values("member_id")
        )
    members = {m.number.lstrip("0"): m for m in with_reach(candidates).prefetch_related("phones")}
    changed = _changed_fields_since(list(members.values()), form.exported_at)
    reports = {
        r.member_id: r
        for r in MemberFormReport.objects.filter(member__in=[m.pk for m in members.values()])
    }
    for number, row in numbers.items():
        member = members.get(number.lstrip("0"))
        plan_row = RowPlan(number=number, sheet=row.sheet, row=row.row, name=row.name)
        plan.rows.append(plan_row)
        where: ProblemParams = {"sheet": row.sheet, "row": row.row, "number": number}
        if member is None:
            plan_row.status = outside
            plan.problems.append(Problem(outside, where))
            continue
        plan_row.member_id, plan_row.member_code = member.pk, str(member.code)
        plan_row.name = member.full_name
        plan_row.in_group, plan_row.uses_line, plan_row.note = row.in_group, row.uses_line, row.note
        _plan_member_fields(plan, plan_row, row, member, changed.get(member.pk, set()), where)
        _plan_reported(plan_row, row, member, reports.get(member.pk))
    _plan_registers(unit=unit, actor=actor, form=form, plan=plan)
    return plan


def _plan_member_fields(
    plan: Plan,
    plan_row: RowPlan,
    row: FormRowRead,
    member: Member,
    since: set[str] | None,
    where: ProblemParams,
) -> None:
    """Compare one row's contact fields; ``since``: fields the system changed after export."""

    def add(field_name: str, current: Any, value: Any, audit_keys: tuple[str, ...]) -> None:
        conflict = since is None or any(k in since for k in audit_keys)
        plan_row.changes.append(
            Change(
                key=f"{plan_row.number}:{field_name}",
                field=field_name,
                current=current,
                form=value,
                conflict=conflict,
            )
        )

    if row.mobile:
        form_phones, valid = _form_mobiles(row.mobile)
        current = _current_mobiles(member)
        if form_phones and form_phones != current:
            if not valid:
                plan.problems.append(Problem("bad_phone", {**where, "value": row.mobile}))
            plan_row.form_phones = row.mobile
            add("phones", _phones_text(current), _phones_text(form_phones), ("phones",))
    if row.email:
        email, valid = normalize_email(row.email)
        if email != member.email:
            if not valid:
                plan.problems.append(Problem("bad_email", {**where, "value": row.email}))
            add("email", member.email, email, ("email", "email_valid"))
    if row.uses_line is not None and row.uses_line == member.no_line:
        add("no_line", member.no_line, not row.uses_line, ("no_line", "line_id"))
    # A remark on a member nobody can reach becomes the recorded reason (the completeness
    # rule asks for one), unless the system already has a reason.
    if row.note and not member.unreachable_reason:
        phone_after = any(p.valid for p in member.phones.all()) or (
            bool(row.mobile) and _form_mobiles(row.mobile)[1] and bool(parse_phones(row.mobile))
        )
        email_after = (bool(member.email) and member.email_valid) or (
            bool(row.email) and normalize_email(row.email)[1]
        )
        if not (phone_after or email_after or member.line_user_id):
            add("unreachable_reason", "", row.note[:200], ("unreachable_reason",))


def _plan_reported(
    plan_row: RowPlan, row: FormRowRead, member: Member, report: MemberFormReport | None
) -> None:
    """The form's "in the group", "uses LINE" and remarks where they differ from what the
    export showed; applying stores them with the member (only when the row reports any)."""
    if row.in_group is None and row.uses_line is None and not row.note:
        return  # nothing is stored for this row
    fields = {c.field: c for c in plan_row.changes}
    shown = {
        "in_group": (L.exported_in_group(member, report), row.in_group),
        "uses_line": (L.exported_uses_line(member, report), row.uses_line),
        "note": (L.exported_note(member, report), row.note),
    }
    for name, (before, after) in shown.items():
        if before == after:
            continue
        if name == "uses_line" and "no_line" in fields:
            continue  # already shown as the "does not use LINE" change
        reason = fields.get("unreachable_reason")
        if name == "note" and reason is not None and reason.form == str(after)[:200]:
            continue  # already shown as the reason it becomes
        plan_row.reported.append(
            Change(key=f"{plan_row.number}:{name}", field=name, current=before, form=after)
        )


def _plan_registers(*, unit: Unit, actor: User | None, form: FormRead, plan: Plan) -> None:
    registers = {
        str(r.code): r for r in Register.objects.filter(unit=unit, retired_at__isnull=True)
    }
    allowed = None
    if actor is not None and submitter_role(unit=unit, user=actor) == "representative":
        allowed = {str(c) for c in register_list_for_user(actor).values_list("code", flat=True)}
    known = list(Unit.objects.values_list("abbreviation", flat=True))
    numbers = {normalise_abbreviation(unit.abbreviation): [r.number for r in registers.values()]}
    changed_registers = set(
        AuditEvent.objects.filter(
            kind=AuditEvent.Kind.CHANGE,
            target_type="registers.register",
            target_id__in=list(registers),
            created_at__gt=form.exported_at,
        ).values_list("target_id", flat=True)
    )
    for sheet in form.sheets:
        if not sheet.register_code:
            continue  # the "not on a register" sheet
        register = registers.get(sheet.register_code)
        if register is None:
            plan.problems.append(Problem("unknown_register", {"sheet": sheet.title}))
            continue
        if allowed is not None and sheet.register_code not in allowed:
            continue
        text = sheet.group_name
        if not text or text == register.line_group_name:
            continue
        parsed = parse_register_name(text, known, numbers)
        if not (
            isinstance(parsed, RegisterName)
            and parsed.abbreviation == normalise_abbreviation(unit.abbreviation)
            and parsed.number == register.number
        ):
            reason = (
                parsed.message
                if not isinstance(parsed, RegisterName)
                else _("“%(text)s” names another register (%(name)s).")
                % {"text": text, "name": parsed.name}
            )
            plan.problems.append(
                Problem("bad_group_name", {"sheet": sheet.title, "reason": reason})
            )
            continue
        if parsed.name == register.line_group_name:
            continue
        plan.register_changes.append(
            {
                "key": f"register:{register.code}:line_group_name",
                "field": "line_group_name",
                "current": register.line_group_name,
                "form": parsed.name,
                "conflict": str(register.code) in changed_registers
                or register.updated_at > form.exported_at
                # A verified group is renamed only when staff tick it (renamed in LINE too).
                or bool(register.line_group_id),
                "verified": bool(register.line_group_id),
                "register_id": register.pk,
            }
        )


# --- the two phases -----------------------------------------------------------------------


class ProblemJSON(TypedDict):
    code: str
    params: ProblemParams


class PlanJSON(TypedDict):
    """A preview's plan as ImportJob.summary stores it (rows as their dataclass fields)."""

    rows: list[dict[str, object]]
    register_changes: list[RegisterChange]
    problems: list[ProblemJSON]


class FormRowJSON(TypedDict):
    sheet: str
    row: int
    number: str
    name: str
    mobile: str
    email: str
    uses_line: bool | None
    in_group: bool | None
    note: str


class SheetJSON(TypedDict):
    title: str
    register_code: str
    group_name: str
    rows: list[FormRowJSON]


class FormJSON(TypedDict):
    """What the form said, as ImportJob.summary stores it for the apply step."""

    unit_code: str
    exported_at: str  # ISO
    sheets: list[SheetJSON]


def _plan_json(plan: Plan) -> PlanJSON:
    return {
        "rows": [asdict(r) for r in plan.rows],
        "register_changes": plan.register_changes,
        "problems": [{"code": p.code, "params": p.params} for p in plan.problems],
    }


def _form_json(form: FormRead) -> FormJSON:
    return {
        "unit_code": form.unit_code,
        "exported_at": form.exported_at.isoformat(),
        # asdict gives exactly these TypedDicts' keys (the dataclasses' fields).
        "sheets": [cast(SheetJSON, asdict(s)) for s in form.sheets],
    }


def _form_from_json(data: FormJSON) -> FormRead:
    sheets = []
    for s in data["sheets"]:
        sheets.append(
            SheetRead(
                title=s["title"],
                register_code=s["register_code"],
                group_name=s["group_name"],
                rows=[FormRowRead(**r) for r in s["rows"]],
            )
        )
    return FormRead(
        unit_code=data["unit_code"],
        exported_at=dt.datetime.fromisoformat(data["exported_at"]),
        sheets=sheets,
    )


def form_upload_preview(*, unit: Unit, actor: User, data: bytes, file_name: str) -> ImportJob:
    """Read and compare an uploaded attachment 3 into a preview ImportJob; nothing applied.

    Raises FormUploadError when the user may not upload for the unit or the file is unusable.
    """
    if submitter_role(unit=unit, user=actor) is None:
        raise FormUploadError("not_allowed")
    form, problems = read_form(data, file_name)
    if form.unit_code != str(unit.code):
        other = (
            Unit.objects.filter(code=form.unit_code).values_list("abbreviation", flat=True).first()
        )
        raise FormUploadError("other_unit", abbreviation=other or "?")
    plan = plan_form(unit=unit, actor=actor, form=form)
    plan.problems[:0] = problems
    with transaction.atomic():
        job = ImportJob.objects.create(
            kind=ImportJob.Kind.FORM,
            status=ImportJob.Status.PREVIEW,
            file_name=file_name[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            uploaded_by=actor,
            unit=unit,
            summary={"form": _form_json(form), "plan": _plan_json(plan)},
        )
        campaign = current_campaign()
        if campaign is not None:
            unit_submission_start(campaign=campaign, unit=unit, actor=actor)
    return job


def job_plan(job: ImportJob) -> Plan:
    """The plan stored with a preview job, as objects for the template."""
    data = job.summary.get("plan", {})
    rows = []
    for r in data.get("rows", []):
        r = dict(r)
        r["changes"] = [Change(**c) for c in r.get("changes", [])]
        r["reported"] = [Change(**c) for c in r.get("reported", [])]
        rows.append(RowPlan(**r))
    return Plan(
        rows=rows,
        register_changes=list(data.get("register_changes", [])),
        problems=[Problem(p["code"], p["params"]) for p in data.get("problems", [])],
    )


@transaction.atomic
def form_upload_apply(
    *,
    job: ImportJob,
    actor: User,
    accept_conflicts: Iterable[str] = (),
    progress: ProgressFn | None = None,
    from_status: str = ImportJob.Status.PREVIEW,
) -> ImportJob:
    """Apply a previewed form: re-compared now, conflicts only where accepted; all or nothing.

    Idempotent: a committed job is returned unchanged. ``from_status`` is APPLYING when the
    slow queue applies it; ``progress`` hears the rows written.
    """
    claimed = ImportJob.objects.filter(pk=job.pk, status=from_status).update(
        status=ImportJob.Status.COMMITTED, committed_at=timezone.now(), error=""
    )
    job.refresh_from_db()
    if not claimed:
        return job
    unit = job.unit
    assert unit is not None
    if submitter_role(unit=unit, user=actor) is None:
        raise FormUploadError("not_allowed")
    plan = plan_form(unit=unit, actor=actor, form=_form_from_json(job.summary["form"]))
    accepted = set(accept_conflicts)
    applied, kept = _apply_member_rows(plan, accepted, job=job, actor=actor, progress=progress)
    register_applied, register_kept = _apply_register_changes(plan, accepted, actor=actor)
    applied += register_applied
    kept += register_kept
    job.result = {
        "applied": applied,
        "conflicts_kept": kept,
        "problems": [{"code": p.code, "params": p.params} for p in plan.problems],
        "unknown_members": [
            r.number for r in plan.rows if r.status in ("not_in_unit", "out_of_scope")
        ],
    }
    job.save(update_fields=["result"])
    audit_record(
        actor=actor,
        action="form.applied",
        target=unit,
        changes={"job": str(job.code), "applied": len(applied), "conflicts_kept": len(kept)},
    )
    return job


# --- applying a large form in the background ----------------------------------------------

logger = logging.getLogger(__name__)

APPLY_FAILED = gettext_lazy(
    "The form could not be applied; nothing was changed. Try again; if it fails again, tell "
    "the cooperative's staff."
)


def form_apply_in_background(job: ImportJob) -> bool:
    """A form with more rows than FORM_APPLY_INLINE_MAX_ROWS is applied by the slow queue (the
    largest demo unit's 565 rows took 0.65-7.2 s on the loaded machine, bench/README.md)."""
    rows = len(job.summary.get("plan", {}).get("rows", []))
    return rows > settings.FORM_APPLY_INLINE_MAX_ROWS


def form_upload_apply_start(
    *, job: ImportJob, actor: User, accept_conflicts: Iterable[str] = ()
) -> ImportJob:
    """Confirm a previewed form for the slow queue to apply (``form_upload_apply_job``, after
    commit): APPLYING, with the ticked conflicts and who confirmed, until it is applied or sent
    back to its preview with a message. FormUploadError if not allowed; a form no longer
    waiting is returned unchanged."""
    from tocnet.reports.tasks import form_upload_apply_task

    unit = job.unit
    if unit is None or submitter_role(unit=unit, user=actor) is None:
        raise FormUploadError("not_allowed")
    choices = {"actor": actor.pk, "accept": sorted(set(accept_conflicts))}
    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
            status=ImportJob.Status.APPLYING,
            error="",
            committed_at=timezone.now(),
            result={"commit": choices},
        )
        if moved:
            transaction.on_commit(lambda: form_upload_apply_task(job.pk))
    job.refresh_from_db()
    return job


def form_upload_apply_job(*, job_id: int) -> ImportJob | None:
    """Apply an APPLYING form as confirmed, in one transaction, counting rows; on a failure
    nothing changes and the form returns to its preview with a message (Thai / English)."""
    from tocnet.members.importing.services import progress_key

    job = ImportJob.objects.select_related("unit").filter(pk=job_id).first()
    if job is None or job.status != ImportJob.Status.APPLYING or job.kind != ImportJob.Kind.FORM:
        return None
    choices = job.result.get("commit", {})
    actor = User.objects.filter(pk=choices.get("actor"), is_active=True).first()
    progress = ProgressReporter(progress_key(job))
    message = ""
    try:
        if actor is None:
            raise FormUploadError("not_allowed")
        form_upload_apply(
            job=job,
            actor=actor,
            accept_conflicts=choices.get("accept", []),
            progress=progress,
            from_status=ImportJob.Status.APPLYING,
        )
    except FormUploadError as exc:
        message = in_thai_and_english(exc.message)
    except Exception:  # the page says so; the worker logs it and goes on
        logger.exception("form job %s failed", job.code)
        message = in_thai_and_english(lambda: str(APPLY_FAILED))
    finally:
        progress_clear(progress.key)
    if message:
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.APPLYING).update(
            status=ImportJob.Status.PREVIEW, committed_at=None, result={}, error=message
        )
    job.refresh_from_db()
    return job


def _apply_member_rows(
    plan: Plan,
    accepted: set[str],
    *,
    job: ImportJob,
    actor: User,
    progress: ProgressFn | None = None,
) -> tuple[list[str], list[str]]:
    """Each sound row's contact changes (conflicts only where accepted) and its reported
    LINE state; (keys applied, conflicting keys kept as they are)."""
    applied: list[str] = []
    kept: list[str] = []
    now = timezone.now()
    members = {
        m.pk: m
        for m in Member.objects.filter(
            pk__in=[r.member_id for r in plan.rows if r.member_id and r.status == "ok"]
        ).prefetch_related("phones")
    }
    for index, row in enumerate(plan.rows, start=1):
        if progress is not None:
            progress(APPLYING, index, len(plan.rows))
        if row.status != "ok" or row.member_id is None:
            continue
        member = members[row.member_id]
        take = {c.field: c for c in row.changes if not c.conflict or c.key in accepted}
        kept += [c.key for c in row.changes if c.conflict and c.key not in accepted]
        if take:
            _apply_contact(member, row, take, actor=actor)
            applied += [c.key for c in take.values()]
        if row.in_group is not None or row.uses_line is not None or row.note:
            _record_report(member, row, job=job, actor=actor, now=now)
    return applied, kept


def _apply_contact(member: Member, row: RowPlan, take: dict[str, Change], *, actor: User) -> None:
    """The member's contact details with the form's values for the fields taken."""
    if "phones" in take:
        # The cell replaces exactly the phones it showed; the others are kept.
        shown = {p.pk for p in L.form_phones(member)}
        kept_phones = [p.raw for p in member.phones.all() if p.pk not in shown]
        phones = [row.form_phones, *kept_phones]
    else:
        phones = [p.raw for p in member.phones.all()]
    email = take["email"].form if "email" in take else member.email
    no_line = take["no_line"].form if "no_line" in take else member.no_line
    reason = (
        take["unreachable_reason"].form
        if "unreachable_reason" in take
        else member.unreachable_reason
    )
    member_contact_update(
        member=member,
        actor=actor,
        change=ContactChange(
            phones=", ".join(phones),
            email=email,
            line_id=member.line_id,
            no_line=no_line,
            unreachable_reason=reason,
        ),
    )


def _record_report(
    member: Member, row: RowPlan, *, job: ImportJob, actor: User, now: dt.datetime
) -> None:
    """What the form says about the member's LINE group and LINE use, kept with its author."""
    MemberFormReport.objects.update_or_create(
        member_id=member.pk,
        defaults={
            "in_group": row.in_group,
            "uses_line": row.uses_line,
            "note": row.note[:500],
            "import_job": job,
            "reported_by": actor,
            "reported_at": now,
        },
    )
    audit_record(
        actor=actor,
        action="member.form_reported",
        target=member,
        changes={
            "form_in_group": row.in_group,
            "form_uses_line": row.uses_line,
            "form_note": row.note,
        },
    )


def _apply_register_changes(
    plan: Plan, accepted: set[str], *, actor: User
) -> tuple[list[str], list[str]]:
    """LINE group names written in the form; a verified group's name only by staff."""
    applied: list[str] = []
    kept: list[str] = []
    for change in plan.register_changes:
        verified = change.get("verified", False)
        if (change["conflict"] and change["key"] not in accepted) or (
            verified and not roles.is_cooperative_staff(actor)
        ):
            kept.append(change["key"])
            continue
        register_line_group_name_set(
            register_id=change["register_id"],
            name=change["form"],
            actor=actor,
            action="register.group_name_from_form",
            confirm_verified=verified,
        )
        applied.append(change["key"])
    return applied, kept


def in_thai_and_english(message_builder: Any) -> str:
    """A message in Thai and in English, "th / en" (error messages name the place in both);
    one text when both are the same."""
    texts = []
    for language in ("th", "en"):
        with translation.override(language):
            texts.append(str(message_builder()))
    return texts[0] if texts[0] == texts[1] else f"{texts[0]} / {texts[1]}"
