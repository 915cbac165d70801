from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.line import client


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md
    help = "Register this deployment's webhook URL with LINE (Messaging API channel)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="public HTTPS URL ending in /line/webhook")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"]
        if not url.startswith("https://") or not url.rstrip("/").endswith("/line/webhook"):
            raise CommandError("The URL must be https://<host>/line/webhook")
        if not client.is_configured():
            raise CommandError(
                "LINE is not configured: set LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN."
            )
        try:
            client.set_webhook_endpoint(url)
            now = client.get_webhook_endpoint()
        except client.ChannelError as exc:
            raise CommandError(f"LINE refused: {exc}") from exc
        self.stdout.write(f"LINE webhook endpoint is now {now}")
