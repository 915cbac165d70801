"""Hooks through which every app's personal data is exported, erased and expired.

Privacy comes early in the app order and never imports a later app. Each app that holds data
about members registers, in its AppConfig.ready():

    from tocnet.privacy.registry import register_member_data, register_retention

    register_member_data(
        "messaging.deliveries",
        label=_("Messages sent"),
        export=lambda member: [...],         # rows of plain JSON values
        erase=my_erase_function,             # (member, identifiers) -> {"deleted": n, ...}
    )
    register_retention(
        "messaging.deliveries",
        label=_("Delivery rows and message contents"),
        period=dt.timedelta(days=365),
        select=lambda now: Delivery.objects.filter(created_at__lt=now - period),
    )

The access/portability export, the erasure and `tocnet retention_sweep` walk these registries;
tests check that every model holding member data is covered.
"""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils.functional import Promise

if TYPE_CHECKING:
    from tocnet.members.models import Member
    from tocnet.privacy.erasure import Identifiers

# One record of an export section, column -> value (text, number, yes/no, ISO date, or the
# JSON of an audit event's changes): each app's hook names its own columns.
ExportRow = Mapping[str, object]
ExportFunction = Callable[["Member"], Sequence[ExportRow]]
EraseFunction = Callable[["Member", "Identifiers"], dict[str, int]]


@dataclass(frozen=True)
class MemberDataHook:
    name: str
    label: str | Promise
    export: ExportFunction
    erase: EraseFunction | None
    order: int = 100


@dataclass(frozen=True)
class RetentionKind:
    name: str
    label: str | Promise
    period: dt.timedelta
    select: Callable[[dt.datetime], QuerySet[Any, Any]] | None
    purge: Callable[[dt.datetime], int] | None = None
    note: str | Promise = ""
    # For data outside the database (files in VAR_DIR): how many are past the period.
    count: Callable[[dt.datetime], int] | None = None

    def run(self, now: dt.datetime) -> int:
        if self.purge is not None:
            return self.purge(now)
        assert self.select is not None
        selected = self.select(now)
        _total, by_model = selected.delete()
        # The rows of this kind: what went with them by cascade (an audit event's member
        # rows) is not counted again, so a run answers the dry run's count.
        return by_model.get(selected.model._meta.label, 0)

    def past(self, now: dt.datetime) -> int:
        """How many rows (or files) a run would delete or empty now (the dry run)."""
        if self.count is not None:
            return self.count(now)
        assert self.select is not None
        return self.select(now).count()


_member_data: dict[str, MemberDataHook] = {}
_retention: dict[str, RetentionKind] = {}


def register_member_data(
    name: str,
    *,
    label: str | Promise,
    export: ExportFunction,
    erase: EraseFunction | None = None,
    order: int = 100,
) -> None:
    """Declare one kind of member data (idempotent per name: a reload replaces it)."""
    _member_data[name] = MemberDataHook(name, label, export, erase, order)


def member_data_hooks() -> list[MemberDataHook]:
    return sorted(_member_data.values(), key=lambda h: (h.order, h.name))


def register_retention(
    name: str,
    *,
    label: str | Promise,
    period: dt.timedelta,
    select: Callable[[dt.datetime], QuerySet[Any, Any]] | None = None,
    purge: Callable[[dt.datetime], int] | None = None,
    note: str | Promise = "",
    count: Callable[[dt.datetime], int] | None = None,
) -> None:
    """Declare one kind of data with its retention period; `select(now)` gives rows past it
    (deleted unless `purge` does otherwise); files: `count(now)` and `purge(now)` instead."""
    if select is None and (count is None or purge is None):
        raise ValueError(f"retention kind {name}: give select, or count and purge")
    _retention[name] = RetentionKind(name, label, period, select, purge, note, count=count)


def retention_kinds() -> list[RetentionKind]:
    return sorted(_retention.values(), key=lambda k: k.name)


def retention_kind(name: str) -> RetentionKind:
    return _retention[name]
