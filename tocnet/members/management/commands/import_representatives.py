import datetime as dt
from typing import Any

from django.core.management.base import CommandError, CommandParser

from tocnet.core.thai import parse_thai_date
from tocnet.members.importing.cli import ImportCommand
from tocnet.members.importing.services import Outcome, representative_import_file


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return parse_thai_date(text)
    except ValueError as error:
        raise CommandError(str(error)) from error


class Command(ImportCommand):
    help = (
        "Import the elected member representatives (member number, name, unit). Each must "
        "match a member of that unit; representatives missing from the file are ended."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--term-start", help="Term start, e.g. 01/01/2565 (default today).")
        parser.add_argument("--term-end", help="Term end, e.g. 31/12/2568 (default 4 years).")

    def import_data(self, *, data: bytes, file_name: str, options: dict[str, Any]) -> Outcome:
        return representative_import_file(
            data=data,
            file_name=file_name,
            actor="command line: import_representatives",
            dry_run=bool(options["dry_run"]),
            term_start=_date(options["term_start"]),
            term_end=_date(options["term_end"]),
        )
