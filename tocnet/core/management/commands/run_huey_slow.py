from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the consumer of the slow queue (report builds); `run_huey` runs the main one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", "-w", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        from django.apps import apps

        from tocnet.core.slow_queue import SLOW_HUEY

        for config in apps.get_app_configs():  # import every tasks.py (registers slow tasks)
            try:
                __import__(f"{config.name}.tasks")
            except ModuleNotFoundError:
                continue
        consumer = SLOW_HUEY.create_consumer(workers=options["workers"], worker_type="thread")
        self.stdout.write(f"slow queue consumer, {options['workers']} worker(s)")
        consumer.run()
