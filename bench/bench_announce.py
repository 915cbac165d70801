"""Announcements on the demo cooperative (10,669 members): planning speed and a faulty send.

    .venv/bin/python bench/bench_announce.py [--database /tmp/bench-announce.sqlite3] [--runs 7]

1. Planning and the cost shown before sending, for the whole cooperative: the planner
   (``announcement_plan`` + ``plan_alternatives``) and the announcement page as staff
   (GET /announcements/<code>/ through Django's test client). Median and worst of --runs, and
   the SQL query count, for the whole cooperative and for one unit (the count must not grow).
   Target: <= 300 ms, queries independent of the audience.
2. Sending in direct mode against the fake LINE server and fake SMS gateway (in-process), with
   5 % of LINE requests failing (half 500, half a timeout after LINE accepted) and the worker
   killed once midway (after a request was accepted, before its row was written), versus a
   bare loop that pushes the same LINE requests with line-bot-sdk to the same fake without
   faults. Counts duplicates at the fake by recipient. Backoff is shortened to zero and
   timeouts to 0.2 s (scaled-down sleeps, as in the reliability note's E6).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(database: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tocnet.settings"
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-only-" + os.urandom(16).hex())
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["HUEY_IMMEDIATE"] = "1"
    import django

    django.setup()


def build() -> None:
    import io

    from django.core.management import call_command

    from tocnet.members.models import Member

    call_command("migrate", verbosity=0)
    if not Member.objects.exists():
        call_command("demo", stdout=io.StringIO())
    print(f"demo: {Member.objects.count()} members")


def timed(fn, runs: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    times = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        queries = len(ctx)
    return statistics.median(times) * 1000, max(times) * 1000, queries


def bench_planning(runs: int) -> None:

    from tocnet.accounts.models import User
    from tocnet.members.models import Unit
    from tocnet.messaging import services
    from tocnet.messaging.models import Announcement
    from tocnet.messaging.planning import Audience, announcement_plan, plan_alternatives

    for label, audience in (
        ("whole cooperative", Audience()),
        (
            "one unit",
            Audience(scope="units", units=(str(Unit.objects.get(abbreviation="กพ").code),)),
        ),
    ):

        def plan(audience: Audience = audience) -> None:
            p = announcement_plan(audience=audience, mode="relay", sms_text="สหกรณ์ฯ: ทดสอบ")
            plan_alternatives(p, audience)
            p.summary()

        median, worst, queries = timed(plan, runs)
        print(f"planner, {label}: median {median:.0f} ms, worst {worst:.0f} ms, {queries} queries")

    staff = User.objects.get(username="staff")
    other, _ = User.objects.get_or_create(username="bench-approver", defaults={"role": "staff"})
    announcement = services.announcement_create(actor=staff, title="bench", body="ข้อความ")
    services.announcement_submit(announcement=announcement, actor=staff)
    services.announcement_approve(announcement=announcement, actor=other)
    from signin import signed_in_client

    client = signed_in_client(staff)
    url = f"/announcements/{announcement.code}/"
    unit = Unit.objects.get(abbreviation="กพ")
    from django.test import override_settings

    from tocnet.testing.fakes.line_server import FakeLineServer

    # The page asks LINE for this month's quota (two calls): the in-process fake answers.
    with (
        FakeLineServer() as fake,
        override_settings(
            LINE_CHANNEL_SECRET="s", LINE_CHANNEL_ACCESS_TOKEN="t", LINE_API_BASE_URL=fake.url
        ),
    ):
        _bench_page(client, url, announcement, unit, runs)
    Announcement.objects.filter(pk=announcement.pk).delete()


def _bench_page(client, url, announcement, unit, runs) -> None:  # type: ignore[no-untyped-def]
    from tocnet.messaging.models import Announcement
    from tocnet.messaging.planning import Audience

    for label, audience in (
        ("whole cooperative", Audience()),
        ("one unit", Audience(scope="units", units=(str(unit.code),))),
    ):
        Announcement.objects.filter(pk=announcement.pk).update(audience=audience.as_json())

        def page() -> None:
            response = client.get(url, secure=True)
            assert response.status_code == 200, (response.status_code, response.get("Location"))
            assert b'class="cost' in response.content, "the page shows no cost table"

        median, worst, queries = timed(page, runs)
        print(
            f"announcement PAGE with the cost ({label}), signed in with the second factor: "
            f"median {median:.0f} ms, worst {worst:.0f} ms, {queries} queries"
        )


def bench_send() -> None:
    import time_machine

    # Office hours in Bangkok, so SMS are not held for quiet hours (21:00-09:00).
    with time_machine.travel(
        dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    ):
        _bench_send()


def _bench_send() -> None:
    from django.test import override_settings
    from linebot.v3.messaging import (
        ApiClient,
        Configuration,
        FlexMessage,
        MessagingApi,
        MulticastRequest,
        PushMessageRequest,
    )

    from tocnet.line import client as line_client
    from tocnet.messaging import content, sending, services
    from tocnet.messaging.channels import sms as sms_channel
    from tocnet.messaging.demo import demo_network_sync_fake
    from tocnet.messaging.models import Announcement, Delivery, LineBatch
    from tocnet.testing.fakes.line_server import FakeLineServer
    from tocnet.testing.fakes.sms_server import FakeSmsGateway

    with (
        FakeLineServer() as fake,
        FakeSmsGateway() as sms,
        override_settings(
            LINE_CHANNEL_SECRET="s",
            LINE_CHANNEL_ACCESS_TOKEN="t",
            LINE_API_BASE_URL=fake.url,
            SMS_API_KEY="k",
            SMS_API_SECRET="s",
            SMS_API_BASE_URL=sms.url,
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
    ):
        fake.hang_seconds = 0.3
        demo_network_sync_fake(fake.url)
        announcement = services.announcement_create_approved(
            actor="cli",
            title="ทดสอบการส่ง",
            body="ข้อความทดสอบ",
            mode="direct",
            sms_text="สหกรณ์ฯ: ทดสอบ",
        )
        with mock.patch("tocnet.messaging.tasks.announcement_process_task"):
            services.announcement_send(announcement=announcement, actor="cli")
        groups = list(
            Delivery.objects.filter(announcement=announcement, channel="line_group").values_list(
                "address", flat=True
            )
        )
        batches = list(
            LineBatch.objects.filter(announcement=announcement).values_list("to", flat=True)
        )
        card = content.announcement_card(announcement)

        # Bare loop: the same LINE requests with line-bot-sdk, no faults, no bookkeeping.
        started = time.perf_counter()
        with ApiClient(Configuration(host=fake.url, access_token="t")) as api_client:
            api = MessagingApi(api_client)
            for group in groups:
                api.push_message(
                    PushMessageRequest(to=group, messages=[FlexMessage.from_dict(card)])
                )
            for to in batches:
                api.multicast(MulticastRequest(to=to, messages=[FlexMessage.from_dict(card)]))
        bare = time.perf_counter() - started
        fake.reset()
        demo_network_sync_fake(fake.url)

        # The real send with faults: 5 % of LINE requests, half 500, half timeouts.
        rng = random.Random(5)
        requests = len(groups) + len(batches)
        failures = max(2, round(requests * 0.05))
        for i in range(failures):
            if i % 2:
                fake.fail_next(1, status=500, path_prefix="/v2/bot/message/")
            else:
                fake.fail_timeout(1, path_prefix="/v2/bot/message/", after=True)
        kill_at = rng.randint(requests // 3, requests // 2)
        calls = {"n": 0}
        real_record = sending._record_sent

        def maybe_killed(*args: object, **kwargs: object) -> None:
            calls["n"] += 1
            if calls["n"] == kill_at:
                raise SystemExit("worker killed")
            real_record(*args, **kwargs)  # type: ignore[arg-type]

        started = time.perf_counter()
        with (
            mock.patch.object(sending, "backoff", return_value=dt.timedelta(0)),
            mock.patch.object(line_client, "TIMEOUT", (1, 0.2)),
            mock.patch.object(sms_channel, "TIMEOUT", (1, 0.2)),
        ):
            with mock.patch.object(sending, "_record_sent", side_effect=maybe_killed):
                try:
                    while sending.announcement_process(announcement.pk, budget=100):
                        pass
                except SystemExit:
                    print(f"  worker killed after {kill_at} sends")
            # The restarted worker: rows the dead one left "sending" are revived at once here.
            with mock.patch.object(sending, "STALE_AFTER", dt.timedelta(0)):
                sending.revive_stale(
                    announcement, now=sending.timezone.now() + dt.timedelta(seconds=1)
                )
            while True:
                next_at = sending.announcement_process(announcement.pk, budget=500)
                # None: done; a later time: only held work is left (SMS in quiet hours).
                if next_at is None or next_at > sending.timezone.now():
                    break
        faulty = time.perf_counter() - started
        announcement.refresh_from_db()
        counts = fake.deliveries_by_recipient()
        duplicates = sum(1 for n in counts.values() if n > 1)
        open_rows = Delivery.objects.filter(
            announcement=announcement, status__in=("queued", "sending")
        ).count()
        print(
            f"send, direct mode: {len(groups)} group pushes + {len(batches)} multicasts, "
            f"{len(sms.messages)} SMS; state {announcement.state}; open rows {open_rows}; "
            f"LINE recipients reached {len(counts)}, duplicates {duplicates}; "
            f"SMS duplicates {sum(1 for n in sms.by_number().values() if n > 1)}"
        )
        line_only = faulty  # includes SMS and e-mail too
        print(
            f"  bare LINE loop {bare:.2f} s; faulty send with kill (LINE + SMS + e-mail) "
            f"{line_only:.2f} s; ratio {line_only / bare:.2f}x"
        )
        assert announcement.state == Announcement.State.SENT


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="/tmp/bench-announce.sqlite3")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-send", action="store_true")
    args = parser.parse_args()
    setup_django(Path(args.database))
    build()
    bench_planning(args.runs)
    if not args.skip_send:
        bench_send()


if __name__ == "__main__":
    main()
