"""Cell normalisers: examples for each kind of mess, and hypothesis properties."""

import datetime as dt
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocnet.core.thai import _fold, clean_text
from tocnet.members.importing.normalize import (
    KnownUnit,
    UnitResolver,
    _phone_value,
    _phone_value_slow,
    _phones_in_text,
    centre_from_name,
    clean_name,
    national_format,
    normalize_date,
    normalize_email,
    normalize_member_number,
    normalize_member_type,
    normalize_title,
    office_from_name,
    parse_phones,
    split_full_name,
    split_title,
)

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"]
SPACES = [" ", "  ", "\u00a0", "\t"]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def to_thai_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", THAI_DIGITS))


# --- member numbers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("500137", "500137"),
        (500137, "500137"),
        (500137.0, "500137"),
        ("๕๐๐๑๓๗", "500137"),
        (" 500137 ", "500137"),
        ("'500137", "500137"),
        ("500137.0", "500137"),
        ("000123", "123"),
        ("\u200b500137", "500137"),
        (None, None),
        ("", None),
        ("   ", None),
    ],
)
def test_member_number_examples(value: object, expected: str | None) -> None:
    assert normalize_member_number(value) == expected


@pytest.mark.parametrize("value", ["ABC", "50-0137", "5001.5", 5001.5, "0", 0, True, "1" * 13])
def test_member_number_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        normalize_member_number(value)


@settings(max_examples=200, deadline=None)
@given(
    number=st.integers(min_value=1, max_value=10**12 - 1),
    zeros=st.integers(min_value=0, max_value=3),
    form=st.sampled_from(["int", "float", "text", "thai", "padded"]),
)
def test_member_number_is_the_same_however_the_cell_stores_it(
    number: int, zeros: int, form: str
) -> None:
    text = "0" * zeros + str(number)
    value: object = {
        "int": number,
        "float": float(number),
        "text": text,
        "thai": to_thai_digits(text),
        "padded": f"  {text}\u200b ",
    }[form]
    canonical = normalize_member_number(value)
    assert canonical == str(number)
    assert normalize_member_number(canonical) == canonical  # idempotent


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=12))
def test_member_number_is_digits_or_refused(text: str) -> None:
    try:
        result = normalize_member_number(text)
    except ValueError:
        return
    assert result is None or (result.isascii() and result.isdigit() and result[0] != "0")


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("นางสาวสุนทร ภูมิใจ", ("นางสาว", "สุนทร", "ภูมิใจ")),
        ("นาง สมศรี  ใจดี", ("นาง", "สมศรี", "ใจดี")),
        ("น.ส. มาลี ทองคำ", ("นางสาว", "มาลี", "ทองคำ")),
        ("ว่าที่ร้อยตรีสมชาย ใจดี", ("ว่าที่ร้อยตรี", "สมชาย", "ใจดี")),
        ("ว่าที่ ร.ต. สมชาย ใจดี", ("ว่าที่ร้อยตรี", "สมชาย", "ใจดี")),
        ("ดร.ปัญญา ทองดี", ("ดร.", "ปัญญา", "ทองดี")),
        ("นายสมชาย ณ อยุธยา", ("นาย", "สมชาย", "ณ อยุธยา")),
        (" \u200bนาย\u200b  วิชัย\u00a0 ศรีสุข ", ("นาย", "วิชัย", "ศรีสุข")),
        ("สมชาย ใจดี", ("", "สมชาย", "ใจดี")),
        ("นาย", ("", "นาย", "")),
    ],
)
def test_split_full_name_examples(cell: str, expected: tuple[str, str, str]) -> None:
    assert split_full_name(cell) == expected


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("น.ส.", "นางสาว"), ("นส.", "นางสาว"), ("ว่าที่ ร.ต.", "ว่าที่ร้อยตรี"), (" นาย ", "นาย")],
)
def test_normalize_title(cell: str, expected: str) -> None:
    assert normalize_title(cell) == expected


thai_word = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from("กขคงจฉชซญดตถทนบปผพฟภมยรลวศสหอฮเแโใไ"),
    st.text(alphabet="กขคงจฉชซญดตถทนบปผพฟภมยรลวศสหอฮะาิีึืุู่้๊๋ั", max_size=7),
)
titles = st.sampled_from(["นาย", "นาง", "นางสาว", "น.ส.", "ว่าที่ร้อยตรี", "ดร.", ""])


@settings(max_examples=200, deadline=None)
@given(
    title=titles,
    first=thai_word.filter(lambda w: not w.startswith(("นา", "ดร", "ว่า", "น.", "นส"))),
    last=thai_word,
    junk=st.lists(st.sampled_from(ZERO_WIDTH + SPACES), max_size=4),
)
def test_split_full_name_recovers_the_parts(
    title: str, first: str, last: str, junk: list[str]
) -> None:
    mess = "".join(junk)
    cell = f"{mess}{title}{mess}{first}{mess} {mess}{last}{mess}"
    got_title, got_first, got_last = split_full_name(cell)
    assert got_title == {"น.ส.": "นางสาว"}.get(title, title)
    # Cleaning puts Thai combining marks in canonical (NFC) order.
    assert (got_first, got_last) == (nfc(first), nfc(last))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_clean_name_has_no_zero_width_or_double_spaces(text: str) -> None:
    cleaned = clean_name(text)
    assert not any(z in cleaned for z in ZERO_WIDTH)
    assert "  " not in cleaned
    assert cleaned == cleaned.strip()
    assert clean_name(cleaned) == cleaned
    _title, rest = split_title(cleaned)
    assert rest == rest.strip()


# --- phones ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("0812345678", [("+66812345678", "mobile", "")]),
        ("081-234-5678", [("+66812345678", "mobile", "")]),
        ("+66 81 234 5678", [("+66812345678", "mobile", "")]),
        ("081 234 5678", [("+66812345678", "mobile", "")]),
        (812345678, [("+66812345678", "mobile", "")]),
        (812345678.0, [("+66812345678", "mobile", "")]),
        ("812345678", [("+66812345678", "mobile", "")]),
        ("๐๘๑๒๓๔๕๖๗๘", [("+66812345678", "mobile", "")]),
        ("02-143-8144 ต่อ 701", [("+6621438144", "landline", "701")]),
        ("053-123456", [("+6653123456", "landline", "")]),
        (
            "081-234-5678 / 089-876-5432",
            [("+66812345678", "mobile", ""), ("+66898765432", "mobile", "")],
        ),
        (
            "0812345678, 02-143-8144",
            [("+66812345678", "mobile", ""), ("+6621438144", "landline", "")],
        ),
        (
            "0812345678 0898765432",
            [("+66812345678", "mobile", ""), ("+66898765432", "mobile", "")],
        ),
        ("โทร. 0812345678", [("+66812345678", "mobile", "")]),
        ("0691234567", [("+66691234567", "mobile", "")]),
        (
            "081-234-5678 (มือถือ), 02-143-8144 (ที่ทำงาน)",
            [("+66812345678", "mobile", ""), ("+6621438144", "landline", "")],
        ),
        ("บ้าน 053-123456", [("+6653123456", "landline", "")]),
    ],
)
def test_parse_phones_examples(cell: object, expected: list[tuple[str, str, str]]) -> None:
    phones = parse_phones(cell)
    assert [(p.e164, p.kind, p.extension) for p in phones] == expected
    assert all(p.valid for p in phones)


@pytest.mark.parametrize("cell", ["08-12", "1111", "ไม่มี", "081234567890123", "abc-def"])
def test_parse_phones_keeps_broken_numbers_raw(cell: str) -> None:
    phones = parse_phones(cell)
    assert phones and not any(p.valid for p in phones)
    assert all(p.e164 == "" for p in phones)
    assert "".join(p.raw for p in phones).replace(" ", "") == cell.replace(" ", "")


def test_parse_phones_empty() -> None:
    assert parse_phones(None) == []
    assert parse_phones("  ") == []


mobile_digits = st.from_regex(r"0[689][0-9]{8}", fullmatch=True)
landline_digits = st.from_regex(r"0[23457][0-9]{7}", fullmatch=True)  # 06 is mobile


def format_mobile(digits: str, style: int) -> object:
    if style == 0:
        return digits
    if style == 1:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if style == 2:
        return f"+66 {digits[1:3]} {digits[3:6]} {digits[6:]}"
    if style == 3:
        return int(digits)  # Excel dropped the leading zero
    return to_thai_digits(digits)


@settings(max_examples=200, deadline=None)
@given(digits=mobile_digits, style=st.integers(0, 4))
def test_parse_phones_gives_e164_for_any_written_form_of_a_mobile(digits: str, style: int) -> None:
    [phone] = parse_phones(format_mobile(digits, style))
    assert phone.valid
    assert phone.kind == "mobile"
    assert phone.e164 == "+66" + digits[1:]
    assert national_format(phone.e164) == digits


@settings(max_examples=100, deadline=None)
@given(
    numbers=st.lists(mobile_digits | landline_digits, min_size=1, max_size=3),
    separator=st.sampled_from([" / ", ", ", "; ", " ", "/", "\n", " หรือ "]),
)
def test_parse_phones_splits_several_numbers(numbers: list[str], separator: str) -> None:
    phones = parse_phones(separator.join(numbers))
    valid_numbers = [n for n in numbers if parse_phones(n)[0].valid]
    assert [national_format(p.e164) for p in phones if p.valid] == valid_numbers


@settings(max_examples=100, deadline=None)
@given(digits=landline_digits, extension=st.from_regex(r"[1-9][0-9]{0,3}", fullmatch=True))
def test_parse_phones_keeps_the_extension(digits: str, extension: str) -> None:
    phones = parse_phones(f"{digits[:2]}-{digits[2:5]}-{digits[5:]} ต่อ {extension}")
    assert len(phones) == 1
    assert phones[0].extension == extension


# --- e-mail, member type, dates ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Somchai@Example.COM", ("somchai@example.com", True)),
        (" a.b@mail.go.th ", ("a.b@mail.go.th", True)),
        ("mailto:x@y.co", ("x@y.co", True)),
        ("somchai@@mail", ("somchai@@mail", False)),
        ("somchai at mail", ("somchai at mail", False)),
        (None, ("", True)),
    ],
)
def test_normalize_email(cell: object, expected: tuple[str, bool]) -> None:
    assert normalize_email(cell) == expected


def test_member_type() -> None:
    assert normalize_member_type("สามัญ") == "ordinary"
    assert normalize_member_type(" สมทบ ") == "associate"
    assert normalize_member_type(None) is None
    with pytest.raises(ValueError):
        normalize_member_type("พิเศษ")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("15/06/2564", dt.date(2021, 6, 15)),
        ("15 มิ.ย. 2564", dt.date(2021, 6, 15)),
        ("๑๕ มิถุนายน ๒๕๖๔", dt.date(2021, 6, 15)),
        ("15/6/64", dt.date(2021, 6, 15)),
        (dt.datetime(2564, 6, 15), dt.date(2021, 6, 15)),  # BE typed into a date cell
        (dt.datetime(2021, 6, 15), dt.date(2021, 6, 15)),
        (None, None),
    ],
)
def test_normalize_date(cell: object, expected: dt.date | None) -> None:
    assert normalize_date(cell) == expected


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_be_dates_round_trip(day: dt.date) -> None:
    assert normalize_date(f"{day.day:02d}/{day.month:02d}/{day.year + 543}") == day


# --- units -----------------------------------------------------------------------------------

UNITS = [
    KnownUnit("tak", "สำนักงานพัฒนาชุมชนจังหวัดตาก", "ตก", "province", "ตาก"),
    KnownUnit("lp", "สำนักงานพัฒนาชุมชนจังหวัดลำปาง", "ลป", "province", "ลำปาง"),
    KnownUnit("lp-centre", "ศูนย์ศึกษาและพัฒนาชุมชนลำปาง", "ศพช.ลป", "centre", "ลำปาง"),
    KnownUnit("cb", "สำนักงานพัฒนาชุมชนจังหวัดจันทบุรี", "จบ", "province", "จันทบุรี"),
    KnownUnit("pension", "ข้าราชการบำนาญส่วนกลาง", "บณก", "pension"),
    KnownUnit("other", "หน่วยงานอื่น", "อื่น", "other"),
]
resolver = UnitResolver(UNITS)


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("สำนักงานพัฒนาชุมชนจังหวัดตาก", "tak"),
        ("สนง.พช.จ.ตาก", "tak"),
        ("พช.จ.ตาก", "tak"),
        ("จ.ตาก", "tak"),
        ("ตาก", "tak"),
        ("จังหวัดตาก", "tak"),
        ("สำนักงานพัฒนาชุมชน จ.ตาก", "tak"),
        ("ตก", "tak"),
        ("จันทบุรี", "cb"),
        ("จ.จันทบุรี", "cb"),
        ("ลำปาง", "lp"),
        ("ศูนย์ศึกษาและพัฒนาชุมชนลำปาง", "lp-centre"),
        ("ศพช.ลำปาง", "lp-centre"),
        ("ศพช.ลป", "lp-centre"),
        ("ศพช. ลป.", "lp-centre"),
        ("ข้าราชการบำนาญส่วนกลาง", "pension"),
        ("บณก", "pension"),
        ("หน่วยงานอื่น", "other"),
        ("สำนักงานพัฒนาชุมชนจังหวัดน่าน", None),
        ("ศพช.ตาก", None),
        ("กรมการพัฒนาชุมชน", None),
    ],
)
def test_unit_resolution(written: str, key: str | None) -> None:
    assert resolver.resolve(written) == key


def test_unit_suggestion_for_a_typo() -> None:
    assert resolver.suggest("สำนักงานพัฒนาชุมชนจังหวัดตากก") == "สำนักงานพัฒนาชุมชนจังหวัดตาก"
    assert resolver.suggest("ศูนย์ศึกษาพัฒนาชุมชนลำปาง") == "ศูนย์ศึกษาและพัฒนาชุมชนลำปาง"
    assert resolver.suggest("zzzz") == ""


unit_forms = st.sampled_from(
    [
        "สำนักงานพัฒนาชุมชนจังหวัด{p}",
        "สนง.พช.จ.{p}",
        "พช.จ.{p}",
        "จ.{p}",
        "{p}",
        "สำนักงานพัฒนาชุมชน จ.{p}",
        "{a}",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    unit=st.sampled_from([u for u in UNITS if u.kind == "province"]),
    form=unit_forms,
    junk=st.lists(st.sampled_from([*ZERO_WIDTH, " ", "  "]), max_size=3),
)
def test_every_written_form_of_a_province_office_resolves(
    unit: KnownUnit, form: str, junk: list[str]
) -> None:
    mess = "".join(junk)
    written = mess + form.format(p=unit.province, a=unit.abbreviation) + mess
    assert resolver.resolve(written) == unit.key


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=20))
def test_unit_resolution_never_guesses_a_centre_for_a_province_word(text: str) -> None:
    key = resolver.resolve(text)
    assert key is None or key in {u.key for u in UNITS}
    if key == "lp-centre":
        assert "ศ" in text


def test_centre_from_name() -> None:
    assert centre_from_name("ศูนย์ศึกษาและพัฒนาชุมชนตาก") == (
        "ศูนย์ศึกษาและพัฒนาชุมชนตาก",
        "centre",
        "ศพช.ตก",
    )
    assert centre_from_name("ศพช.ชลบุรี") == ("ศูนย์ศึกษาและพัฒนาชุมชนชลบุรี", "centre", "ศพช.ชบ")
    assert centre_from_name("สำนักงานพัฒนาชุมชนจังหวัดตาก") is None
    assert centre_from_name("ศพช.ไม่มีจังหวัดนี้") is None


def test_office_from_name() -> None:
    assert office_from_name("สนง.พช.จ.น่าน") == ("สำนักงานพัฒนาชุมชนจังหวัดน่าน", "province", "นน")
    assert office_from_name("กรมการพัฒนาชุมชน") is None


@settings(max_examples=300, deadline=None)
@given(
    digits=st.from_regex(r"0?[0-9]{8,10}", fullmatch=True),
    style=st.integers(0, 2),
)
def test_the_fast_mobile_path_agrees_with_phonenumbers(digits: str, style: int) -> None:
    written = [digits, f"{digits[:3]}-{digits[3:6]}-{digits[6:]}", f"({digits[:3]}) {digits[3:]}"][
        style
    ]
    assert _phone_value(written, "") == _phone_value_slow(written, "")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20))
def test_the_fast_cleaner_agrees_with_the_full_fold(text: str) -> None:
    assert clean_text(text) == _fold(text)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[0-9][0-9\-.]{7,15}", fullmatch=True))
def test_a_cell_with_one_number_reads_as_the_general_path_reads_it(text: str) -> None:
    assert parse_phones(text) == _phones_in_text(text)


@given(
    digits=st.from_regex(r"[0-9]{8,10}", fullmatch=True),
    style=st.integers(0, 3),
)
def test_the_fast_path_agrees_with_phonenumbers_on_international_numbers(
    digits: str, style: int
) -> None:
    written = [
        f"+66{digits}",
        f"+66 {digits[:2]} {digits[2:5]} {digits[5:]}",
        f"+66-{digits[:2]}-{digits[2:5]}-{digits[5:]}",
        f"+66 ({digits[:2]}) {digits[2:]}",
    ][style]
    assert _phone_value(written, "") == _phone_value_slow(written, "")
