"""The main menu: entries registered by the apps that own the pages, shown by role.

Each app registers its entries in ``AppConfig.ready()`` (accounts comes before the apps whose
pages it lists, so it never imports them); ``context_processors.menu`` picks the entries the
signed-in user may open, in ``position`` order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

from tocnet.accounts import roles
from tocnet.accounts.models import User


@dataclass(frozen=True)
class MenuEntry:
    """One link of the main menu. ``nav`` becomes its ``data-nav`` attribute (tests, CSS)."""

    url_name: str
    label: str | Promise
    shown_to: Callable[[User], bool]
    position: int
    nav: str = ""


@dataclass(frozen=True)
class MenuLink:
    href: str
    label: str | Promise
    nav: str


_ENTRIES: dict[str, MenuEntry] = {}


def menu_entry_register(entry: MenuEntry) -> None:
    """Add (or replace, by URL name) a menu entry. Called from AppConfig.ready()."""
    _ENTRIES[entry.url_name] = entry


def menu_for_user(user: object) -> list[MenuLink]:
    """The links this user may open, in menu order; none when not signed in."""
    if not roles.is_signed_in(user):
        return []
    entries = sorted(_ENTRIES.values(), key=lambda e: (e.position, e.url_name))
    return [
        MenuLink(href=reverse(e.url_name), label=e.label, nav=e.nav)
        for e in entries
        if e.shown_to(user)
    ]
