"""Reads of announcements, always through the user's scope.

Staff see and manage every announcement; agents see every announcement but only their units'
share of its deliveries; representatives see their register's members; board members see the
totals; nobody else sees anything.  Counts are aggregates (constant queries).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.members.models import Unit
from tocnet.members.selectors import as_uuid
from tocnet.messaging.models import (
    Announcement,
    Channel,
    Delivery,
    DeliveryStatus,
    Recipient,
    Relay,
)
from tocnet.registers.models import Register

STATUS_KEYS = ("queued", "sent", "failed", "unknown", "unreachable", "cancelled")


def can_view_announcements(user: User) -> bool:
    return roles.is_cooperative_staff(user) or roles.is_agent(user) or roles.is_board(user)


def can_compose(user: User) -> bool:
    return roles.is_cooperative_staff(user) or roles.is_agent(user)


def announcement_list_for_user(user: User) -> QuerySet[Announcement]:
    """Announcements the user may open: all for staff, agents and board; none for others.

    Drafts stay with staff."""
    qs = Announcement.objects.select_related("author", "approver")
    if roles.is_cooperative_staff(user):
        return qs
    if roles.is_agent(user):
        return qs.filter(
            Q(author=user)
            | ~Q(
                state__in=(
                    Announcement.State.DRAFT,
                    Announcement.State.SUBMITTED,
                    Announcement.State.APPROVED,
                )
            )
        )
    if roles.is_board(user):
        return qs.exclude(
            state__in=(
                Announcement.State.DRAFT,
                Announcement.State.SUBMITTED,
                Announcement.State.APPROVED,
            )
        )
    return qs.none()


def get_announcement_for_user(user: User, code: object) -> Announcement:
    """One announcement by code, or 404 outside the user's scope."""
    try:
        return announcement_list_for_user(user).get(code=as_uuid(code))
    except Announcement.DoesNotExist as exc:
        raise Http404 from exc


def announcement_by_id_or_code(value: str) -> Announcement:
    if value.isdigit():
        return Announcement.objects.get(pk=int(value))
    try:
        return Announcement.objects.get(code=as_uuid(value))
    except Http404 as exc:
        raise Announcement.DoesNotExist from exc


def delivery_unit_scope(user: User) -> Q | None:
    """Filter on Recipient rows: None (all) for staff and board totals, the agent's units."""
    if roles.is_cooperative_staff(user) or roles.is_board(user):
        return None
    if roles.is_agent(user):
        return Q(unit_id__in=user.unit_links.values("unit_id"))
    return Q(pk__in=[])


def _status_key(status: str) -> str:
    return "queued" if status == DeliveryStatus.SENDING else status


class AnnouncementStatus(TypedDict):
    """``tocnet announcement_status --json`` and the progress on the announcement's page."""

    announcement: int
    state: str
    purpose: str  # news | offers | coaching
    recipients: int
    deliveries: dict[str, int]  # queued, sent, failed, unknown, unreachable, cancelled
    by_channel: dict[str, dict[str, int]]
    relays: dict[str, int]
    progress: int  # per cent


def announcement_status(
    announcement: Announcement, *, scope: Q | None = None
) -> AnnouncementStatus:
    """Per member of the audience: the state of the delivery that carries it, per channel.

    Two queries. ``scope`` narrows to a user's share (agents: their units)."""
    recipients = Recipient.objects.filter(announcement=announcement)
    if scope is not None:
        recipients = recipients.filter(scope)
    deliveries = dict.fromkeys(STATUS_KEYS, 0)
    by_channel: dict[str, dict[str, int]] = {}
    for channel, status, n in (
        recipients.values_list("channel", "delivery__status").annotate(n=Count("id")).order_by()
    ):
        key = _status_key(status)
        deliveries[key] += n
        per = by_channel.setdefault("unreachable" if channel == Channel.NONE else channel, {})
        per[key] = per.get(key, 0) + n
    relays = dict(
        Relay.objects.filter(announcement=announcement)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    total = sum(deliveries.values())
    done = total - deliveries["queued"]
    return {
        "announcement": announcement.pk,
        "state": announcement.state,
        "purpose": announcement.purpose,
        "recipients": total,
        "deliveries": deliveries,
        "by_channel": by_channel,
        "relays": relays,
        "progress": round(100 * done / total) if total else 0,
    }


@dataclass
class RegisterProgress:
    unit: str
    register: str
    recipients: int
    sent: int
    pending: int
    failed: int
    unreachable: int
    relay: str  # "", waiting, forwarded, fallback


def announcement_progress_by_register(
    announcement: Announcement, *, scope: Q | None = None
) -> list[RegisterProgress]:
    """The per-unit / per-register table: members and their states. Three queries."""
    recipients = Recipient.objects.filter(announcement=announcement)
    if scope is not None:
        recipients = recipients.filter(scope)
    grouped = (
        recipients.values("unit_id", "register_id")
        .annotate(
            total=Count("id"),
            sent=Count("id", filter=Q(delivery__status=DeliveryStatus.SENT)),
            pending=Count(
                "id",
                filter=Q(delivery__status__in=(DeliveryStatus.QUEUED, DeliveryStatus.SENDING)),
            ),
            failed=Count(
                "id", filter=Q(delivery__status__in=(DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN))
            ),
            unreachable=Count("id", filter=Q(delivery__status=DeliveryStatus.UNREACHABLE)),
        )
        .order_by()
    )
    rows = list(grouped)
    units = dict(Unit.objects.filter(pk__in={r["unit_id"] for r in rows}).values_list("pk", "name"))
    registers = {
        r.pk: str(r)
        for r in Register.objects.filter(pk__in={r["register_id"] for r in rows}).select_related(
            "unit"
        )
    }
    relays = dict(
        Relay.objects.filter(announcement=announcement).values_list("register_id", "status")
    )
    table = [
        RegisterProgress(
            unit=units.get(r["unit_id"], ""),
            register=registers.get(r["register_id"], "—"),
            recipients=r["total"],
            sent=r["sent"],
            pending=r["pending"],
            failed=r["failed"],
            unreachable=r["unreachable"],
            relay=relays.get(r["register_id"], ""),
        )
        for r in rows
    ]
    table.sort(key=lambda row: (row.unit, row.register))
    return table


def recipient_list_for_export(
    announcement: Announcement, *, scope: Q | None = None
) -> QuerySet[Recipient]:
    qs = Recipient.objects.filter(announcement=announcement).select_related(
        "member", "unit", "register__unit", "delivery"
    )
    if scope is not None:
        qs = qs.filter(scope)
    return qs.order_by("unit__name", "register_id", "member__number")


def register_announcement_deliveries(
    *, register: Register, limit: int = 5
) -> list[tuple[Announcement, list[Recipient]]]:
    """For the representative's phone page: their members' recipients of recent
    announcements (how each was reached). Two queries."""
    announcements = list(
        Announcement.objects.filter(
            recipients__register=register,
            state__in=(
                Announcement.State.SENDING,
                Announcement.State.PAUSED,
                Announcement.State.SENT,
            ),
        )
        .distinct()
        .order_by("-send_started_at")[:limit]
    )
    recipients = (
        Recipient.objects.filter(announcement__in=announcements, register=register)
        .select_related("member", "delivery")
        .order_by("member__first_name")
    )
    by_announcement: dict[int, list[Recipient]] = {}
    for recipient in recipients:
        by_announcement.setdefault(recipient.announcement_id, []).append(recipient)
    return [(a, by_announcement.get(a.pk, [])) for a in announcements]


def public_announcement_list() -> QuerySet[Announcement]:
    return Announcement.objects.filter(
        is_public=True,
        state__in=(Announcement.State.SENDING, Announcement.State.SENT, Announcement.State.PAUSED),
    ).order_by("-send_started_at")


def delivery_counts_by_status(announcement: Announcement) -> dict[str, int]:
    return dict(
        Delivery.objects.filter(announcement=announcement)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
