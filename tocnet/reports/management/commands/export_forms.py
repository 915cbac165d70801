from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.members.models import Unit
from tocnet.reports.forms_io.export import export_forms_to_dir


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md
    help = (
        "Write attachment 3 of every unit (or one, --unit ABBR) to DIR as .xlsx (with "
        "attachment 2) or PDF. Logged as access to personal data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", help="only this unit, by abbreviation (e.g. กพ)")
        parser.add_argument("--format", choices=["xlsx", "pdf"], default="xlsx")
        parser.add_argument("--out", required=True, help="folder to write into (created)")

    def handle(self, *args: object, **options: object) -> None:
        units = Unit.objects.order_by("kind", "name")
        if options["unit"]:
            units = units.filter(abbreviation=str(options["unit"]).strip().rstrip("."))
            if not units.exists():
                raise CommandError(f"No unit with abbreviation {options['unit']!r}")
        written = export_forms_to_dir(
            units=list(units), fmt=str(options["format"]), out=Path(str(options["out"]))
        )
        self.stdout.write(f"{len(written)} files written to {options['out']}")
