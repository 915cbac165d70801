"""Commands start fast: no system checks, and no heavy library a command does not use.

Django's system checks import every URL module, and through them every view's libraries,
before a command does any work; line-bot-sdk alone takes about a second to import. Timings
live in bench/ (bench_commands.py); this test keeps the reasons for them from coming back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.management import get_commands, load_command_class

from tocnet.cli import without_system_checks

HEAVY = ("linebot", "weasyprint", "openpyxl", "ortools", "pythainlp.tokenize")

PROBE = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tocnet.settings")
import django
django.setup()
from django.core.management import load_command_class
loaded = {}
for app, name in json.loads(sys.argv[1]):
    load_command_class(app, name)
    loaded[name] = sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)
print(json.dumps(loaded))
"""


def _heavy_modules_after_loading(commands: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Heavy libraries imported, in a fresh process, by start-up and each command's module
    (loaded one after another, so each list includes the earlier ones)."""
    env = {**os.environ, "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(commands), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    loaded: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_it_starts_django_without_the_line_sdk_pdf_or_excel_libraries() -> None:
    loaded = _heavy_modules_after_loading([("django.core", "check")])
    assert loaded["check"] == []


@pytest.mark.parametrize(
    ("app", "command", "allowed"),
    [
        ("tocnet.registers", "plan_registers", ["ortools"]),
        ("tocnet.members", "import_members", ["pythainlp.tokenize"]),
        ("tocnet.members", "import_representatives", ["pythainlp.tokenize"]),
    ],
)
def test_a_command_loads_only_what_it_uses(app: str, command: str, allowed: list[str]) -> None:
    loaded = _heavy_modules_after_loading([(app, command)])
    assert [m for m in loaded[command] if m not in allowed] == []


def test_every_tocnet_command_skips_the_system_checks() -> None:
    ours = {name: app for name, app in get_commands().items() if app.startswith("tocnet.")}
    assert "plan_registers" in ours
    for name, app in ours.items():
        argv = without_system_checks(["tocnet", name, "--json"])
        skips = load_command_class(app, name).requires_system_checks == []
        assert skips or argv == ["tocnet", name, "--skip-checks", "--json"], name


def test_django_commands_keep_their_checks() -> None:
    assert without_system_checks(["tocnet", "migrate"]) == ["tocnet", "migrate"]
    assert without_system_checks(["tocnet", "runserver", "0"]) == ["tocnet", "runserver", "0"]


def test_the_collector_is_back_on_after_start_up() -> None:
    # Start-up runs without the cyclic garbage collector, whose objects are then set aside
    # (gc.freeze); the command itself must run with it on.
    probe = (
        "import gc, sys\n"
        "from tocnet.cli import main\n"
        "main(['tocnet', 'version'])\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 10000)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env={**os.environ, "DEBUG": "1"},
        check=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "True True"
