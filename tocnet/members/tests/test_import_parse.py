"""Parse phase: header detection, row rules, CSV encodings and the shared sample's truth."""

import json
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocnet.members.importing.messages import describe_both
from tocnet.members.importing.normalize import KnownUnit, national_format
from tocnet.members.importing.parse import parse_list
from tocnet.testing import SAMPLES

from .import_builders import MEMBER_HEADER, member_row, xlsx_bytes

UNITS = [
    KnownUnit("tak", "สำนักงานพัฒนาชุมชนจังหวัดตาก", "ตก", "province", "ตาก"),
    KnownUnit("nan", "สำนักงานพัฒนาชุมชนจังหวัดน่าน", "นน", "province", "น่าน"),
    KnownUnit("lp-centre", "ศูนย์ศึกษาและพัฒนาชุมชนลำปาง", "ศพช.ลป", "centre", "ลำปาง"),
]


def parse_rows(rows: list[list[object]], **sheets: list[list[object]]):  # type: ignore[no-untyped-def]
    data = xlsx_bytes({"สมาชิก": rows, **sheets})
    return parse_list(data, "members.xlsx", units=UNITS)


# --- the shared sample -----------------------------------------------------------------------


def sample_units(truth: dict) -> list[KnownUnit]:  # type: ignore[type-arg]
    return [
        KnownUnit(key=u["abbr"], name=u["name"], abbreviation=u["abbr"], kind=u["kind"])
        for u in truth["units"]
    ]


def test_it_matches_the_sample_truth_exactly() -> None:
    truth = json.loads((SAMPLES / "truth.json").read_text())
    result = parse_list(
        (SAMPLES / "members.xlsx").read_bytes(), "members.xlsx", units=sample_units(truth)
    )
    assert result.rows_read == truth["data_rows"]
    assert len(result.members) == truth["members_valid"]
    assert len(result.duplicates) == truth["duplicate_rows"]
    assert [(r["sheet"], r["row"], r["reason"]) for r in result.rejected] == [
        (r["sheet"], r["row"], r["why"]) for r in truth["rejected"]
    ]
    assert [(w["sheet"], w["row"], w["reason"], w["member_number"]) for w in result.warnings] == [
        (w["sheet"], w["row"], w["why"], w["no"]) for w in truth["warned"]
    ]
    assert result.rows_read == len(result.members) + len(result.duplicates) + len(result.rejected)
    assert not result.unknown_units
    # Every member in its unit, the later row's phone winning for duplicates.
    by_key = {u["abbr"]: u["name"] for u in truth["units"]}
    assert {n: by_key[m.unit_key] for n, m in result.members.items()} == truth["member_unit"]
    for number, phone in truth["final_phone"].items():
        valid = [national_format(p["e164"]) for p in result.members[number].phones if p["valid"]]
        assert valid == ([phone] if phone else []), number
    # truth's per-unit counts leave out the warned members (all in กพ): check both views.
    counts = Counter(by_key[m.unit_key] for m in result.members.values())
    warned = Counter(truth["member_unit"][w["no"]] for w in truth["warned"])
    for unit in truth["units"]:
        assert counts[unit["name"]] - warned[unit["name"]] == unit["members"], unit["name"]


def test_it_reads_the_sample_representatives() -> None:
    truth = json.loads((SAMPLES / "truth.json").read_text())
    result = parse_list(
        (SAMPLES / "representatives.xlsx").read_bytes(),
        "representatives.xlsx",
        kind="representatives",
        units=sample_units(truth),
    )
    assert list(result.members) == truth["representatives"]
    assert all(m.unit_key for m in result.members.values())
    first = result.members[truth["representatives"][0]]
    assert first.values["title"] == "นาย"
    assert first.values["first_name"] == "สายสุนีย์"


# --- layout ----------------------------------------------------------------------------------


def test_it_finds_the_header_under_title_lines_and_keeps_sheet_row_numbers() -> None:
    result = parse_rows(
        [
            ["บัญชีรายชื่อสมาชิก สหกรณ์ออมทรัพย์กรมการพัฒนาชุมชน จำกัด"],
            ["ข้อมูล ณ วันที่ 15 มิ.ย. 2564"],
            [],
            MEMBER_HEADER,
            member_row("500001", seq=1),
            [],
            member_row("500002", seq=2),
        ]
    )
    assert result.sheets[0]["header_row"] == 4
    assert [(m.number, m.row) for m in result.members.values()] == [("500001", 5), ("500002", 7)]
    assert result.rows_read == 2


def test_it_skips_blank_subtotal_running_number_only_and_repeated_header_rows() -> None:
    result = parse_rows(
        [
            MEMBER_HEADER,
            member_row("500001", seq=1),
            [None, None, None, "รวม 150 คน"],
            [None, None, None, "รวมทั้งสิ้น ๑๕๐ คน"],
            ["", "  ", None, "\u200b"],
            [3],  # a running number with nothing else
            MEMBER_HEADER,
            member_row("500002", seq=2),
            [None, "", "นาย", "รวมพล", "ใจดี"],  # a real name starting with รวม, no number
        ]
    )
    assert list(result.members) == ["500001", "500002"]
    assert result.rows_read == 3
    assert result.rejected == [
        {"sheet": "สมาชิก", "row": 9, "reason": "missing_number", "value": ""}
    ]


@pytest.mark.parametrize(
    "number_header", ["เลขทะเบียน", "เลขทะเบียนสมาชิก", "รหัสสมาชิก", "เลขที่สมาชิก", "เลขที่ สมาชิก"]
)
def test_it_knows_the_number_column_by_any_office_name(number_header: str) -> None:
    result = parse_rows(
        [["ที่", number_header, "ชื่อ-สกุล", "หน่วยงาน"], [1, "500001", "นายสมชาย ใจดี", "ตาก"]]
    )
    member = result.members["500001"]
    assert member.values == {"title": "นาย", "first_name": "สมชาย", "last_name": "ใจดี"}
    assert member.unit_key == "tak"


@pytest.mark.parametrize("name_header", ["ชื่อ-สกุล", "ชื่อ - นามสกุล", "ชื่อ-นามสกุล", "ชื่อ สกุล"])
def test_it_splits_a_single_name_column(name_header: str) -> None:
    result = parse_rows(
        [["เลขทะเบียน", name_header, "สังกัด"], ["500001", "ว่าที่ร้อยตรี สมชาย  ใจดี", "ตาก"]]
    )
    assert result.members["500001"].values == {
        "title": "ว่าที่ร้อยตรี",
        "first_name": "สมชาย",
        "last_name": "ใจดี",
    }


def test_it_reads_several_sheets_and_a_duplicate_across_them() -> None:
    result = parse_rows(
        [MEMBER_HEADER, member_row("500001", phone="0811111111")],
        ภาคเหนือ=[["รายชื่อ"], MEMBER_HEADER, member_row(500001.0, phone="0822222222")],
        สรุป=[["จำนวนสมาชิก", 2]],
    )
    assert result.rows_read == 2
    assert result.duplicates == [
        {
            "sheet": "ภาคเหนือ",
            "row": 3,
            "first_sheet": "สมาชิก",
            "first_row": 2,
            "member_number": "500001",
        }
    ]
    member = result.members["500001"]
    assert (member.sheet, member.row) == ("ภาคเหนือ", 3)
    assert [p["e164"] for p in member.phones] == ["+66822222222"]
    assert [s["header_row"] for s in result.sheets] == [1, 2, None]


def test_same_name_different_numbers_are_two_people() -> None:
    result = parse_rows([MEMBER_HEADER, member_row("500001"), member_row("500002")])
    assert len(result.members) == 2
    assert result.duplicates == []


def test_a_sheet_without_a_unit_column_takes_its_unit_from_the_sheet_or_title() -> None:
    header = ["ลำดับ", "เลขทะเบียน", "ชื่อ", "นามสกุล"]
    result = parse_list(
        xlsx_bytes(
            {
                "น่าน": [header, [1, "1", "ก", "ข"]],
                "Sheet2": [["บัญชีรายชื่อ สำนักงานพัฒนาชุมชนจังหวัดตาก"], header, [1, "2", "ค", "ง"]],
                "Sheet3": [header, [1, "3", "จ", "ฉ"]],
            }
        ),
        "m.xlsx",
        units=UNITS,
        default_unit_key="lp-centre",
    )
    assert {n: m.unit_key for n, m in result.members.items()} == {
        "1": "nan",
        "2": "tak",
        "3": "lp-centre",
    }


def test_an_unknown_unit_is_listed_with_a_suggestion() -> None:
    result = parse_rows(
        [
            MEMBER_HEADER,
            member_row("500001", unit="สำนักงานพัฒนาชุมชนจังหวัดตากก"),
            member_row("500002", unit="สำนักงานพัฒนาชุมชนจังหวัดตากก"),
            member_row("500003", unit="ศพช.ลำปาง"),
        ]
    )
    assert list(result.unknown_units.values()) == [
        {
            "name": "สำนักงานพัฒนาชุมชนจังหวัดตากก",
            "suggestion": "สำนักงานพัฒนาชุมชนจังหวัดตาก",
            "rows": [{"sheet": "สมาชิก", "row": 2}, {"sheet": "สมาชิก", "row": 3}],
        }
    ]
    assert result.members["500003"].unit_key == "lp-centre"
    assert result.members["500001"].unit_key is None


def test_broken_phone_and_email_are_warnings_and_the_member_stays() -> None:
    result = parse_rows(
        [
            MEMBER_HEADER,
            member_row("500001", phone="08-12 / 0812345678", email="somchai@@mail"),
            member_row("ABC"),
        ]
    )
    member = result.members["500001"]
    assert [(p["raw"], p["valid"]) for p in member.phones] == [
        ("08-12", False),
        ("0812345678", True),
    ]
    assert member.values["email"] == "somchai@@mail"
    assert member.values["email_valid"] is False
    assert [(w["row"], w["field"], w["reason"]) for w in result.warnings] == [
        (2, "phone", "bad_phone"),
        (2, "email", "bad_email"),
    ]
    assert [(r["row"], r["reason"], r["value"]) for r in result.rejected] == [
        (3, "bad_number", "ABC")
    ]


def test_placeholder_cells_mean_empty() -> None:
    result = parse_rows(
        [
            MEMBER_HEADER,
            member_row("500001", phone="-", email="ไม่มี", line_id="—"),
            member_row("-"),
        ]
    )
    member = result.members["500001"]
    assert member.phones == []
    assert member.values["email"] == ""
    assert member.values["line_id"] == ""
    assert result.warnings == []
    assert [(r["row"], r["reason"]) for r in result.rejected] == [(3, "missing_number")]


# --- CSV -------------------------------------------------------------------------------------

CSV_TEXT = (
    "รายชื่อสมาชิก\n"
    "ลำดับ,เลขทะเบียนสมาชิก,ชื่อ - นามสกุล,สังกัด,โทรศัพท์\n"
    '1,๕๐๐๐๐๑,นางสาวมาลี  ทองคำ,จ.ตาก,"081-234-5678, 02-143-8144 ต่อ 701"\n'
    "2,500002,นายสมชาย ใจดี,ตาก,812345678\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp874", "tis-620"])
def test_it_reads_csv_in_thai_encodings(encoding: str) -> None:
    result = parse_list(CSV_TEXT.encode(encoding), "members.csv", units=UNITS)
    assert list(result.members) == ["1", "2"] or list(result.members) == ["500001", "500002"]
    first = result.members["500001"]
    assert first.values["first_name"] == "มาลี"
    assert (first.sheet, first.row) == ("members.csv", 3)
    assert [(p["e164"], p["extension"]) for p in first.phones] == [
        ("+66812345678", ""),
        ("+6621438144", "701"),
    ]
    assert result.members["500002"].phones[0]["e164"] == "+66812345678"
    assert {m.unit_key for m in result.members.values()} == {"tak"}


def test_it_reads_semicolon_csv() -> None:
    text = "เลขทะเบียน;ชื่อ;นามสกุล\n500001;สมชาย;ใจดี\n"
    result = parse_list(text.encode(), "members.csv", units=UNITS)
    assert result.members["500001"].values["last_name"] == "ใจดี"


# --- the counting invariant ------------------------------------------------------------------

row_kinds = st.lists(
    st.one_of(
        st.tuples(st.just("member"), st.sampled_from(["1", "2", "3", "๔", "0005", "6"])),
        st.tuples(st.just("missing"), st.just("")),
        st.tuples(st.just("bad"), st.sampled_from(["x1", "1.5", "ก"])),
        st.tuples(st.just("blank"), st.just("")),
        st.tuples(st.just("subtotal"), st.just("")),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(kinds=row_kinds)
def test_every_data_row_is_counted_exactly_once(kinds: list[tuple[str, str]]) -> None:
    lines = ["ลำดับ,เลขทะเบียน,ชื่อ,นามสกุล,สังกัด"]
    expected_last: dict[str, int] = {}
    data_rows = 0
    for index, (kind, number) in enumerate(kinds, start=2):
        if kind == "blank":
            lines.append(",,,,")
        elif kind == "subtotal":
            lines.append(",,รวม 12 คน,,")
        else:
            data_rows += 1
            lines.append(f"{index},{number},สมชาย,ใจดี,ตาก")
            if kind == "member":
                canonical = str(int(number.translate(str.maketrans("๔", "4"))))
                expected_last[canonical] = index
    result = parse_list("\n".join(lines).encode(), "m.csv", units=UNITS)
    assert result.rows_read == data_rows
    assert result.rows_read == len(result.members) + len(result.duplicates) + len(result.rejected)
    assert {n: m.row for n, m in result.members.items()} == expected_last
    for duplicate in result.duplicates:
        assert duplicate["first_row"] < duplicate["row"]


def test_messages_name_the_place_in_thai_and_english() -> None:
    thai, english = describe_both(
        {"sheet": "กพ", "row": 7, "reason": "bad_phone", "field": "phone", "value": "08-12"}
    )
    assert "แผ่นงาน กพ แถว 7" in thai and "08-12" in thai
    assert english.startswith("Sheet กพ, row 7, field phone")
    thai, english = describe_both(
        {"sheet": "กพ", "row": 8, "reason": "unknown_unit", "value": "xyz", "suggestion": ""}
    )
    assert "no known unit" in english and "ไม่มีหน่วยงานที่ใกล้เคียง" in thai


# --- counting rows for a background job's progress (#16.3 e) ------------------------------


def test_it_counts_rows_read_against_the_sizes_the_files_give() -> None:
    rows = [member_row(f"5{n:05d}", unit="สำนักงานพัฒนาชุมชนจังหวัดตาก") for n in range(600)]
    seen: list[tuple[int, int | None]] = []
    data = xlsx_bytes({"ก": [MEMBER_HEADER, *rows[:300]], "ข": [MEMBER_HEADER, *rows[300:]]})
    result = parse_list(data, "m.xlsx", units=UNITS, on_rows=lambda n, t: seen.append((n, t)))
    assert len(result.members) == 600
    # Every 256 rows and at the end, against both sheets' recorded sizes (602 rows).
    assert seen == [(256, 602), (512, 602), (602, 602)]
    csv_text = "\n".join(",".join(str(c or "") for c in row) for row in [MEMBER_HEADER, *rows])
    seen.clear()
    result = parse_list(
        csv_text.encode(), "m.csv", units=UNITS, on_rows=lambda n, t: seen.append((n, t))
    )
    assert len(result.members) == 600
    assert seen == [(256, 601), (512, 601), (601, 601)]
