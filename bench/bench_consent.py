"""The consent selector as the announcement planner uses it, for the whole cooperative.

    .venv/bin/python bench/bench_consent.py [--members 10700] [--runs 9]

Builds the demo cooperative (tocnet.members.demo) in a throw-away SQLite database, then gives
the members a realistic spread of choices: 4 % object to news by SMS, 2 % by e-mail, 1 % on
LINE; 15 % consent to offers on LINE, 5 % by SMS; 10 % allow their representative to see their
questions; 0.5 % are restricted (each choice through privacy.services, with its history row).
Measures, median and worst of ``--runs`` after a warm-up, with the number of SQL queries:

- what the planner asks per announcement: for each channel (LINE, SMS, e-mail) the members who
  may not be sent news, with the reason (``members_not_messageable(...).values_list``), the
  whole cooperative as the audience (tocnet/messaging/planning.py does exactly this);
- the same for offers on LINE (consent first: most members are "no consent given");
- ``Member.objects.filter(member_messageable_q(...)).count()`` (a filter inside a bigger query);
- ``member_may_be_messaged`` for one member (the inbox and single sends).

Target: as part of the planner's <= 300 ms, one query per channel whatever the size.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signin import setup_django  # noqa: E402  (bench/, beside this file)


def build(members: int) -> None:
    from django.core.management import call_command

    from tocnet.members.demo import demo_cooperative_create
    from tocnet.members.models import Member
    from tocnet.privacy.models import Method, Purpose
    from tocnet.privacy.services import consent_set, member_restrict

    call_command("migrate", verbosity=0)
    demo_cooperative_create(members=members, seed=2564)
    rng = random.Random(11)
    spread = [
        (Purpose.NEWS, "sms", False, 0.04),
        (Purpose.NEWS, "email", False, 0.02),
        (Purpose.NEWS, "line", False, 0.01),
        (Purpose.OFFERS, "line", True, 0.15),
        (Purpose.OFFERS, "sms", True, 0.05),
        (Purpose.REPRESENTATIVE, "line", True, 0.10),
    ]
    everyone = list(Member.objects.all())
    made = 0
    for purpose, channel, allowed, share in spread:
        for member in rng.sample(everyone, int(len(everyone) * share)):
            consent_set(
                member=member,
                purpose=purpose,
                channel=channel,
                allowed=allowed,
                method=Method.LINE,
                actor="bench",
            )
            made += 1
    for member in rng.sample(everyone, int(len(everyone) * 0.005)):
        member_restrict(member=member, reason="bench", actor="bench")
    print(f"built: {len(everyone)} members, {made} consents")


def timed(label: str, runs: int, func: Callable[[], object]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    func()
    with CaptureQueriesContext(connection) as ctx:
        result = func()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<58} median {statistics.median(times):6.1f} ms  worst {max(times):6.1f} ms"
        f"  {len(ctx.captured_queries)} queries  -> {result}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_700)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "bench.sqlite3")
        build(args.members)
        from tocnet.members.models import Member
        from tocnet.privacy.selectors import (
            member_may_be_messaged,
            member_messageable_q,
            members_not_messageable,
        )

        audience = Member.objects.filter(status=Member.Status.ACTIVE)

        def planner_news() -> int:
            total = 0
            for channel in ("line", "sms", "email"):
                rows = members_not_messageable(
                    purpose="news", channel=channel, members=audience
                ).values_list("pk", "privacy_reason")
                total += len(list(rows))
            return total

        def offers_line() -> int:
            rows = members_not_messageable(purpose="offers", channel="line", members=audience)
            return len(list(rows.values_list("pk", "privacy_reason")))

        def messageable_count() -> int:
            return audience.filter(member_messageable_q(purpose="news", channel="sms")).count()

        one = audience.order_by("pk").last()
        assert one is not None

        def single() -> bool:
            return member_may_be_messaged(member=one, purpose="offers", channel="line")

        print(f"audience: {audience.count()} active members")
        timed("planner: news not messageable, 3 channels (rows)", args.runs, planner_news)
        timed("offers on LINE not messageable (rows)", args.runs, offers_line)
        timed("news by SMS messageable (count)", args.runs, messageable_count)
        timed("one member, offers on LINE", args.runs, single)


if __name__ == "__main__":
    main()
