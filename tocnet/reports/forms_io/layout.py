"""The layout of attachment 3 (แบบฟอร์มทะเบียนรายชื่อสมาชิก) shared by export and import.

Labels are translatable; forms are always produced in Thai (the cooperative's form) and read
back in Thai or English.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core import signing
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from tocnet.members.models import Member, Phone
from tocnet.registers.models import VACANT_LABEL

if TYPE_CHECKING:
    from tocnet.reports.models import MemberFormReport

COOPERATIVE_NAME = "สหกรณ์ออมทรัพย์กรมการพัฒนาชุมชน จำกัด"
FORM_KIND = "tocnet-attachment3"
FORM_VERSION = "1"
META_SHEET = "_tocnet"
STAMP_SALT = "tocnet.reports.attachment3.stamp"
CELL_FONT = "Sarabun"  # the .xlsx forms' font, by name (as the PDF's)

TITLE = _("Member register form")
ATTACHMENT_LABEL = _("Attachment 3")
NOT_ON_REGISTER = _("Not on a register yet")
VACANT = VACANT_LABEL

# (key, label) of the header fields, in reading order.
FIELD_UNIT = "unit"
FIELD_REGISTER = "register"
FIELD_GROUP = "line_group_name"
FIELD_REP = "representative"
FIELD_REP_NUMBER = "representative_number"
FIELD_REP_PHONE = "representative_phone"
FIELD_REPORTER = "reporter"
FIELD_DATE = "date"
FIELD_COUNT = "count"

HEADER_FIELDS = {
    FIELD_UNIT: _("Unit"),
    FIELD_REGISTER: _("Register no."),
    FIELD_GROUP: _("LINE group name"),
    FIELD_REP: _("Member representative"),
    FIELD_REP_NUMBER: _("Member no."),
    FIELD_REP_PHONE: _("Telephone"),
    FIELD_REPORTER: _("Reporter"),
    FIELD_DATE: _("Date"),
    FIELD_COUNT: _("Members"),
}
# Three rows of three label/value pairs: columns A/B, E/F, G/H.
HEADER_GRID = (
    (FIELD_UNIT, FIELD_REGISTER, FIELD_GROUP),
    (FIELD_REP, FIELD_REP_NUMBER, FIELD_REP_PHONE),
    (FIELD_REPORTER, FIELD_DATE, FIELD_COUNT),
)
HEADER_COLUMNS = (1, 5, 7)  # label columns; the value is in the next column
FIRST_HEADER_ROW = 3
TABLE_HEADER_ROW = 7

COL_SEQ = "seq"
COL_NUMBER = "number"
COL_NAME = "full_name"
COL_AFFILIATION = "affiliation"
COL_MOBILE = "mobile"
COL_EMAIL = "email"
COL_USES_LINE = "uses_line"
COL_IN_GROUP = "in_group"
COL_NOTE = "note"

COLUMNS = {
    COL_SEQ: _("No."),
    COL_NUMBER: _("Member number"),
    COL_NAME: _("Full name"),
    COL_AFFILIATION: _("Affiliation/district"),
    COL_MOBILE: _("Mobile phone"),
    COL_EMAIL: _("E-mail"),
    COL_USES_LINE: _("Uses LINE"),
    COL_IN_GROUP: _("In the group"),
    COL_NOTE: _("Remarks"),
}
COLUMN_WIDTHS = (13, 14, 28, 22, 16, 30, 9, 11, 26)

YES = _("Yes")
NO = _("No")

SIGNED = _("Signed")
SIGNATURE_REP = _("member representative")
SIGNATURE_REPORTER = _("reporter")
POSITION = _("Position")


def label_variants(label: object) -> set[str]:
    """The label in Thai and English, normalised for matching a typed sheet."""
    out = set()
    for language in ("th", "en"):
        with translation.override(language):
            out.add(normalise_label(str(label)))
    return out


def normalise_label(text: object) -> str:
    """Lower-case, no spaces, dots or colons: "ชื่อกลุ่ม LINE :" → "ชื่อกลุ่มline"."""
    return "".join(ch for ch in str(text or "").lower() if ch not in " .:\u00a0\n\t")


_YES_WORDS = {"ใช่", "ใช้", "มี", "อยู่", "yes", "y", "true", "1", "✓", "✔", "แล้ว"}
_NO_WORDS = {"ไม่ใช่", "ไม่ใช้", "ไม่มี", "ไม่อยู่", "ไม่", "no", "n", "false", "0", "ยัง"}


def read_yes_no(value: object) -> bool | None:
    """ใช่/ไม่ใช่ (and yes/no, ✓, 1/0 …) as True/False; None for an empty or unclear cell."""
    text = normalise_label(value)
    if not text:
        return None
    if text in {normalise_label(w) for w in _NO_WORDS} or "ไม่" in text or text.startswith("ยัง"):
        return False
    if text in {normalise_label(w) for w in _YES_WORDS} or text == normalise_label(YES):
        return True
    return None


def form_phones(member: Member) -> list[Phone]:
    """The phones the "mobile" cell shows and, on the way back, replaces: the member's mobiles,
    or every phone when there is no mobile.  Export and import share this one rule."""
    phones = list(member.phones.all())
    return [p for p in phones if p.kind == Phone.Kind.MOBILE] or phones


def exported_uses_line(member: Member, report: MemberFormReport | None) -> bool | None:
    """What the "uses LINE" cell shows: yes with a LINE account, no when marked so, else what
    the last returned form said (blank when it said nothing)."""
    if member.line_user_id or member.line_id:
        return True
    if member.no_line:
        return False
    return report.uses_line if report is not None else None


def exported_in_group(member: Member, report: MemberFormReport | None) -> bool | None:
    """What the "in the group" cell shows: yes when seen in the verified group (``member``
    annotated by ``with_reach``), else what the last returned form said."""
    if getattr(member, "seen_in_group", False):
        return True
    return report.in_group if report is not None else None


def exported_note(member: Member, report: MemberFormReport | None) -> str:
    """What the "remarks" cell shows: the recorded reason and the last form's remark."""
    parts = []
    if member.unreachable_reason:
        parts.append(member.unreachable_reason)
    if report is not None and report.note and report.note not in parts:
        parts.append(report.note)
    return "; ".join(parts)


def _stamp_value(unit_code: str, exported_at: str) -> str:
    return f"{unit_code}|{exported_at}"


def stamp_sign(*, unit_code: str, exported_at: str) -> str:
    """The signed export stamp written in the hidden sheet (SECRET_KEY, so not forgeable)."""
    return signing.Signer(salt=STAMP_SALT).sign(_stamp_value(unit_code, exported_at))


def stamp_valid(signature: str, *, unit_code: str, exported_at: str) -> bool:
    """True when ``signature`` was made by :func:`stamp_sign` for exactly this unit and time."""
    try:
        value = signing.Signer(salt=STAMP_SALT).unsign(signature)
    except signing.BadSignature:
        return False
    return value == _stamp_value(unit_code, exported_at)
