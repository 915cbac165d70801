import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.messaging.models import Announcement
from tocnet.messaging.selectors import announcement_by_id_or_code, announcement_status


class Command(BaseCommand):
    help = "Show where an announcement's sending stands: deliveries per state and per channel."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", help="the announcement's number (or code)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        try:
            announcement = announcement_by_id_or_code(str(options["id"]))
        except Announcement.DoesNotExist as exc:
            raise CommandError(f"No announcement {options['id']}") from exc
        status = announcement_status(announcement)
        if options["json"]:
            self.stdout.write(json.dumps(status, ensure_ascii=False))
            return
        counts = ", ".join(f"{k} {v}" for k, v in status["deliveries"].items())
        self.stdout.write(
            f"Announcement {announcement.pk} ({status['state']}, {status['purpose']}): {counts}"
        )
