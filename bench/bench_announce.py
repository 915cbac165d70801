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
import random
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signin import setup_django  # noqa: E402  (bench/, beside this file)


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
    times, cpus = [], []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            started, cpu = time.perf_counter(), time.process_time()
            fn()
            times.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
        queries = len(ctx)
    print(f"    (CPU time of this process: median {statistics.median(cpus) * 1000:.0f} ms)")
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


def bench_send(runs: int) -> None:
    import time_machine

    # Office hours in Bangkok, so SMS are not held for quiet hours (21:00-09:00).
    with time_machine.travel(
        dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    ):
        ratios = [_bench_send(seed) for seed in range(runs)]
    print(f"send ratio over {runs} run(s): {', '.join(f'{r:.2f}x' for r in ratios)}")


def _bare_loop(fake_url: str, sms_url: str, work: dict, card: dict) -> tuple[float, float]:  # type: ignore[type-arg]
    """The same requests as the sender, with no bookkeeping and no faults: LINE pushes and
    multicasts with line-bot-sdk, one ThaiBulkSMS request per SMS, one e-mail per address."""
    import requests
    from django.core.mail import EmailMultiAlternatives
    from linebot.v3.messaging import (
        ApiClient,
        Configuration,
        FlexMessage,
        MessagingApi,
        MulticastRequest,
        PushMessageRequest,
    )

    started, cpu = time.perf_counter(), time.process_time()
    with ApiClient(Configuration(host=fake_url, access_token="t")) as api_client:
        api = MessagingApi(api_client)
        for group in work["groups"]:
            api.push_message(PushMessageRequest(to=group, messages=[FlexMessage.from_dict(card)]))
        for to in work["batches"]:
            api.multicast(MulticastRequest(to=to, messages=[FlexMessage.from_dict(card)]))
    # One keep-alive session, as the sender's run uses (the fakes set TCP_NODELAY).
    with requests.Session() as session:
        for number in work["sms"]:
            response = session.post(
                f"{sms_url}/sms",
                auth=("k", "s"),
                data={"msisdn": "0" + number[3:], "message": work["sms_text"], "sender": "SMS."},
                timeout=(3, 10),
            )
            response.raise_for_status()
    for address in work["email"]:
        message = EmailMultiAlternatives(
            subject=work["subject"], body=work["email_text"], to=[address]
        )
        message.attach_alternative(work["email_html"], "text/html")
        message.send()
    return time.perf_counter() - started, time.process_time() - cpu


def _bench_send(seed: int) -> float:
    from django.core import mail
    from django.template.loader import render_to_string
    from django.test import override_settings

    from tocnet.line import client as line_client
    from tocnet.messaging import content, sending, services
    from tocnet.messaging.channels import sms as sms_channel
    from tocnet.messaging.demo import demo_network_sync_fake
    from tocnet.messaging.models import Announcement, Delivery, LineBatch
    from tocnet.messaging.planning import sms_body
    from tocnet.testing.fakes.line_server import FakeLineServer
    from tocnet.testing.fakes.sms_server import FakeSmsGateway

    with (
        FakeLineServer() as fake,
        FakeSmsGateway() as sms,
        override_settings(
            LINE_CHANNEL_SECRET="s",
            LINE_CHANNEL_ACCESS_TOKEN="t",
            LINE_API_BASE_URL=fake.url,
            SMS_PROVIDER="thaibulksms",
            SMS_API_KEY="k",
            SMS_API_SECRET="s",
            SMS_API_BASE_URL=sms.url,
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
    ):
        fake.hang_seconds = 0.3
        sms.hang_seconds = 0.3
        demo_network_sync_fake(fake.url)
        announcement = services.announcement_create_approved(
            actor="cli",
            title=f"ทดสอบการส่ง {seed}",
            body="ข้อความทดสอบ",
            mode="direct",
            sms_text="สหกรณ์ฯ: ทดสอบ",
        )
        with mock.patch("tocnet.messaging.tasks.announcement_process_task"):
            services.announcement_send(announcement=announcement, actor="cli")
        rows = Delivery.objects.filter(announcement=announcement)
        context = {
            "announcement": announcement,
            "body_html": content.body_html(announcement.body),
            "body_text": content.body_text(announcement.body),
            "read_more_url": content.read_more_url(announcement),
            "image_url": "",
            "respond_url": "",
        }
        work = {
            "groups": list(rows.filter(channel="line_group").values_list("address", flat=True)),
            "batches": list(
                LineBatch.objects.filter(announcement=announcement).values_list("to", flat=True)
            ),
            "sms": list(rows.filter(channel="sms").values_list("address", flat=True)),
            "sms_text": sms_body(announcement),
            "email": list(rows.filter(channel="email").values_list("address", flat=True)),
            "subject": f"[สหกรณ์] {announcement.title}",
            "email_text": render_to_string("messaging/email/announcement.txt", context),
            "email_html": render_to_string("messaging/email/announcement.html", context),
        }
        card = content.announcement_card(announcement)
        bare, bare_cpu = _bare_loop(fake.url, sms.url, work, card)
        fake.reset()
        sms.reset()
        mail.outbox = []
        demo_network_sync_fake(fake.url)

        # The real send with faults: 5 % of LINE requests (half 500, half a timeout after LINE
        # accepted) and 5 % of SMS requests (500; an SMS timeout ends "unknown" by design and
        # is tested elsewhere), and the worker killed once midway.
        rng = random.Random(seed)
        line_requests = len(work["groups"]) + len(work["batches"])
        for i in range(max(2, round(line_requests * 0.05))):
            if i % 2:
                fake.fail_next(1, status=500, path_prefix="/v2/bot/message/")
            else:
                fake.fail_timeout(1, path_prefix="/v2/bot/message/", after=True)
        sms_failures = round(len(work["sms"]) * 0.05)
        sms.fail_next(sms_failures, status=500, path_prefix="/sms")
        # Killed after a request was accepted, before its row was written: the worst moment.
        kill_at = rng.randint(line_requests // 3, line_requests // 2)
        calls = {"n": 0}
        real_record = sending._record_sent

        def maybe_killed(*args: object, **kwargs: object) -> None:
            calls["n"] += 1
            if calls["n"] == kill_at:
                raise SystemExit("worker killed")
            real_record(*args, **kwargs)  # type: ignore[arg-type]

        started, cpu = time.perf_counter(), time.process_time()
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
                    print(f"  run {seed}: worker killed after {kill_at} sends")
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
        faulty, faulty_cpu = time.perf_counter() - started, time.process_time() - cpu
        announcement.refresh_from_db()
        states = dict(
            Delivery.objects.filter(announcement=announcement)
            .values_list("status")
            .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
            .order_by()
        )
        by_recipient = fake.deliveries_by_recipient()
        keys: dict[str, int] = {}
        for accepted in fake.accepted:
            keys[accepted.retry_key or ""] = keys.get(accepted.retry_key or "", 0) + 1
        conflicts = sum(1 for r in fake.requests if r.status == 409)
        print(
            f"  run {seed}: {len(work['groups'])} group pushes + {len(work['batches'])} "
            f"multicasts ({sum(len(b) for b in work['batches'])} users), {len(work['sms'])} SMS, "
            f"{len(work['email'])} e-mails; state {announcement.state}; deliveries {states}"
        )
        print(
            f"  run {seed}: LINE requests accepted twice under one retry key "
            f"{sum(1 for n in keys.values() if n > 1)}, recipients reached twice "
            f"{sum(1 for n in by_recipient.values() if n > 1)} (of {len(by_recipient)}), "
            f"409 answers {conflicts}; SMS numbers sent twice "
            f"{sum(1 for n in sms.by_number().values() if n > 1)} (of {len(sms.by_number())}), "
            f"e-mails {len(mail.outbox)} for {len(set(work['email']))} addresses"
        )
        print(
            f"  run {seed}: bare loop (LINE + SMS + e-mail, no faults) {bare:.2f} s; "
            f"TOC-Net send with faults and a kill {faulty:.2f} s; ratio {faulty / bare:.2f}x "
            f"(CPU of this process, fakes included: {bare_cpu:.2f} s vs {faulty_cpu:.2f} s, "
            f"{faulty_cpu / bare_cpu:.2f}x)"
        )
        assert announcement.state == Announcement.State.SENT
        return faulty / bare


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="/tmp/bench-announce.sqlite3")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-send", action="store_true")
    parser.add_argument("--skip-planning", action="store_true")
    parser.add_argument("--send-runs", type=int, default=2)
    args = parser.parse_args()
    setup_django(Path(args.database), huey_immediate=True)
    build()
    import os as _os

    print(f"load average at start: {_os.getloadavg()}")
    if not args.skip_planning:
        bench_planning(args.runs)
    if not args.skip_send:
        bench_send(args.send_runs)
    print(f"load average at end: {_os.getloadavg()}")


if __name__ == "__main__":
    main()
