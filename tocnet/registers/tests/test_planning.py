"""The pure register planner: rules of the cooperative as properties, stability, optimality."""

import os
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tocnet.core.thai import thai_sort_key
from tocnet.registers.planning import (
    CurrentRegister,
    MemberIn,
    PlanOptions,
    UnitInput,
    UnitPlan,
    baseline_split_districts,
    plan_unit,
    plan_units,
)
from tocnet.registers.planning.fresh import District, _cpsat, final_sizes
from tocnet.registers.planning.solver import fewest_moves_window
from tocnet.registers.planning.synthetic import synthetic_cooperative
from tocnet.registers.planning.types import (
    FLAG_FEW_MEMBERS,
    FLAG_MANY_MEMBERS,
    FLAG_NEEDS_REPRESENTATIVE,
    FLAG_REPRESENTATIVE_NOT_MEMBER,
    MOVE_REPRESENTATIVE,
)

THAI_LETTERS = "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศษสหอฮ"
VOWELS = ["", "า", "ิ", "ี", "ุ", "เ", "แ", "โ", "ไ"]

PROPERTY = settings(
    max_examples=int(os.environ.get("PLAN_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def names(draw):
    letters = draw(st.lists(st.sampled_from(THAI_LETTERS), min_size=1, max_size=4))
    vowel = draw(st.sampled_from(VOWELS))
    word = "".join(letters)
    return vowel + word if vowel in "เแโไ" and vowel else word + vowel


@st.composite
def units(draw, max_reps=5, with_unknown_district=True):
    district_sizes = draw(st.lists(st.integers(1, 30), min_size=1, max_size=8))
    members = []
    number = 100000
    for d, size in enumerate(district_sizes):
        district = f"อำเภอ{d}"
        if with_unknown_district and d == 0 and draw(st.booleans()):
            district = ""
        for _ in range(size):
            number += 1
            members.append(MemberIn(str(number), district, thai_sort_key(draw(names()))))
    k = draw(st.integers(0, min(max_reps, len(members))))
    reps = draw(st.permutations([m.number for m in members]))[:k]
    return UnitInput(key="u", abbreviation="กพ", members=members, representatives=sorted(reps))


def check_rules(unit: UnitInput, plan: UnitPlan, tolerance: int = 2) -> None:
    """Every rule of the cooperative that a plan must keep."""
    active = {m.number for m in unit.members}
    reps = [r for r in dict.fromkeys(unit.representatives) if r in active]
    if not reps:
        assert plan.registers == []
        assert FLAG_NEEDS_REPRESENTATIVE in plan.flags
        assert sorted(plan.unassigned) == sorted(active)
        return
    placed = Counter(n for r in plan.registers for n in r.members)
    assert set(placed) == active, "every active member is planned"
    assert max(placed.values()) == 1, "nobody is in two registers"
    led = [r for r in plan.registers if not r.is_vacant]
    sizes = [r.size for r in led]
    assert max(sizes) - min(sizes) <= tolerance, plan.sizes
    assert sorted(r.representative for r in led) == sorted(reps)  # type: ignore[type-var]
    for register in led:
        assert register.representative in register.members
    assert len(led) == len(reps)
    if len(plan.registers) == 1:
        assert plan.registers[0].number is None
        assert plan.registers[0].name == f"สอ.พช.{unit.abbreviation}."
    else:
        assert sorted(r.number for r in plan.registers) == sorted(
            {r.number for r in plan.registers}
        )
        assert all(r.name == f"สอ.พช.{unit.abbreviation}.{r.number}" for r in plan.registers)
    order = {m.number: (m.sort_key, m.number) for m in unit.members}
    for register in plan.registers:
        assert register.members == sorted(register.members, key=order.__getitem__)
        assert sum(c for _, c in register.districts) == register.size


def as_current(unit: UnitInput, plan: UnitPlan, **changes) -> UnitInput:
    """The unit after approving the plan: its registers and open memberships."""
    registers = []
    assignments = {}
    for index, register in enumerate(plan.registers):
        key = register.key or f"new-{index}"
        registers.append(
            CurrentRegister(key, register.number, register.representative, register.name)
        )
        for number in register.members:
            assignments[number] = key
    fields = {
        "key": unit.key,
        "abbreviation": unit.abbreviation,
        "members": unit.members,
        "representatives": unit.representatives,
        "registers": registers,
        "assignments": assignments,
    }
    fields.update(changes)
    return UnitInput(**fields)


# --- first plan -----------------------------------------------------------------------------


@PROPERTY
@given(units())
def test_a_first_plan_keeps_every_rule(unit):
    plan = plan_unit(unit)
    check_rules(unit, plan)
    assert plan.moves == []
    if plan.registers:
        assert plan.optimal is not None


@PROPERTY
@given(units(), st.integers(1, 4))
def test_any_tolerance_is_kept(unit, tolerance):
    plan = plan_unit(unit, PlanOptions(tolerance=tolerance))
    check_rules(unit, plan, tolerance)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(units(max_reps=4, with_unknown_district=False))
def test_a_plan_called_optimal_splits_no_more_districts_than_cp_sat_proves_necessary(unit):
    plan = plan_unit(unit)
    if len(plan.registers) < 2:
        return
    slot = {r.representative: j for j, r in enumerate(plan.registers)}
    by_district: dict[str, list[str]] = {}
    for member in unit.members:
        by_district.setdefault(member.district, []).append(member.number)
    districts = [
        District(name, len(numbers), [slot[n] for n in numbers if n in slot])
        for name, numbers in sorted(by_district.items())
    ]
    alloc, proven = _cpsat(districts, len(slot), 2, [{} for _ in districts], 30.0)
    oracle = sum(1 for a in alloc if len(a) > 1)
    assert proven
    assert plan.optimal
    assert plan.split_districts == oracle


def test_it_keeps_districts_together_where_cutting_in_order_splits_them():
    # Khon Kaen of the sample: four districts, two representatives.
    sizes = {"ก": 23, "ข": 20, "ค": 18, "ง": 17}
    members = []
    for district, size in sizes.items():
        members += [MemberIn(f"{district}{i:02d}", district) for i in range(size)]
    unit = UnitInput("ขก", "ขก", members, representatives=["ก00", "ข00"])
    plan = plan_unit(unit)
    check_rules(unit, plan)
    assert plan.split_districts == 0
    assert plan.baseline_split_districts == 1
    assert sorted(plan.sizes) == [38, 40]
    assert plan.optimal is True
    # The representative sits with their own district.
    for register in plan.registers:
        own = register.representative[0]
        assert dict(register.districts)[own] == sizes[own]


def test_a_district_split_by_two_representatives_touches_only_their_registers():
    # Lampang of the sample: วังทอง holds two of the three representatives.
    sizes = {"ก": 8, "ข": 13, "ค": 9, "ง": 17, "จ": 9, "ฉ": 24, "ช": 15, "ซ": 8, "ฌ": 20, "ญ": 14}
    members = []
    for district, size in sizes.items():
        members += [MemberIn(f"{district}{i:02d}", district) for i in range(size)]
    unit = UnitInput("ลป", "ลป", members, representatives=["ง00", "ง01", "จ00"])
    plan = plan_unit(unit)
    check_rules(unit, plan)
    assert plan.split_districts == 1 and plan.optimal
    holding = [r.representative for r in plan.registers if "ง" in dict(r.districts)]
    assert sorted(holding) == ["ง00", "ง01"]


def test_the_synthetic_cooperative_splits_several_times_fewer_districts_than_cutting():
    cooperative = synthetic_cooperative(1, seed=3)
    plans = plan_units(cooperative)
    for unit, plan in zip(cooperative, plans, strict=True):
        check_rules(unit, plan)
    planned = sum(p.split_districts for p in plans)
    naive = sum(p.baseline_split_districts for p in plans)
    assert naive >= 3 * planned


def test_baseline_counts_districts_cut_by_equal_consecutive_parts():
    members = [MemberIn(str(i), "ab"[i // 3]) for i in range(6)]  # a a a b b b
    assert baseline_split_districts(members, 2) == 0
    assert baseline_split_districts(members, 3) == 2  # a a | a b | b b
    assert baseline_split_districts(members, 1) == 0


def test_final_sizes_water_fills_and_refuses_spreads_over_the_tolerance():
    assert final_sizes([10, 2, 4], 26, 2) == [10, 8, 8]
    assert final_sizes([10, 2, 4], 25, 2) is None
    assert final_sizes([10, 2, 4], 31, 2) == [10, 11, 10]
    assert final_sizes([10, 2, 4], 15, 2) is None
    assert final_sizes([5, 5], 10, 0) == [5, 5]
    assert final_sizes([7, 1], 7, 2) is None


# --- flags ------------------------------------------------------------------------------------


def _unit(count, reps, district="อำเภอ"):
    members = [MemberIn(str(100 + i), district) for i in range(count)]
    return UnitInput("u", "กพ", members, representatives=[str(100 + i) for i in range(reps)])


@pytest.mark.parametrize(
    ("count", "reps", "flag"),
    [
        (34, 1, None),  # one representative: the unit cannot do better, however small
        (66, 1, FLAG_MANY_MEMBERS),
        (130, 2, None),
        (69, 2, FLAG_FEW_MEMBERS),
    ],
)
def test_it_flags_units_far_from_fifty_members_per_representative(count, reps, flag):
    plan = plan_unit(_unit(count, reps))
    flags = {FLAG_FEW_MEMBERS, FLAG_MANY_MEMBERS} & set(plan.flags)
    assert flags == ({flag} if flag else set())
    assert len(plan.registers) == reps  # still planned


def test_a_unit_without_representative_gets_no_register_and_is_flagged():
    unit = _unit(18, 0)
    plan = plan_unit(unit)
    assert plan.registers == []
    assert plan.flags == [FLAG_NEEDS_REPRESENTATIVE]
    assert len(plan.unassigned) == 18


def test_a_representative_who_is_not_an_active_member_is_flagged_and_ignored():
    unit = _unit(60, 1)
    unit.representatives = ["100", "999"]
    plan = plan_unit(unit)
    assert FLAG_REPRESENTATIVE_NOT_MEMBER in plan.flags
    assert plan.notes == ["999"]
    assert [r.representative for r in plan.registers] == ["100"]


# --- stability --------------------------------------------------------------------------------


@PROPERTY
@given(units())
def test_re_planning_with_no_change_proposes_no_move(unit):
    plan = plan_unit(unit)
    again = plan_unit(as_current(unit, plan))
    assert again.moves == []
    assert again.added == [] and again.left == [] and again.retired == []
    assert [(r.number, r.members) for r in again.registers] == [
        (r.number, r.members) for r in plan.registers
    ]
    assert not again.changes_anything


@PROPERTY
@given(units(), st.lists(st.sampled_from(["อำเภอ0", "อำเภอ1", "อำเภอใหม่", ""]), max_size=40))
def test_adding_members_moves_no_existing_member(unit, new_districts):
    plan = plan_unit(unit)
    added = [
        MemberIn(str(900000 + i), district, thai_sort_key(f"ใหม่{i}"))
        for i, district in enumerate(new_districts)
    ]
    grown = [*unit.members, *added]
    current = as_current(unit, plan, members=grown)
    again = plan_unit(current)
    check_rules(UnitInput("u", "กพ", grown, unit.representatives), again)
    assert again.moves == []
    if plan.registers:
        assert sorted(again.added) == sorted(m.number for m in added)
        after = {n: r.key for r in again.registers for n in r.members}
        for number, key in current.assignments.items():
            assert after[number] == key


@PROPERTY
@given(units(), st.data())
def test_resignations_leave_and_only_the_fewest_moves_restore_the_tolerance(unit, data):
    plan = plan_unit(unit)
    if not plan.registers:
        return
    reps = set(unit.representatives)
    others = [m for m in unit.members if m.number not in reps]
    leaving = set(data.draw(st.lists(st.sampled_from(others), unique=True)) if others else [])
    remaining = [m for m in unit.members if m not in leaving]
    current = as_current(unit, plan, members=remaining)
    again = plan_unit(current)
    check_rules(UnitInput("u", "กพ", remaining, unit.representatives), again)
    assert sorted(again.left) == sorted(m.number for m in leaving)
    sizes_after_leaving = [
        sum(1 for n in r.members if n not in {m.number for m in leaving}) for r in plan.registers
    ]
    fewest, _ = fewest_moves_window(sizes_after_leaving, 2)
    assert len(again.moves) == fewest
    moved = {m.member for m in again.moves}
    assert len(moved) == len(again.moves)  # nobody moves twice
    assert not moved & reps  # representatives stay with their register
    # After approving, nothing more to do.
    settled = plan_unit(as_current(current, again))
    assert settled.moves == []


def test_a_representative_replaced_mid_term_takes_over_the_register_and_its_members():
    members = [MemberIn(str(100 + i), "อำเภอ" + "ab"[i % 2]) for i in range(100)]
    unit = UnitInput("u", "กพ", members, representatives=["100", "101"])
    plan = plan_unit(unit)
    old = next(r for r in plan.registers if r.representative == "101")
    successor = next(n for n in old.members if n != "101")
    current = as_current(unit, plan, representatives=["100", successor])
    again = plan_unit(current)
    check_rules(UnitInput("u", "กพ", members, ["100", successor]), again)
    taken = next(r for r in again.registers if r.representative == successor)
    assert taken.members == old.members
    assert taken.number == old.number
    assert taken.representative_changed and taken.previous_representative == "101"
    assert again.moves == []


def test_a_new_representative_from_another_register_moves_to_the_register_they_lead():
    members = [MemberIn(str(100 + i), "อำเภอ") for i in range(100)]
    unit = UnitInput("u", "กพ", members, representatives=["100", "101"])
    plan = plan_unit(unit)
    stays = next(r for r in plan.registers if r.representative == "100")
    successor = next(n for n in stays.members if n != "100")
    again = plan_unit(as_current(unit, plan, representatives=["100", successor]))
    assert [(m.member, m.reason) for m in again.moves][:1] == [(successor, MOVE_REPRESENTATIVE)]
    check_rules(UnitInput("u", "กพ", members, ["100", successor]), again)


def test_a_new_representative_gets_a_new_register_filled_by_the_fewest_moves():
    members = [MemberIn(str(100 + i), "อำเภอ" + "abc"[i % 3]) for i in range(150)]
    unit = UnitInput("u", "กพ", members, representatives=["100", "101"])
    plan = plan_unit(unit)
    grown_reps = ["100", "101", "102"]
    again = plan_unit(as_current(unit, plan, representatives=grown_reps))
    check_rules(UnitInput("u", "กพ", members, grown_reps), again)
    new = [r for r in again.registers if r.is_new]
    assert len(new) == 1 and new[0].number == 3 and new[0].name == "สอ.พช.กพ.3"
    # 150 members: from 75/75 to 50/50/50; the new representative's own move plus 48 others.
    assert len(again.moves) == 49


def test_a_single_group_becomes_numbered_when_a_second_representative_arrives():
    members = [MemberIn(str(100 + i), "อำเภอ") for i in range(80)]
    unit = UnitInput("u", "กพ", members, representatives=["100"])
    plan = plan_unit(unit)
    assert plan.registers[0].name == "สอ.พช.กพ."
    again = plan_unit(as_current(unit, plan, representatives=["100", "101"]))
    assert sorted(r.name for r in again.registers) == ["สอ.พช.กพ.1", "สอ.พช.กพ.2"]
    kept = next(r for r in again.registers if not r.is_new)
    assert kept.is_renamed and kept.previous_name == "สอ.พช.กพ."


def test_a_register_whose_representative_left_without_successor_stays_vacant():
    members = [MemberIn(str(100 + i), "อำเภอ") for i in range(150)]
    unit = UnitInput("u", "กพ", members, representatives=["100", "101", "102"])
    plan = plan_unit(unit)
    left = next(r for r in plan.registers if r.representative == "102")
    again = plan_unit(as_current(unit, plan, representatives=["100", "101"]))
    check_rules(UnitInput("u", "กพ", members, ["100", "101"]), again)
    assert again.retired == [] and again.moves == []
    vacant = again.vacant
    assert [(r.key, r.number, r.name, r.members) for r in vacant] == [
        (left.key or "new-2", left.number, left.name, left.members)
    ]
    assert not any(r.is_renamed for r in again.registers)
    assert "vacant_register" in again.flags
    assert not again.changes_anything


def test_fewest_moves_window():
    assert (
        fewest_moves_window([50, 50, 50], 2) == (0, 48)
        or fewest_moves_window([50, 50, 50], 2)[0] == 0
    )
    assert fewest_moves_window([60, 40], 2)[0] == 9
    assert fewest_moves_window([1, 75, 74], 2)[0] == 48
