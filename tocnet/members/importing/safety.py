"""Checks an uploaded file before any parser sees it: size, real type, zip bomb, encryption."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from .reasons import ImportFileError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A member list of 11,000 rows unpacks to about 10 MB. The probe's 20 sheets of 9.9 MB each
# (198 MB) passed the old 200 MB cap and cost minutes of CPU: the caps below bound what a
# reader can be made to do before and while it reads.
DEFAULT_MAX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024
DEFAULT_MAX_SHEETS = 40
DEFAULT_MAX_SHARED_STRINGS_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_ROWS = 60_000
DEFAULT_MAX_CELLS = 1_500_000
DEFAULT_MAX_SECONDS = 30.0
# Spreadsheet XML compresses about 5-30 times; a part that claims more than this ratio while
# also being large is a decompression bomb.
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_BYTES = 1024 * 1024
SHEET_PREFIX = "xl/worksheets/"
SHARED_STRINGS = "xl/sharedStrings.xml"

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
IMAGE_MAGICS = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_uncompressed_bytes: int = DEFAULT_MAX_UNCOMPRESSED_BYTES
    max_sheets: int = DEFAULT_MAX_SHEETS
    max_shared_strings_bytes: int = DEFAULT_MAX_SHARED_STRINGS_BYTES
    max_rows: int = DEFAULT_MAX_ROWS
    max_cells: int = DEFAULT_MAX_CELLS
    max_seconds: float = DEFAULT_MAX_SECONDS


def check_size(size: int, limits: Limits) -> None:
    """Refuse empty files and files over the size limit."""
    if size == 0:
        raise ImportFileError("empty_file")
    if size > limits.max_bytes:
        raise ImportFileError(
            "too_large",
            size_mb=f"{size / 1024 / 1024:.1f}",
            limit_mb=f"{limits.max_bytes / 1024 / 1024:.0f}",
        )


def _image_kind(head: bytes) -> str | None:
    for magic, kind in IMAGE_MAGICS.items():
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"mif1", b"avif"}:
        return "HEIC"
    return None


def _check_ole2(data: bytes) -> None:
    # Directory entries hold stream names in UTF-16LE. An encrypted .xlsx is an OLE2 file with
    # EncryptionInfo and EncryptedPackage streams; an old .xls has a Workbook (or Book) stream.
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise ImportFileError("encrypted")
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        raise ImportFileError("old_xls")
    raise ImportFileError("ole_unknown")


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse a zip that is not a workbook or that would expand beyond the limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ImportFileError("corrupt_xlsx") from error
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        if "mimetype" in names and b"opendocument" in archive.read("mimetype")[:100]:
            raise ImportFileError("ods_file")
        raise ImportFileError("corrupt_xlsx")
    sheets = [
        i for i in infos if i.filename.startswith(SHEET_PREFIX) and i.filename.endswith(".xml")
    ]
    if len(sheets) > limits.max_sheets:
        raise ImportFileError("too_many_sheets", count=len(sheets), limit=limits.max_sheets)
    for info in infos:
        if info.filename == SHARED_STRINGS and info.file_size > limits.max_shared_strings_bytes:
            raise ImportFileError("zip_bomb")
    total = 0
    for info in infos:
        # zipfile never inflates a member past its declared file_size (it stops and fails the
        # CRC), so the declared sizes are a true upper bound of what openpyxl can unpack.
        total += info.file_size
        if info.file_size >= RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
            info.compress_size, 1
        ):
            raise ImportFileError("zip_bomb")
    if total > limits.max_uncompressed_bytes:
        raise ImportFileError("zip_bomb")


def sniff(data: bytes, file_name: str, limits: Limits | None = None) -> str:
    """The kind of file this really is: "xlsx" or "csv"; ImportFileError for anything else."""
    limits = limits or Limits()
    check_size(len(data), limits)
    head = data[:16]
    suffix = PurePath(file_name).suffix.lower()
    if head.startswith(OLE2_MAGIC):
        _check_ole2(data)
    if head.startswith(ZIP_MAGICS):
        check_zip(data, limits)
        return "xlsx"
    image = _image_kind(head)
    if image:
        raise ImportFileError("image_file", kind=image)
    if head.startswith(b"%PDF"):
        raise ImportFileError("pdf_file")
    lowered = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml", b"<meta")):
        raise ImportFileError("unknown_format")
    if suffix in EXCEL_SUFFIXES:
        raise ImportFileError("corrupt_xlsx")
    if suffix in TEXT_SUFFIXES or not suffix:
        return "csv"
    raise ImportFileError("unknown_format")
