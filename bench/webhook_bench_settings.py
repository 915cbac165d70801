"""Settings for bench/bench_webhook.py: the product's settings plus a bare comparison view."""

from tocnet.settings import *  # noqa: F403

ROOT_URLCONF = "bench.webhook_bench_urls"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
