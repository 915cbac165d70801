"""The layout of attachment 3 (แบบฟอร์มทะเบียนรายชื่อสมาชิก) shared by export and import.

Labels are translatable; forms are always produced in Thai (the cooperative's form) and read
back in Thai or English.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

COOPERATIVE_NAME = "สหกรณ์ออมทรัพย์กรมการพัฒนาชุมชน จำกัด"
FORM_KIND = "tocnet-attachment3"
FORM_VERSION = "1"
META_SHEET = "_tocnet"

TITLE = _("Member register form")
ATTACHMENT_LABEL = _("Attachment 3")
NOT_ON_REGISTER = _("Not on a register yet")

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
