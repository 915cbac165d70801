"""What the LINE app holds about a member, for the PDPA export, erasure and retention."""

import datetime as dt

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tocnet.line.models import GroupMemberSighting, LineFriend, LineGroup, LinkAttempt, WebhookEvent
from tocnet.line.services.events import RETENTION as WEBHOOK_RETENTION
from tocnet.line.services.events import webhook_events_purge
from tocnet.members.models import Member
from tocnet.privacy.erasure import Identifiers, scrub_rows
from tocnet.privacy.registry import ExportRow, register_member_data, register_retention

# A sighting of someone who left a group is kept half a year (coverage history), then deleted.
SIGHTING_AFTER_LEAVING = dt.timedelta(days=180)


def _line_ids(member: Member) -> list[str]:
    ids = [member.line_user_id or ""]
    if member.user is not None:
        ids.append(member.user.line_user_id or "")
    return [i for i in dict.fromkeys(ids) if i]


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _export_links(member: Member) -> list[ExportRow]:
    return [
        {
            "line_user_id": f.line_user_id,
            "followed_at": _iso(f.followed_at),
            "linked_at": _iso(f.linked_at),
            "blocked": f.blocked,
            "blocked_at": _iso(f.blocked_at),
        }
        for f in LineFriend.objects.filter(line_user_id__in=_line_ids(member))
    ]


def _export_sightings(member: Member) -> list[ExportRow]:
    rows = GroupMemberSighting.objects.filter(line_user_id__in=_line_ids(member)).select_related(
        "group"
    )
    return [
        {
            "group": s.group.name,
            "in_group": s.in_group,
            "first_seen_at": _iso(s.first_seen_at),
            "last_seen_at": _iso(s.last_seen_at),
            "left_at": _iso(s.left_at),
        }
        for s in rows.order_by("first_seen_at", "id")
    ]


def _erase_line(member: Member, ids: Identifiers) -> dict[str, int]:
    line_ids = list(ids.line_ids)
    friends, _m = LineFriend.objects.filter(line_user_id__in=line_ids).delete()
    sightings, _m = GroupMemberSighting.objects.filter(line_user_id__in=line_ids).delete()
    attempts, _m = LinkAttempt.objects.filter(
        Q(line_user_id__in=line_ids) | Q(claimed_number=ids.number)
    ).delete()
    events, _m = WebhookEvent.objects.filter(line_user_id__in=line_ids).delete()
    LineGroup.objects.filter(verified_by_line_user_id__in=line_ids).update(
        verified_by_line_user_id=""
    )
    scrubbed = scrub_rows(WebhookEvent.objects.all(), ids.strong, also=ids.name_parts)
    return {
        "friends": friends,
        "sightings": sightings,
        "link_attempts": attempts,
        "webhook_events": events,
        "webhook_events_scrubbed": scrubbed,
    }


def register_privacy_hooks() -> None:
    register_member_data(
        "line.links",
        label=_("LINE account links"),
        export=_export_links,
        erase=_erase_line,
        order=40,
    )
    register_member_data(
        "line.sightings", label=_("Seen in LINE groups"), export=_export_sightings, order=41
    )
    register_retention(
        "line.webhook_events",
        label=_("LINE webhook events and wrong linking answers"),
        period=WEBHOOK_RETENTION,
        select=lambda now: WebhookEvent.objects.filter(
            received_at__lt=now - WEBHOOK_RETENTION,
            status__in=[
                WebhookEvent.Status.DONE,
                WebhookEvent.Status.IGNORED,
                WebhookEvent.Status.FAILED,
            ],
        ),
        purge=lambda now: webhook_events_purge(now=now),
    )
    register_retention(
        "line.sightings",
        label=_("LINE sightings of people who left a group"),
        period=SIGHTING_AFTER_LEAVING,
        select=lambda now: GroupMemberSighting.objects.filter(
            in_group=False, left_at__lt=now - SIGHTING_AFTER_LEAVING
        ),
    )
