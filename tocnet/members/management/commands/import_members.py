from typing import Any

from django.core.management.base import CommandParser

from tocnet.members.importing.cli import ImportCommand
from tocnet.members.importing.services import Outcome, member_import_file


class Command(ImportCommand):
    help = (
        "Import a member list (.xlsx or .csv): create and update members; members missing "
        "from the file are reported, never deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--create-units",
            action="store_true",
            help="Create every unknown unit the file names instead of rejecting its rows.",
        )

    def import_data(self, *, data: bytes, file_name: str, options: dict[str, Any]) -> Outcome:
        return member_import_file(
            data=data,
            file_name=file_name,
            actor="command line: import_members",
            create_units=bool(options["create_units"]),
            dry_run=bool(options["dry_run"]),
        )
