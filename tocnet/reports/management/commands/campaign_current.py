import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from tocnet.reports.services import campaign_current_set


class Command(BaseCommand):
    help = (
        "Start the current TOC-Net campaign: starts today (or --starts), submission deadline "
        "after --days (default 45), ends 90 days after the start."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--starts", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--days", type=int, default=45)

    def handle(self, *args: object, **options: Any) -> None:
        starts = options["starts"] or timezone.localdate()
        assert isinstance(starts, dt.date)
        campaign = campaign_current_set(
            starts_on=starts,
            deadline=starts + dt.timedelta(days=int(options["days"])),
            ends_on=starts + dt.timedelta(days=90),
        )
        self.stdout.write(f"Current campaign: {campaign.name}, deadline {campaign.deadline}.")
