"""Hooks through which later apps take part in member scoping, registered in AppConfig.ready().

members comes before registers and privacy in the app order, so it cannot ask them who leads a
register or whose processing is restricted; they tell it instead:

- registers: a representative sees the members (and units) of the registers they lead;
- privacy: a member under restriction of processing is hidden from every list and search.

``members.selectors`` is still the one place that decides who sees which member.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from tocnet.accounts.models import User

# A subquery of ids (`pk__in=`), e.g. `RegisterMembership.objects.filter(...).values("member_id")`.
Ids = QuerySet[Any, Any]


@dataclass(frozen=True)
class ScopeRule:
    """The members and units a kind of user sees, decided by a later app."""

    applies_to: Callable[[User], bool]
    member_ids: Callable[[User], Ids]
    unit_ids: Callable[[User], Ids]


_rules: list[ScopeRule] = []
_hidden: list[Callable[[], Ids]] = []


def scope_rule_register(rule: ScopeRule) -> None:
    """Add a scope rule (idempotent). The first rule that applies to a user decides."""
    if rule not in _rules:
        _rules.append(rule)


def hidden_members_register(member_ids: Callable[[], Ids]) -> None:
    """Add a source of member ids hidden from every list and search (idempotent)."""
    if member_ids not in _hidden:
        _hidden.append(member_ids)


def scope_rule_for(user: User) -> ScopeRule | None:
    """The rule that decides this user's scope, if a later app defined one."""
    return next((rule for rule in _rules if rule.applies_to(user)), None)


def hidden_member_ids() -> list[Ids]:
    """Subqueries of member ids to leave out of every list and search."""
    return [source() for source in _hidden]
