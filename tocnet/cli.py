"""The `tocnet` console command: manage.py under a friendlier name."""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tocnet.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "tocnet"
    execute_from_command_line(args)
    return 0
