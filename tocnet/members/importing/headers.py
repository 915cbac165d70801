"""Find the header row of a sheet by its Thai (or English) column names."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tocnet.core.thai import clean_text

HEADER_SCAN_ROWS = 20

# Column key -> the ways offices name it. Compared after header_key(): no spaces, dots,
# dashes, slashes, colons or brackets, lower case.
ALIASES: dict[str, tuple[str, ...]] = {
    "seq": ("ลำดับ", "ลำดับที่", "ที่", "no", "#", "seq"),
    "number": (
        "เลขทะเบียน",
        "เลขทะเบียนสมาชิก",
        "ทะเบียนสมาชิก",
        "รหัสสมาชิก",
        "เลขที่สมาชิก",
        "เลขสมาชิก",
        "หมายเลขสมาชิก",
        "เลขประจำตัวสมาชิก",
        "memberno",
        "membernumber",
        "memberid",
    ),
    "title": ("คำนำหน้า", "คำนำหน้าชื่อ", "คำนำ", "title", "prefix"),
    "first_name": ("ชื่อ", "firstname", "name"),
    "last_name": ("นามสกุล", "สกุล", "lastname", "surname"),
    "full_name": ("ชื่อสกุล", "ชื่อนามสกุล", "ชื่อและนามสกุล", "fullname", "ชื่อผู้แทน"),
    "position": ("ตำแหน่ง", "position"),
    "unit": (
        "สังกัด",
        "หน่วยงาน",
        "สังกัดหน่วยงาน",
        "หน่วยงานสังกัด",
        "หน่วยงานต้นสังกัด",
        "หน่วย",
        "unit",
    ),
    "district": ("อำเภอ", "district"),
    "province": ("จังหวัด", "province"),
    "member_type": ("ประเภทสมาชิก", "ประเภท", "membertype"),
    "phone": (
        "โทรศัพท์",
        "เบอร์โทร",
        "เบอร์โทรศัพท์",
        "หมายเลขโทรศัพท์",
        "โทร",
        "มือถือ",
        "เบอร์มือถือ",
        "โทรศัพท์มือถือ",
        "เบอร์โทรศัพท์มือถือ",
        "phone",
        "mobile",
        "tel",
    ),
    "email": ("อีเมล", "อีเมล์", "อีเมลล์", "email", "อีเมลemail"),
    "line_id": ("lineid", "ไลน์ไอดี", "ไอดีไลน์", "ไลน์", "line", "ไลน์ไอดีlineid"),
    "joined_on": (
        "วันที่",
        "วันที่เป็นสมาชิก",
        "วันเข้าเป็นสมาชิก",
        "วันที่สมัคร",
        "วันที่สมัครสมาชิก",
        "date",
    ),
    "national_id": (
        "เลขประจำตัวประชาชน",
        "เลขบัตรประชาชน",
        "เลขบัตรประจำตัวประชาชน",
        "nationalid",
    ),
    # The representatives list: who leads which register, the deputy, successors.
    "register": (
        "ทะเบียนที่",
        "ทะเบียนผู้แทน",
        "ชื่อทะเบียน",
        "กลุ่มไลน์",
        "ชื่อกลุ่มไลน์",
        "กลุ่มline",
        "ชื่อกลุ่มline",
        "กลุ่มที่",
        "กลุ่ม",
        "register",
        "linegroup",
        "group",
    ),
    "deputy": ("ผู้ช่วยผู้แทน", "ผู้ช่วยผู้แทนสมาชิก", "รองผู้แทน", "ผู้ช่วย", "deputy"),
    "deputy_name": ("ชื่อผู้ช่วยผู้แทน", "ชื่อสกุลผู้ช่วยผู้แทน", "ชื่อผู้ช่วย", "deputyname"),
    "successor_of": (
        "แทน",
        "แทนผู้แทนเดิม",
        "ผู้แทนเดิม",
        "ผู้แทนคนเดิม",
        "แทนคนเดิม",
        "สืบทอดจาก",
        "ผู้สืบทอดจาก",
        "สืบแทน",
        "replaces",
        "successorof",
        "predecessor",
    ),
    "role": ("บทบาท", "หน้าที่", "ฐานะ", "ประเภทผู้แทน", "role"),
}

# Headers written longer than any alias ("ผู้ช่วยผู้แทน (เลขทะเบียนสมาชิก)", "ทะเบียน / กลุ่มไลน์
# ที่ดูแล"): the first of these words the key contains names the column. Longest words first.
CONTAINS: tuple[tuple[str, str], ...] = (
    ("ชื่อผู้ช่วย", "deputy_name"),
    ("ผู้ช่วยผู้แทน", "deputy"),
    ("รองผู้แทน", "deputy"),
    ("ผู้แทนเดิม", "successor_of"),
    ("สืบทอดจาก", "successor_of"),
    ("กลุ่มไลน์", "register"),
    ("กลุ่มline", "register"),
    ("ทะเบียนที่ดูแล", "register"),
)

_STRIP = re.compile(r"[\s.\-–—/\\:()\[\]_*]+")


def header_key(value: object) -> str:
    """Comparable form of a header cell: "ชื่อ - นามสกุล" and "ชื่อ-สกุล" both become keys."""
    return _STRIP.sub("", clean_text(value)).lower()


ALIAS_TO_FIELD: dict[str, str] = {
    header_key(alias): field for field, aliases in ALIASES.items() for alias in aliases
}


@dataclass(frozen=True, slots=True)
class Header:
    row: int  # the spreadsheet's row number of the header
    columns: dict[str, int]  # field -> 0-based column index (first column wins)
    labels: dict[str, str]  # field -> header text as written


def match_header(values: Sequence[object]) -> tuple[dict[str, int], dict[str, str]]:
    """Which known columns a row names (field -> index, field -> written label)."""
    columns: dict[str, int] = {}
    labels: dict[str, str] = {}
    for index, value in enumerate(values):
        if value is None or isinstance(value, int | float):
            continue
        key = header_key(value)
        field = ALIAS_TO_FIELD.get(key) or next(
            (name for word, name in CONTAINS if word in key), None
        )
        if field and field not in columns:
            columns[field] = index
            labels[field] = clean_text(value)
    return columns, labels


def is_header(columns: dict[str, int], *, required: Sequence[str] = ("number",)) -> bool:
    """A header names every required column and at least one more known column."""
    if not all(field in columns for field in required):
        return False
    return len(columns) >= len(required) + 1


def find_header(
    rows: Sequence[tuple[int, Sequence[object]]], *, required: Sequence[str] = ("number",)
) -> Header | None:
    """The first of these (row number, values) rows that is a header, or None."""
    for row_number, values in rows:
        columns, labels = match_header(values)
        if is_header(columns, required=required):
            return Header(row=row_number, columns=columns, labels=labels)
    return None
