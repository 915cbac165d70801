"""LINE webhook under load, against a bare Django view answering 200.

    .venv/bin/python bench/bench_webhook.py [--rate 200] [--seconds 30]

Starts, in a scratch directory: the fake LINE API, the web server (`manage.py runserver`,
threaded, or gunicorn with --server gunicorn; DEBUG off) and the huey worker (as `scripts/run` starts it, processing while the load runs). Sends signed single-event webhooks (follow events,
group messages, unknown types, and 5% redeliveries of earlier events) at a fixed rate from a
threaded client, first to the bare view, then to /line/webhook. Then waits for the worker and
checks that every event is stored once and processed once (status, attempts, one reply per
follow). Prints latency percentiles and the webhook/bare ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load import free_port, paced_posts  # noqa: E402  (bench/, beside this file)

from tocnet.line import simulate  # noqa: E402
from tocnet.testing.fakes.line_server import FakeLineServer  # noqa: E402

SECRET = "bench-channel-secret"
TOKEN = "bench-access-token"
PY = str(ROOT / ".venv" / "bin" / "python")


def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def make_events(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    events: list[dict] = []
    group = simulate.group_id_for("สอ.พช.กพ.1")
    for i in range(count):
        roll = rng.random()
        if events and roll < 0.05:
            again = json.loads(json.dumps(rng.choice(events)))
            again["deliveryContext"]["isRedelivery"] = True
            events.append(again)
        elif roll < 0.55:
            events.append(simulate.follow_event(f"U{i:032x}"))
        elif roll < 0.95:
            events.append(simulate.group_message_event(group, f"U{i:032x}", "สวัสดีครับ"))
        else:
            unknown = simulate.follow_event(f"U{i:032x}")
            unknown["type"] = "somethingNew"
            events.append(unknown)
    return events


def run_load(port: int, path: str, bodies: list[tuple[bytes, str]], rate: float) -> list[float]:
    """Send each body at its slot (i / rate seconds after start); return latencies in ms."""
    latencies, retried, elapsed = paced_posts(port, path, bodies, rate, threads=64)
    print(
        f"  sent {len(bodies)} in {elapsed:.1f} s ({len(bodies) / elapsed:.0f}/s); "
        f"connection errors retried: {retried}"
    )
    return latencies


def summary(name: str, ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100)
    out = {"p50": q[49], "p95": q[94], "p99": q[98], "max": max(ms), "mean": statistics.fmean(ms)}
    print(f"  {name}: " + ", ".join(f"{k} {v:.1f} ms" for k, v in out.items()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--settings", default="bench.webhook_bench_settings")
    parser.add_argument(
        "--server",
        choices=["runserver", "gunicorn"],
        default="runserver",
        help="gunicorn: 2 processes x 8 threads (pip install gunicorn)",
    )
    parser.add_argument(
        "--worker-after", action="store_true", help="start the worker after the load (ack only)"
    )
    parser.add_argument(
        "--database-url", default="", help="e.g. postgres://postgres@127.0.0.1:5432/x"
    )
    parser.add_argument(
        "--redis-url", default="", help="huey on Redis, e.g. redis://127.0.0.1:6379/9"
    )
    args = parser.parse_args()
    count = int(args.rate * args.seconds)
    scratch = Path(tempfile.mkdtemp(prefix="tocnet-bench-"))
    fake = FakeLineServer(access_token=TOKEN).start()
    fake.add_group(simulate.group_id_for("สอ.พช.กพ.1"), "สอ.พช.กพ.1", count=40)
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": args.settings,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-bench-secret-key-bench",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "TOCNET_VAR_DIR": str(scratch),
        "HUEY_IMMEDIATE": "0",
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE_URL": fake.url,
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    log = open(scratch / "server.log", "w")  # noqa: SIM115
    if args.server == "gunicorn":
        server_cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "-b", f"127.0.0.1:{port}", "-w", "2", "-k", "gthread", "--threads", "8",
            "--backlog", "512", "tocnet.wsgi:application",
        ]  # fmt: skip
    else:
        server_cmd = [PY, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    web = subprocess.Popen(
        server_cmd,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    worker = None

    def start_worker() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [PY, "manage.py", "run_huey", "--quiet"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
        )

    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        # The worker runs during the load, as in production: events are processed meanwhile.
        if not args.worker_after:
            worker = start_worker()
        events = make_events(count, args.seed)
        bodies = [simulate.signed([e], SECRET) for e in events]
        # Warm both paths (imports, first connections) before measuring.
        run_load(port, "/bench/bare", bodies[:20], 100)
        print(f"bare Django view, {args.rate:.0f}/s for {args.seconds:.0f} s:")
        bare = summary("bare", run_load(port, "/bench/bare", bodies, args.rate))
        print(f"LINE webhook, {args.rate:.0f}/s for {args.seconds:.0f} s:")
        hook = summary("webhook", run_load(port, "/line/webhook", bodies, args.rate))
        if worker is None:
            worker = start_worker()
        unique = {e["webhookEventId"]: e for e in events}
        follows = sum(1 for e in unique.values() if e["type"] == "follow")
        check = (
            "from tocnet.line.models import WebhookEvent as W; from django.db.models import Count;"
            "import json; rows=W.objects.values('status').annotate(n=Count('id'));"
            "print(json.dumps({'rows': W.objects.count(), 'by_status': {r['status']: r['n'] for r in rows},"
            "'max_attempts': max(W.objects.values_list('attempts', flat=True) or [0]),"
            "'errors': sorted(set(W.objects.exclude(error='').values_list('error', flat=True)[:50]))[:3]}))"
        )
        deadline = time.monotonic() + 300
        while True:
            out = (
                subprocess.run(
                    [PY, "manage.py", "shell", "-c", check],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            state = json.loads(out)
            waiting = state["by_status"].get("pending", 0) + state["by_status"].get("processing", 0)
            if waiting == 0 or time.monotonic() > deadline:
                break
            time.sleep(2)
        replies = len(fake.replies())
        print(
            f"events sent {len(events)}, unique {len(unique)}, stored {state['rows']}, "
            f"by status {state['by_status']}, max attempts {state['max_attempts']}, "
            f"replies {replies} for {follows} follows"
        )
        ok = (
            state["rows"] == len(unique)
            and waiting == 0
            and state["max_attempts"] == 1
            and state["by_status"].get("failed", 0) == 0
            and replies == follows
        )
        ratio = hook["p95"] / bare["p95"]
        print(
            f"webhook/bare p95 ratio {ratio:.2f}, p50 ratio {hook['p50'] / bare['p50']:.2f}; "
            f"exactly once: {'yes' if ok else 'NO'}"
        )
        if not ok:
            print("errors:", state["errors"])
            raise SystemExit(1)
    finally:
        for proc in (worker, web):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
        fake.stop()


if __name__ == "__main__":
    main()
