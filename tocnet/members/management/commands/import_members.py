import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.members.importing.cli import print_summary, read_file
from tocnet.members.importing.reasons import ImportFileError
from tocnet.members.importing.services import member_import_file


class Command(BaseCommand):
    help = (
        "Import a member list (.xlsx or .csv): create and update members; members missing "
        "from the file are reported, never deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only; change nothing.")
        parser.add_argument(
            "--create-units",
            action="store_true",
            help="Create every unknown unit the file names instead of rejecting its rows.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["file"]  # type: ignore[assignment]
        data = read_file(path)
        try:
            outcome = member_import_file(
                data=data,
                file_name=path.name,
                actor="command line: import_members",
                create_units=bool(options["create_units"]),
                dry_run=bool(options["dry_run"]),
            )
        except ImportFileError as error:
            raise CommandError(f"{path.name}: {error.message_both()}") from error
        if options["json"]:
            self.stdout.write(json.dumps(outcome.summary, ensure_ascii=False))
        else:
            print_summary(self.stdout, outcome, dry_run=bool(options["dry_run"]))
