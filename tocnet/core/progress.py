"""How far a background job has got, readable by the page that polls it.

An import's writes run in one transaction (a failed job changes nothing), and on SQLite that
transaction holds the only write lock until it ends: a progress count written to the database
from inside it would be invisible to the polling page, and from a second connection it would
wait for the lock. So the worker writes its counts to a small file in VAR_DIR/progress (the
web server and the workers share VAR_DIR already: uploads waiting to be read live there),
replaced atomically, at most a few times a second; the page reads it. The file is removed when
the job ends.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

# Stages a job reports (the page words each one): reading a file, checking its rows against
# the register, writing members, applying a returned form's rows.
READING = "reading"
CHECKING = "checking"
WRITING = "writing"
APPOINTING = "appointing"  # a representatives list's ends and appointments
APPLYING = "applying"  # a returned form's rows
_KEY = re.compile(r"^[a-z]+-[0-9a-f-]{36}$")


@dataclass(frozen=True)
class Progress:
    stage: str
    done: int
    total: int | None  # None: not known (a workbook that does not record its size)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)


def _path(key: str) -> Path:
    if not _KEY.match(key):
        raise ValueError(f"bad progress key: {key!r}")
    return Path(settings.VAR_DIR) / "progress" / f"{key}.json"


def progress_write(key: str, *, stage: str, done: int, total: int | None) -> None:
    """Record how far the job ``key`` has got (replaces the previous record atomically)."""
    path = _path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".progress-")
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"stage": stage, "done": done, "total": total}, handle)
    os.replace(temporary, path)


def progress_read(key: str) -> Progress | None:
    """The last record of the job ``key``, or None (not started, finished, or unreadable)."""
    try:
        data = json.loads(_path(key).read_text())
        total = data.get("total")
        return Progress(
            stage=str(data["stage"]),
            done=int(data["done"]),
            total=None if total is None else int(total),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def progress_clear(key: str) -> None:
    _path(key).unlink(missing_ok=True)


def progress_files_older_than(moment: dt.datetime) -> list[Path]:
    """Progress records (and half-written temporaries) last written before ``moment``: a job
    that ended without clearing its record, or a worker that died."""
    folder = Path(settings.VAR_DIR) / "progress"
    if not folder.is_dir():
        return []
    cutoff = moment.timestamp()
    found = []
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                found.append(path)
        except OSError:
            continue
    return found


def progress_files_purge(moment: dt.datetime) -> int:
    """Delete the progress files last written before ``moment``; returns how many went."""
    deleted = 0
    for path in progress_files_older_than(moment):
        try:
            path.unlink()
        except OSError:
            continue
        deleted += 1
    return deleted


# Seconds between two records of the same stage (tests set 0 to see every count).
WRITE_INTERVAL = 0.5


class ProgressReporter:
    """Calls of ``reporter(done, total)`` written at most every ``interval`` seconds (and
    always the first and the last of a stage), so counting costs nothing noticeable."""

    def __init__(self, key: str, *, interval: float | None = None) -> None:
        self.key = key
        self.interval = WRITE_INTERVAL if interval is None else interval
        self._last = 0.0
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if stage == self._stage and not finished and now - self._last < self.interval:
            return
        self._stage = stage
        self._last = now
        progress_write(self.key, stage=stage, done=done, total=total)


# What a job's code calls: (stage, done, total or None).
ProgressFn = Callable[[str, int, int | None], None]


def progress_label(progress: Progress | None) -> str:
    """The count a person reads under the bar ("row 3,200 of 10,700 read"), in the active
    language; empty before the job has counted anything."""
    if progress is None:
        return ""
    numbers = {"done": f"{progress.done:,}", "total": f"{progress.total or 0:,}"}
    if progress.total is None:
        return _("%(done)s rows read") % numbers
    texts = {
        READING: _("Row %(done)s of %(total)s read"),
        CHECKING: _("Row %(done)s of %(total)s checked against the register"),
        WRITING: _("%(done)s of %(total)s members written"),
        APPOINTING: _("%(done)s of %(total)s representatives written"),
        APPLYING: _("Row %(done)s of %(total)s of the form applied"),
    }
    return texts.get(progress.stage, texts[READING]) % numbers
