"""Successors and deputies named in the representatives list.

The list may say, per row, which register (LINE group) the representative leads ("กลุ่มไลน์",
"ทะเบียนที่"), whom they replace ("แทน", "ผู้แทนเดิม"), their deputy ("ผู้ช่วยผู้แทน", by number
or name), and with a role column ("บทบาท": ผู้แทน / ผู้สืบทอด / ผู้ช่วยผู้แทน) rows of deputies
or successors. members comes before registers in the app order, so registers checks and applies
these columns through the two hooks it registers here in AppConfig.ready().
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from tocnet.core.thai import clean_text

from .rows import Problem, Refusal

ROLE_REPRESENTATIVE = "representative"
ROLE_SUCCESSOR = "successor"
ROLE_DEPUTY = "deputy"

# Compared without spaces, dots and brackets, lower case.
_ROLE_WORDS: dict[str, tuple[str, ...]] = {
    ROLE_DEPUTY: ("ผู้ช่วยผู้แทน", "ผู้ช่วยผู้แทนสมาชิก", "ผู้ช่วย", "รองผู้แทน", "deputy"),
    ROLE_SUCCESSOR: (
        "ผู้สืบทอด",
        "ผู้แทนแทน",
        "ผู้แทนคนใหม่",
        "ผู้แทนใหม่",
        "ผู้แทนสมาชิกแทน",
        "ผู้ได้คะแนนลำดับถัดไป",
        "ลำดับถัดไป",
        "สำรอง",
        "successor",
    ),
    ROLE_REPRESENTATIVE: (
        "ผู้แทน",
        "ผู้แทนสมาชิก",
        "ผู้แทนเดิม",
        "ผู้แทนคนเดิม",
        "representative",
        "rep",
    ),
}
_ROLE_BY_WORD = {word: role for role, words in _ROLE_WORDS.items() for word in words}
LEADER_COLUMNS = ("register", "deputy", "deputy_name", "successor_of", "role")


def _key(value: object) -> str:
    return re.sub(r"[\s.\-–—/\\:()\[\]_*]+", "", clean_text(value)).lower()


def normalize_role(value: object) -> str | None:
    """ROLE_* for a role cell as offices write it; "" counts as representative; None if unknown."""
    key = _key(value)
    if not key:
        return ROLE_REPRESENTATIVE
    role = _ROLE_BY_WORD.get(key)
    if role is None:  # "ผู้ช่วยผู้แทน ทะเบียน 3", "ผู้สืบทอด (คะแนนลำดับ 2)"
        for word in sorted(_ROLE_BY_WORD, key=len, reverse=True):
            if len(word) > 3 and key.startswith(word):
                return _ROLE_BY_WORD[word]
    return role


@dataclass
class LeaderRow:
    """One accepted row of a representatives list, as the registers app needs it."""

    sheet: str
    row: int
    number: str
    member_id: int
    unit_id: int
    role: str
    register: str = ""  # as written: "สอ.พช.กพ.3", "กพ.3", "3", "ทะเบียนที่ ๓"
    successor_of: str = ""  # the predecessor as written: number or name
    deputy: str = ""  # the deputy as written: number, name or both
    deputy_name: str = ""

    @property
    def names_a_leader(self) -> bool:
        return bool(
            self.register
            or self.successor_of
            or self.deputy
            or self.deputy_name
            or self.role != ROLE_REPRESENTATIVE
        )


class LeaderAction(TypedDict):
    """A successor or deputy to set once the import is confirmed (JSON in the preview)."""

    kind: str  # successor | deputy
    register: str  # the register's code
    register_name: str
    number: str  # the member's number
    name: str
    sheet: str
    row: int


@dataclass
class LeaderCheck:
    """What the registers app found: rows refused (by member number, a rejection entry without
    sheet/row), warnings (entries with field), and actions to apply (plain, JSON-ready)."""

    refused: dict[str, Refusal] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    actions: list[LeaderAction] = field(default_factory=list)


LeaderChecker = Callable[[list[LeaderRow], set[str]], LeaderCheck]
LeaderApplier = Callable[[list[LeaderAction], Any, str], list[Problem]]


class _Hooks(TypedDict, total=False):
    check: LeaderChecker
    apply: LeaderApplier


_hooks: _Hooks = {}


def leader_hooks_register(*, check: LeaderChecker, apply: LeaderApplier) -> None:
    """registers' AppConfig.ready(): check(rows, listed numbers) and apply(actions, actor,
    file name) -> warnings for actions that could not be applied (nothing else changes)."""
    _hooks["check"] = check
    _hooks["apply"] = apply


def leader_rows_check(rows: list[LeaderRow], listed: set[str]) -> LeaderCheck:
    """Check the rows naming registers, successors or deputies (none: nothing to do)."""
    check = _hooks.get("check")
    rows = [row for row in rows if row.names_a_leader]
    if check is None or not rows:
        return LeaderCheck()
    result: LeaderCheck = check(rows, listed)
    return result


def leader_actions_apply(actions: list[LeaderAction], actor: Any, file_name: str) -> list[Problem]:
    """Apply the checked actions inside the import's transaction; warnings for any skipped."""
    apply = _hooks.get("apply")
    if apply is None or not actions:
        return []
    warnings: list[Problem] = apply(actions, actor, file_name)
    return warnings
