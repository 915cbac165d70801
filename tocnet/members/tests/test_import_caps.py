"""Issue #10 item 2: uploads that cost minutes are refused before, or while, being read.

The probe's workbooks are generated here: 20 sheets of 9.9 MB each (683 KB on the wire) and
a shared-strings table of millions of entries. Once capped they are refused unread.
"""

import io
import zipfile
from unittest import mock

import pytest

from tocnet.members.importing.readers import open_sheets
from tocnet.members.importing.reasons import ImportFileError
from tocnet.members.importing.safety import Limits
from tocnet.members.tests.import_builders import MEMBER_HEADER, member_row, xlsx_bytes

WORKBOOK = (
    b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main"><sheets/></workbook>'
)


def zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def twenty_sheets_of_9_9_mb() -> bytes:
    row = b'<row><c t="n"><v>1</v></c></row>'
    sheet = b"<worksheet><sheetData>" + row * (9_900_000 // len(row)) + b"</sheetData></worksheet>"
    parts = {"xl/workbook.xml": WORKBOOK}
    parts.update({f"xl/worksheets/sheet{i}.xml": sheet for i in range(1, 21)})
    return zip_of(parts)


def shared_strings_bomb() -> bytes:
    strings = b"<si><t>x</t></si>" * 1_100_000  # 18.7 MB, 1.1 million entries
    return zip_of(
        {
            "xl/workbook.xml": WORKBOOK,
            "xl/sharedStrings.xml": b"<sst>" + strings + b"</sst>",
            "xl/worksheets/sheet1.xml": b"<worksheet/>",
        }
    )


def seven_million_shared_strings() -> bytes:
    """The probe's table: 7 million entries (119 MB unpacked, well under 1 MB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b"<sst>")
            block = b"<si><t>x</t></si>" * 100_000
            for _ in range(70):
                part.write(block)
            part.write(b"</sst>")
    return buffer.getvalue()


def varied_shared_strings(entries: int = 1_000_000) -> bytes:
    """A shared-strings table of distinct numbers: 23 MB unpacked, packing only about 5 times
    (under the ratio check) and under the total cap: only the shared-strings cap stops it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet/>")
        with archive.open("xl/sharedStrings.xml", "w") as part:
            part.write(b"<sst>")
            for start in range(0, entries, 100_000):
                part.write(
                    b"".join(
                        b"<si><t>%d</t></si>" % (i * 7919 % 10_000_019)
                        for i in range(start, start + 100_000)
                    )
                )
            part.write(b"</sst>")
    return buffer.getvalue()


def reason(data: bytes, limits: Limits | None = None, name: str = "m.xlsx") -> str:
    with pytest.raises(ImportFileError) as caught:
        for sheet in open_sheets(data, name, limits):
            for _row in sheet.rows:
                pass
    return caught.value.code


def test_the_probes_twenty_sheet_workbook_is_refused_unread() -> None:
    data = twenty_sheets_of_9_9_mb()
    assert len(data) < 2_000_000  # small on the wire, ~198 MB unpacked
    with mock.patch("openpyxl.load_workbook", side_effect=AssertionError("read")) as load:
        assert reason(data) == "zip_bomb"
    load.assert_not_called()


def test_a_huge_shared_strings_table_is_refused_unread() -> None:
    with mock.patch("openpyxl.load_workbook", side_effect=AssertionError("read")) as load:
        assert reason(shared_strings_bomb()) == "zip_bomb"
    load.assert_not_called()


def test_the_probes_seven_million_shared_strings_are_refused_unread() -> None:
    data = seven_million_shared_strings()
    assert len(data) < 2_000_000
    with mock.patch("openpyxl.load_workbook", side_effect=AssertionError("read")) as load:
        assert reason(data) == "zip_bomb"
    load.assert_not_called()


def test_the_shared_strings_cap_alone_stops_a_table_the_other_caps_let_through() -> None:
    from tocnet.members.importing.safety import DEFAULT_MAX_SHARED_STRINGS_BYTES, check_zip

    data = varied_shared_strings()
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml")
    assert DEFAULT_MAX_SHARED_STRINGS_BYTES < info.file_size < Limits().max_uncompressed_bytes
    assert info.file_size < 20 * info.compress_size  # no bomb by its ratio
    check_zip(data, Limits(max_shared_strings_bytes=10**9))  # the other caps pass it
    with mock.patch("openpyxl.load_workbook", side_effect=AssertionError("read")) as load:
        assert reason(data) == "zip_bomb"
    load.assert_not_called()


def test_too_many_sheets_are_refused_unread() -> None:
    parts = {"xl/workbook.xml": WORKBOOK}
    parts.update({f"xl/worksheets/sheet{i}.xml": b"<worksheet/>" for i in range(1, 42)})
    assert reason(zip_of(parts)) == "too_many_sheets"


def test_rows_and_cells_are_capped_while_reading() -> None:
    rows = [member_row(str(300000 + i)) for i in range(150)]
    workbook = xlsx_bytes({"สมาชิก": [MEMBER_HEADER, *rows]})
    assert reason(workbook, Limits(max_rows=100)) == "too_many_rows"
    assert reason(workbook, Limits(max_cells=500)) == "too_many_rows"
    text = "\n".join(",".join(["1"] * 10) for _ in range(150)).encode()
    assert reason(text, Limits(max_rows=100), name="m.csv") == "too_many_rows"


def test_a_read_that_runs_past_its_time_limit_stops_with_a_message() -> None:
    rows = [member_row(str(300000 + i)) for i in range(600)]
    workbook = xlsx_bytes({"สมาชิก": [MEMBER_HEADER, *rows]})
    assert reason(workbook, Limits(max_seconds=0)) == "too_slow"
    error = ImportFileError("too_slow", seconds=30)
    assert "30" in error.message()


def test_the_returned_forms_reader_checks_the_caps_before_loading() -> None:
    from tocnet.reports.forms_io import reading

    with (
        mock.patch("openpyxl.load_workbook", side_effect=AssertionError("read")) as load,
        pytest.raises(reading.FormUploadError),
    ):
        reading.read_form(twenty_sheets_of_9_9_mb(), "form.xlsx")
    load.assert_not_called()
