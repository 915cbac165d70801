"""Register planning: pure functions from members and representatives to registers and moves."""

from .solver import (
    baseline_split_districts,
    count_split_districts,
    plan_merge,
    plan_unit,
    plan_units,
)
from .types import (
    CurrentRegister,
    MemberIn,
    Move,
    PlannedRegister,
    PlanOptions,
    UnitInput,
    UnitPlan,
)

__all__ = [
    "CurrentRegister",
    "MemberIn",
    "Move",
    "PlanOptions",
    "PlannedRegister",
    "UnitInput",
    "UnitPlan",
    "baseline_split_districts",
    "count_split_districts",
    "plan_merge",
    "plan_unit",
    "plan_units",
]
