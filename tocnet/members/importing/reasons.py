"""Stable reason codes for everything an import can refuse, reject or warn about.

Codes are what the JSON output, the ImportJob result and the tests use; the messages are
English msgids translated to Thai through the catalogue.
"""

from django.utils import translation
from django.utils.translation import gettext_lazy as _

# A file that cannot be read at all: nothing is imported.
FILE_ERRORS = {
    "empty_file": _("The file is empty."),
    "too_large": _(
        "The file is %(size_mb)s MB; the limit is %(limit_mb)s MB. Split it into smaller files."
    ),
    "corrupt_xlsx": _(
        "The file is not a readable Excel workbook (.xlsx): it is damaged or only renamed. "
        "Open it in Excel and save it again as .xlsx."
    ),
    "old_xls": _(
        "This is an old Excel 97-2003 file (.xls). Open it in Excel and save it as "
        "Excel Workbook (.xlsx)."
    ),
    "encrypted": _(
        "The workbook is protected by a password. Remove the password in Excel "
        "(File > Info > Protect Workbook) and send it again."
    ),
    "ole_unknown": _(
        "This is an old Excel 97-2003 file (.xls) or a password-protected workbook. Remove any "
        "password and save it in Excel as Excel Workbook (.xlsx)."
    ),
    "zip_bomb": _(
        "The workbook expands to far more data than a member list can hold; it was refused unread."
    ),
    "too_many_sheets": _(
        "The workbook has %(count)s sheets; at most %(limit)s are read. Send only the sheets "
        "with the member list."
    ),
    "too_many_rows": _(
        "The file has more than %(rows)s rows or %(cells)s cells, far more than a member list; "
        "it was not read further."
    ),
    "too_slow": _(
        "Reading the file took longer than %(seconds)s seconds and was stopped. Send only the "
        "member list, saved again from Excel."
    ),
    "unsafe_xml": _(
        "The workbook contains XML entity declarations, which are refused for safety. Save it "
        "again from Excel."
    ),
    "image_file": _("This is an image (%(kind)s), not a spreadsheet."),
    "pdf_file": _("This is a PDF document, not a spreadsheet. Send the Excel file (.xlsx)."),
    "ods_file": _("This is an OpenDocument spreadsheet (.ods). Save it as Excel Workbook (.xlsx)."),
    "unknown_format": _("The file type is not supported. Send an Excel workbook (.xlsx) or CSV."),
    "unknown_encoding": _(
        "The CSV file's text encoding is unknown. Save it as CSV UTF-8 (or Thai TIS-620)."
    ),
    "no_header": _(
        "No header row was found: no sheet has a member-number column (such as "
        "เลขทะเบียนสมาชิก) in its first %(rows)s rows."
    ),
}

# A row that is not imported.
ROW_REJECTIONS = {
    "missing_number": _("Sheet %(sheet)s, row %(row)s: the member number is empty."),
    "bad_number": _("Sheet %(sheet)s, row %(row)s: the member number “%(value)s” is not a number."),
    "unknown_unit": _(
        "Sheet %(sheet)s, row %(row)s: unknown unit “%(value)s” (closest known unit: "
        "%(suggestion)s)."
    ),
    "missing_unit": _(
        "Sheet %(sheet)s, row %(row)s: the unit is empty and the member is not in the register yet."
    ),
    "missing_name": _(
        "Sheet %(sheet)s, row %(row)s: the name is empty and the member is not in the register yet."
    ),
    "out_of_scope": _(
        "Sheet %(sheet)s, row %(row)s: the unit “%(value)s” is not one of your units."
    ),
    "invalid_value": _(
        "Sheet %(sheet)s, row %(row)s: the register cannot hold the value of %(value)s "
        "(too long or not allowed)."
    ),
    "not_a_member": _("Sheet %(sheet)s, row %(row)s: no member has the number %(value)s."),
    # An agent's answer for a number outside their units, existing or not: it must tell
    # nothing of the register beyond their units (no unit, no name), only the file's values.
    "not_a_member_here": _(
        "Sheet %(sheet)s, row %(row)s: no member of your units has the number %(value)s. "
        "New members and moves between units are entered by the cooperative's staff: send "
        "them this row."
    ),
    "wrong_unit": _(
        "Sheet %(sheet)s, row %(row)s: member %(value)s belongs to %(actual)s, not to %(unit)s."
    ),
    "name_mismatch": _(
        "Sheet %(sheet)s, row %(row)s: the name “%(value)s” does not match member %(number)s "
        "(%(actual)s)."
    ),
    # The representatives list's register, successor and role columns.
    "bad_role": _(
        "Sheet %(sheet)s, row %(row)s: the role “%(value)s” is not one of ผู้แทน, ผู้สืบทอด "
        "(successor) or ผู้ช่วยผู้แทน (deputy)."
    ),
    "unknown_register": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: %(unit)s has no register “%(value)s” "
        "(its registers: %(known)s)."
    ),
    "register_other_unit": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: the register “%(value)s” belongs to "
        "another unit, not to %(unit)s."
    ),
    "unknown_predecessor": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” did not lead a register of "
        "%(unit)s (or led another register than the one named)."
    ),
    "register_needed": _(
        "Sheet %(sheet)s, row %(row)s: a successor or deputy must name the register: fill in "
        "the LINE group (กลุ่มไลน์, e.g. สอ.พช.กพ.3) or, for a successor, the representative "
        "replaced (แทน)."
    ),
    "register_named_twice": _(
        "Sheet %(sheet)s, row %(row)s: register %(value)s is already given to the "
        "representative of sheet %(first_sheet)s, row %(first_row)s."
    ),
    "leads_another_register": _(
        "Sheet %(sheet)s, row %(row)s: member %(number)s already leads %(actual)s, so cannot "
        "take over %(value)s; mark %(actual)s vacant on its leaders page first."
    ),
    "register_led_by_listed": _(
        "Sheet %(sheet)s, row %(row)s: register %(value)s is led by %(actual)s, who is also in "
        "this list. To hand the register over, leave them out of the list."
    ),
}

# A row that is imported, with one value kept raw and flagged for correction.
ROW_WARNINGS = {
    "bad_phone": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” is not a valid phone number."
    ),
    "bad_email": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” is not a valid e-mail address."
    ),
    "bad_date": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” is not a readable date."
    ),
    "bad_member_type": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” is neither สามัญ nor สมทบ."
    ),
    "bad_national_id": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” is not a valid national ID."
    ),
    # Deputies: the representative's row is imported, the deputy is not set.
    "deputy_needs_register": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” not set as deputy: the "
        "representative has no register yet. Name the deputy on the register's leaders page "
        "once the plan is approved."
    ),
    "deputy_unknown": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: no member of %(unit)s is “%(value)s”; "
        "the deputy was not set."
    ),
    "deputy_ambiguous": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” fits several members of "
        "%(unit)s; write the member number. The deputy was not set."
    ),
    "deputy_not_in_register": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” is not an active member of "
        "register %(register)s, so cannot be its deputy."
    ),
    "deputy_is_representative": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” leads register "
        "%(register)s and cannot also be its deputy."
    ),
    "deputy_elsewhere": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: “%(value)s” is already the deputy of "
        "another register; the deputy was not set."
    ),
    "deputy_name_mismatch": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: the name “%(value)s” does not match "
        "member %(number)s (%(actual)s); the deputy was not set."
    ),
    "leader_not_applied": _(
        "Sheet %(sheet)s, row %(row)s, field %(field)s: %(value)s was not applied to register "
        "%(register)s: %(actual)s"
    ),
}

# Field names as shown to people (column keys from headers.py).
FIELD_LABELS = {
    "number": _("member number"),
    "title": _("title"),
    "first_name": _("first name"),
    "last_name": _("last name"),
    "full_name": _("name"),
    "position": _("position"),
    "unit": _("unit"),
    "district": _("district"),
    "province": _("province"),
    "member_type": _("member type"),
    "phone": _("phone"),
    "phones": _("phones"),
    "email": _("e-mail"),
    "line_id": _("LINE ID"),
    "joined_on": _("date"),
    "national_id": _("national ID"),
    "register": _("register (LINE group)"),
    "deputy": _("deputy representative"),
    "deputy_name": _("deputy's name"),
    "successor_of": _("replaces"),
    "role": _("role"),
}

ALL_REASONS = {**FILE_ERRORS, **ROW_REJECTIONS, **ROW_WARNINGS}

# Wording for an unknown unit with no known unit close to it.
UNKNOWN_UNIT_WITHOUT_SUGGESTION = _(
    "Sheet %(sheet)s, row %(row)s: unknown unit “%(value)s” (no known unit is close to it)."
)


class ImportFileError(Exception):
    """The file cannot be read at all; `code` is a key of FILE_ERRORS."""

    def __init__(self, code: str, **params: object) -> None:
        assert code in FILE_ERRORS, code
        self.code = code
        self.params = params
        super().__init__(f"{code}: {params}" if params else code)

    def message(self) -> str:
        """The message in the active language; counts with thousands separators (100,000 rows)."""
        params = {
            key: f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
            for key, value in self.params.items()
        }
        return str(FILE_ERRORS[self.code]) % params

    def message_both(self) -> str:
        """Thai, then English (the command line has no language switch)."""
        messages = []
        for language in ("th", "en"):
            with translation.override(language):
                messages.append(self.message())
        return " / ".join(messages)
