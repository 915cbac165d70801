"""What announcements hold about a member, for the PDPA export, erasure and retention."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from tocnet.members.models import Member
from tocnet.messaging.models import Delivery, LineBatch, Recipient
from tocnet.messaging.responses.models import Response, ResponseLink, TimelineEntry
from tocnet.privacy.erasure import Identifiers, scrub_rows
from tocnet.privacy.registry import ExportRow, register_member_data, register_retention

# A delivery's address (the phone or e-mail it went to) and provider error are kept a year: a
# member may ask what they were sent and the cost reports need the year; the row stays (counts).
DELIVERY_ADDRESS_KEPT = dt.timedelta(days=365)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _export_deliveries(member: Member) -> list[ExportRow]:
    # Through Recipient: in relay mode the delivery is the register's group, not the member's.
    rows = Recipient.objects.filter(member=member).select_related("announcement", "delivery")
    return [
        {
            "announcement": r.announcement.title,
            "channel": r.channel,
            "address": r.delivery.address if r.delivery.member_id == member.pk else "",
            "status": r.delivery.status,
            "reason": r.reason or r.delivery.reason,
            "sent_at": _iso(r.delivery.sent_at),
        }
        for r in rows.order_by("announcement__created_at", "id")
    ]


def _export_responses(member: Member) -> list[ExportRow]:
    rows = Response.objects.filter(member=member).select_related("announcement")
    return [
        {
            "announcement": r.announcement.title,
            "way": r.get_way_display(),
            "first_at": _iso(r.first_at),
            "at": _iso(r.at),
            "text": r.text,
            "note": r.note,
        }
        for r in rows.order_by("at", "id")
    ]


def _erase_messaging(member: Member, ids: Identifiers) -> dict[str, int]:
    addresses = (
        Delivery.objects.filter(member=member).exclude(address="").update(address="", last_error="")
    )
    errors = scrub_rows(Delivery.objects.filter(member=member), ids.everything)
    responses = Response.objects.filter(member=member).update(text="", note="")
    links, _m = ResponseLink.objects.filter(member=member).delete()
    batches = 0
    for batch in LineBatch.objects.filter(to__icontains=ids.line_ids[0]) if ids.line_ids else []:
        batch.to = [u for u in batch.to if u not in ids.line_ids]
        batch.save(update_fields=["to"])
        batches += 1
    timeline = scrub_rows(TimelineEntry.objects.all(), ids.strong, also=ids.name_parts)
    return {
        "delivery_addresses": addresses,
        "deliveries_scrubbed": errors,
        "responses_cleared": responses,
        "links_deleted": links,
        "line_batches": batches,
        "timeline_scrubbed": timeline,
    }


def _old_addresses(now: dt.datetime) -> Any:
    return Delivery.objects.filter(created_at__lt=now - DELIVERY_ADDRESS_KEPT).exclude(address="")


def register_privacy_hooks() -> None:
    register_member_data(
        "messaging.deliveries",
        label=_("Announcements sent to the member"),
        export=_export_deliveries,
        erase=_erase_messaging,
        order=60,
    )
    register_member_data(
        "messaging.responses",
        label=_("Responses to announcements"),
        export=_export_responses,
        order=61,
    )
    register_retention(
        "messaging.delivery_addresses",
        label=_("Delivery addresses and provider errors"),
        period=DELIVERY_ADDRESS_KEPT,
        select=_old_addresses,
        purge=lambda now: _old_addresses(now).update(address="", last_error=""),
    )
