"""Data versions: one counter per kind of data, bumped after each committed change.

Caches of figures built from that data (the dashboard's coverage) put the version in their keys:
a change anywhere, in any process, makes every cached copy stale at once. The version is read
before the figures are computed, so a copy is never newer-keyed than its data.
"""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from tocnet.core.models import DataVersion

# Members, units, registers, representatives, LINE groups, submissions: what coverage counts.
NETWORK = "network"
# Apps whose audited changes bump NETWORK (tocnet.core.audit.audit_record).
NETWORK_APPS = frozenset({"members", "registers", "line", "reports"})


def data_version(name: str) -> int:
    """The current version of ``name`` (0 before its first change)."""
    value = DataVersion.objects.filter(name=name).values_list("value", flat=True).first()
    return int(value or 0)


def data_version_bump(name: str) -> None:
    """Count one change of ``name`` now (one short UPDATE; no lock held for long)."""
    if DataVersion.objects.filter(name=name).update(value=F("value") + 1):
        return
    try:
        with transaction.atomic():
            DataVersion.objects.create(name=name, value=1)
    except IntegrityError:  # created meanwhile by another process
        DataVersion.objects.filter(name=name).update(value=F("value") + 1)


def _bump_network() -> None:
    data_version_bump(NETWORK)


def network_changed() -> None:
    """Bump NETWORK once the current transaction commits (once per transaction, however many
    rows it changes; nothing if it rolls back)."""
    if any(entry[1] is _bump_network for entry in connection.run_on_commit):
        return
    transaction.on_commit(_bump_network)
