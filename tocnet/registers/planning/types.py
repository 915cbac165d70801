"""Inputs and outputs of the register planner: plain data, no database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

FLAG_NEEDS_REPRESENTATIVE = "needs_representative"
FLAG_FEW_MEMBERS = "few_members_per_representative"
FLAG_MANY_MEMBERS = "many_members_per_representative"
FLAG_REPRESENTATIVE_NOT_MEMBER = "representative_not_active_member_of_unit"
FLAG_MOVES_PROPOSED = "moves_proposed"
FLAG_VACANT = "vacant_register"
FLAG_RENAMES_VERIFIED_GROUP = "renames_verified_group"

MOVE_BALANCE = "balance"
MOVE_REPRESENTATIVE = "representative"
MOVE_RETIRED_REGISTER = "retired_register"


@dataclass(frozen=True, slots=True)
class MemberIn:
    """An active member of the unit: number, district office (sub-unit) and a name sort key."""

    number: str
    district: str = ""
    sort_key: Any = ()


@dataclass(frozen=True, slots=True)
class CurrentRegister:
    """A register as it stands (not retired): its key, number, representative and group name."""

    key: str
    number: int | None
    representative: str | None = None
    name: str = ""
    # A verified LINE group: renaming the register also means renaming the group in LINE.
    group_verified: bool = False


@dataclass(slots=True)
class UnitInput:
    """Everything the planner needs about one unit.

    ``assignments`` maps member number -> register key for every open membership in this unit's
    registers, including members no longer active (they leave their register).
    """

    key: str
    abbreviation: str
    members: Sequence[MemberIn]
    representatives: Sequence[str] = ()
    registers: Sequence[CurrentRegister] = ()
    assignments: Mapping[str, str] = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """Tolerance (largest minus smallest register), the 35/65 flags and the solver's limits."""

    tolerance: int = 2
    low_per_representative: int = 35
    high_per_representative: int = 65
    # CP-SAT is given deterministic time (reproducible plans), not wall time.
    exact_deterministic_time: float = 0.5
    # Units above this many members or this many (district x register) cells use the heuristic.
    exact_max_members: int = 5_000
    exact_max_cells: int = 4_000
    # How many packing checks the small-unit exact search may spend before CP-SAT takes over.
    search_budget: int = 300

    def __post_init__(self) -> None:
        if self.tolerance < 1:
            # Sizes can only be all equal when the members divide evenly; 1 is the least spread.
            raise ValueError("tolerance must be at least 1")


@dataclass(slots=True)
class PlannedRegister:
    """One register of the plan; ``key`` is None for a register to be created.

    ``representative`` is None for a vacant register: its representative left and no
    successor took it over; it keeps its number, name, members and LINE group."""

    key: str | None
    number: int | None
    name: str
    representative: str | None
    members: list[str]
    districts: list[tuple[str, int]]
    previous_name: str = ""
    previous_representative: str | None = None
    group_verified: bool = False

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def is_vacant(self) -> bool:
        return self.representative is None

    @property
    def is_new(self) -> bool:
        return self.key is None

    @property
    def is_renamed(self) -> bool:
        return bool(self.previous_name) and self.previous_name != self.name

    @property
    def representative_changed(self) -> bool:
        return (
            self.key is not None
            and self.representative is not None
            and self.previous_representative != self.representative
        )

    @property
    def renames_verified_group(self) -> bool:
        return self.group_verified and self.is_renamed


@dataclass(frozen=True, slots=True)
class Move:
    """A member who changes register; nothing moves until someone approves the plan."""

    member: str
    from_key: str
    from_name: str
    to_key: str | None
    to_name: str
    reason: str = MOVE_BALANCE


@dataclass(slots=True)
class UnitPlan:
    """The plan of one unit, with what it changes and how good its district grouping is."""

    key: str
    abbreviation: str
    name: str
    member_count: int
    representative_count: int
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    registers: list[PlannedRegister] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    retired: list[CurrentRegister] = field(default_factory=list)
    unassigned: list[str] = field(default_factory=list)
    split_districts: int = 0
    baseline_split_districts: int = 0
    method: str = ""
    optimal: bool | None = None

    @property
    def sizes(self) -> list[int]:
        return [r.size for r in self.registers]

    @property
    def vacant(self) -> list[PlannedRegister]:
        return [r for r in self.registers if r.is_vacant]

    @property
    def placed(self) -> int:
        """Members who get a register for the first time (new members, transfers in)."""
        return len(self.added)

    @property
    def spread(self) -> int:
        sizes = self.sizes
        return max(sizes) - min(sizes) if sizes else 0

    @property
    def changes_anything(self) -> bool:
        return bool(
            self.moves
            or self.added
            or self.left
            or self.retired
            or any(r.is_new or r.is_renamed or r.representative_changed for r in self.registers)
        )
