"""`tocnet inbox --json [--department X] [--status open|waiting|solved]`"""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.accounts.models import Department
from tocnet.conversations.models import Conversation
from tocnet.conversations.reporting import inbox_as_json


class Command(BaseCommand):
    help = "List conversations of the inbox (as JSON with --json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--department", default="", help="department code, or 'triage'")
        parser.add_argument("--status", default="", choices=["", *Conversation.Status.values])

    def handle(self, *args: Any, **options: Any) -> None:
        qs = Conversation.objects.filter(member__isnull=False).order_by("-last_message_at", "-id")
        department = options["department"]
        if department == "triage":
            qs = qs.filter(department__isnull=True)
        elif department:
            if not Department.objects.filter(code=department).exists():
                codes = ", ".join(Department.objects.values_list("code", flat=True))
                raise CommandError(
                    f"ไม่พบฝ่าย {department!r} / unknown department (known: {codes}, triage)"
                )
            qs = qs.filter(department__code=department)
        if options["status"]:
            qs = qs.filter(status=options["status"])
        data = inbox_as_json(qs)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for row in data["conversations"]:
            member = row["member"] or "-"
            self.stdout.write(
                f"{row['id']}  {member}  {row['department'] or 'triage'}  {row['status']}  "
                f"{row['messages']} msg  waiting since {row['waiting_since'] or '-'}"
            )
        self.stdout.write(f"{len(data['conversations'])} conversation(s)")
