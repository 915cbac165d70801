"""LINE webhook acknowledgements while 20 staff sessions load the dashboard (issue #10, item 9).

    .venv/bin/python bench/bench_dashboard_load.py [--sessions 20] [--seconds 30] [--rate 20]
        [--cache-seconds 60] [--database-url postgres://...]

Builds the demo cooperative (10,669 members, 211 registers, verified groups, members seen in
them; as bench_dashboard.py) in a scratch folder, with `--sessions` staff users signed in past
the second factor. Starts the production layout of the README: gunicorn for the site (2
processes x 8 threads) and a second, small gunicorn (1 x 4) for /line/webhook only, DEBUG off,
persistent connections (DB_CONN_MAX_AGE 60). Then measures, in `--rounds` alternating rounds (so the machine's other work weighs on both sides alike):
idle, signed single-event webhooks at `--rate` per second; loaded, the same while `--sessions`
threads (a child process at nice 15: browsers live on other machines) each load GET /dashboard/
as their own staff user, one request after another, no pause. `--seconds` is the total per side.

Prints webhook acknowledgement p50/p95 idle and loaded (target: loaded p95 <= 2x idle), the
dashboard's p50/p95 and pages per second under the load, and the load average. Run it with
`--cache-seconds 0` to see the same load without the dashboard's cache.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load import free_port, paced_posts  # noqa: E402  (bench/, beside this file)

PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
SECRET = "bench-channel-secret"


def build(sessions: int) -> None:
    """(In the scratch environment) the demo cooperative and signed-in staff; prints cookies."""
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tocnet.accounts import two_factor
    from tocnet.accounts.models import User
    from tocnet.members.demo import demo_cooperative_create
    from tocnet.reports.tests.builders import demo_registers_create

    call_command("migrate", verbosity=0)
    demo_cooperative_create(members=10_669, seed=2564)
    made = demo_registers_create(seed=11)
    keys = []
    for n in range(sessions):
        user = User.objects.create_user(
            username=f"bench-staff-{n}",
            password="bench-only-password-2564",
            role=User.Role.STAFF,
            is_staff=True,
            second_factor_enabled=True,
        )
        TOTPDevice.objects.create(user=user, name="bench phone", confirmed=True)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "tocnet.accounts.backends.ThrottledModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[two_factor.SESSION_KEY] = f"{user.pk}:{user.second_factor_epoch}"
        session.create()
        keys.append(session.session_key)
    print(json.dumps({"registers": made["registers"], "sessions": keys}))


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else values[0]


def get(port: int, path: str, headers: dict[str, str], conn: http.client.HTTPConnection | None):
    """One GET on a kept-alive connection (reopened when the server closed it)."""
    for _ in range(3):
        conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            return conn, response.status, body
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = None
    raise SystemExit(f"GET {path} failed three times")


def webhooks(port: int, rate: float, seconds: float, seed: int) -> list[float]:
    """Signed single-event webhooks at `rate` per second; latencies (ms) of the 200s."""
    from tocnet.line import simulate

    bodies = [
        simulate.signed([simulate.follow_event(f"U{seed:08x}{i:024x}")], SECRET)
        for i in range(int(rate * seconds))
    ]
    return paced_posts(port, "/line/webhook", bodies, rate, threads=16, start_in=0.2)[0]


def dashboards(
    port: int, cookies: list[str], stop: threading.Event, pause: Path | None = None
) -> list[float]:
    """Each session loads /dashboard/ again and again until `stop` (resting while the file
    `pause` exists); latencies (ms)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def session(cookie: str) -> None:
        headers = {"Cookie": f"sessionid={cookie}", "X-Forwarded-Proto": "https"}
        conn = None
        while not stop.is_set():
            if pause is not None and pause.exists():
                time.sleep(0.05)
                continue
            t0 = time.perf_counter()
            conn, status, body = get(port, "/dashboard/", headers, conn)
            if status != 200 or b'id="totals"' not in body:
                raise SystemExit(f"dashboard answered {status}: {body[:200]!r}")
            with lock:
                latencies.append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=session, args=(c,)) for c in cookies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def load_only(spec: str) -> None:
    """(A niced child process) the staff sessions: browsers, which live on other machines, so
    they must not take the CPU from the servers measured. Prints the page latencies."""
    port, stop_file, pause_file, cookie_file = spec.split(",")
    cookies = json.loads(Path(cookie_file).read_text())
    stop = threading.Event()

    def watch() -> None:
        while not Path(stop_file).exists():
            time.sleep(0.1)
        stop.set()

    threading.Thread(target=watch, daemon=True).start()
    print(json.dumps(dashboards(int(port), cookies, stop, Path(pause_file))))


def show(name: str, values: list[float]) -> tuple[float, float]:
    p50, p95 = percentile(values, 50), percentile(values, 95)
    print(
        f"  {name}: n={len(values)}, p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(values):.1f} ms"
    )
    return p50, p95


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=20, help="webhooks per second")
    parser.add_argument("--cache-seconds", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3, help="idle/loaded rounds, alternating")
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--site-nice",
        type=int,
        default=10,
        help="niceness of the site's gunicorn (README: the webhook pool keeps the CPU first)",
    )
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--load-only", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.sessions)
        return
    if args.load_only:
        load_only(args.load_only)
        return

    scratch = Path(tempfile.mkdtemp(prefix="tocnet-bench-load-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tocnet.settings",
        "PYTHONPATH": str(ROOT),
        "DEBUG": "0",
        "SECRET_KEY": "bench-secret-key-bench-secret-key-bench",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "TOCNET_VAR_DIR": str(scratch),
        "HUEY_IMMEDIATE": "0",
        "DB_CONN_MAX_AGE": "60",
        "DASHBOARD_CACHE_SECONDS": str(args.cache_seconds),
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": "bench-token",
        "LINE_API_BASE_URL": "http://127.0.0.1:9",  # no worker runs: nothing is sent
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    t0 = time.monotonic()
    out = subprocess.run(
        [PY, __file__, "--build-only", "--sessions", str(args.sessions)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    built = json.loads(out.strip().splitlines()[-1])
    cookies = built["sessions"]
    print(
        f"built in {time.monotonic() - t0:.0f} s: {built['registers']} registers, {len(cookies)} staff sessions"
    )
    os.environ.update(env)  # simulate.signed() reads nothing else; keeps this process alike

    site_port, hook_port = free_port(), free_port()
    log = open(scratch / "server.log", "w")  # noqa: SIM115
    nice = ["nice", "-n", str(args.site_nice)]
    gunicorns = [
        subprocess.Popen(
            [*(nice if port == site_port else []), GUNICORN, "-b", f"127.0.0.1:{port}", "-w", str(workers), "-k", "gthread",
             "--threads", str(threads), "--backlog", "512", "tocnet.wsgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=log,
        )
        for port, workers, threads in ((site_port, 2, 8), (hook_port, 1, 4))
    ]  # fmt: skip
    try:
        for port in (site_port, hook_port):
            deadline = time.monotonic() + 60
            while True:
                try:
                    get(port, "/healthz", {}, None)
                    break
                except SystemExit:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
        # Warm-up: both processes import the pages, open connections, fill the cache.
        stop = threading.Event()
        warm = threading.Thread(target=dashboards, args=(site_port, cookies[:4], stop))
        warm.start()
        webhooks(hook_port, args.rate, 3, seed=1)
        stop.set()
        warm.join()

        # Idle and loaded rounds alternate, so the other work on the machine weighs on both.
        cookie_file, stop_file, pause_file = (
            scratch / n for n in ("cookies.json", "stop", "pause")
        )
        cookie_file.write_text(json.dumps(cookies))
        pause_file.touch()
        loader = subprocess.Popen(
            ["nice", "-n", "15", PY, __file__, "--load-only",
             f"{site_port},{stop_file},{pause_file},{cookie_file}"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        load_before = os.getloadavg()
        per_round = args.seconds / args.rounds
        idle_hooks: list[float] = []
        loaded_hooks: list[float] = []
        loaded_time = 0.0
        for n in range(args.rounds):
            pause_file.touch()
            time.sleep(1)  # the sessions' requests in flight end
            idle_hooks += webhooks(hook_port, args.rate, per_round, seed=10 + 2 * n)
            pause_file.unlink()
            time.sleep(1)  # the sessions are under way
            t0 = time.monotonic()
            loaded_hooks += webhooks(hook_port, args.rate, per_round, seed=11 + 2 * n)
            loaded_time += time.monotonic() - t0 + 1
        stop_file.touch()
        out, _err = loader.communicate(timeout=600)
        pages = json.loads(out.strip().splitlines()[-1])
        load_after = os.getloadavg()
        print(
            f"{args.rounds} alternating rounds of {per_round:.0f} s, webhooks {args.rate:.0f}/s; "
            f"loaded = while {len(cookies)} staff sessions load /dashboard/ (cache "
            f"{args.cache_seconds} s, site at nice {args.site_nice}); load average "
            f"{load_before[0]:.1f} -> {load_after[0]:.1f}"
        )
        idle = show("webhook idle", idle_hooks)
        loaded = show("webhook loaded", loaded_hooks)
        show("dashboard", pages)
        print(f"  dashboard pages/s: {len(pages) / loaded_time:.1f}")
        ratio = loaded[1] / idle[1]
        print(
            f"webhook p95 loaded/idle {ratio:.2f} (target <= 2): {'OK' if ratio <= 2 else 'OVER'}; "
            f"p50 {loaded[0] / idle[0]:.2f}"
        )
    finally:
        for proc in gunicorns:
            proc.terminate()
        for proc in gunicorns:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
