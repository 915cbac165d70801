"""Stream rows out of a checked .xlsx or .csv: (spreadsheet row number, cell values)."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException

from .reasons import ImportFileError
from .safety import Limits, sniff

Row = tuple[int, tuple[object, ...]]


@dataclass
class Sheet:
    name: str
    rows: Iterator[Row]


def _translate(error: BaseException) -> ImportFileError:
    # openpyxl wraps parser errors in ValueError: look down the chain for defusedxml's refusal.
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return ImportFileError("unsafe_xml")
        cause = cause.__cause__ or cause.__context__
    return ImportFileError("corrupt_xlsx")


# openpyxl is imported where a workbook is read: commands that never read one (planning, the
# web server's start-up through the apps' registries) do not pay for it.
if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet


def _read_errors() -> tuple[type[BaseException], ...]:
    from openpyxl.utils.exceptions import InvalidFileException

    return (InvalidFileException, *_READ_ERRORS)


_READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    DefusedXmlException,
    ParseError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    EOFError,
    OSError,
)


class _Budget:
    """Rows, cells and seconds one file may cost, counted across all its sheets."""

    def __init__(self, limits: Limits, on_rows: RowsRead | None = None) -> None:
        self.limits = limits
        self.rows = 0
        self.cells = 0
        self.deadline = time.monotonic() + limits.max_seconds
        # Rows the file says it has (None: not recorded), and who wants the count as it grows.
        self.total: int | None = None
        self.on_rows = on_rows

    def spend(self, cells: int) -> None:
        self.rows += 1
        self.cells += cells
        if self.rows > self.limits.max_rows or self.cells > self.limits.max_cells:
            raise ImportFileError(
                "too_many_rows", rows=self.limits.max_rows, cells=self.limits.max_cells
            )
        if self.rows % 256 == 0:
            if time.monotonic() > self.deadline:
                raise ImportFileError("too_slow", seconds=int(self.limits.max_seconds))
            if self.on_rows is not None:
                self.on_rows(self.rows, self._total())

    def _total(self) -> int | None:
        # A recorded size can be wrong (some writers): never less than what was read.
        return None if self.total is None else max(self.total, self.rows)

    def finished(self) -> None:
        if self.on_rows is not None:
            self.on_rows(self.rows, self.rows)


def _sheet_rows(worksheet: ReadOnlyWorksheet, budget: _Budget) -> Iterator[Row]:
    try:
        # Rows without cells come back as () so numbering follows the sheet's own rows.
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            budget.spend(len(values))
            yield number, values
    except _read_errors() as error:
        raise _translate(error) from error


# Called as rows are read: (rows read so far, rows in the file or None when not known).
RowsRead = Callable[[int, int | None], None]


def read_xlsx(
    data: bytes,
    limits: Limits | None = None,
    on_rows: RowsRead | None = None,
    first: str | None = None,
) -> Generator[Sheet, None, None]:
    """Worksheets in order, rows streamed by openpyxl in read-only mode (formulas' values).

    ``first``: the sheet of that name (hidden or not), when there is one, comes before the
    others, so a caller can judge it (a returned form's stamp) before any other is read."""
    import openpyxl
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    if not openpyxl.DEFUSEDXML:  # pragma: no cover - a broken install, not a runtime state
        raise ImportError("defusedxml must be importable so that openpyxl refuses XML entities")

    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except _read_errors() as error:
        raise _translate(error) from error
    budget = _Budget(limits or Limits(), on_rows)
    try:
        sheets = [ws for ws in workbook.worksheets if isinstance(ws, ReadOnlyWorksheet)]
        if first is not None:
            sheets.sort(key=lambda ws: ws.title != first)  # stable: the rest keep their order
        if on_rows is not None:
            budget.total = _recorded_rows(sheets)
        for worksheet in sheets:  # chart sheets left out
            # Some writers record a wrong sheet size; without it openpyxl reads every cell.
            worksheet.reset_dimensions()
            yield Sheet(name=worksheet.title, rows=_sheet_rows(worksheet, budget))
        budget.finished()
    finally:
        workbook.close()


def _recorded_rows(sheets: list[Any]) -> int | None:
    """Rows the workbook says its sheets have (for a progress count), None if any is unknown."""
    total = 0
    for worksheet in sheets:
        try:
            rows = worksheet.max_row
        except _read_errors():
            return None
        if not rows:
            return None
        total += rows
    return total


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Thai cp874/TIS-620; ImportFileError otherwise."""
    candidates = ["utf-8-sig"] if data.startswith(b"\xef\xbb\xbf") else ["utf-8", "cp874"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text
    raise ImportFileError("unknown_encoding")


def _looks_like_text(text: str) -> bool:
    if "\x00" in text:
        return False
    sample = text[:20000]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\r\n\t")
    return controls <= len(sample) // 100


def read_csv(
    data: bytes, sheet_name: str, limits: Limits | None = None, on_rows: RowsRead | None = None
) -> Iterator[Sheet]:
    """One sheet named after the file; the delimiter is sniffed from , ; tab |."""
    text = decode_csv(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:8192], delimiters=",;\t|"
        )
    except csv.Error:
        dialect = csv.excel

    budget = _Budget(limits or Limits(), on_rows)
    if on_rows is not None:
        budget.total = text.count("\n") + (not text.endswith("\n"))

    def rows() -> Iterator[Row]:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        try:
            for number, values in enumerate(reader, start=1):
                budget.spend(len(values))
                yield number, tuple(value if value != "" else None for value in values)
        except csv.Error as error:
            raise ImportFileError("unknown_encoding") from error
        budget.finished()

    yield Sheet(name=sheet_name, rows=rows())


def open_sheets(
    data: bytes, file_name: str, limits: Limits | None = None, on_rows: RowsRead | None = None
) -> Iterator[Sheet]:
    """Check the file (size, type, bombs), then stream its sheets; ``on_rows`` hears how many
    rows were read (every 256 rows and at the end)."""
    kind = sniff(data, file_name, limits)
    if kind == "xlsx":
        return read_xlsx(data, limits, on_rows)
    return read_csv(data, PurePath(file_name).name or "CSV", limits, on_rows)
