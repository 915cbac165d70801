"""Responses to one announcement on the demo cooperative (10,669 members): the report page
and the chase list.

    .venv/bin/python bench/bench_responses.py [--members 10669] [--runs 7]

Builds the demo cooperative and its registers (as bench_dashboard.py) in a throw-away SQLite
database, then the result of sending one poll to every active member: a group delivery per
register, an SMS delivery for members on no register, a Recipient per member; 62 % answered
(LIFF, group รับทราบ, SMS link, spread over three days), 5 % informed by their representative,
1 % marked "could not reach". Measures, with DEBUG off (cached templates):

- ``announcement_report`` alone and GET /r/report/<code>/ as staff (every register), and the
  poll per register the page loads apart when it is scrolled to (``?part=poll_registers``);
- GET /r/report/<code>/?export=xlsx;
- GET /r/chase/ as the representative of the largest register, as the coop agent of the
  largest unit (about 170 members to chase: the first page of 50) and as staff (every
  register, about 3,400 members: the first page of 50).

Prints the median and worst wall time of ``--runs`` runs, the median CPU time of this process
(the test client runs the request in it: the figure the machine's load does not inflate), the
SQL queries per page, which must not depend on the audience size, and the load average.
Target: report and chase list <= 300 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dashboard import build
from signin import setup_django, signed_in_client


def timed(label: str, runs: int, func: Any) -> list[float]:
    """Wall times (ms) of ``runs`` calls after a warm-up; prints median, worst and CPU median."""
    func()
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        func()
        walls.append((time.perf_counter() - start) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    print(
        f"{label:<32} median {statistics.median(walls):7.1f} ms   worst {max(walls):7.1f} ms"
        f"   CPU {statistics.median(cpus):6.1f} ms   ({runs} runs)"
    )
    return walls


def make_sent_poll() -> object:
    from django.db.models import Count
    from django.utils import timezone

    from tocnet.members.models import Member
    from tocnet.messaging.models import Announcement, Channel, Delivery, DeliveryStatus, Recipient
    from tocnet.messaging.responses.models import Ask, PollOption, Response, Way
    from tocnet.registers.models import RegisterMembership

    rng = random.Random(7)
    start = timezone.now() - dt.timedelta(days=3)
    announcement = Announcement.objects.create(
        title="วันประชุมใหญ่สามัญประจำปี", body="เลือกวันที่สะดวก", state="sent", send_started_at=start
    )
    ask = Ask.objects.create(
        announcement=announcement, kind=Ask.Kind.POLL, question="วันไหนสะดวก", opened_at=start
    )
    options = [
        PollOption.objects.create(ask=ask, position=i, label=label)
        for i, label in enumerate(["เสาร์", "อาทิตย์", "วันไหนก็ได้"], 1)
    ]
    on_register = dict(
        RegisterMembership.objects.filter(until__isnull=True).values_list(
            "member_id", "register_id"
        )
    )
    groups = {
        register: Delivery(
            announcement=announcement,
            channel=Channel.LINE_GROUP,
            register_id=register,
            status=DeliveryStatus.SENT,
            sent_at=start,
        )
        for register in set(on_register.values())
    }
    Delivery.objects.bulk_create(groups.values(), batch_size=500)
    members = list(Member.objects.filter(status="active").values_list("pk", "unit_id"))
    sms = {
        pk: Delivery(
            announcement=announcement,
            channel=Channel.SMS,
            member_id=pk,
            status="sent",
            sent_at=start,
        )
        for pk, _unit in members
        if pk not in on_register
    }
    Delivery.objects.bulk_create(sms.values(), batch_size=500)
    recipients = [
        Recipient(
            announcement=announcement,
            member_id=pk,
            unit_id=unit,
            register_id=on_register.get(pk),
            channel=Channel.LINE_GROUP if pk in on_register else Channel.SMS,
            delivery=groups[on_register[pk]] if pk in on_register else sms[pk],
        )
        for pk, unit in members
    ]
    Recipient.objects.bulk_create(recipients, batch_size=500)
    responses = []
    for r in Recipient.objects.filter(announcement=announcement).only("pk", "member_id"):
        roll = rng.random()
        at = start + dt.timedelta(minutes=rng.randint(1, 72 * 60))
        if roll < 0.62:
            way = rng.choice([Way.LIFF, Way.LIFF, Way.GROUP_TEXT, Way.SMS_LINK])
            option = rng.choice(options)
        elif roll < 0.67:
            way, option = Way.REP_PHONE, None
        elif roll < 0.68:
            way, option = Way.REP_UNREACHABLE, None
        else:
            continue
        responses.append(
            Response(
                announcement=announcement,
                member_id=r.member_id,
                recipient_id=r.pk,
                way=way,
                first_at=None if way == Way.REP_UNREACHABLE else at,
                at=at,
                option=option,
            )
        )
    Response.objects.bulk_create(responses, batch_size=500)
    biggest = (
        Recipient.objects.filter(announcement=announcement, register__isnull=False)
        .values("register")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    print(
        f"sent: {len(recipients)} recipients, {len(groups)} group deliveries, {len(sms)} SMS, "
        f"{len(responses)} responses; largest register {biggest['n'] if biggest else 0} members"
    )
    return announcement


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_669)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "bench.sqlite3")
        build(args.members)
        announcement = make_sent_poll()
        from django.db import connection
        from django.db.models import Count
        from django.test.utils import CaptureQueriesContext

        from tocnet.accounts.models import User
        from tocnet.members.models import UnitAgent
        from tocnet.messaging.models import Recipient
        from tocnet.messaging.responses.selectors import announcement_report
        from tocnet.registers.models import Register

        print("load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        staff = User.objects.get(username="staff")
        timed("announcement_report", args.runs, lambda: announcement_report(announcement))  # type: ignore[arg-type]
        client = signed_in_client(staff)
        url = f"/r/report/{announcement.code}/"  # type: ignore[attr-defined]

        def measure(label: str, c: Any, path: str, runs: int, **headers: str) -> list[float]:
            with CaptureQueriesContext(connection) as ctx:
                response = c.get(path, secure=True, **headers)
            assert response.status_code == 200, (path, response.status_code)
            print(f"{label}: {len(ctx.captured_queries)} queries")
            return timed(label, runs, lambda: c.get(path, secure=True, **headers))

        report_times = measure("GET /r/report/ (staff)", client, url, args.runs)
        # The poll per register, loaded apart when scrolled to (htmx).
        measure(
            "GET /r/report/?part=poll_registers",
            client,
            url + "?part=poll_registers",
            args.runs,
            HTTP_HX_REQUEST="true",
        )
        measure("GET /r/report/?export=xlsx", client, url + "?export=xlsx", max(3, args.runs // 2))
        # The representative of the largest register, and the agent of the largest unit.
        largest = (
            Recipient.objects.filter(announcement=announcement, register__isnull=False)
            .values("register")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        register = Register.objects.select_related("representative__member").get(
            pk=largest["register"]
        )  # type: ignore[index]
        rep_member = register.representative.member  # type: ignore[union-attr]
        rep_user = rep_member.user or User.objects.create_user(
            username="bench-rep", password="x", role=User.Role.REPRESENTATIVE
        )
        if rep_member.user_id is None:
            rep_member.user = rep_user
            rep_member.save(update_fields=["user"])
        rep_client = signed_in_client(rep_user)
        chase_times = measure("GET /r/chase/ (representative)", rep_client, "/r/chase/", args.runs)
        unit = (
            Recipient.objects.filter(announcement=announcement)
            .values("unit")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        agent = User.objects.create_user(username="bench-agent", password="x", role=User.Role.AGENT)
        UnitAgent.objects.create(unit_id=unit["unit"], user=agent)  # type: ignore[index]
        agent_client = signed_in_client(agent)
        agent_times = measure("GET /r/chase/ (coop agent)", agent_client, "/r/chase/", args.runs)
        staff_times = measure("GET /r/chase/ (staff)", client, "/r/chase/", args.runs)
        print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        worst = max(
            statistics.median(t) for t in (report_times, chase_times, agent_times, staff_times)
        )
        print(
            f"target: report and chase list <= 300 ms -> {'OK' if worst <= 300 else 'OVER TARGET'}"
        )


if __name__ == "__main__":
    main()
