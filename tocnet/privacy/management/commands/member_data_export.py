from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.members.models import Member
from tocnet.privacy.services import member_data_export


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md
    help = (
        "Write everything held about one member (PDPA access/portability) to a .json or .xlsx "
        "file; the export is logged as done by the command line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number", help="member number")
        parser.add_argument("--out", required=True, help="file to write (.json or .xlsx)")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        file_format = "xlsx" if out.suffix.lower() == ".xlsx" else "json"
        member = Member.objects.filter(number=options["number"].strip()).first()
        if member is None:
            raise CommandError(f"ไม่พบสมาชิกเลขทะเบียน {options['number']} / no member numbered so")
        body, _name = member_data_export(
            member=member,
            actor="command line: member_data_export",
            file_format=file_format,
            via="command",
        )
        out.write_bytes(body)
        self.stdout.write(f"member {member.number}: {len(body)} bytes written to {out}")
