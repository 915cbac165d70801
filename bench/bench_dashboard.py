"""Coverage dashboard server time on the demo cooperative (10,669 members).

    .venv/bin/python bench/bench_dashboard.py [--members 10669] [--runs 7]

Builds the demo cooperative (tocnet.members.demo) in a throw-away SQLite database, adds one
register per representative (members dealt round-robin within each unit, group names by the
cooperative's rule), verifies 60 % of the groups and marks 70 % of the LINE users of those
registers as seen in their group. Then, as cooperative staff (the widest scope), measures:

- the selector alone: ``coverage_for_user`` (all provinces, units, registers, totals);
- the whole page: GET /dashboard/ through Django's test client (selector, SVG charts, map,
  template), i.e. server time without network;
- the .xlsx export: GET /dashboard/?export=xlsx.

Prints the median and worst of ``--runs`` timed runs (after one warm-up) and the number of
SQL queries per page. Target: page <= 300 ms. Runs with DEBUG off (cached template loader),
as in production; DEBUG=1 in the environment measures the development setup instead.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database: Path) -> None:
    # Production-like: DEBUG off, so templates come from the cached loader.
    os.environ["DJANGO_SETTINGS_MODULE"] = "tocnet.settings"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + os.urandom(16).hex())
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    import django

    django.setup()


def build(members: int) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from tocnet.line.models import GroupMemberSighting, LineGroup
    from tocnet.members.demo import demo_cooperative_create
    from tocnet.members.models import Member, Representative, Unit
    from tocnet.registers.models import Register, RegisterMembership
    from tocnet.registers.naming import register_group_name

    call_command("migrate", verbosity=0)
    demo_cooperative_create(members=members, seed=2564)
    rng = random.Random(11)
    now = timezone.now()
    registers: list[Register] = []
    deal: list[tuple[int, int]] = []  # (register index, member pk)
    for unit in Unit.objects.order_by("pk"):
        reps = list(Representative.objects.filter(unit=unit, ended_on__isnull=True))
        active = list(
            Member.objects.filter(unit=unit, status=Member.Status.ACTIVE).values_list(
                "pk", flat=True
            )
        )
        if not reps or not active:
            continue
        single = len(reps) == 1
        start = len(registers)
        for number, rep in enumerate(reps, start=1):
            registers.append(
                Register(
                    unit=unit,
                    number=None if single else number,
                    representative=rep,
                    line_group_name=register_group_name(
                        unit.abbreviation, None if single else number
                    ),
                )
            )
        for i, member_pk in enumerate(active):
            deal.append((start + i % len(reps), member_pk))
    Register.objects.bulk_create(registers)
    saved = list(Register.objects.order_by("pk"))
    RegisterMembership.objects.bulk_create(
        [RegisterMembership(register=saved[i], member_id=pk, since=now) for i, pk in deal],
        batch_size=5000,
    )
    groups = []
    for register in saved:
        if rng.random() < 0.6:
            register.line_group_id = f"C{register.pk:032d}"
            groups.append(
                LineGroup(
                    group_id=register.line_group_id,
                    name=register.line_group_name,
                    status=LineGroup.Status.VERIFIED,
                    unit_id=register.unit_id,
                    register=register,
                    member_count=40,
                    verified_at=now,
                )
            )
    Register.objects.bulk_update(saved, ["line_group_id"])
    LineGroup.objects.bulk_create(groups)
    group_of = {g.register_id: g for g in LineGroup.objects.all()}
    register_of = dict(RegisterMembership.objects.values_list("member_id", "register_id"))
    linked = []
    sightings = []
    for member in Member.objects.filter(status=Member.Status.ACTIVE).only("pk", "line_id"):
        group = group_of.get(register_of.get(member.pk))
        if group is None or not member.line_id or rng.random() > 0.7:
            continue
        member.line_user_id = f"U{member.pk:032d}"
        linked.append(member)
        sightings.append(
            GroupMemberSighting(
                group=group, line_user_id=member.line_user_id, first_seen_at=now, last_seen_at=now
            )
        )
    Member.objects.bulk_update(linked, ["line_user_id"], batch_size=2000)
    GroupMemberSighting.objects.bulk_create(sightings, batch_size=5000)
    print(
        f"built: {Member.objects.count()} members, {len(saved)} registers, "
        f"{len(groups)} verified groups, {len(sightings)} members seen in their group"
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
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from tocnet.accounts.models import User
        from tocnet.reports.selectors import coverage_for_user

        staff = User.objects.get(username="staff")
        client = Client()
        client.force_login(staff)
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
        timed("GET /dashboard/?export=xlsx", max(3, args.runs // 2),
              lambda: client.get("/dashboard/", {"export": "xlsx"}, secure=True))  # fmt: skip
        verdict = "OK" if statistics.median(page_times) <= 300 else "OVER TARGET"
        print(f"target: page <= 300 ms -> {verdict}")


if __name__ == "__main__":
    main()
