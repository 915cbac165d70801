"""Inbox with 50,000 conversations, and a member's message from webhook to inbox.

    .venv/bin/python bench/bench_conversations.py [--members 2000] [--conversations 50000] [--runs 7]

Builds a demo cooperative (tocnet.members.demo) in a throw-away SQLite database and adds
``--conversations`` conversations (one message each, departments and statuses mixed, a third
past the target). Then measures, as a manager (superuser: every department, the widest scope)
and as a credit-team staff member (their department and triage):

- GET /conversations/ through Django's test client (server time, no network), the query count
  with 50,000 and with 50 conversations (must be equal: constant queries);
- webhook to inbox: a signed 1:1 message POSTed to /line/webhook with huey in immediate mode
  (the worker's work inline; pythainlp warmed up as the worker does on start), until the
  message is stored in its conversation; a local fake LINE API answers the bot's reply.

Targets: inbox <= 300 ms with constant queries; message in the inbox <= 2 s after the webhook.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signin import message_to_inbox_ms, setup_django  # noqa: E402  (bench/, beside this file)


def build(members: int, conversations: int) -> None:
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    from tocnet.accounts.models import Department
    from tocnet.conversations.models import Conversation, Message
    from tocnet.members.demo import demo_cooperative_create
    from tocnet.members.models import Member

    call_command("migrate", verbosity=0)
    demo_cooperative_create(members=members, seed=2564)
    rng = random.Random(7)
    member_ids = list(Member.objects.values_list("pk", flat=True))
    departments = [*Department.objects.values_list("pk", flat=True), None]
    now = timezone.now()
    rows = []
    for i in range(conversations):
        at = now - dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 90))
        status = rng.choice(["open", "open", "waiting", "solved"])
        rows.append(
            Conversation(
                member_id=rng.choice(member_ids),
                line_user_id=f"U{i:032x}",
                department_id=rng.choice(departments),
                status=status,
                opened_at=at,
                last_message_at=at,
                waiting_since=at if status == "open" else None,
                due_at=at + dt.timedelta(days=1) if status == "open" else None,
                message_count=1,
            )
        )
    Conversation.objects.bulk_create(rows, batch_size=2000)
    messages = [
        Message(conversation_id=pk, direction="in", text="ขอสอบถามเรื่องเงินกู้", created_at=at)
        for pk, at in Conversation.objects.values_list("pk", "opened_at")
    ]
    Message.objects.bulk_create(messages, batch_size=2000)
    print(f"built: {members} members, {Conversation.objects.count()} conversations")


def timed(label: str, runs: int, func: object) -> list[float]:
    func()  # type: ignore[operator]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<36} median {statistics.median(times):7.1f} ms   worst {max(times):7.1f} ms"
        f"   ({runs} runs)"
    )
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "bench.sqlite3", huey_immediate=True)
        build(args.members, args.conversations)
        from django.db import connection
        from django.test import Client, override_settings
        from django.test.utils import CaptureQueriesContext
        from signin import signed_in_client

        from tocnet.accounts.models import Department, User
        from tocnet.conversations.routing import warm_up
        from tocnet.members.models import Member
        from tocnet.testing.fakes.line_server import FakeLineServer

        manager = User.objects.get(username="staff")
        credit = User.objects.create_user("credit-bench", role=User.Role.STAFF)
        credit.departments.add(Department.objects.get(code="credit"))
        results = {}
        for label, user in (("manager", manager), ("credit staff", credit)):
            client = signed_in_client(user)

            def page(client: Client = client) -> None:
                response = client.get("/conversations/", secure=True)
                assert response.status_code == 200, response.status_code

            with CaptureQueriesContext(connection) as ctx:
                page()
            print(f"GET /conversations/ ({label}) queries: {len(ctx.captured_queries)}")
            results[label] = timed(f"GET /conversations/ ({label})", args.runs, page)
            timed(
                f"  page 500 ({label})",
                args.runs,
                lambda client=client: client.get("/conversations/", {"page": 500}, secure=True),
            )

        # webhook -> inbox
        warm_up()
        secret, token = "bench-secret", "bench-token"
        member = Member.objects.order_by("pk").first()
        assert member is not None
        Member.objects.filter(pk=member.pk).update(line_user_id="U" + "f" * 32)
        latencies = []
        with (
            FakeLineServer(access_token=token) as fake,
            override_settings(
                LINE_CHANNEL_SECRET=secret,
                LINE_CHANNEL_ACCESS_TOKEN=token,
                LINE_API_BASE_URL=fake.url,
            ),
        ):
            client = Client()
            for i in range(args.runs + 1):
                took = message_to_inbox_ms(
                    client, line_user_id="U" + "f" * 32, text=f"ขอกู้เงินฉุกเฉิน ครั้งที่ {i}",
                    secret=secret,
                )  # fmt: skip
                if i:
                    latencies.append(took)
        print(
            f"{'webhook -> message in inbox':<36} median {statistics.median(latencies):7.1f} ms"
            f"   worst {max(latencies):7.1f} ms   ({len(latencies)} runs)"
        )
        inbox_ok = all(statistics.median(t) <= 300 for t in results.values())
        print(f"target: inbox <= 300 ms -> {'OK' if inbox_ok else 'OVER TARGET'}")
        print(f"target: message in inbox <= 2 s -> {'OK' if max(latencies) <= 2000 else 'OVER'}")


if __name__ == "__main__":
    main()
