"""Register planning speed: the whole synthetic cooperative at 1x, 10x and 100x (~1M members).

Pure planning time (no database): `plan_units` over every unit. The ortools import, paid once
per process when CP-SAT is first needed, is measured separately and excluded.

    DJANGO_SETTINGS_MODULE=tocnet.settings DEBUG=1 .venv/bin/python bench/bench_plan.py [--max-scale 100]
"""

import argparse
import collections
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tocnet.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from tocnet.registers.planning import MemberIn, UnitInput, plan_units  # noqa: E402
from tocnet.registers.planning.synthetic import synthetic_cooperative  # noqa: E402


def run(scale: int, seeds: range) -> float:
    """Mean wall time to plan one synthetic cooperative of this scale, over several seeds.

    Rare units need CP-SAT (tens of ms each); averaging over seeds compares like with like.
    """
    walls, cpus = [], []
    members = units_count = optimal = planned = split = naive = 0
    methods: collections.Counter[str] = collections.Counter()
    for seed in seeds:
        units = synthetic_cooperative(scale, seed=seed)
        started, started_cpu = time.perf_counter(), time.process_time()
        plans = plan_units(units)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - started_cpu)
        members += sum(len(u.members) for u in units)
        units_count += len(units)
        methods.update(p.method for p in plans)
        split += sum(p.split_districts for p in plans)
        naive += sum(p.baseline_split_districts for p in plans)
        optimal += sum(1 for p in plans if p.optimal)
        planned += sum(1 for p in plans if p.registers)
    runs = len(seeds)
    wall, cpu = sum(walls) / runs, sum(cpus) / runs
    print(
        f"x{scale:<4} {units_count // runs:>6} units {members // runs:>9,} members "
        f"(mean of {runs} seeds): {wall:7.3f} s wall, {cpu:.3f} s CPU "
        f"({wall / (members / runs) * 1e6:5.2f} us/member, worst {max(walls):.3f} s)  "
        f"split districts {split / runs:,.0f} vs {naive / runs:,.0f} cutting in order  "
        f"optimal {optimal}/{planned}  {dict(methods)}",
        flush=True,
    )
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-scale", type=int, default=100)
    args = parser.parse_args()

    started = time.perf_counter()
    from ortools.sat.python import cp_model  # noqa: F401

    print(f"ortools import (once per process): {time.perf_counter() - started:.3f} s")
    times = {}
    seeds = {1: range(100, 120), 10: range(200, 204), 100: range(300, 301)}
    for scale in (1, 10, 100):
        if scale <= args.max_scale:
            times[scale] = run(scale, seeds[scale])
    if 1 in times and 10 in times:
        print(f"10x members -> {times[10] / times[1]:.1f}x time")
    if 10 in times and 100 in times:
        print(f"100x members -> {times[100] / times[10]:.1f}x time of 10x")

    # One very large unit: the exact search is skipped, the greedy plan stands.
    members = [MemberIn(str(i), f"d{i % 400:03d}", (i * 7919 % 100_003,)) for i in range(100_000)]
    reps = [str(i) for i in range(0, 100_000, 50)]
    unit = UnitInput("big", "บก", members, representatives=reps)
    started = time.perf_counter()
    (plan,) = plan_units([unit])
    print(
        f"one unit of 100,000 members, {len(reps)} representatives, 400 districts: "
        f"{time.perf_counter() - started:.2f} s, sizes {min(plan.sizes)}-{max(plan.sizes)}, "
        f"split {plan.split_districts} vs {plan.baseline_split_districts}, {plan.method}"
    )


if __name__ == "__main__":
    main()
