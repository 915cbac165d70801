from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tocnet.messaging.demo import demo_network_create, demo_network_sync_fake


class Command(BaseCommand):
    help = (
        "Give the demo cooperative verified LINE groups and linked LINE accounts (run by "
        "`tocnet demo`); with --sync-fake URL, tell a running fake LINE server about them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2564)
        parser.add_argument("--sync-fake", default="", help="base URL of the fake LINE server")

    def handle(self, *args: object, **options: Any) -> None:
        if options["sync_fake"]:
            n = demo_network_sync_fake(str(options["sync_fake"]))
            self.stdout.write(f"Fake LINE knows {n} verified groups.")
            return
        result = demo_network_create(seed=int(options["seed"]))
        self.stdout.write(
            f"LINE network: {result.groups} verified groups, {result.linked_members} linked "
            f"members ({result.seen_in_groups} seen in their register's group), "
            f"{result.linked_representatives} linked representatives."
        )
