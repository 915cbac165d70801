"""Shared bits of the import commands: reading the file, the human summary, one base class."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from .messages import describe_both
from .reasons import ImportFileError
from .services import Outcome, import_limits


def read_file(path: Path) -> bytes:
    """The file's bytes, refusing a missing or oversized file before reading it."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror}") from error
    limits = import_limits()
    if size > limits.max_bytes:
        raise CommandError(
            f"{path.name}: ไฟล์มีขนาด {size / 1024 / 1024:.1f} MB เกินขีดจำกัด "
            f"{limits.max_bytes / 1024 / 1024:.0f} MB / the file is over the size limit"
        )
    return path.read_bytes()


def print_summary(out: Any, outcome: Outcome, *, dry_run: bool) -> None:
    """Counts on one line, then every rejected and warned row in Thai and English."""
    summary, details = outcome.summary, outcome.details
    prefix = "[dry run] " if dry_run else ""
    out.write(
        f"{prefix}rows read {summary['rows_read']}: created {summary['created']}, "
        f"updated {summary['updated']}, unchanged {summary['unchanged']}, "
        f"duplicates {len(summary['duplicates'])}, rejected {len(summary['rejected'])}, "
        f"warnings {len(summary['warnings'])}, not in this file {summary['not_in_file']}"
    )
    for unit in summary["unknown_units"]:
        out.write(
            f"  unknown unit “{unit['name']}” ({unit['rows']} rows, {unit['action']}); "
            f"closest known: {unit['suggestion'] or '-'}"
        )
    for action in details.get("leaders", []):
        role = "successor" if action["kind"] == "successor" else "deputy"
        out.write(f"  {action['register_name']}: {role} {action['number']} {action['name']}")
    for entry in [*details["rejected"], *details["warnings"]]:
        thai, english = describe_both(entry)
        out.write(f"  {thai}\n    {english}")


class ImportCommand(BaseCommand):
    """`FILE [--dry-run] [--json]`: read the file, import it, print the summary.

    Subclasses add their own options and implement `import_data`.
    """

    requires_system_checks: list[str] = []  # see docs/decisions/0005-fast-commands.md

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only; change nothing.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def import_data(self, *, data: bytes, file_name: str, options: dict[str, Any]) -> Outcome:
        raise NotImplementedError

    def handle(self, *args: object, **options: Any) -> None:
        # Everything loaded so far (Django, the apps, the models) lives as long as the
        # process: moved out of the collector's sight, it is no longer scanned at every full
        # collection while reading the file allocates millions of objects (~10% of the time).
        gc.freeze()
        path: Path = options["file"]
        data = read_file(path)
        try:
            outcome = self.import_data(data=data, file_name=path.name, options=options)
        except ImportFileError as error:
            raise CommandError(f"{path.name}: {error.message_both()}") from error
        if options["json"]:
            self.stdout.write(json.dumps(outcome.summary, ensure_ascii=False))
        else:
            print_summary(self.stdout, outcome, dry_run=bool(options["dry_run"]))
