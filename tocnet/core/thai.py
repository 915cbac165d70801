"""Thai display and parsing rules in one place: digits, Buddhist-era dates, collation."""

import datetime as dt
import re
import unicodedata
from functools import cache

BE_OFFSET = 543
THAI_MONTHS_SHORT = [
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
]  # fmt: skip
THAI_MONTHS_FULL = [
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
]  # fmt: skip
ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def to_arabic_digits(text: str) -> str:
    """Thai digits ๐-๙ become 0-9; everything else is kept."""
    return text.translate(_THAI_DIGITS)


_NEEDS_CLEANING = re.compile(r"^\s|\s$|\s\s|[^\S ]|[" + "".join(chr(c) for c in ZERO_WIDTH) + "]")


def national_id_masked(text: str) -> str:
    """What any page or message may show of a national ID (PDPA): its last three digits,
    x-xxxx-xxxxx-12-3 for a 13-digit ID, bullets and the last three for anything else typed."""
    digits = re.sub(r"\D", "", to_arabic_digits(text or ""))
    if len(digits) == 13:
        return f"x-xxxx-xxxxx-{digits[-3:-1]}-{digits[-1]}"
    if len(digits) <= 3:
        return "•" * len(digits)
    return "•" * (len(digits) - 3) + digits[-3:]


def clean_text(text: object) -> str:
    """Trimmed text without zero-width characters, runs of white space folded to one space.

    Text that is already clean (most cells: a workbook has 100,000 of them) is returned at
    once; the rest goes through `_fold`.
    """
    if text is None:
        return ""
    value = text if isinstance(text, str) else str(text)
    if _NEEDS_CLEANING.search(value) is None and unicodedata.is_normalized("NFC", value):
        return value
    return _fold(value)


def _fold(text: str) -> str:
    value = unicodedata.normalize("NFC", text).translate(ZERO_WIDTH)
    value = value.replace("\u00a0", " ")
    return re.sub(r"\s+", " ", value).strip()


def keyword_lines(text: str) -> list[str]:
    """Keywords typed one per line (commas also separate): each cleaned like any text
    (`clean_text`), Thai digits as 0-9, lower-cased; blank lines and repeats dropped, the
    first occurrence kept in its place."""
    found: dict[str, None] = {}
    for part in re.split(r"[\n\r,]+", text or ""):
        keyword = to_arabic_digits(clean_text(part)).lower()
        if keyword:
            found.setdefault(keyword)
    return list(found)


_RE_TONE = re.compile(r"[\u0e47-\u0e4c]")
_RE_LEADING_VOWEL = re.compile(r"([\u0e40-\u0e44])([\u0e01-\u0e2e])")


@cache
def _sort_key_cached(text: str) -> tuple[str, ...]:
    return tuple(_thai_word_key(word) for word in text.split(" "))


def _thai_word_key(word: str) -> str:
    # Same rule as pythainlp.util.collate: leading vowels (เ แ โ ใ ไ) sort by the consonant
    # after them, tone marks only break ties.
    base = _RE_LEADING_VOWEL.sub(r"\2\1", _RE_TONE.sub("", word))
    return base + "".join(_RE_TONE.findall(word))


def thai_sort_key(text: str) -> tuple[str, ...]:
    """Sort key for Thai names in dictionary order, word by word (pythainlp collate's rule)."""
    return _sort_key_cached(clean_text(text))


def parse_thai_date(text: str) -> dt.date:
    """Parse 15/06/2564, 15-06-2564, 2564-06-15 or 15 มิ.ย. 2564 (Buddhist era) into a date.

    Years above 2400 are Buddhist era and lose 543; smaller years are Gregorian.
    Raises ValueError with a message naming the value when it cannot be read.
    """
    value = to_arabic_digits(clean_text(text))
    match = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})", value)
    if match:
        day, month, year = (int(g) for g in match.groups())
    elif match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value):
        year, month, day = (int(g) for g in match.groups())
    else:
        match = re.fullmatch(r"(\d{1,2})\s*([^\d\s]+)\s*(\d{2,4})", value)
        if not match:
            raise ValueError(f"unreadable date: {text!r}")
        day, month_name, year = int(match[1]), match[2], int(match[3])
        named_month = _month_number(month_name)
        if named_month is None:
            raise ValueError(f"unknown month in date: {text!r}")
        month = named_month
    if year < 100:
        year += 2500 if year >= 40 else 2600  # two-digit BE years: 64 -> 2564
    if year > 2400:
        year -= BE_OFFSET
    return dt.date(year, month, day)


def _month_number(name: str) -> int | None:
    compact = name.replace(".", "").replace(" ", "")
    for index, (short, full) in enumerate(zip(THAI_MONTHS_SHORT, THAI_MONTHS_FULL, strict=True)):
        if compact in {short.replace(".", ""), full}:
            return index + 1
    return None


def format_thai_date(value: dt.date | dt.datetime | None, *, full: bool = False) -> str:
    """15 มิ.ย. 2564 (or 15 มิถุนายน 2564 with full=True); empty for None."""
    if value is None:
        return ""
    months = THAI_MONTHS_FULL if full else THAI_MONTHS_SHORT
    return f"{value.day} {months[value.month - 1]} {be_year(value)}"


def format_thai_date_numeric(value: dt.date) -> str:
    """15/06/2564: the form parse_thai_date reads back (date fields people type into)."""
    return f"{value.day:02d}/{value.month:02d}/{be_year(value)}"


def be_year(value: dt.date) -> int:
    """The Buddhist-era year of a date (2026 -> 2569)."""
    return value.year + BE_OFFSET


__all__ = [
    "be_year",
    "clean_text",
    "format_thai_date",
    "format_thai_date_numeric",
    "parse_thai_date",
    "thai_sort_key",
    "to_arabic_digits",
]


def phone_display(e164: str, raw: str = "", extension: str = "") -> str:
    """How people read a phone number: 081-234-5678, 02-123-4567, 053-123-456 (ต่อ 12).

    Thai numbers in the national format everywhere people read them; E.164 (+66812345678) only
    where machines do (tel: links, LINE, SMS). A number that could not be read shows as typed.
    """
    if e164.startswith("+66"):
        national = "0" + e164[3:]
        if len(national) == 10:
            text = f"{national[:3]}-{national[3:6]}-{national[6:]}"
        elif len(national) == 9 and national.startswith("02"):
            text = f"{national[:2]}-{national[2:5]}-{national[5:]}"
        elif len(national) == 9:
            text = f"{national[:3]}-{national[3:6]}-{national[6:]}"
        else:
            text = national
    elif e164.startswith("+"):
        import phonenumbers

        try:
            number = phonenumbers.parse(e164, None)
            text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        except phonenumbers.NumberParseException:
            text = e164
    else:
        text = raw
    return f"{text} ต่อ {extension}" if extension and text else text
