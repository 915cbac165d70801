"""Variant for bench_webhook.py --settings: persistent SQLite connections (CONN_MAX_AGE)."""

from bench.webhook_bench_settings import *  # noqa: F403
from bench.webhook_bench_settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 600
