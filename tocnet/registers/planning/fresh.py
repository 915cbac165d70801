"""A unit's first plan: which district offices fill which register.

The registers' sizes may differ by at most ``t`` and each representative sits in their own
register; among such plans we want the fewest districts split across registers. A plan is
described by which districts are *split* (their members are free to fill any register) and which
are *whole* (all in one register). Given that, feasibility is a one-line test (water-filling the
split members into the registers' gaps), so the search is over whole/split decisions:

1. a greedy packing (largest district first into the emptiest register that has room) gives an
   upper bound in microseconds;
2. districts that must be split (two representatives, larger than any register can be, unknown
   district) give a lower bound; when both meet, the greedy plan is optimal;
3. otherwise, for units with up to three registers, an exact search tries every set of one, two,
   ... extra split districts and packs the whole ones with a bitset dynamic programme;
4. larger units go to OR-Tools CP-SAT with the greedy plan as hint and a deterministic time limit,
   so the same input always gives the same plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from .types import PlanOptions


@dataclass(slots=True)
class District:
    """A district office of the unit: member count and which registers' representatives it holds."""

    name: str
    count: int
    reps: list[int] = field(default_factory=list)
    free: bool = False  # unknown district: splitting it costs nothing


@dataclass(slots=True)
class FreshResult:
    """Per district, how many of its members go to each register."""

    alloc: list[dict[int, int]]
    method: str
    optimal: bool
    lower_bound: int


def split_cost(districts: Sequence[District], split: set[int]) -> int:
    return sum(1 for d in split if not districts[d].free)


def final_sizes(base: Sequence[int], n: int, t: int) -> list[int] | None:
    """Register sizes >= base summing to n with the smallest spread, or None if it exceeds t.

    Water-filling: the free members raise the smallest registers first.
    """
    k = len(base)
    free = n - sum(base)
    if free < 0:
        return None
    order = sorted(range(k), key=lambda j: (base[j], j))
    sizes = list(base)
    if free:
        prefix = 0
        for m in range(1, k + 1):
            prefix += base[order[m - 1]]
            level, extra = divmod(free + prefix, m)
            if level < base[order[m - 1]]:
                continue
            if m < k and level + (1 if extra else 0) > base[order[m]]:
                continue
            for rank, j in enumerate(order[:m]):
                sizes[j] = level + (1 if rank < extra else 0)
            break
    if max(sizes) - min(sizes) > t:
        return None
    return sizes


def max_register_size(n: int, k: int, t: int) -> int:
    """The largest a register can be: if one holds L+t and the others at least L, kL+t <= n."""
    return (n - t) // k + t if k > 1 else n


def _fixed_loads(
    districts: Sequence[District], k: int, split: set[int], whole: dict[int, int]
) -> list[int]:
    base = [0] * k
    for d in split:
        for j in districts[d].reps:
            base[j] += 1
    for d, j in whole.items():
        base[j] += districts[d].count
    return base


def distribute(
    districts: Sequence[District], k: int, t: int, split: set[int], whole: dict[int, int]
) -> list[dict[int, int]] | None:
    """Turn whole/split decisions into member counts per district and register (None: infeasible).

    Split districts go first to their own representatives' registers, then best-fit (one piece
    whenever a register has room for all that remains), unknown districts fill what is left.
    """
    n = sum(d.count for d in districts)
    base = _fixed_loads(districts, k, split, whole)
    sizes = final_sizes(base, n, t)
    if sizes is None:
        return None
    alloc = _pour(districts, split, [s - b for s, b in zip(sizes, base, strict=True)])
    for d, j in whole.items():
        alloc[d][j] = districts[d].count
    return alloc


def _pour(districts: Sequence[District], split: set[int], gap: list[int]) -> list[dict[int, int]]:
    """Fill the registers' gaps with the members of split districts (see distribute)."""
    k = len(gap)
    gap = list(gap)
    alloc: list[dict[int, int]] = [{} for _ in districts]
    pool: dict[int, int] = {}
    for d in split:
        for j in districts[d].reps:
            alloc[d][j] = alloc[d].get(j, 0) + 1
        pool[d] = districts[d].count - len(districts[d].reps)
    ordered = sorted(pool, key=lambda d: (districts[d].free, -pool[d], d))
    for d in ordered:
        if districts[d].free:
            continue
        for j in sorted(set(districts[d].reps)):
            take = min(gap[j], pool[d])
            if take:
                alloc[d][j] = alloc[d].get(j, 0) + take
                gap[j] -= take
                pool[d] -= take
    for d in sorted(pool, key=lambda d: (districts[d].free, -pool[d], d)):
        while pool[d]:
            fits = [j for j in range(k) if gap[j] >= pool[d]]
            if fits:
                j = min(fits, key=lambda j: (j not in alloc[d], gap[j], j))
            else:
                j = max(range(k), key=lambda j: (gap[j], -j))
            take = min(gap[j], pool[d])
            alloc[d][j] = alloc[d].get(j, 0) + take
            gap[j] -= take
            pool[d] -= take
    return alloc


def _split_pieces(
    districts: Sequence[District], split: set[int], base: Sequence[int], n: int, t: int
) -> int | None:
    """How many register pieces the known split districts end up in, for these whole loads."""
    sizes = final_sizes(base, n, t)
    if sizes is None:
        return None
    alloc = _pour(districts, split, [s - b for s, b in zip(sizes, base, strict=True)])
    return sum(len(alloc[d]) for d in split if not districts[d].free)


def _greedy(
    districts: Sequence[District], k: int, t: int, forced: set[int]
) -> tuple[set[int], dict[int, int]]:
    n = sum(d.count for d in districts)
    hi = max_register_size(n, k, t)
    split = set(forced)
    whole: dict[int, int] = {}
    for d, district in enumerate(districts):
        if d not in split and district.reps:
            whole[d] = district.reps[0]
    base = _fixed_loads(districts, k, split, whole)
    unrepped = [d for d, dist in enumerate(districts) if d not in split and not dist.reps]
    for d in sorted(unrepped, key=lambda d: (-districts[d].count, d)):
        count = districts[d].count
        room = [j for j in range(k) if base[j] + count <= hi]
        if not room:
            split.add(d)
            continue
        j = min(room, key=lambda j: (base[j], j))
        whole[d] = j
        base[j] += count

    # Repair: too little free filler for the registers left low; even out or split a district.
    while final_sizes(base, n, t) is None:
        top = max(range(k), key=lambda j: (base[j], -j))
        low = min(range(k), key=lambda j: (base[j], j))
        gap = base[top] - base[low]
        movable = [
            d
            for d, j in whole.items()
            if j == top
            and not districts[d].reps
            and districts[d].count < gap
            and base[low] + districts[d].count <= hi
        ]
        if movable:
            d = max(movable, key=lambda d: (min(districts[d].count, gap - districts[d].count), -d))
            whole[d] = low
            base[top] -= districts[d].count
            base[low] += districts[d].count
            continue
        in_top = [d for d, j in whole.items() if j == top]
        d = min(in_top, key=lambda d: (bool(districts[d].reps), districts[d].count, d))
        del whole[d]
        split.add(d)
        base[top] -= districts[d].count - len(districts[d].reps)

    # Improve: keep whole any optional split district that now fits somewhere.
    for d in sorted(split - forced, key=lambda d: (districts[d].count, d)):
        district = districts[d]
        targets = district.reps[:1] or sorted(range(k), key=lambda j: (base[j], j))
        for j in targets:
            trial = list(base)
            trial[j] += district.count - len(district.reps)
            if trial[j] <= hi and final_sizes(trial, n, t) is not None:
                split.discard(d)
                whole[d] = j
                base = trial
                break
    return split, whole


def _pack(
    sizes: Sequence[int],
    fixed: Sequence[int],
    n: int,
    t: int,
    hi: int,
    score: Callable[[list[int]], float | None] | None = None,
    good_enough: float = 0,
) -> list[int] | None:
    """Exact: put each item (a whole district's size) in a register so the loads are feasible.

    Dynamic programme over loads: the state is the loads of registers 0..k-3 (a dict key) with
    register k-2's load as a bitset (a Python int) and register k-1's load implied by the total.
    """
    k = len(fixed)
    caps = [hi - f for f in fixed]
    if min(caps) < 0:
        return None
    last_mask = (1 << (caps[k - 2] + 1)) - 1
    states: dict[tuple[int, ...], int] = {(0,) * (k - 2): 1}
    layers = [states]
    processed = 0
    for size in sizes:
        processed += size
        new: dict[tuple[int, ...], int] = {}
        for key, bits in states.items():
            new[key] = new.get(key, 0) | bits | (bits << size)
            for i in range(k - 2):
                if key[i] + size <= caps[i]:
                    moved = (*key[:i], key[i] + size, *key[i + 1 :])
                    new[moved] = new.get(moved, 0) | bits
        states = {}
        for key, bits in new.items():
            low = processed - sum(key) - caps[k - 1]
            bits &= last_mask
            if low > 0:
                bits = (bits >> low) << low
            if bits:
                states[key] = bits
        if not states:
            return None
        layers.append(states)

    best: tuple[float, tuple[int, ...], int] | None = None
    for key, bits in states.items():
        a = 0
        while bits:
            if bits & 1:
                loads = [*key, a, processed - sum(key) - a]
                base = [f + load for f, load in zip(fixed, loads, strict=True)]
                value: float | None
                if score is None:
                    value = (
                        sum((b * k - n) ** 2 for b in base)
                        if final_sizes(base, n, t) is not None
                        else None
                    )
                else:
                    value = score(base)
                if value is not None and (best is None or value < best[0]):
                    best = (value, key, a)
            bits >>= 1
            a += 1
            if best is not None and best[0] <= good_enough:
                break
        if best is not None and best[0] <= good_enough:
            break
    if best is None:
        return None

    _, key, a = best
    where = [0] * len(sizes)
    for index in range(len(sizes) - 1, -1, -1):
        size = sizes[index]
        previous = layers[index]
        if (previous.get(key, 0) >> a) & 1:
            where[index] = k - 1
        elif a >= size and (previous.get(key, 0) >> (a - size)) & 1:
            where[index] = k - 2
            a -= size
        else:
            for i in range(k - 2):
                earlier = (*key[:i], key[i] - size, *key[i + 1 :])
                if key[i] >= size and (previous.get(earlier, 0) >> a) & 1:
                    where[index] = i
                    key = earlier
                    break
            else:  # pragma: no cover - the forward pass guarantees a predecessor
                raise AssertionError("no predecessor in packing table")
    return where


def _exact_search(
    districts: Sequence[District],
    k: int,
    t: int,
    forced: set[int],
    upper: int,
    budget: int,
) -> tuple[tuple[set[int], dict[int, int]] | None, bool]:
    """Try 0, 1, 2, ... optional splits below ``upper``; answers (plan or None, search complete)."""
    n = sum(d.count for d in districts)
    hi = max_register_size(n, k, t)
    lower = split_cost(districts, forced)
    candidates = [d for d in range(len(districts)) if d not in forced]
    for extra in range(upper - lower):
        for chosen in combinations(candidates, extra):
            budget -= 1
            if budget < 0:
                return None, False
            split = forced | set(chosen)
            whole = {
                d: dist.reps[0] for d, dist in enumerate(districts) if d not in split and dist.reps
            }
            fixed = _fixed_loads(districts, k, split, whole)
            items = [d for d, dist in enumerate(districts) if d not in split and not dist.reps]
            where = _pack([districts[d].count for d in items], fixed, n, t, hi)
            if where is not None:
                whole.update(zip(items, where, strict=True))
                return (split, whole), True
    return None, True


def _repack(
    districts: Sequence[District],
    k: int,
    t: int,
    forced: set[int],
    split: set[int],
    whole: dict[int, int],
    budget: int,
) -> tuple[set[int], dict[int, int]]:
    """Local search for larger units: keep an optional split district whole by re-packing the
    whole districts of three registers exactly (the other registers stay as they are)."""
    n = sum(d.count for d in districts)
    hi = max_register_size(n, k, t)
    split, whole = set(split), dict(whole)
    improved = True
    while improved and budget > 0:
        improved = False
        for d in sorted(split - forced, key=lambda d: (-districts[d].count, d)):
            own = districts[d].reps[:1]
            for group in combinations(range(k), min(3, k)):
                if own and own[0] not in group:
                    continue
                budget -= 1
                if budget < 0:
                    return split, whole
                movable = [e for e, j in whole.items() if j in group and not districts[e].reps]
                kept = {e: j for e, j in whole.items() if e not in movable}
                if own:
                    kept[d] = own[0]
                else:
                    movable.append(d)
                trial_split = split - {d}
                base = _fixed_loads(districts, k, trial_split, kept)

                def feasible(
                    sub: list[int], group: tuple[int, ...] = group, base: list[int] = base
                ) -> float | None:
                    full = list(base)
                    for j, load in zip(group, sub, strict=True):
                        full[j] = load
                    return 0 if final_sizes(full, n, t) is not None else None

                where = _pack(
                    [districts[e].count for e in movable],
                    [base[j] for j in group],
                    n,
                    t,
                    hi,
                    score=feasible,
                )
                if where is None:
                    continue
                whole = {**kept, **{e: group[i] for e, i in zip(movable, where, strict=True)}}
                split = trial_split
                improved = True
                break
            if improved:
                break
    return split, whole


def _cpsat(
    districts: Sequence[District],
    k: int,
    t: int,
    hint: list[dict[int, int]],
    deterministic_time: float,
) -> tuple[list[dict[int, int]], bool] | None:
    from ortools.sat.python import cp_model

    n = sum(d.count for d in districts)
    model = cp_model.CpModel()
    big = k * len(districts) + 1
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    objective: list[Any] = []
    for d, district in enumerate(districts):
        reps = Counter(district.reps)
        uses = []
        for j in range(k):
            xv = model.new_int_var(reps.get(j, 0), district.count, f"x{d}_{j}")
            yv = model.new_bool_var(f"y{d}_{j}")
            model.add(xv <= district.count * yv)
            model.add(xv >= yv)
            model.add_hint(xv, hint[d].get(j, 0))
            model.add_hint(yv, 1 if hint[d].get(j, 0) else 0)
            x[d, j] = xv
            uses.append(yv)
        model.add(sum(x[d, j] for j in range(k)) == district.count)
        objective.extend(uses)
        if not district.free:
            split = model.new_bool_var(f"s{d}")
            model.add(sum(uses) <= 1 + (k - 1) * split)
            model.add_hint(split, 1 if len(hint[d]) > 1 else 0)
            objective.append(big * split)
    level = model.new_int_var(max(0, -(-n // k) - t), n // k, "level")
    for j in range(k):
        size = sum(x[d, j] for d in range(len(districts)))
        model.add(size >= level)
        model.add(size <= level + t)
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = deterministic_time
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    alloc: list[dict[int, int]] = [{} for _ in districts]
    for (d, j), xv in x.items():
        value = solver.value(xv)
        if value:
            alloc[d][j] = value
    return alloc, status == cp_model.OPTIMAL


def solve_fresh(districts: Sequence[District], k: int, t: int, options: PlanOptions) -> FreshResult:
    """Fewest split districts for k registers with sizes within t, reps in their own register."""
    n = sum(d.count for d in districts)
    if k == 1:
        return FreshResult([{0: d.count} for d in districts], "single", True, 0)
    hi = max_register_size(n, k, t)
    # Must split: unknown district, two representatives, too big for a register (every register
    # already holds its representative, so a district without one must leave a seat for them).
    forced = {
        d
        for d, dist in enumerate(districts)
        if dist.free or len(dist.reps) >= 2 or dist.count > hi - (0 if dist.reps else 1)
    }
    lower = split_cost(districts, forced)
    split, whole = _greedy(districts, k, t, forced)
    cost = split_cost(districts, split)
    method, optimal = "greedy", cost == lower
    small = n <= options.exact_max_members
    if not optimal and small and k <= 3:
        found, complete = _exact_search(districts, k, t, forced, cost, options.search_budget)
        if found is not None:
            split, whole = found
            method, optimal = "exact", True
        elif complete:
            method, optimal = "greedy", True
    if not optimal and small and k > 3:
        split, whole = _repack(districts, k, t, forced, split, whole, options.search_budget)
        if split_cost(districts, split) < cost:
            method = "repack"
            optimal = split_cost(districts, split) == lower
    if small and k <= 3 and any(not districts[d].free for d in split):
        whole = _fewest_pieces(districts, k, t, split, whole)
    alloc = distribute(districts, k, t, split, whole)
    if alloc is None:  # pragma: no cover - greedy repairs until feasible
        raise AssertionError("greedy plan infeasible")
    if not optimal and small and k * len(districts) <= options.exact_max_cells:
        solved = _cpsat(districts, k, t, alloc, options.exact_deterministic_time)
        if solved is not None:
            cp_alloc, proven = solved
            if _alloc_cost(districts, cp_alloc) <= _alloc_cost(districts, alloc):
                alloc = cp_alloc
                method, optimal = "cp-sat", proven
    return FreshResult(alloc, method, optimal, lower)


def _fewest_pieces(
    districts: Sequence[District], k: int, t: int, split: set[int], whole: dict[int, int]
) -> dict[int, int]:
    """Same split districts, but the whole ones placed so split ones touch the fewest registers."""
    n = sum(d.count for d in districts)
    fixed_whole = {d: j for d, j in whole.items() if districts[d].reps}
    items = sorted(d for d in whole if not districts[d].reps)
    fixed = _fixed_loads(districts, k, split, fixed_whole)
    where = _pack(
        [districts[d].count for d in items],
        fixed,
        n,
        t,
        max_register_size(n, k, t),
        score=lambda base: _split_pieces(districts, split, base, n, t),
        # Every split district touches at least its representatives' registers (or two).
        good_enough=sum(
            max(2, len(set(districts[d].reps))) for d in split if not districts[d].free
        ),
    )
    if where is None:  # pragma: no cover - the current plan is itself a solution
        return whole
    return {**fixed_whole, **dict(zip(items, where, strict=True))}


def _alloc_cost(districts: Sequence[District], alloc: list[dict[int, int]]) -> tuple[int, int]:
    splits = sum(1 for d, a in enumerate(alloc) if len(a) > 1 and not districts[d].free)
    return splits, sum(len(a) for a in alloc)
