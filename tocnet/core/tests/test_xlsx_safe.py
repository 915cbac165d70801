"""The safe .xlsx helpers never let a text value become a formula."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from tocnet.core.xlsx import (
    FORMULA_TRIGGERS,
    append_row,
    csv_safe,
    is_formula_like,
    safe_sheet_title,
    set_cell,
    workbook_bytes,
    xml_safe,
)


def _sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        return "".join(zf.read(n).decode("utf-8") for n in names)


def _roundtrip(values: list[object], *, write_only: bool) -> tuple[list[object], str, bytes]:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("data") if write_only else wb.active
    append_row(ws, values)
    data = workbook_bytes(wb)
    loaded = load_workbook(io.BytesIO(data))
    row = next(loaded.worksheets[0].iter_rows(min_row=1, max_row=1))
    return [c.value for c in row], _sheet_xml(data), data


@pytest.mark.parametrize("write_only", [False, True])
@pytest.mark.parametrize(
    "text",
    ["=1+1", '=HYPERLINK("http://x","y")', "+66812345678", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_formula_like_text_is_stored_as_text(text: str, write_only: bool) -> None:
    values, xml, data = _roundtrip([text, 5], write_only=write_only)
    assert values == [xml_safe(text), 5]
    assert "<f>" not in xml and "<f " not in xml
    loaded = load_workbook(io.BytesIO(data))
    cell = loaded.worksheets[0]["A1"]
    assert cell.data_type == "s"
    assert cell.quotePrefix is True


@pytest.mark.parametrize("write_only", [False, True])
def test_error_codes_and_plain_text_stay_text(write_only: bool) -> None:
    values, _, data = _roundtrip(["#N/A", "สอ.พช.กพ.1", "0812345678"], write_only=write_only)
    assert values == ["#N/A", "สอ.พช.กพ.1", "0812345678"]
    loaded = load_workbook(io.BytesIO(data))
    assert loaded.worksheets[0]["A1"].data_type == "s"
    assert loaded.worksheets[0]["B1"].quotePrefix is False


def test_set_cell_writes_text_not_formula() -> None:
    wb = Workbook()
    cell = set_cell(wb.active, row=3, column=2, value="=cmd|' /C calc'!A0")
    assert cell.data_type == "s"
    data = workbook_bytes(wb)
    assert "<f>" not in _sheet_xml(data)
    assert load_workbook(io.BytesIO(data)).active["B3"].value == "=cmd|' /C calc'!A0"


def test_illegal_control_characters_are_removed() -> None:
    values, _, _ = _roundtrip(["a\x00b\x07c\x1fd", "ok", "x\r\ny\rz"], write_only=True)
    assert values == ["abcd", "ok", "x\ny\nz"]


@settings(max_examples=60, deadline=None)
@given(
    prefix=st.sampled_from((*FORMULA_TRIGGERS, "", "#", "'")),
    body=st.text(max_size=30),
)
def test_any_text_round_trips_without_formulas(prefix: str, body: str) -> None:
    text = prefix + body
    values, xml, _ = _roundtrip([text], write_only=False)
    expected = xml_safe(text)
    # openpyxl reads an empty string cell back as None
    assert values == [expected or None]
    assert "<f>" not in xml


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+66", "'+66"),
        ("-", "'-"),
        ("@a", "'@a"),
        ("ok", "ok"),
        (None, ""),
        (12, "12"),
    ],
)
def test_csv_safe(value: object, expected: str) -> None:
    assert csv_safe(value) == expected


def test_is_formula_like() -> None:
    assert is_formula_like("=x") and is_formula_like("\tx")
    assert not is_formula_like("x=") and not is_formula_like("")


def test_safe_sheet_title() -> None:
    assert safe_sheet_title("สอ.พช.กพ.1") == "สอ.พช.กพ.1"
    assert safe_sheet_title("a/b:c[d]*?") == "a-b-c-d---"
    assert len(safe_sheet_title("ก" * 40)) == 31
    assert safe_sheet_title("") == "Sheet"
