import io
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tocnet.members.demo import DEFAULT_MEMBERS, DEMO_PASSWORD, demo_cooperative_create


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md
    help = "Fill an empty database with a synthetic demo cooperative (deterministic per seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS)
        parser.add_argument("--seed", type=int, default=2564)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already has members.",
        )

    def handle(self, *args: object, **options: Any) -> None:
        started = time.perf_counter()
        try:
            result = demo_cooperative_create(
                members=int(options["members"]),
                seed=int(options["seed"]),
            )
        except ValueError as exc:
            if options["if_empty"]:
                self.stdout.write("Database already has members; demo not loaded.")
                return
            raise CommandError(str(exc)) from exc
        # Registers come after members in the app order: reach the planner by command name.
        planned = io.StringIO()
        call_command("plan_registers", apply=True, stdout=planned)
        # Then the LINE network (verified groups, linked accounts) for sending announcements.
        call_command("demo_network", seed=int(options["seed"]), stdout=planned)
        # A campaign running now, with its deadline ahead (reports comes later in the order).
        call_command("campaign_current", stdout=io.StringIO())
        # The inbox's knowledge base and a few conversations (conversations comes later too).
        call_command("demo_conversations", stdout=io.StringIO())
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Demo cooperative: {result.members} members, {result.units} units, "
            f"{result.representatives} representatives in {elapsed:.1f} s."
        )
        for line in planned.getvalue().strip().splitlines()[-3:]:
            self.stdout.write(f"  {line}")
        for username, role in result.logins.items():
            self.stdout.write(f"  login {username:<10} ({role}) password {DEMO_PASSWORD}")
