import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.core.thai import parse_thai_date
from tocnet.members.importing.cli import print_summary, read_file
from tocnet.members.importing.reasons import ImportFileError
from tocnet.members.importing.services import representative_import_file


def _date(text: str):  # type: ignore[no-untyped-def]
    try:
        return parse_thai_date(text)
    except ValueError as error:
        raise CommandError(str(error)) from error


class Command(BaseCommand):
    help = (
        "Import the elected member representatives (member number, name, unit). Each must "
        "match a member of that unit; representatives missing from the file are ended."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only; change nothing.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--term-start", help="Term start, e.g. 01/01/2565 (default today).")
        parser.add_argument("--term-end", help="Term end, e.g. 31/12/2568 (default 4 years).")

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        data = read_file(path)
        start = _date(str(options["term_start"])) if options["term_start"] else None
        end = _date(str(options["term_end"])) if options["term_end"] else None
        try:
            outcome = representative_import_file(
                data=data,
                file_name=path.name,
                actor="command line: import_representatives",
                dry_run=bool(options["dry_run"]),
                term_start=start,
                term_end=end,
            )
        except ImportFileError as error:
            raise CommandError(f"{path.name}: {error.message_both()}") from error
        if options["json"]:
            self.stdout.write(json.dumps(outcome.summary, ensure_ascii=False))
        else:
            print_summary(self.stdout, outcome, dry_run=bool(options["dry_run"]))
