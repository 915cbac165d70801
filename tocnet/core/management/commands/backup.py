from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump) and the var/ files rows point "
        "at into one archive (.tar.gz with a manifest of checksums)."
    )
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="The archive to write.")

    def handle(self, *args: Any, **options: Any) -> None:
        from tocnet.core.backup import BackupError, backup_create

        try:
            result = backup_create(out=options["out"], actor="command line: backup")
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        self.stdout.write(
            f"{result.path}: {manifest['engine']} database "
            f"{manifest['database']['size']:,} bytes, {len(manifest['files'])} files"
        )
