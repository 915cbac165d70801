"""tocnet announcement_report ID [--json]: who responded to an announcement, and how."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.messaging.models import Announcement
from tocnet.messaging.responses.selectors import announcement_report


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md
    help = "Responses to one announcement: responded by way, informed, unreached, per register."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("announcement", type=int, help="the announcement's number (ID)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        announcement = Announcement.objects.filter(pk=options["announcement"]).first()
        if announcement is None:
            raise CommandError(f"No announcement {options['announcement']}.")
        report = announcement_report(announcement)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
            return
        self.stdout.write(
            f"{announcement.title}: {report.recipients} recipients, {report.responded} responded, "
            f"{report.informed} informed by their representative, "
            f"{report.informed_staff} informed by staff or coop agents, {report.unreached} unreached"
        )
        for way, n in sorted(report.by_way.items()):
            self.stdout.write(f"  {way}: {n}")
        for reason, n in sorted(report.unreached_by_reason.items()):
            self.stdout.write(f"  unreached, {reason}: {n}")
