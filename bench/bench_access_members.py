"""What naming every member of an export in the access log costs (issue #15 items 3 and 5).

    .venv/bin/python bench/bench_access_members.py [--members 10700] [--runs 9]

In a throw-away SQLite database (migrated, production-like settings), times
``core.audit.audit_access`` as an export calls it: once with the detail only (the event as it
was), once also naming ``--members`` members (``members=``: the event's `AccessedMember` rows,
one multi-row INSERT per 500). Median and worst of ``--runs`` after a warm-up, committed each
time (autocommit, as in a request), with the SQL statements counted. The difference is the
extra time of one export of the whole cooperative.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_700)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp) / "bench.sqlite3")
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from tocnet.core.audit import audit_access

        call_command("migrate", verbosity=0)
        pks = list(range(1, args.members + 1))

        def once(with_members: bool) -> tuple[float, int]:
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                audit_access(
                    actor="bench",
                    action="reports.attachment3_exported",
                    detail={"format": "xlsx", "members": len(pks)},
                    members=pks if with_members else None,
                )
                took = time.perf_counter() - start
            return took * 1000, len(queries)

        for label, with_members in (("detail only", False), ("naming members", True)):
            once(with_members)  # warm-up
            times, statements = [], 0
            for _ in range(args.runs):
                took, statements = once(with_members)
                times.append(took)
            print(
                f"{label:15} median {statistics.median(times):7.1f} ms, worst {max(times):7.1f} ms,"
                f" {statements} SQL statements"
            )


if __name__ == "__main__":
    main()
