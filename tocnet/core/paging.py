"""Paging in Thai alphabetical order, which the database cannot sort by itself."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet

from tocnet.core.thai import thai_sort_key


@dataclass
class ThaiPage:
    page: Page[Any]
    rows: list[Any]


def thai_ordered_page(
    queryset: QuerySet[Any],
    *,
    name_fields: tuple[str, ...],
    page_number: str | int | None,
    per_page: int = 50,
    prepare: Callable[[QuerySet[Any]], QuerySet[Any]] | None = None,
) -> ThaiPage:
    """One page of rows sorted by Thai collation of name_fields, in two queries.

    Only (pk, names) of the whole filtered set are read and sorted in Python; full rows are
    loaded for the requested page only.
    """
    keys = list(queryset.values_list("pk", *name_fields))
    keys.sort(key=lambda row: (thai_sort_key(" ".join(str(v or "") for v in row[1:])), row[0]))
    paginator = Paginator([row[0] for row in keys], per_page)
    page = paginator.get_page(page_number)
    ids = list(page.object_list)
    rows_qs = queryset.model._default_manager.filter(pk__in=ids)
    if prepare is not None:
        rows_qs = prepare(rows_qs)
    by_pk: dict[Any, Model] = {row.pk: row for row in rows_qs}
    return ThaiPage(page=page, rows=[by_pk[pk] for pk in ids if pk in by_pk])
