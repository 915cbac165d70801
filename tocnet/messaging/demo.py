"""The demo cooperative's LINE network, so an announcement can be sent end to end without any
account: most registers get a verified LINE group (with a member count), a realistic share of
members and most representatives get a linked LINE account that follows the official account;
the rest are reached by SMS or e-mail, or are unreachable.  Deterministic per seed.
"""

from __future__ import annotations

import hashlib
import json
import random
import urllib.request
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from tocnet.core.audit import audit_record
from tocnet.line.models import GroupMemberSighting, LineFriend, LineGroup
from tocnet.members.models import Member
from tocnet.registers.models import Register, RegisterMembership

VERIFIED_SHARE = 0.9  # registers whose representative has verified their group
LINKED_SHARE = 0.35  # of members who use LINE: linked to the official account (1:1 possible)
REP_LINKED_SHARE = 0.85  # representatives with a linked LINE account (relay possible)
SEEN_SHARE = 0.9  # linked members of a register with a verified group seen in that group


def demo_line_id(prefix: str, key: str) -> str:
    return prefix + hashlib.sha256(f"tocnet-demo:{key}".encode()).hexdigest()[:32]


@dataclass
class DemoNetwork:
    groups: int = 0
    linked_members: int = 0
    linked_representatives: int = 0
    seen_in_groups: int = 0


@transaction.atomic
def demo_network_create(*, seed: int = 2564) -> DemoNetwork:
    """Give the demo cooperative verified groups and linked LINE accounts. Idempotent: does
    nothing when groups exist already."""
    result = DemoNetwork()
    if LineGroup.objects.exists():
        return result
    rng = random.Random(seed)
    now = timezone.now()
    counts = dict(
        RegisterMembership.objects.filter(until__isnull=True)
        .values("register_id")
        .annotate(n=Count("id"))
        .values_list("register_id", "n")
    )
    registers = list(
        Register.objects.filter(retired_at__isnull=True)
        .select_related("unit", "representative__member")
        .order_by("pk")
    )
    groups, rep_links = [], {}
    for register in registers:
        if rng.random() >= VERIFIED_SHARE or not register.line_group_name:
            continue
        group_id = demo_line_id("C", f"group:{register.pk}")
        register.line_group_id = group_id
        groups.append(
            LineGroup(
                group_id=group_id,
                name=register.line_group_name,
                status=LineGroup.Status.VERIFIED,
                unit=register.unit,
                register=register,
                # Members who joined, plus a few non-members (family, staff) LINE also counts.
                member_count=max(1, round(counts.get(register.pk, 0) * rng.uniform(0.7, 0.95)))
                + rng.randint(0, 3),
                verified_at=now,
                joined_at=now,
                checked_at=now,
            )
        )
        rep = register.representative
        if rep is not None and rng.random() < REP_LINKED_SHARE:
            rep_links[rep.member_id] = demo_line_id("U", f"rep:{rep.member_id}")
    Register.objects.bulk_update(
        [r for r in registers if r.line_group_id], ["line_group_id"], batch_size=500
    )
    LineGroup.objects.bulk_create(groups)
    result.groups = len(groups)

    links = dict(rep_links)
    for pk, line_id in Member.objects.filter(status=Member.Status.ACTIVE).values_list(
        "pk", "line_id"
    ):
        if pk not in links and line_id and rng.random() < LINKED_SHARE:
            links[pk] = demo_line_id("U", f"member:{pk}")
    members = list(Member.objects.filter(pk__in=links))
    for member in members:
        member.line_user_id = links[member.pk]
    Member.objects.bulk_update(members, ["line_user_id"], batch_size=1000)
    LineFriend.objects.bulk_create(
        [
            LineFriend(
                line_user_id=line_id,
                step=LineFriend.Step.LINKED,
                followed_at=now,
                linked_at=now,
            )
            for line_id in links.values()
        ],
        batch_size=2000,
    )
    # Most linked members joined their register's verified group, so the official account has
    # seen them there: the dashboards' "in the LINE group" figures are not all zero.
    group_of = {r.pk: r.line_group_id for r in registers if r.line_group_id}
    by_group = {g.group_id: g for g in groups}
    sightings = []
    for member_id, register_id in (
        RegisterMembership.objects.filter(until__isnull=True, member_id__in=links)
        .order_by("member_id")
        .values_list("member_id", "register_id")
    ):
        group = by_group.get(group_of.get(register_id, ""))
        if group is not None and rng.random() < SEEN_SHARE:
            sightings.append(
                GroupMemberSighting(
                    group=group,
                    line_user_id=links[member_id],
                    in_group=True,
                    first_seen_at=now,
                    last_seen_at=now,
                )
            )
    GroupMemberSighting.objects.bulk_create(sightings, batch_size=2000)
    result.seen_in_groups = len(sightings)
    result.linked_members = len(links) - len(rep_links)
    result.linked_representatives = len(rep_links)
    audit_record(
        actor=None,
        action="demo.line_network_created",
        target=None,
        changes={"groups": result.groups, "linked": len(links), "seed": seed},
    )
    return result


def demo_network_sync_fake(url: str) -> int:
    """Tell a running fake LINE server about every verified group (name, member count) and
    linked LINE user, so pushes to them are accepted. Returns the number of groups."""
    base = url.rstrip("/")

    def put(path: str, payload: dict[str, object]) -> None:
        request = urllib.request.Request(  # noqa: S310 - the local fake, http on purpose
            base + path,
            data=json.dumps(payload).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310
            pass

    groups = list(
        LineGroup.objects.filter(status=LineGroup.Status.VERIFIED).values_list(
            "group_id", "name", "member_count"
        )
    )
    for group_id, name, count in groups:
        put(f"/_fake/groups/{group_id}", {"groupName": name, "count": count or 0})
    # Representatives only: the fake's LINE Login and LIFF pages list them to sign in as.
    for line_id, first, last in (
        Member.objects.filter(representations__ended_on__isnull=True)
        .exclude(line_user_id=None)
        .values_list("line_user_id", "first_name", "last_name")
    ):
        put(f"/_fake/profiles/{line_id}", {"displayName": f"{first} {last}".strip()})
    return len(groups)
