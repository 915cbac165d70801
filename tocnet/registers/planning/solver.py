"""Plan the registers of a unit: a first plan (optimal district grouping) or a stable re-plan."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from tocnet.registers.naming import register_group_name

from .districts import district_key
from .fresh import District, solve_fresh
from .types import (
    FLAG_FEW_MEMBERS,
    FLAG_MANY_MEMBERS,
    FLAG_MOVES_PROPOSED,
    FLAG_NEEDS_REPRESENTATIVE,
    FLAG_RENAMES_VERIFIED_GROUP,
    FLAG_REPRESENTATIVE_NOT_MEMBER,
    FLAG_VACANT,
    MOVE_BALANCE,
    MOVE_REPRESENTATIVE,
    CurrentRegister,
    MemberIn,
    Move,
    PlannedRegister,
    PlanOptions,
    UnitInput,
    UnitPlan,
)


def _member_order(member: MemberIn) -> tuple[Any, str]:
    return (member.sort_key, member.number)


def baseline_split_districts(members: Iterable[MemberIn], registers: int) -> int:
    """Districts split when one simply sorts by district and cuts into equal consecutive parts."""
    ordered = sorted(members, key=lambda m: (m.district, m.sort_key, m.number))
    if registers <= 1 or not ordered:
        return 0
    size, extra = divmod(len(ordered), registers)
    seen: dict[str, set[int]] = defaultdict(set)
    start = 0
    for index in range(registers):
        end = start + size + (1 if index < extra else 0)
        for member in ordered[start:end]:
            seen[member.district].add(index)
        start = end
    return sum(1 for district, parts in seen.items() if district and len(parts) > 1)


def count_split_districts(groups: Iterable[Iterable[MemberIn]]) -> int:
    """Districts (known ones) whose members sit in more than one register."""
    where: dict[str, set[int]] = defaultdict(set)
    for index, group in enumerate(groups):
        for member in group:
            where[member.district].add(index)
    return sum(1 for district, parts in where.items() if district and len(parts) > 1)


def plan_unit(unit: UnitInput, options: PlanOptions | None = None) -> UnitPlan:
    """Plan one unit: registers, members, moves and flags. Pure: reads nothing, saves nothing.

    With no current memberships, an optimal first plan; otherwise a stable re-plan that keeps
    every current member in place and proposes only the fewest moves that restore the tolerance.
    """
    options = options or PlanOptions()
    members = {
        m.number: MemberIn(m.number, district_key(m.district), m.sort_key) for m in unit.members
    }
    reps: list[str] = []
    plan = UnitPlan(
        key=unit.key,
        abbreviation=unit.abbreviation,
        name=unit.name,
        member_count=len(members),
        representative_count=0,
    )
    for number in unit.representatives:
        if number in reps:
            continue
        if number not in members:
            if FLAG_REPRESENTATIVE_NOT_MEMBER not in plan.flags:
                plan.flags.append(FLAG_REPRESENTATIVE_NOT_MEMBER)
            plan.notes.append(number)
            continue
        reps.append(number)
    plan.representative_count = len(reps)
    plan.left = sorted(number for number in unit.assignments if number not in members)

    if not reps:
        plan.flags.append(FLAG_NEEDS_REPRESENTATIVE)
        plan.unassigned = [m.number for m in sorted(members.values(), key=_member_order)]
        plan.method = "none"
        plan.left = []  # nothing changes in a unit we cannot plan
        return plan

    per_rep = len(members) / len(reps)
    # Few members per representative matters only where fewer registers could hold them: a
    # unit with one representative cannot do better, however small.
    if per_rep < options.low_per_representative and len(reps) > 1:
        plan.flags.append(FLAG_FEW_MEMBERS)
    if per_rep > options.high_per_representative:
        plan.flags.append(FLAG_MANY_MEMBERS)

    known = {r.key for r in unit.registers}
    has_current = any(unit.assignments.get(n) in known for n in members)
    if has_current:
        groups = _stable(unit, members, reps, options, plan)
    else:
        groups = _fresh(unit, members, reps, options, plan)

    _finish(unit, plan, groups, members)
    plan.baseline_split_districts = baseline_split_districts(members.values(), len(groups))
    if plan.moves:
        plan.flags.append(FLAG_MOVES_PROPOSED)
    if plan.vacant:
        plan.flags.append(FLAG_VACANT)
    if any(r.renames_verified_group for r in plan.registers):
        plan.flags.append(FLAG_RENAMES_VERIFIED_GROUP)
    return plan


# --- first plan ------------------------------------------------------------------------------


class _Slot:
    """A register while planning: key/number of the existing register it continues, if any.

    A slot without representative is a vacancy: it keeps exactly its current members."""

    __slots__ = ("current", "members", "representative")

    def __init__(self, representative: str | None, current: CurrentRegister | None) -> None:
        self.representative = representative
        self.current = current
        self.members: list[str] = []

    @property
    def vacant(self) -> bool:
        return self.representative is None


def _fresh(
    unit: UnitInput,
    members: dict[str, MemberIn],
    reps: list[str],
    options: PlanOptions,
    plan: UnitPlan,
) -> list[_Slot]:
    by_rep = {r.representative: r for r in unit.registers if r.representative in reps}
    slots = [_Slot(rep, by_rep.get(rep)) for rep in reps]
    plan.retired = [r for r in unit.registers if r.representative not in reps]
    rep_slot = {rep: j for j, rep in enumerate(reps)}

    by_district: dict[str, list[MemberIn]] = defaultdict(list)
    for member in members.values():
        by_district[member.district].append(member)
    names = sorted(by_district)
    districts = []
    for name in names:
        group = sorted(by_district[name], key=_member_order)
        by_district[name] = group
        districts.append(
            District(
                name=name,
                count=len(group),
                reps=[rep_slot[m.number] for m in group if m.number in rep_slot],
                free=not name,
            )
        )
    result = solve_fresh(districts, len(reps), options.tolerance, options)
    plan.method = result.method
    plan.optimal = result.optimal
    for name, district, alloc in zip(names, districts, result.alloc, strict=True):
        remaining = dict(alloc)
        rest = []
        for member in by_district[name]:
            j = rep_slot.get(member.number)
            if j is not None:
                slots[j].members.append(member.number)
                remaining[j] -= 1
            else:
                rest.append(member)
        position = 0
        for j in sorted(remaining):
            take = remaining[j]
            slots[j].members.extend(m.number for m in rest[position : position + take])
            position += take
        assert position == len(rest), district
    return slots


# --- stable re-plan --------------------------------------------------------------------------


def _stable(
    unit: UnitInput,
    members: dict[str, MemberIn],
    reps: list[str],
    options: PlanOptions,
    plan: UnitPlan,
) -> list[_Slot]:
    t = options.tolerance
    registers = {r.key: r for r in unit.registers}
    current_of = {n: k for n, k in unit.assignments.items() if n in members and k in registers}
    rep_set = set(reps)

    slots: list[_Slot] = []
    slot_of_key: dict[str, _Slot] = {}
    leading = {r.representative: r for r in unit.registers if r.representative in rep_set}
    orphans = [r for r in unit.registers if r.representative not in rep_set]
    district_count: dict[str, Counter[str]] = defaultdict(Counter)
    for number, key in current_of.items():
        district_count[key][members[number].district] += 1

    for rep in reps:
        if rep in leading:
            slot = _Slot(rep, leading[rep])
            slots.append(slot)
            slot_of_key[leading[rep].key] = slot
    newcomers = [rep for rep in reps if rep not in leading]
    # A new representative takes over the register they sit in, else the orphan register with
    # most members of their district; the register keeps its members.
    taken: set[str] = set()
    unmatched = []
    for rep in newcomers:
        sits_in = current_of.get(rep)
        if sits_in is not None and sits_in not in taken and registers[sits_in] in orphans:
            taken.add(sits_in)
            slot = _Slot(rep, registers[sits_in])
            slots.append(slot)
            slot_of_key[sits_in] = slot
        else:
            unmatched.append(rep)
    for rep in unmatched:
        free = [r for r in orphans if r.key not in taken]
        if free:
            district = members[rep].district
            best = max(
                free,
                key=lambda r: (district_count[r.key][district], -(r.number or 0), r.key),
            )
            taken.add(best.key)
            slot = _Slot(rep, best)
            slot_of_key[best.key] = slot
        else:
            slot = _Slot(rep, None)
        slots.append(slot)
    # A register whose representative left stays as it is, vacant (never merged here): it
    # keeps its number, name, members and LINE group until a successor takes it over.
    for register in orphans:
        if register.key not in taken:
            slot = _Slot(None, register)
            slots.append(slot)
            slot_of_key[register.key] = slot
    plan.method = "stable"

    # Current members stay; representatives sit in their own register.
    placed: dict[str, _Slot] = {}
    arriving: list[MemberIn] = []
    for slot in slots:
        if slot.representative is None:
            continue
        placed[slot.representative] = slot
        slot.members.append(slot.representative)
        previous = current_of.get(slot.representative)
        if previous is not None and (slot.current is None or previous != slot.current.key):
            plan.moves.append(
                _move(slot.representative, registers[previous], slot, MOVE_REPRESENTATIVE)
            )
        elif previous is None:
            plan.added.append(slot.representative)
    for member in sorted(members.values(), key=lambda m: (m.district, *_member_order(m))):
        if member.number in placed:
            continue
        sits_in = current_of.get(member.number)
        if sits_in is not None and sits_in in slot_of_key:
            slot = slot_of_key[sits_in]
            slot.members.append(member.number)
            placed[member.number] = slot
        else:
            arriving.append(member)

    # New members go to registers with a representative (someone must invite them), to one
    # holding their district whenever the tolerance allows; vacant registers are left alone.
    led = [slot for slot in slots if not slot.vacant]
    where = _place_newcomers(led, arriving, members, t)
    for member in arriving:
        led[where[member.number]].members.append(member.number)
        plan.added.append(member.number)

    _rebalance(led, members, t, plan)
    return slots


def _place_newcomers(
    slots: Sequence[_Slot], newcomers: Sequence[MemberIn], members: dict[str, MemberIn], t: int
) -> dict[str, int]:
    """Which slot each newcomer joins: sizes within the tolerance without moving anyone when
    that is possible, and then as few districts split as the greedy finds.

    Tries every level L whose window [L, L+t] the newcomers alone can reach (each register
    gets between L - size and L + t - size of them) and keeps the placement that splits the
    fewest districts, then the smallest spread. When no level is reachable, the newcomers fill
    the smallest registers one by one and the rebalance moves the fewest members."""
    k = len(slots)
    sizes = [len(slot.members) for slot in slots]
    if not newcomers:
        return {}
    counts = [Counter(members[n].district for n in slot.members) for slot in slots]
    total = sum(sizes) + len(newcomers)
    best: tuple[tuple[int, int, int], dict[str, int]] | None = None
    for level in range(max(0, max(sizes) - t), total // k + 1):
        if sum(max(size, level) for size in sizes) > total or total > k * (level + t):
            continue
        where = _fill_window(sizes, counts, newcomers, level, t)
        if where is None:
            continue
        final = list(sizes)
        groups: list[list[MemberIn]] = [[members[n] for n in slot.members] for slot in slots]
        for member in newcomers:
            final[where[member.number]] += 1
            groups[where[member.number]].append(member)
        score = (count_split_districts(groups), max(final) - min(final), -level)
        if best is None or score < best[0]:
            best = (score, where)
    if best is not None:
        return best[1]
    # Out of reach without moves: smallest first, own district on ties.
    where = {}
    sizes = list(sizes)
    for member in newcomers:
        j = min(range(k), key=lambda j: (sizes[j], not counts[j][member.district], j))
        where[member.number] = j
        sizes[j] += 1
        counts[j][member.district] += 1
    return where


def _fill_window(
    sizes: Sequence[int],
    counts: Sequence[Counter[str]],
    newcomers: Sequence[MemberIn],
    level: int,
    t: int,
) -> dict[str, int] | None:
    """Greedy placement into the window [level, level+t]: each district's newcomers go whole
    to the register holding most of that district when it has room, the rest best-fit."""
    k = len(sizes)
    cap = [level + t - size for size in sizes]
    need = [max(0, level - size) for size in sizes]
    slack = len(newcomers) - sum(need)
    counts = [Counter(c) for c in counts]
    by_district: dict[str, list[MemberIn]] = defaultdict(list)
    for member in newcomers:
        by_district[member.district].append(member)
    where: dict[str, int] = {}

    def limit(j: int) -> int:
        return min(cap[j], need[j] + slack)

    def put(j: int, group: list[MemberIn], take: int) -> list[MemberIn]:
        nonlocal slack
        for member in group[:take]:
            where[member.number] = j
        slack -= max(0, take - need[j])
        need[j] = max(0, need[j] - take)
        cap[j] -= take
        if group:
            counts[j][group[0].district] += take
        return group[take:]

    known = sorted((d for d in by_district if d), key=lambda d: (-len(by_district[d]), d))
    leftovers: list[list[MemberIn]] = []
    for district in known:
        group = by_district[district]
        homes = sorted(
            (j for j in range(k) if counts[j][district]),
            key=lambda j: (-counts[j][district], -need[j], sizes[j], j),
        )
        for j in homes:
            if not group:
                break
            take = min(len(group), limit(j))
            if take > 0:
                group = put(j, group, take)
        if group:
            leftovers.append(group)
    if "" in by_district:
        leftovers.append(by_district[""])
    for group in leftovers:
        while group:
            fits = [j for j in range(k) if limit(j) >= len(group)]
            district = group[0].district
            if fits and district:
                j = min(fits, key=lambda j: (not counts[j][district], -need[j], sizes[j], j))
            else:
                j = max(range(k), key=lambda j: (need[j], limit(j), -j))
            take = min(len(group), limit(j))
            if take <= 0:
                return None
            group = put(j, group, take)
    if any(need):
        return None
    return where


def _move(number: str, source: CurrentRegister, target: _Slot, reason: str) -> Move:
    return Move(
        member=number,
        from_key=source.key,
        from_name=source.name,
        to_key=target.current.key if target.current else None,
        to_name="",  # filled in once the plan's names are known
        reason=reason,
    )


def fewest_moves_window(sizes: Sequence[int], t: int) -> tuple[int, int]:
    """(moves, L): the window [L, L+t] reachable with the fewest single-member moves.

    Every move lowers one register by one and raises another by one, so a window needs at least
    max(members above it, places missing below it) moves, and that many suffice.
    """
    n, k = sum(sizes), len(sizes)
    best: tuple[int, float, int] | None = None
    for level in range(max(0, math.ceil(n / k) - t), n // k + 1):
        excess = sum(max(0, s - level - t) for s in sizes)
        deficit = sum(max(0, level - s) for s in sizes)
        moves = max(excess, deficit)
        balance = abs(2 * level + t - 2 * n / k)
        candidate = (moves, balance, level)
        if best is None or candidate < best:
            best = candidate
    assert best is not None
    return best[0], best[2]


def _rebalance(slots: list[_Slot], members: dict[str, MemberIn], t: int, plan: UnitPlan) -> None:
    sizes = [len(s.members) for s in slots]
    moves, level = fewest_moves_window(sizes, t)
    if moves == 0:
        return
    n, k = sum(sizes), len(slots)
    target = [min(max(s, level), level + t) for s in sizes]
    diff = sum(target) - n
    order_down = sorted(range(k), key=lambda j: (-sizes[j], j))
    order_up = sorted(range(k), key=lambda j: (sizes[j], j))
    while diff > 0:
        for j in order_down:
            if diff and target[j] > level:
                target[j] -= 1
                diff -= 1
    while diff < 0:
        for j in order_up:
            if diff and target[j] < level + t:
                target[j] += 1
                diff += 1

    counts = [Counter(members[n].district for n in s.members) for s in slots]
    # Members who are new or already moving cost no extra move when they go elsewhere.
    in_motion = set(plan.added) | {m.member for m in plan.moves}
    receivers = sorted((j for j in range(k) if sizes[j] < target[j]), key=lambda j: (sizes[j], j))
    recorded = 0
    for r in receivers:
        while sizes[r] < target[r]:
            donor = max(
                (j for j in range(k) if sizes[j] > target[j]),
                key=lambda j: (sizes[j] - target[j], slots[j].current is not None, -j),
            )
            movable = [n for n in slots[donor].members if n != slots[donor].representative]
            # Prefer a district the receiver already has, then the donor's smallest district:
            # moving minorities out keeps districts together.
            number = min(
                movable,
                key=lambda n: (
                    n not in in_motion,
                    counts[r][members[n].district] == 0,
                    counts[donor][members[n].district],
                    members[n].district,
                    _member_order(members[n]),
                ),
            )
            slots[donor].members.remove(number)
            slots[r].members.append(number)
            district = members[number].district
            counts[donor][district] -= 1
            counts[r][district] += 1
            sizes[donor] -= 1
            sizes[r] += 1
            if number in in_motion:
                continue
            source = slots[donor].current
            assert source is not None  # a new register holds only members in motion
            plan.moves.append(_move(number, source, slots[r], MOVE_BALANCE))
            recorded += 1
    assert recorded <= moves


# --- numbering, names, output ----------------------------------------------------------------


def _finish(
    unit: UnitInput, plan: UnitPlan, slots: list[_Slot], members: dict[str, MemberIn]
) -> None:
    k = len(slots)
    numbers: list[int | None] = [None] * k
    if k > 1:
        used: set[int] = set()
        for j, slot in enumerate(slots):
            number = slot.current.number if slot.current else None
            if number is not None and number not in used and number <= 10 * k:
                numbers[j] = number
                used.add(number)
        free = (n for n in range(1, 10 * k + 2) if n not in used)
        for j in range(k):
            if numbers[j] is None:
                numbers[j] = next(free)
    registers = []
    for slot, number in zip(slots, numbers, strict=True):
        current = slot.current
        if slot.vacant and current is not None and current.number == number:
            # A vacancy keeps its name as it stands, even one typed differently.
            name = current.name or register_group_name(unit.abbreviation, number)
        else:
            name = register_group_name(unit.abbreviation, number)
        ordered = sorted((members[n] for n in slot.members), key=_member_order)
        districts = Counter(m.district for m in ordered)
        registers.append(
            PlannedRegister(
                key=current.key if current else None,
                number=number,
                name=name,
                representative=slot.representative,
                members=[m.number for m in ordered],
                districts=sorted(districts.items(), key=lambda item: (-item[1], item[0])),
                previous_name=(current.name or _name_or_blank(unit, current)) if current else "",
                previous_representative=current.representative if current else None,
                group_verified=current.group_verified if current else False,
            )
        )
    order = sorted(range(k), key=lambda j: (numbers[j] or 0, j))
    plan.registers = [registers[j] for j in order]
    planned_of: dict[str, PlannedRegister] = {}
    for slot, planned in zip(slots, registers, strict=True):
        for member_number in slot.members:
            planned_of[member_number] = planned
    plan.moves = [
        Move(
            member=m.member,
            from_key=m.from_key,
            from_name=m.from_name or _current_name(unit, m.from_key),
            to_key=planned_of[m.member].key,
            to_name=planned_of[m.member].name,
            reason=m.reason,
        )
        for m in plan.moves
    ]
    plan.split_districts = count_split_districts(
        [members[n] for n in r.members] for r in plan.registers
    )


def _name_or_blank(unit: UnitInput, current: CurrentRegister) -> str:
    try:
        return register_group_name(unit.abbreviation, current.number)
    except ValueError:
        return ""


def _current_name(unit: UnitInput, key: str) -> str:
    for register in unit.registers:
        if register.key == key:
            return register.name or _name_or_blank(unit, register)
    return ""


def plan_units(units: Sequence[UnitInput], options: PlanOptions | None = None) -> list[UnitPlan]:
    """Plan every unit independently (a unit's plan never depends on another's)."""
    options = options or PlanOptions()
    return [plan_unit(unit, options) for unit in units]


MOVE_MERGE = "merge"


def plan_merge(unit: UnitInput, key: str, options: PlanOptions | None = None) -> list[Move]:
    """Where the members of register ``key`` (a vacancy being merged away) go: into the
    unit's registers that have a representative, whole districts to a register holding them
    when the tolerance allows. Pure; nothing moves until the merge is approved.

    Raises ValueError when the register is unknown, has a representative, or no register
    with a representative remains to take its members."""
    options = options or PlanOptions()
    members = {
        m.number: MemberIn(m.number, district_key(m.district), m.sort_key) for m in unit.members
    }
    registers = {r.key: r for r in unit.registers}
    source = registers.get(key)
    if source is None:
        raise ValueError("unknown register")
    if source.representative is not None:
        raise ValueError("the register has a representative")
    led = [
        _Slot(r.representative, r)
        for r in unit.registers
        if r.representative is not None and r.key != key
    ]
    if not led:
        raise ValueError("no register with a representative")
    slot_of = {slot.current.key: slot for slot in led if slot.current is not None}
    leaving: list[MemberIn] = []
    for number, where in sorted(unit.assignments.items()):
        if number not in members:
            continue
        if where == key:
            leaving.append(members[number])
        elif where in slot_of:
            slot_of[where].members.append(number)
    leaving.sort(key=lambda m: (m.district, *_member_order(m)))
    where_to = _place_newcomers(led, leaving, members, options.tolerance)
    moves = []
    for member in leaving:
        target = led[where_to[member.number]].current
        assert target is not None
        moves.append(
            Move(
                member=member.number,
                from_key=key,
                from_name=source.name or _current_name(unit, key),
                to_key=target.key,
                to_name=target.name or _current_name(unit, target.key),
                reason=MOVE_MERGE,
            )
        )
    return moves
