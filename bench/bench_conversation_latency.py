"""A member's message from the webhook to the inbox on the demo set-up (#13, Speed).

    .venv/bin/python bench/bench_conversation_latency.py [--members 300] [--gaps 1,5,15,30,60]
        [--repeat 2] [--max-delay 0.5]

As `scripts/run` runs it: the web process stores the signed webhook and queues it on the SQLite
queue under `var/`; a separate `tocnet run_huey --quiet` worker (started here, its tokeniser
warmed on start) picks it up and keeps the message in the member's conversation. The webhook is
POSTed through Django's test client in this process (DEBUG off, throw-away SQLite database and
var/), and the database is read every 5 ms until the message is there.

Before each message the worker is left idle for a gap (``--gaps``, seconds): an idle worker
looks at its queue ever more slowly (huey backs off up to HUEY_MAX_DELAY seconds; huey's own
default is 10), so the gap is what decides the wait. ``--max-delay 10`` shows huey's default.

Target: message in the inbox <= 2 s after the webhook arrives.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signin import message_to_inbox_ms, setup_django  # noqa: E402  (bench/, beside this file)

from tocnet.testing.fakes.line_server import FakeLineServer  # noqa: E402

SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
MEMBER_LINE = "U" + "e" * 32


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--gaps", default="1,5,15,30,60")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-delay", default="0.5")
    args = parser.parse_args()
    gaps = [float(g) for g in args.gaps.split(",")] * args.repeat
    with tempfile.TemporaryDirectory() as folder, FakeLineServer(access_token=TOKEN) as fake:
        os.environ.update(
            {
                "TOCNET_VAR_DIR": folder,
                "HUEY_IMMEDIATE": "0",
                "HUEY_MAX_DELAY": args.max_delay,
                "LINE_CHANNEL_SECRET": SECRET,
                "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
                "LINE_API_BASE_URL": fake.url,
            }
        )
        setup_django(Path(folder) / "bench.sqlite3")
        from django.core.management import call_command
        from django.test import Client

        from tocnet.members.demo import demo_cooperative_create
        from tocnet.members.models import Member

        call_command("migrate", verbosity=0)
        demo_cooperative_create(members=args.members, seed=2564)
        member = Member.objects.filter(status=Member.Status.ACTIVE).order_by("pk").first()
        assert member is not None
        Member.objects.filter(pk=member.pk).update(line_user_id=MEMBER_LINE)
        worker = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "tocnet"), "run_huey", "--quiet"],
            cwd=ROOT,
            env=os.environ.copy(),
        )
        client = Client()

        def deliver(text: str, limit: float) -> float:
            return message_to_inbox_ms(
                client, line_user_id=MEMBER_LINE, text=text, secret=SECRET, limit=limit
            )

        try:
            first = deliver("สวัสดีครับ", 120)  # the worker starting (tokeniser, Django)
            print(f"worker started, first message after {first:.0f} ms (not counted)")
            latencies: list[tuple[float, float]] = []
            for i, gap in enumerate(gaps):
                time.sleep(gap)
                took = deliver(f"ขอสอบถามเรื่องเงินกู้ ครั้งที่ {i}", 60)
                latencies.append((gap, took))
                print(f"  idle {gap:4.0f} s -> message in the inbox after {took:7.1f} ms")
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        times = [t for _, t in latencies]
        print(
            f"webhook -> message in inbox (HUEY_MAX_DELAY={args.max_delay}): "
            f"median {statistics.median(times):.0f} ms, worst {max(times):.0f} ms "
            f"({len(times)} messages)"
        )
        print(f"target: message in inbox <= 2 s -> {'OK' if max(times) <= 2000 else 'OVER'}")


if __name__ == "__main__":
    main()
