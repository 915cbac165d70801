from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.accounts.models import User
from tocnet.accounts.two_factor import enrol_code_issue, has_second_factor


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md
    help = (
        "Print a one-time enrolment code for a user who has no second factor yet (the first "
        "staff account, or one whose first-enrolment days passed); audited as the command line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"ไม่พบผู้ใช้ {options['username']} / no such active user")
        if has_second_factor(user):
            raise CommandError(
                "ผู้ใช้นี้เปิดการยืนยันสองขั้นแล้ว: ให้เจ้าหน้าที่อีกคนรีเซ็ตในหน้าเว็บ / "
                "already enrolled: another staff member resets it on the site"
            )
        code, until = enrol_code_issue(user=user, actor="command line: two_factor_enrol_code")
        self.stdout.write(f"{user.username}: {code} (valid until {until:%Y-%m-%d %H:%M} UTC)")
