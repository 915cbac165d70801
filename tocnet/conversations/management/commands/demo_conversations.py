from typing import Any

from django.core.management.base import BaseCommand

from tocnet.conversations.demo import demo_conversations_create


class Command(BaseCommand):
    help = "Add the demo knowledge base, saved answers and a few conversations (once)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = demo_conversations_create()
        self.stdout.write(f"Demo conversations: {created} created.")
