"""Build import test files in memory: workbooks, CSVs and the bad files offices send."""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence

from openpyxl import Workbook

MEMBER_HEADER = [
    "ลำดับ",
    "เลขทะเบียนสมาชิก",
    "คำนำหน้า",
    "ชื่อ",
    "นามสกุล",
    "ตำแหน่ง",
    "สังกัด/หน่วยงาน",
    "อำเภอ",
    "ประเภทสมาชิก",
    "เบอร์โทรศัพท์",
    "อีเมล",
    "ไลน์ไอดี",
]


def xlsx_bytes(sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    """A workbook with these sheets; rows are written from row 1 (None cells stay empty)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row_number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                if value is not None:
                    cell = sheet.cell(row=row_number, column=column, value=value)
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"  # typed text, not a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def member_row(
    number: object,
    first: str = "สมชาย",
    last: str = "ใจดี",
    *,
    seq: object = None,
    title: str = "นาย",
    unit: str = "สำนักงานพัฒนาชุมชนจังหวัดตาก",
    phone: object = "0812345678",
    email: str | None = None,
    member_type: str = "สามัญ",
    position: str = "นักพัฒนาชุมชน",
    district: str = "เมือง",
    line_id: str | None = None,
) -> list[object]:
    return [
        seq,
        number,
        title,
        first,
        last,
        position,
        unit,
        district,
        member_type,
        phone,
        email,
        line_id,
    ]


def replace_in_zip(data: bytes, name: str, content: bytes) -> bytes:
    """The same zip with one member's content replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, content if info.filename == name else source.read(info))
    return buffer.getvalue()


def zip_bomb_xlsx(expanded_bytes: int = 12 * 1024 * 1024) -> bytes:
    """A tiny workbook-shaped zip whose sheet inflates to `expanded_bytes` of blanks."""
    base = xlsx_bytes({"Sheet": [["เลขทะเบียน", "ชื่อ"]]})
    return replace_in_zip(base, "xl/worksheets/sheet1.xml", b" " * expanded_bytes)


def compound_file(stream_names: Sequence[str]) -> bytes:
    """A minimal OLE2 compound file (what .xls and encrypted .xlsx are) with these streams.

    Header sector, one FAT sector and one directory sector; the streams are empty. Enough
    structure for any reader to list the directory, which is all the import looks at.
    """
    sector = 512
    header = bytearray(sector)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", header, 24, 0x3E, 3, 0xFFFE, 9)  # minor, major, byte order, 2^9
    struct.pack_into("<H", header, 32, 6)  # mini sector shift
    struct.pack_into("<I", header, 44, 1)  # number of FAT sectors
    struct.pack_into("<I", header, 48, 1)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)  # mini stream cutoff
    struct.pack_into("<I", header, 60, 0xFFFFFFFE)  # no mini FAT
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)  # no DIFAT sectors
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: FAT is sector 0
    for index in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * index, 0xFFFFFFFF)
    fat = bytearray(b"\xff" * sector)
    struct.pack_into("<II", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE)  # FAT sector, end of directory
    directory = bytearray(sector)
    names = ["Root Entry", *stream_names][:4]
    for index, name in enumerate(names):
        entry = bytearray(128)
        encoded = (name + "\x00").encode("utf-16-le")
        entry[0 : len(encoded)] = encoded
        struct.pack_into("<H", entry, 64, len(encoded))
        entry[66] = 5 if index == 0 else 2  # root storage / stream
        entry[67] = 1  # black
        struct.pack_into("<III", entry, 68, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        if index == 0 and len(names) > 1:
            struct.pack_into("<I", entry, 76, 1)  # child
        if 0 < index < len(names) - 1:
            struct.pack_into("<I", entry, 72, index + 1)  # right sibling
        struct.pack_into("<I", entry, 116, 0xFFFFFFFE)  # start sector
        directory[index * 128 : (index + 1) * 128] = entry
    return bytes(header + fat + directory)


def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
