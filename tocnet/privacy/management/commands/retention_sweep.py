import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tocnet.privacy.services import retention_sweep


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md
    help = (
        "Delete (or with --dry-run count) the data past its retention period, kind by kind, "
        "as the periodic jobs do (docs/retention.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="count only, change nothing")
        parser.add_argument("--json", action="store_true", help="print counts per kind as JSON")
        parser.add_argument("--kind", action="append", help="only this kind (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = retention_sweep(dry_run=bool(options["dry_run"]), kinds=options["kind"])
        if options["json"]:
            self.stdout.write(
                json.dumps({"dry_run": bool(options["dry_run"]), "kinds": counts}, indent=2)
            )
            return
        verb = "would delete" if options["dry_run"] else "deleted"
        for name, count in counts.items():
            self.stdout.write(f"{name}: {verb} {count}")
