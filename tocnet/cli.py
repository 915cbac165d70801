"""The `tocnet` console command: manage.py under a friendlier name."""

import gc
import os
import sys


def without_system_checks(args: list[str]) -> list[str]:
    """``args`` with ``--skip-checks`` added for TOC-Net's own commands.

    Django's system checks import every URL module, and through them every view's libraries,
    before a command does any work. The project's commands (import, plan, export, ...) do not
    need them: they run with ``runserver``, ``migrate``, ``check`` and in CI. Django's own
    commands keep their checks.
    """
    if len(args) < 2 or "--skip-checks" in args:
        return args
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import get_commands, load_command_class

    try:
        django.setup()  # before get_commands(), which caches what it finds
    except ImproperlyConfigured:
        return args  # Django reports bad settings its own way
    app = get_commands().get(args[1], "")
    if not isinstance(app, str) or not app.startswith("tocnet."):
        return args
    if not load_command_class(app, args[1]).requires_system_checks:
        return args  # already skips them (and so has no --skip-checks option)
    return [*args[:2], "--skip-checks", *args[2:]]


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tocnet.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    args[0] = "tocnet"
    # Starting Django and loading the command allocate ~100,000 objects that live as long as
    # the process: the cyclic collector would scan them again and again meanwhile (~15% of
    # start-up) and at every full collection after. Off while starting, then set aside.
    gc.disable()
    try:
        args = without_system_checks(args)
    finally:
        gc.freeze()
        gc.enable()
    execute_from_command_line(args)
    return 0
