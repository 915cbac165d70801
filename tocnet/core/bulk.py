"""Many plain rows into one table, fast: one executemany per chunk of rows.

`bulk_create` runs every value through Django's SQL compiler and builds a model instance per
row, which for 10,000 members with their phones and audit events takes longer than reading
the workbook they came from. Here values still pass through each field's `get_db_prep_save`,
so conversions and database differences stay Django's, except the plain values that method
returns unchanged (a str for a text column, an int for an integer one, a bool, None).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

CHUNK = 1000

# Internal field types whose get_db_prep_save gives back a value of this Python type unchanged.
_PLAIN: dict[str, type] = {
    "CharField": str,
    "TextField": str,
    "SlugField": str,
    "BooleanField": bool,
    "IntegerField": int,
    "SmallIntegerField": int,
    "BigIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int,
    "PositiveBigIntegerField": int,
    "AutoField": int,
    "BigAutoField": int,
}
_MISSING = object()


def _plain_type(field: models.Field[Any, Any]) -> type | None:
    if isinstance(field, models.ForeignKey):
        return _plain_type(field.target_field)  # a foreign key stores its target's value
    return _PLAIN.get(field.get_internal_type())


def _plain(value: Any) -> Any:
    """A choice (TextChoices, IntegerChoices) as the str or int it stands for: what the
    database stores, and what the NUL guard passes without looking at each value."""
    return value.value if isinstance(value, enum.Enum) else value


def insert_rows(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, using: str = DEFAULT_DB_ALIAS
) -> None:
    """INSERT rows given as {attname: value}; missing fields get their defaults and
    auto_now(_add) fields the current time. No model instances, no signals, no full_clean:
    the caller has checked the values."""
    if not rows:
        return
    connection = connections[using]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    # Names come from model metadata, quoted; every value is a query parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table),
        ", ".join(quote(str(f.column)) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    now = timezone.now()
    specs: list[tuple[str, type | None, Callable[[], Any] | None, Any, Any]] = []
    for f in fields:
        # What a row without this field gets: prepared once, or per row for a callable default
        # (a UUID must differ from row to row).
        missing: Any = _MISSING
        make: Callable[[], Any] | None = None
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            missing = f.get_db_prep_save(now, connection)
        elif f.has_default() and callable(f.default):
            make = f.get_default
        else:
            missing = f.get_db_prep_save(f.get_default(), connection)
        specs.append((f.attname, _plain_type(f), make, _plain(missing), f.get_db_prep_save))
    params = []
    for row in rows:
        values = []
        for attname, plain, make, missing, prep in specs:
            value = row.get(attname, _MISSING)
            if value is _MISSING:
                value = missing if make is None else _plain(prep(make(), connection))
            elif plain is None or (value is not None and type(value) is not plain):
                value = _plain(prep(value, connection))
            values.append(value)
        params.append(values)
    with connection.cursor() as cursor:
        for start in range(0, len(params), CHUNK):
            cursor.executemany(sql, params[start : start + CHUNK])
