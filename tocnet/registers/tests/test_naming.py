"""Register group names: generation by the convention, the tolerant parser, round trips."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythainlp.corpus import provinces

from tocnet.registers.naming import (
    LINE_GROUP_NAME_MAX_CHARS,
    RegisterName,
    RegisterNameParser,
    RegisterNameProblem,
    RegisterNameProblemCode,
    parse_register_name,
    register_group_name,
)

PROVINCE_ABBREVIATIONS = [
    p["abbr_th"] for p in provinces(details=True) if p["name_th"] != "กรุงเทพมหานคร"
]
CENTRE_ABBREVIATIONS = [f"ศพช.{abbr}" for abbr in PROVINCE_ABBREVIATIONS]
ALL_ABBREVIATIONS = [
    *PROVINCE_ABBREVIATIONS,
    *CENTRE_ABBREVIATIONS,
    "บณก",
    "อื่น",
    "สนก",
    "สก.กลาง",
]
PARSER = RegisterNameParser(ALL_ABBREVIATIONS)

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"]


def test_it_has_the_76_provinces_but_bangkok():
    assert len(PROVINCE_ABBREVIATIONS) == 76
    assert "กท" not in PROVINCE_ABBREVIATIONS and "กทม" not in PROVINCE_ABBREVIATIONS


@pytest.mark.parametrize(
    ("abbreviation", "number", "expected"),
    [
        ("กพ", 1, "สอ.พช.กพ.1"),
        ("นว", 3, "สอ.พช.นว.3"),
        ("บณก", 1, "สอ.พช.บณก.1"),
        ("ศพช.ลป", None, "สอ.พช.ศพช.ลป."),
        ("ศพช.ลป.", None, "สอ.พช.ศพช.ลป."),
        (" กพ ", 12, "สอ.พช.กพ.12"),
        ("พช", 2, "สอ.พช.พช.2"),
    ],
)
def test_it_generates_names_by_the_convention(abbreviation, number, expected):
    assert register_group_name(abbreviation, number) == expected


@pytest.mark.parametrize(("abbreviation", "number"), [("", 1), ("กพ", 0), ("กพ", -1), (".", None)])
def test_it_refuses_impossible_names(abbreviation, number):
    with pytest.raises(ValueError):
        register_group_name(abbreviation, number)


def test_it_refuses_names_longer_than_line_allows():
    with pytest.raises(ValueError, match="LINE allows 50"):
        register_group_name("ก" * 44, 1)


def test_every_real_name_fits_lines_group_name_limit():
    longest = max(
        (register_group_name(abbr, n) for abbr in ALL_ABBREVIATIONS for n in (None, 1, 999)),
        key=len,
    )
    assert len(longest) <= LINE_GROUP_NAME_MAX_CHARS
    assert LINE_GROUP_NAME_MAX_CHARS == 50


@pytest.mark.parametrize(
    ("text", "abbreviation", "number"),
    [
        ("สอ.พช.กพ.1", "กพ", 1),
        ("สอ.พช. นว. 3", "นว", 3),
        ("สอ.พช.กพ.-1", "กพ", 1),
        ("สอ.พช.กพ. - 1", "กพ", 1),
        ("สอ.พช.กพ.๑", "กพ", 1),
        ("สอ.พช.นว.๑๒", "นว", 12),
        ("สอพชกพ1", "กพ", 1),
        ("สอ.พช.กพ1", "กพ", 1),
        ("สอ..พช..กพ..1", "กพ", 1),
        ("สอ.พช.กพ.1.", "กพ", 1),
        ("กลุ่ม สอ.พช.กพ.1 ครับ", "กพ", 1),
        ("ชื่อกลุ่ม: สอ.พช.บณก.7 (ผู้แทน)", "บณก", 7),
        ("สอ.พช.ศพช.ลป.", "ศพช.ลป", None),
        ("สอ.พช.ศพช.ลป", "ศพช.ลป", None),
        ("สอ.พช.ศพช ลป", "ศพช.ลป", None),
        ("สอ.พช.ศพชลป.2", "ศพช.ลป", 2),
        ("สอ.พช.\u200bกพ.\u200d1", "กพ", 1),
        ("\ufeffสอ.พช.กพ.1", "กพ", 1),
        ("สอ.พช.พช.2", "พช", 2),
        ("สอ.พช.ลป.3", "ลป", 3),
        ("สอ.พช.อื่น.1", "อื่น", 1),
        ("สอ.พช.กพ.01", "กพ", 1),
        ("สอ．พช．กพ．1", "กพ", 1),
        ("สอ.พช.กพ–1", "กพ", 1),
    ],
)
def test_it_reads_names_as_people_type_them(text, abbreviation, number):
    assert PARSER.parse(text) == RegisterName(abbreviation=abbreviation, number=number)


@pytest.mark.parametrize(
    ("text", "code", "token"),
    [
        ("กลุ่มเพื่อนครู 1", RegisterNameProblemCode.NOT_COOPERATIVE_PREFIX, None),
        ("สอ.กพ.1", RegisterNameProblemCode.NOT_COOPERATIVE_PREFIX, None),
        ("", RegisterNameProblemCode.NOT_COOPERATIVE_PREFIX, None),
        ("สอ.พช.กท.1", RegisterNameProblemCode.UNKNOWN_ABBREVIATION, "กท"),
        ("สอ.พช.กพx.1", RegisterNameProblemCode.UNKNOWN_ABBREVIATION, "กพx"),
        ("สอ.พช.กพข.1", RegisterNameProblemCode.UNKNOWN_ABBREVIATION, "กพข"),
        ("สอ.พช.ศพช.กท.2", RegisterNameProblemCode.UNKNOWN_ABBREVIATION, "ศพช.กท"),
        ("สอ.พช.", RegisterNameProblemCode.UNKNOWN_ABBREVIATION, None),
        ("สอ.พช.กพ.0", RegisterNameProblemCode.NO_SUCH_REGISTER, "กพ"),
    ],
)
def test_it_names_the_reason_it_cannot_read_a_name(text, code, token):
    result = PARSER.parse(text)
    assert isinstance(result, RegisterNameProblem)
    assert not result.ok
    assert result.code == code
    assert result.abbreviation == token
    assert result.text == text


def test_it_checks_the_register_exists_when_given_the_numbers():
    numbers = {"กพ": [1, 2], "ศพช.ลป": [None], "นว": []}
    assert PARSER.parse("สอ.พช.กพ.2", numbers) == RegisterName("กพ", 2)
    missing = PARSER.parse("สอ.พช.กพ.3", numbers)
    assert missing.code == RegisterNameProblemCode.NO_SUCH_REGISTER
    assert (missing.abbreviation, missing.number) == ("กพ", 3)
    no_number = PARSER.parse("สอ.พช.กพ.", numbers)
    assert no_number.code == RegisterNameProblemCode.NO_SUCH_REGISTER
    assert no_number.number is None
    assert PARSER.parse("สอ.พช.นว.1", numbers).code == RegisterNameProblemCode.NO_SUCH_REGISTER
    assert PARSER.parse("สอ.พช.ศพช.ลป.", numbers) == RegisterName("ศพช.ลป", None)
    # A single group typed with "1" can only mean that group.
    assert PARSER.parse("สอ.พช.ศพช.ลป.1", numbers) == RegisterName("ศพช.ลป", None)
    # A function works as well as a mapping.
    assert PARSER.parse("สอ.พช.กพ.2", lambda abbr: numbers.get(abbr, [])).ok


def test_its_messages_are_thai_and_english_and_name_the_text():
    problem = parse_register_name("สอ.พช.กท.1", ["กพ"])
    assert "กท" in problem.message_en and "abbreviation" in problem.message_en
    assert "กท" in problem.message_th and "ไม่ใช่อักษรย่อ" in problem.message_th
    missing = parse_register_name("สอ.พช.กพ.9", ["กพ"], {"กพ": [1]})
    assert "9" in missing.message_en and "สอ.พช.กพ.9" in missing.message_en


# --- property-based: generate -> parse for every unit and number, plain and as people type -------


@st.composite
def typed_variants(draw):
    abbreviation = draw(st.sampled_from(ALL_ABBREVIATIONS))
    number = draw(st.none() | st.integers(min_value=1, max_value=200))
    parts = ["สอ", "พช", *abbreviation.split(".")]
    dot = st.sampled_from([".", "..", "", " ", ". ", " . ", "．"])
    text = parts[0]
    for part in parts[1:]:
        text += draw(dot) + part
    if number is None:
        text += draw(st.sampled_from([".", "", ". "]))
    else:
        digits = str(number)
        if draw(st.booleans()):
            digits = digits.translate(THAI_DIGITS)
        text += draw(st.sampled_from([".", ".-", "-", " - ", " ", "..", "", ". "])) + digits
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.sampled_from(ZERO_WIDTH)) + text[at:]
    before = draw(st.sampled_from(["", "กลุ่ม ", "ชื่อกลุ่ม: ", "  ", "ไลน์กลุ่ม "]))
    after = draw(st.sampled_from(["", " ครับ", " ค่ะ", "  ", " (ผู้แทน)"]))
    return before + text + after, abbreviation, number


@settings(max_examples=300, deadline=None)
@given(typed_variants())
def test_typed_variants_read_back_as_the_same_register(variant):
    text, abbreviation, number = variant
    assert PARSER.parse(text) == RegisterName(abbreviation=abbreviation, number=number), text


@pytest.mark.parametrize("abbreviation", ALL_ABBREVIATIONS)
def test_generate_then_parse_round_trips_for_every_unit(abbreviation):
    for number in (None, 1, 2, 9, 10, 123):
        name = register_group_name(abbreviation, number)
        assert PARSER.parse(name) == RegisterName(abbreviation, number)
        assert PARSER.parse(name, {abbreviation: [number]}).ok


@pytest.mark.django_db
def test_every_unit_in_the_database_round_trips():
    from tocnet.members.models import Unit

    abbreviations = list(Unit.objects.values_list("abbreviation", flat=True))
    assert len(abbreviations) >= 76  # the provinces seeded by migration
    parser = RegisterNameParser(abbreviations)
    for abbreviation in abbreviations:
        for number in (None, 1, 12):
            name = register_group_name(abbreviation, number)
            assert parser.parse(f"กลุ่ม {name} ครับ") == RegisterName(abbreviation, number)
