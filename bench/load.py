"""Load drivers shared by the benchmarks (bench_webhook.py, bench_dashboard_load.py): a free port
for a server, and signed webhooks POSTed at a fixed rate by a pool of threads."""

from __future__ import annotations

import http.client
import socket
import threading
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def paced_posts(
    port: int,
    path: str,
    bodies: list[tuple[bytes, str]],
    rate: float,
    *,
    threads: int = 64,
    start_in: float = 0.5,
    tries: int = 4,
) -> tuple[list[float], int, float]:
    """POST each (body, X-Line-Signature) to `path` at its slot, `i / rate` seconds after a start
    `start_in` seconds from now, each on a new connection (as LINE sends), from `threads` workers.
    A request that gets no answer is sent again, up to `tries` times (LINE redelivers too);
    any status but 200, or no answer at all, ends the run (SystemExit).

    Returns the latencies in ms (in the bodies' order), how many connection errors were retried
    and the seconds from the start to the last answer."""
    latencies: list[float] = [0.0] * len(bodies)
    errors: list[str] = []
    retried: list[str] = []
    slots = iter(range(len(bodies)))
    lock = threading.Lock()
    start = time.monotonic() + start_in

    def worker() -> None:
        while True:
            with lock:
                i = next(slots, None)
            if i is None:
                return
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            body, signature = bodies[i]
            for attempt in range(tries):
                t0 = time.perf_counter()
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    conn.request(
                        "POST",
                        path,
                        body,
                        {"Content-Type": "application/json", "X-Line-Signature": signature},
                    )
                    response = conn.getresponse()
                    response.read()
                    conn.close()
                except (OSError, http.client.HTTPException) as exc:
                    with lock:
                        retried.append(f"{i}: {type(exc).__name__}")
                    time.sleep(0.05 * (attempt + 1))
                    continue
                latencies[i] = (time.perf_counter() - t0) * 1000
                if response.status != 200:
                    with lock:
                        errors.append(f"{i}: HTTP {response.status}")
                break
            else:
                with lock:
                    errors.append(f"{i}: no answer after {tries} tries")

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - start
    if errors:
        raise SystemExit(f"{len(errors)} of {len(bodies)} POST {path} failed, e.g. {errors[:3]}")
    return latencies, len(retried), elapsed
