"""Coverage dashboard server time on the demo cooperative (10,669 members).

    .venv/bin/python bench/bench_dashboard.py [--members 10669] [--runs 7]

Builds the demo cooperative (tocnet.members.demo) in a throw-away SQLite database, adds one
register per representative (members dealt round-robin within each unit, group names by the
cooperative's rule), verifies 60 % of the groups and marks 70 % of the LINE users of those
registers as seen in their group. Then, as cooperative staff (the widest scope), measures:

- the selector alone: ``coverage_for_user`` (all provinces, units, registers, totals);
- the whole page: GET /dashboard/ through Django's test client (selector, SVG charts, map,
  template), i.e. server time without network; and with the 211-row register table inline
  (?registers=1; by default it loads on request);
- the .xlsx export: GET /dashboard/?export=xlsx.

Prints the median and worst of ``--runs`` timed runs (after one warm-up) and the number of
SQL queries per page. Target: page <= 300 ms. Runs with DEBUG off (cached template loader),
as in production; DEBUG=1 in the environment measures the development setup instead.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signin import setup_django  # noqa: E402  (bench/, beside this file)


def build(members: int) -> None:
    from django.core.management import call_command

    from tocnet.members.demo import demo_cooperative_create
    from tocnet.reports.tests.builders import demo_registers_create

    call_command("migrate", verbosity=0)
    demo_cooperative_create(members=members, seed=2564)
    made = demo_registers_create(seed=11)
    print(
        f"built: {members} members, {made['registers']} registers, "
        f"{made['verified']} verified groups, {made['seen']} members seen in their group"
    )


def timed(label: str, runs: int, func: object) -> list[float]:
    func()  # type: ignore[operator]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<28} median {statistics.median(times):7.1f} ms   worst {max(times):7.1f} ms"
        f"   ({runs} runs)"
    )
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_669)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "bench.sqlite3")
        build(args.members)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext
        from signin import signed_in_client

        from tocnet.accounts.models import User
        from tocnet.reports.selectors import coverage_for_user

        staff = User.objects.get(username="staff")
        client = signed_in_client(staff)
        coverage = coverage_for_user(staff)
        print(
            f"dashboard: {coverage.total.members} members, {len(coverage.units)} units, "
            f"{len(coverage.registers)} registers, {len(coverage.provinces)} provinces; "
            f"{coverage.total.in_group} in a group"
        )
        timed("coverage_for_user (staff)", args.runs, lambda: coverage_for_user(staff))

        def page() -> None:
            response = client.get("/dashboard/", secure=True)
            assert response.status_code == 200, response.status_code

        with CaptureQueriesContext(connection) as ctx:
            page()
        print(f"GET /dashboard/ queries: {len(ctx.captured_queries)}")
        page_times = timed("GET /dashboard/", args.runs, page)
        timed("GET /dashboard/?registers=1", args.runs,
              lambda: client.get("/dashboard/", {"registers": "1"}, secure=True))  # fmt: skip
        timed("GET /dashboard/?export=xlsx", max(3, args.runs // 2),
              lambda: client.get("/dashboard/", {"export": "xlsx"}, secure=True))  # fmt: skip
        verdict = "OK" if statistics.median(page_times) <= 300 else "OVER TARGET"
        print(f"target: page <= 300 ms -> {verdict}")


if __name__ == "__main__":
    main()
