"""Re-plans that keep faith: vacancies stay, new members join their district, names normalised."""

from __future__ import annotations

import pytest

from tocnet.registers.planning import CurrentRegister, MemberIn, UnitInput, plan_unit
from tocnet.registers.planning.districts import district_key


@pytest.mark.parametrize(
    "typed",
    [
        "อำเภอเมืองกำแพงเพชร",
        "อ.เมืองกำแพงเพชร",
        "เมืองกำแพงเพชร",
        "อ. เมืองกำแพงเพชร",
        "อำเภอ เมือง กำแพงเพชร",
        "สำนักงานพัฒนาชุมชนอำเภอเมืองกำแพงเพชร",
        "\u200bอ.เมืองกำแพงเพชร ",
    ],
)
def test_district_names_are_compared_after_normalisation(typed: str) -> None:
    assert district_key(typed) == "เมืองกำแพงเพชร"


def test_a_bare_prefix_is_kept_as_typed() -> None:
    assert district_key("อำเภอ") == "อำเภอ"
    assert district_key("") == ""


def _unit(
    registers: dict[str, tuple[int, str | None, list[tuple[str, str]]]],
    newcomers: list[tuple[str, str]],
    representatives: list[str],
) -> UnitInput:
    members = []
    assignments = {}
    current = []
    for key, (number, rep, people) in registers.items():
        current.append(CurrentRegister(key, number, rep, f"สอ.พช.กพ.{number}"))
        for member_number, district in people:
            members.append(MemberIn(member_number, district))
            assignments[member_number] = key
    members += [MemberIn(n, d) for n, d in newcomers]
    return UnitInput(
        "u",
        "กพ",
        members,
        representatives=representatives,
        registers=current,
        assignments=assignments,
    )


def _people(prefix: str, district: str, count: int) -> list[tuple[str, str]]:
    return [(f"{prefix}{i:03d}", district) for i in range(count)]


def test_new_members_join_the_register_holding_their_district() -> None:
    # Two registers of 48, one district each; 4 new members of each district (typed
    # differently) could be spread smallest-first, but nothing needs a split.
    unit = _unit(
        {
            "a": (1, "a000", _people("a", "อำเภอเมืองกำแพงเพชร", 48)),
            "b": (2, "b000", _people("b", "อำเภอขาณุวรลักษบุรี", 48)),
        },
        [
            *_people("n", "อ.เมืองกำแพงเพชร", 4),
            *_people("m", "ขาณุวรลักษบุรี", 4),
        ],
        ["a000", "b000"],
    )
    plan = plan_unit(unit)
    assert plan.moves == []
    assert sorted(plan.added) == sorted(
        [f"n{i:03d}" for i in range(4)] + [f"m{i:03d}" for i in range(4)]
    )
    assert plan.split_districts == 0
    by_key = {r.key: r for r in plan.registers}
    assert {n for n in by_key["a"].members if n.startswith("n")} == {f"n{i:03d}" for i in range(4)}
    assert by_key["a"].districts == [("เมืองกำแพงเพชร", 52)]


def test_new_members_split_a_district_only_when_the_tolerance_requires_it() -> None:
    unit = _unit(
        {
            "a": (1, "a000", _people("a", "ก", 50)),
            "b": (2, "b000", _people("b", "ข", 50)),
        },
        _people("n", "ก", 10),
        ["a000", "b000"],
    )
    plan = plan_unit(unit)
    sizes = sorted(plan.sizes)
    assert sizes[1] - sizes[0] <= 2
    assert plan.moves == []
    assert plan.split_districts == 1  # 10 newcomers of one district cannot all join it


def test_a_vacant_register_keeps_its_members_and_takes_no_newcomers() -> None:
    unit = _unit(
        {
            "a": (1, "a000", _people("a", "ก", 50)),
            "b": (2, None, _people("b", "ข", 44)),
            "c": (3, "c000", _people("c", "ค", 52)),
        },
        _people("n", "ข", 3),
        ["a000", "c000"],
    )
    plan = plan_unit(unit)
    vacant = plan.vacant
    assert [(r.key, r.number, r.name, r.size) for r in vacant] == [("b", 2, "สอ.พช.กพ.2", 44)]
    assert "vacant_register" in plan.flags
    assert plan.retired == []
    assert all(m.from_key != "b" for m in plan.moves)
    assert sorted(plan.added) == ["n000", "n001", "n002"]


def test_a_unit_left_with_one_representative_is_not_renamed() -> None:
    unit = _unit(
        {
            "a": (1, "a000", _people("a", "ก", 50)),
            "b": (2, None, _people("b", "ข", 50)),
        },
        [],
        ["a000"],
    )
    plan = plan_unit(unit)
    assert [r.name for r in plan.registers] == ["สอ.พช.กพ.1", "สอ.พช.กพ.2"]
    assert not any(r.is_renamed for r in plan.registers)
    assert not plan.changes_anything


def test_a_new_representative_sitting_in_a_vacant_register_takes_it_over() -> None:
    unit = _unit(
        {
            "a": (1, "a000", _people("a", "ก", 50)),
            "b": (2, None, _people("b", "ข", 50)),
        },
        [],
        ["a000", "b007"],
    )
    plan = plan_unit(unit)
    assert plan.vacant == []
    taken = next(r for r in plan.registers if r.key == "b")
    assert taken.representative == "b007" and taken.representative_changed
    assert taken.name == "สอ.พช.กพ.2" and plan.moves == []


def test_renaming_a_verified_group_is_flagged() -> None:
    members = [MemberIn(f"a{i:03d}", "ก") for i in range(80)]
    unit = UnitInput(
        "u",
        "กพ",
        members,
        representatives=["a000", "a001"],
        registers=[CurrentRegister("a", None, "a000", "สอ.พช.กพ.", group_verified=True)],
        assignments={m.number: "a" for m in members},
    )
    plan = plan_unit(unit)
    assert "renames_verified_group" in plan.flags
    kept = next(r for r in plan.registers if r.key == "a")
    assert kept.renames_verified_group and kept.previous_name == "สอ.พช.กพ."
