from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Restore an archive written by `tocnet backup` into an empty database (and the var/ "
        "folder); checks every checksum first and refuses a database that is not empty."
    )
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        from tocnet.core.backup import BackupError, backup_restore

        try:
            result = backup_restore(path=options["file"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"restored the backup of {result.manifest['created_at']} "
            f"({result.manifest['engine']}, {result.files} files)"
        )
        if result.unapplied_migrations:
            self.stdout.write(
                f"{len(result.unapplied_migrations)} migrations of this version are not applied "
                "yet: run `tocnet migrate` before starting the site."
            )
