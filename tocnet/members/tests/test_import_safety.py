"""Bad files: each gets its own clear error before (or instead of) any parsing."""

import io
import struct
import zipfile

import pytest

from tocnet.members.importing.normalize import KnownUnit
from tocnet.members.importing.parse import parse_list
from tocnet.members.importing.reasons import FILE_ERRORS, ImportFileError
from tocnet.members.importing.safety import Limits, sniff

from .import_builders import (
    MEMBER_HEADER,
    compound_file,
    member_row,
    png_bytes,
    replace_in_zip,
    xlsx_bytes,
    zip_bomb_xlsx,
)

UNITS = [KnownUnit(key="tak", name="สำนักงานพัฒนาชุมชนจังหวัดตาก", abbreviation="ตก", kind="province")]


def good_xlsx() -> bytes:
    return xlsx_bytes({"สมาชิก": [MEMBER_HEADER, member_row("500001")]})


def error_code(data: bytes, file_name: str = "members.xlsx", limits: Limits | None = None) -> str:
    with pytest.raises(ImportFileError) as caught:
        parse_list(data, file_name, units=UNITS, limits=limits)
    assert caught.value.code in FILE_ERRORS
    assert caught.value.message()  # every code has a message that formats
    return caught.value.code


def test_it_reads_a_good_workbook() -> None:
    result = parse_list(good_xlsx(), "members.xlsx", units=UNITS)
    assert list(result.members) == ["500001"]


def test_it_refuses_a_truncated_workbook() -> None:
    data = good_xlsx()
    assert error_code(data[: len(data) // 2]) == "corrupt_xlsx"


def test_it_refuses_a_workbook_with_a_broken_sheet() -> None:
    data = replace_in_zip(good_xlsx(), "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row")
    assert error_code(data) == "corrupt_xlsx"


def test_it_refuses_a_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photo.txt", "hello")
    assert error_code(buffer.getvalue()) == "corrupt_xlsx"


def test_it_names_an_old_xls_file() -> None:
    data = compound_file(["Workbook", "\x05SummaryInformation"])
    assert error_code(data, "members.xls") == "old_xls"


def test_it_names_a_password_protected_workbook() -> None:
    data = compound_file(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"])
    assert error_code(data, "members.xlsx") == "encrypted"


def test_it_refuses_an_unknown_compound_file() -> None:
    assert error_code(compound_file(["WordDocument"]), "members.xlsx") == "ole_unknown"


def test_it_refuses_a_zip_bomb_before_openpyxl_opens_it(monkeypatch: pytest.MonkeyPatch) -> None:
    data = zip_bomb_xlsx()
    assert len(data) < 100_000  # small on disk, 12 MB unpacked

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl must not see a zip bomb")

    monkeypatch.setattr("openpyxl.load_workbook", fail)
    assert error_code(data) == "zip_bomb"


def test_a_zip_that_understates_its_sizes_is_cut_short_not_inflated() -> None:
    """The size check trusts declared sizes because zipfile never inflates past them."""
    good = good_xlsx()
    sheet = zipfile.ZipFile(io.BytesIO(good)).read("xl/worksheets/sheet1.xml")
    padded = sheet.replace(b"</worksheet>", b" " * (12 * 1024 * 1024) + b"</worksheet>")
    data = bytearray(replace_in_zip(good, "xl/worksheets/sheet1.xml", padded))
    assert error_code(bytes(data)) == "zip_bomb"  # honest sizes: refused unread
    central = data.index(b"PK\x01\x02")
    while True:  # the sheet's central-directory entry
        name_length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + name_length] == b"xl/worksheets/sheet1.xml":
            break
        central = data.index(b"PK\x01\x02", central + 4)
    local = struct.unpack_from("<I", data, central + 42)[0]
    struct.pack_into("<I", data, central + 24, len(sheet))  # claim the original size
    struct.pack_into("<I", data, local + 22, len(sheet))
    assert error_code(bytes(data)) == "corrupt_xlsx"  # read stops there; the CRC fails


def test_it_refuses_a_workbook_over_the_uncompressed_limit() -> None:
    data = xlsx_bytes({"สมาชิก": [MEMBER_HEADER] + [member_row(str(n)) for n in range(1, 400)]})
    assert error_code(data, limits=Limits(max_uncompressed_bytes=20_000)) == "zip_bomb"
    assert parse_list(data, "m.xlsx", units=UNITS).rows_read == 399


def without_declaration(xml: str) -> str:
    return xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml


def test_it_refuses_xml_entities() -> None:
    data = good_xlsx()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    declaration = '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY boom "ระเบิด">]>'
    bombed = declaration + without_declaration(sheet).replace("</sheetData>", "</sheetData>&boom;")
    assert error_code(replace_in_zip(data, "xl/worksheets/sheet1.xml", bombed.encode())) == (
        "unsafe_xml"
    )


def test_it_refuses_xml_entities_in_the_workbook_part() -> None:
    data = good_xlsx()
    part = zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode()
    declaration = '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "x"><!ENTITY b "&a;&a;">]>'
    bombed = declaration + without_declaration(part)
    assert error_code(replace_in_zip(data, "xl/workbook.xml", bombed.encode())) == "unsafe_xml"


@pytest.mark.parametrize(
    ("data", "file_name", "code"),
    [
        (png_bytes(), "members.xlsx", "image_file"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "members.xlsx", "image_file"),
        (b"%PDF-1.7\n" + b"x" * 100, "members.xlsx", "pdf_file"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "members.xls", "unknown_format"),
        (b"just some text", "members.xlsx", "corrupt_xlsx"),
        (b"\x00\x01\x02binary", "members.docx", "unknown_format"),
        (b"", "members.xlsx", "empty_file"),
    ],
)
def test_it_names_files_that_are_not_spreadsheets(data: bytes, file_name: str, code: str) -> None:
    assert error_code(data, file_name) == code


def test_it_names_an_opendocument_spreadsheet() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert error_code(buffer.getvalue(), "members.ods") == "ods_file"


def test_it_refuses_a_file_over_the_size_limit() -> None:
    data = good_xlsx()
    with pytest.raises(ImportFileError) as caught:
        sniff(data, "members.xlsx", Limits(max_bytes=len(data) - 1))
    assert caught.value.code == "too_large"
    assert sniff(data, "members.xlsx", Limits(max_bytes=len(data))) == "xlsx"


def test_the_default_size_limit_is_20_mb() -> None:
    too_big = b"a," * (10 * 1024 * 1024 + 1)
    assert error_code(too_big, "members.csv") == "too_large"


def test_it_refuses_a_csv_in_an_unknown_encoding() -> None:
    text = "เลขทะเบียน,ชื่อ,นามสกุล\n500001,สมชาย,ใจดี\n"
    assert error_code(text.encode("utf-16"), "members.csv") == "unknown_encoding"
    assert error_code(text.encode("utf-16-le"), "members.csv") == "unknown_encoding"


def test_it_says_when_no_sheet_has_a_header() -> None:
    data = xlsx_bytes({"Sheet": [["สรุปยอด"], [1, 2, 3]]})
    assert error_code(data) == "no_header"
