"""Cell normalisers: member numbers, names and titles, phones, e-mail, units, dates.

Each takes a raw cell value (str, int, float, datetime or None, as openpyxl or csv give it)
and returns a canonical value, or raises ValueError for a value that cannot be used.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from tocnet.core.thai import BE_OFFSET, clean_text, parse_thai_date, to_arabic_digits
from tocnet.members.provinces import (
    BANGKOK,
    STUDY_CENTRE_ABBREVIATION_PREFIX,
    STUDY_CENTRE_PREFIX,
    all_provinces,
    province_office_name,
    study_centre_abbreviation,
    study_centre_name,
)


@cache
def _abbreviations() -> dict[str, str]:
    """Province name -> abbreviation (read on first use: pythainlp's corpus loads its
    tokeniser, which start-up and the registers app's import hooks do not need)."""
    return {p.name_th: p.abbr_th for p in all_provinces()}


@cache
def _provinces_by_abbreviation() -> dict[str, str]:
    return {p.abbr_th: p.name_th for p in all_provinces()}


MAX_NUMBER_DIGITS = 12


def cell_text(value: object) -> str:
    """A cell as clean text: integral floats lose their '.0', white space folded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return clean_text(value)


# --- member number ---------------------------------------------------------------------------


def normalize_member_number(value: object) -> str | None:
    """Canonical member number: ASCII digits without leading zeros; None when the cell is empty.

    Excel often stores member numbers as numbers, which drops leading zeros, so "000123",
    "๑๒๓", 123 and 123.0 all become "123": the same member whatever the cell type.
    Raises ValueError for anything else (letters, fractions, zero, over 12 digits).
    """
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise ValueError("boolean")
    if isinstance(value, int):
        digits = str(value)
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValueError("fraction")
        digits = str(int(value))
    else:
        text = to_arabic_digits(clean_text(value))
        if not text:
            return None
        text = text.lstrip("'").replace(" ", "")
        text = re.sub(r"\.0+$", "", text)
        digits = text
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("not digits")
    digits = digits.lstrip("0")
    if not digits or len(digits) > MAX_NUMBER_DIGITS:
        raise ValueError("zero or too long")
    return digits


# --- names -----------------------------------------------------------------------------------

# Written form -> canonical title. Longest forms are tried first, so นางสาว wins over นาง.
TITLE_FORMS: dict[str, str] = {
    "นาย": "นาย",
    "นาง": "นาง",
    "นางสาว": "นางสาว",
    "น.ส.": "นางสาว",
    "นส.": "นางสาว",
    "ว่าที่ร้อยตรี": "ว่าที่ร้อยตรี",
    "ว่าที่ ร้อยตรี": "ว่าที่ร้อยตรี",
    "ว่าที่ร.ต.": "ว่าที่ร้อยตรี",
    "ว่าที่ ร.ต.": "ว่าที่ร้อยตรี",
    "ว่าที่ร้อยตรีหญิง": "ว่าที่ร้อยตรีหญิง",
    "ว่าที่ ร.ต.หญิง": "ว่าที่ร้อยตรีหญิง",
    "ว่าที่ร.ต.หญิง": "ว่าที่ร้อยตรีหญิง",
    "ดร.": "ดร.",
    "ศ.": "ศ.",
    "รศ.": "รศ.",
    "ผศ.": "ผศ.",
    "ผศ.ดร.": "ผศ.ดร.",
    "รศ.ดร.": "รศ.ดร.",
    "ศ.ดร.": "ศ.ดร.",
    "ร.ต.": "ร้อยตรี",
    "ร.ท.": "ร้อยโท",
    "ร.อ.": "ร้อยเอก",
    "ร.ต.ต.": "ร้อยตำรวจตรี",
    "ร.ต.ท.": "ร้อยตำรวจโท",
    "ร.ต.อ.": "ร้อยตำรวจเอก",
    "จ.ส.อ.": "จ่าสิบเอก",
    "ด.ต.": "ดาบตำรวจ",
    "Mr.": "Mr.",
    "Mrs.": "Mrs.",
    "Ms.": "Ms.",
    "Miss": "Miss",
}
_TITLE_ORDER = sorted(TITLE_FORMS, key=len, reverse=True)
# Titles that are whole words need a boundary after them: "นาย" but not the "Miss" in "Missy".
_LATIN_TITLES = {"Mr.", "Mrs.", "Ms.", "Miss"}


def clean_name(value: object) -> str:
    """A name part without zero-width characters and extra spaces."""
    return clean_text(value) if value is not None else ""


def split_title(text: str) -> tuple[str, str]:
    """("นางสาว", "สุนทร ภูมิใจ") from "น.ส. สุนทร ภูมิใจ"; up to two stacked titles kept."""
    rest = clean_name(text)
    found: list[str] = []
    for _round in range(2):
        for form in _TITLE_ORDER:
            if not rest.startswith(form):
                continue
            after = rest[len(form) :]
            if form in _LATIN_TITLES and after[:1].isalpha():
                continue
            if not after.strip():
                continue  # the title alone is not a name: keep it as the name
            found.append(TITLE_FORMS[form])
            rest = after.strip()
            break
        else:
            break
    return " ".join(found), rest


def split_full_name(value: object) -> tuple[str, str, str]:
    """(title, first name, last name) from one cell such as "นางสาวสุนทร  ภูมิใจ"."""
    title, rest = split_title(clean_name(value))
    first, _, last = rest.partition(" ")
    return title, first, last.strip()


def normalize_title(value: object) -> str:
    """Canonical title from a title cell ("น.ส." -> "นางสาว"); unknown titles kept cleaned."""
    text = clean_name(value)
    compact = text.replace(" ", "")
    for form, canonical in TITLE_FORMS.items():
        if compact == form.replace(" ", ""):
            return canonical
    return text


# --- phones ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhoneValue:
    raw: str
    e164: str
    kind: str  # mobile | landline | unknown
    valid: bool
    extension: str = ""


_PHONE_SPLIT = re.compile(r"\s*(?:[/,;|\n]|หรือ|และ|\bor\b)\s*", re.IGNORECASE)
_PHONE_EXTENSION = re.compile(r"\s*(?:ต่อ|ext\.?|extn\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
_PHONE_LABEL = re.compile(
    r"^(?:โทรศัพท์|โทร\.?|มือถือ|เบอร์|บ้าน|ที่ทำงาน|tel\.?|mobile|mob\.?|phone|home|office)"
    r"\s*:?\s*",
    re.IGNORECASE,
)
# A note in brackets, "(มือถือ)", "(บ้าน)", "(office)": words, no digits.
_PHONE_NOTE = re.compile(r"\s*\([^)\d]*\)\s*")
_PHONE_CHARS = re.compile(r"^[\d\s\-+().]+$")
_THAI_MOBILE = re.compile(r"^[689]\d{8}$")
_LOCAL_MOBILE = re.compile(r"^0?([689]\d{8})$")
_INTERNATIONAL_MOBILE = re.compile(r"^\+66([689]\d{8})$")  # +66 81 234 5678
_PHONE_SEPARATORS = re.compile(r"[\s\-.()]")
_THAI_LANDLINE = re.compile(r"^[2-7]\d{7}$")
_DIGIT = re.compile(r"\d")
# One number and nothing else (no space, label, note, extension or second number): most cells.
_ONE_NUMBER = re.compile(r"[0-9][0-9\-.]{7,15}")
_NUMBER_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.FIXED_LINE: "landline",
}


def _complete_number(digits: str) -> bool:
    """Whether these digits already make a whole Thai number (so a space starts the next)."""
    if digits.startswith("66"):
        return len(digits) == (11 if digits[2:3] in {"6", "8", "9"} else 10)
    if digits.startswith("0"):
        return len(digits) == (10 if digits[1:2] in {"6", "8", "9"} else 9)
    if digits[:1] in {"6", "8", "9"}:
        return len(digits) == 9
    return len(digits) == 8


def _split_on_spaces(chunk: str) -> list[str]:
    if " " not in chunk or sum(map(str.isdigit, chunk)) <= 10:
        return [chunk]
    numbers: list[str] = []
    buffer = ""
    for token in chunk.split(" "):
        buffer = f"{buffer} {token}".strip()
        if _complete_number(re.sub(r"\D", "", buffer)):
            numbers.append(buffer)
            buffer = ""
    if buffer:
        numbers.append(buffer)
    return numbers


def _phone_value_slow(candidate: str, extension: str) -> PhoneValue:
    """The same as _phone_value, always through phonenumbers (tests compare the two)."""
    return _phone_value(candidate, extension, fast=False)


def _phone_value(candidate: str, extension: str, *, fast: bool = True) -> PhoneValue:
    raw = f"{candidate} ต่อ {extension}" if extension else candidate
    if not _PHONE_CHARS.match(candidate) or not _DIGIT.search(candidate):
        return PhoneValue(raw=raw, e164="", kind="unknown", valid=False, extension=extension)
    local = None
    if fast:
        compact = _PHONE_SEPARATORS.sub("", candidate)
        local = _LOCAL_MOBILE.match(compact) or _INTERNATIONAL_MOBILE.match(compact)
    if local:
        # The usual case, 0812345678 or +66 81 234 5678 however punctuated: the same answer
        # phonenumbers gives (tests hold them equal), without its cost on 10,000 rows.
        return PhoneValue(
            raw=raw, e164="+66" + local[1], kind="mobile", valid=True, extension=extension
        )
    text = candidate.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, "TH")
    except phonenumbers.NumberParseException:
        return PhoneValue(raw=raw, e164="", kind="unknown", valid=False, extension=extension)
    national = str(number.national_number)
    thai = number.country_code == 66
    # libphonenumber's metadata lags the regulator: whole 06x mobile ranges (069 ...) in use
    # are still "invalid" there, so a Thai 9-digit 6/8/9 national number counts as mobile.
    thai_mobile = thai and _THAI_MOBILE.match(national) is not None
    if not (thai_mobile or phonenumbers.is_valid_number(number)):
        return PhoneValue(raw=raw, e164="", kind="unknown", valid=False, extension=extension)
    if thai_mobile:
        kind = "mobile"
    elif thai and _THAI_LANDLINE.match(national):
        kind = "landline"
    else:
        kind = _NUMBER_TYPES.get(phonenumbers.number_type(number), "unknown")
    return PhoneValue(
        raw=raw,
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        kind=kind,
        valid=True,
        extension=extension,
    )


def parse_phones(value: object) -> list[PhoneValue]:
    """Every phone number in a cell, valid or not, in order; [] for an empty cell.

    Handles 0812345678, 081-234-5678, +66 81 234 5678, "02-143-8144 ต่อ 701", several numbers
    separated by / , ; or spaces, and numbers Excel stored as numbers (812345678).
    """
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return [_phone_value(str(value), "")]
        return [_phone_value(str(int(value)), "")]
    text = to_arabic_digits(clean_text(value))
    if _ONE_NUMBER.fullmatch(text):
        return [_phone_value(text, "")]  # what _phones_in_text gives (a test holds them equal)
    return _phones_in_text(text)


def _phones_in_text(text: str) -> list[PhoneValue]:
    phones: list[PhoneValue] = []
    for part in _PHONE_SPLIT.split(_PHONE_NOTE.sub(" ", text)):
        part = _PHONE_LABEL.sub("", part.strip())
        if not part:
            continue
        extension = ""
        match = _PHONE_EXTENSION.search(part)
        if match and match.start() > 0:
            extension = match[1]
            part = part[: match.start()].strip()
        for candidate in _split_on_spaces(part):
            phones.append(_phone_value(candidate, extension))
    return phones


def national_format(e164: str) -> str:
    """0812345678 from +66812345678 (digits only, as people type Thai numbers)."""
    number = phonenumbers.parse(e164, None)
    return "0" + str(number.national_number)


# --- e-mail ----------------------------------------------------------------------------------

_email_validator = EmailValidator()


def normalize_email(value: object) -> tuple[str, bool]:
    """(address, valid): lower-cased and trimmed; the raw text kept when it is not valid."""
    text = clean_text(value).replace(" ", "")
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if not text:
        return "", True
    address = text.lower()
    try:
        _email_validator(address)
    except ValidationError:
        return clean_text(value), False
    return address, True


# --- member type, national id, dates ---------------------------------------------------------

MEMBER_TYPES = {
    "สามัญ": "ordinary",
    "สมาชิกสามัญ": "ordinary",
    "ordinary": "ordinary",
    "สมทบ": "associate",
    "สมาชิกสมทบ": "associate",
    "associate": "associate",
}


def normalize_member_type(value: object) -> str | None:
    """ "ordinary" or "associate"; None for an empty cell; ValueError otherwise."""
    text = clean_text(value).replace(" ", "").lower()
    if not text:
        return None
    try:
        return MEMBER_TYPES[text]
    except KeyError:
        raise ValueError(text) from None


def normalize_national_id(value: object) -> str:
    """13 digits, checksum verified; ValueError otherwise."""
    from stdnum.th import pin

    text = to_arabic_digits(cell_text(value))
    digits = re.sub(r"[\s\-]", "", text)
    if not pin.is_valid(digits):
        raise ValueError(text)
    return digits


def normalize_date(value: object) -> dt.date | None:
    """Gregorian date from a date cell or BE text (15/06/2564, 15 มิ.ย. 2564); None if empty.

    Excel date cells holding a Buddhist-era year (a typist entered 2564) lose 543 years.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if value.year > 2400:
            return value.replace(year=value.year - BE_OFFSET)
        return value
    text = clean_text(value)
    if not text:
        return None
    return parse_thai_date(text)


# --- units -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownUnit:
    """A unit as the import sees it: plain data, so parsing needs no database."""

    key: str
    name: str
    abbreviation: str = ""
    kind: str = ""
    province: str = ""


_CENTRE_PREFIXES = (STUDY_CENTRE_PREFIX, STUDY_CENTRE_ABBREVIATION_PREFIX, "ศพช")
_OFFICE_PREFIXES = (
    "สำนักงานพัฒนาชุมชน",
    "สนง.พช.",
    "สนง.พัฒนาชุมชน",
    "สำนักงานพช.",
    "พัฒนาชุมชน",
    "พช.",
)
_PROVINCE_PREFIXES = ("จังหวัด", "จ.")


def unit_signature(text: str) -> tuple[str, str]:
    """(kind hint, core) of a unit as written: "สนง.พช.จ.ตาก" -> ("province", "ตาก").

    The kind hint is "centre", "province" or "" (nothing said); the core has no spaces or dots.
    """
    value = clean_text(text).replace(" ", "")
    kind = ""
    for prefix in _CENTRE_PREFIXES:
        if value.startswith(prefix) and len(value) > len(prefix):
            kind, value = "centre", value[len(prefix) :]
            break
    else:
        for prefix in _OFFICE_PREFIXES:
            if value.startswith(prefix) and len(value) > len(prefix):
                kind, value = "province", value[len(prefix) :]
                break
    for prefix in _PROVINCE_PREFIXES:
        if value.startswith(prefix) and len(value) > len(prefix):
            kind = kind or "province"
            value = value[len(prefix) :]
            break
    core = value.replace(".", "")
    return kind, core


def unit_province(unit: KnownUnit) -> str:
    """The province a provincial office or study centre belongs to ("" for others)."""
    if unit.province:
        return unit.province
    kind, core = unit_signature(unit.name)
    if kind and core in _abbreviations():
        return core
    return ""


class UnitResolver:
    """Finds the known unit a cell means, however the office wrote it."""

    def __init__(self, units: Iterable[KnownUnit]) -> None:
        self.units = list(units)
        self._index: dict[tuple[str, str], str] = {}
        self._names: dict[str, str] = {}
        self._cache: dict[str, str | None] = {}
        for unit in self.units:
            self._add(unit)

    def _add(self, unit: KnownUnit) -> None:
        kind_hint = "centre" if unit.kind == "centre" else "province"
        keys: list[tuple[str, str]] = [("", unit_signature(unit.name)[1])]
        if unit.abbreviation:
            keys.append(("", unit.abbreviation.replace(".", "").replace(" ", "")))
            abbr_kind, abbr_core = unit_signature(unit.abbreviation)
            if abbr_kind:
                keys.append((abbr_kind, abbr_core))
        keys.append(unit_signature(unit.name))
        if unit.kind in {"province", "centre"}:
            province = unit_province(unit)
            if province:
                keys.append((kind_hint, province))
                abbreviation = _abbreviations()[province]
                keys.append((kind_hint, abbreviation))
                if unit.kind == "province":
                    keys.append(("", province))
                    keys.append(("", abbreviation))
        for key in keys:
            # A provincial office owns the bare province name; a centre never takes it over.
            self._index.setdefault(key, unit.key)
        self._names[unit.name] = unit.key
        if unit.abbreviation:
            self._names[unit.abbreviation] = unit.key

    def resolve(self, text: object) -> str | None:
        """The key of the unit meant, or None when no known unit matches."""
        written = clean_text(text)
        if written in self._cache:
            return self._cache[written]
        kind, core = unit_signature(written)
        key = self._index.get((kind, core))
        if key is None and not kind:
            key = self._index.get(("", core))
        if key is None and kind == "province" and core in _provinces_by_abbreviation():
            key = self._index.get(("province", _provinces_by_abbreviation()[core]))
        self._cache[written] = key
        return key

    def suggest(self, text: object) -> str:
        """The name of the closest known unit, or "" when nothing is close."""
        written = clean_text(text)
        kind, core = unit_signature(written)
        candidates: dict[str, str] = {}
        for unit in self.units:
            candidates[unit.name] = unit.name
            candidates[unit_signature(unit.name)[1]] = unit.name
            province = unit_province(unit)
            if province and (unit.kind or "province") == (kind or "province"):
                candidates[province] = unit.name
        for probe in (written, core):
            close = difflib.get_close_matches(probe, list(candidates), n=1, cutoff=0.6)
            if close:
                return candidates[close[0]]
        return ""


def centre_from_name(text: str) -> tuple[str, str, str] | None:
    """(name, kind, abbreviation) for a study centre named by province, e.g.
    "ศพช.ลำปาง" -> ("ศูนย์ศึกษาและพัฒนาชุมชนลำปาง", "centre", "ศพช.ลป"); None otherwise."""
    kind, core = unit_signature(text)
    if kind != "centre":
        return None
    province = _provinces_by_abbreviation().get(core, core)
    if province not in _abbreviations():
        return None
    return study_centre_name(province), "centre", study_centre_abbreviation(province)


def office_from_name(text: str) -> tuple[str, str, str] | None:
    """(name, kind, abbreviation) for a provincial office named by province; None otherwise."""
    kind, core = unit_signature(text)
    if kind == "centre":
        return None
    province = _provinces_by_abbreviation().get(core, core) if kind else core
    if province not in _abbreviations() or province == BANGKOK:
        return None
    return province_office_name(province), "province", _abbreviations()[province]
