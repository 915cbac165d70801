import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pythainlp.util import collate

from tocnet.core.audit import redact
from tocnet.core.templatetags.thai import masked_pin, thai_date
from tocnet.core.thai import (
    clean_text,
    format_thai_date,
    keyword_lines,
    national_id_masked,
    parse_thai_date,
    thai_sort_key,
    to_arabic_digits,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/06/2564", dt.date(2021, 6, 15)),
        ("๑๕/๐๖/๒๕๖๔", dt.date(2021, 6, 15)),
        ("15 มิ.ย. 2564", dt.date(2021, 6, 15)),
        ("15 มิถุนายน 2564", dt.date(2021, 6, 15)),
        ("15 มิ.ย. 64", dt.date(2021, 6, 15)),
        ("2021-06-15", dt.date(2021, 6, 15)),
        ("1/1/2021", dt.date(2021, 1, 1)),
    ],
)
def test_it_parses_buddhist_era_dates(text: str, expected: dt.date) -> None:
    assert parse_thai_date(text) == expected


@pytest.mark.parametrize("text", ["", "31/02/2564", "15 Foo 2564", "abc"])
def test_it_refuses_unreadable_dates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_thai_date(text)


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_it_round_trips_thai_dates(day: dt.date) -> None:
    assert parse_thai_date(format_thai_date(day)) == day
    assert parse_thai_date(format_thai_date(day, full=True)) == day


def test_it_formats_the_deadline_in_buddhist_era() -> None:
    assert thai_date(dt.date(2021, 6, 15)) == "15 มิ.ย. 2564"
    assert thai_date(dt.date(2021, 6, 15), "full") == "15 มิถุนายน 2564"


@given(st.text(alphabet="๐๑๒๓๔๕๖๗๘๙0123456789", max_size=20))
def test_it_maps_thai_digits(text: str) -> None:
    out = to_arabic_digits(text)
    assert out.isdigit() or out == ""
    assert len(out) == len(text)


def test_it_cleans_spaces_and_zero_width_characters() -> None:
    assert clean_text("  สม\u200bชาย   ใจ\u00a0ดี \ufeff") == "สมชาย ใจ ดี"


@given(st.lists(st.text(alphabet="กขคงจฉเแโใไ่้๊๋ะาิีึืุู", min_size=1, max_size=6), max_size=12))
@example(["\u0e48\u0e48", "\u0e48"])
def test_it_sorts_like_pythainlp_collate(words: list[str]) -> None:
    # Our order refines collate's: collate (a stable sort) leaves it as it is. Where collate
    # ties (it reads only the first tone mark: ่่ and ่), ours still decides.
    ours = sorted(words, key=thai_sort_key)
    assert collate(ours) == ours


def test_it_sorts_leading_vowels_by_their_consonant() -> None:
    names = ["ไก่", "เกิด", "กาล", "เป็ด", "หมู", "วัว", "วันที่"]
    assert sorted(names, key=thai_sort_key) == collate(names)


def test_it_masks_national_ids_and_redacts_them_from_audit() -> None:
    assert masked_pin("1101700203451") == "x-xxxx-xxxxx-45-1"
    assert masked_pin("") == ""


def test_an_id_is_masked_the_same_way_wherever_it_is_shown() -> None:
    # Pages (the filter) and import messages (a mistyped ID) show the same last three digits.
    assert national_id_masked("1-1017-00203-45-1") == masked_pin("1101700203451")
    assert national_id_masked("๑๑๐๑๗๐๐๒๐๓๔๕๑") == "x-xxxx-xxxxx-45-1"
    assert national_id_masked("110170020") == "••••••020"
    assert national_id_masked("12") == "••"
    assert redact({"national_id": "1101700203451", "first_name": "ก"}) == {
        "national_id": "[redacted]",
        "first_name": "ก",
    }


def test_keyword_lines_are_trimmed_folded_and_deduplicated() -> None:
    typed = "  กู้สามัญ \r\n\nกู้\u200bสามัญ\nATM, atm\nกู้   ๑๒  งวด\nกู้ 12 งวด\n"
    assert keyword_lines(typed) == ["กู้สามัญ", "atm", "กู้ 12 งวด"]
    assert keyword_lines("") == []
    assert keyword_lines(" \n , ") == []
