"""What announcements hold about a member, for the PDPA export, erasure and retention."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from tocnet.members.models import Member
from tocnet.messaging.models import Delivery, LineBatch, Recipient, Relay
from tocnet.messaging.responses.models import (
    Chase,
    Notice,
    Response,
    ResponseLink,
    TimelineEntry,
)
from tocnet.privacy.erasure import ERASED, Identifiers, scrub_rows
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


def _export_messages_to_member(member: Member) -> list[ExportRow]:
    """Every message addressed to the member alone: LINE 1:1, SMS, e-mail, each fallback."""
    rows = Delivery.objects.filter(member=member).select_related("announcement")
    return [
        {
            "announcement": d.announcement.title,
            "channel": d.get_channel_display(),
            "address": d.address,
            "status": d.get_status_display(),
            "attempts": d.attempts,
            "last_error": d.last_error,
            "sent_at": _iso(d.sent_at),
        }
        for d in rows.order_by("created_at", "id")
    ]


def _export_answer_links(member: Member) -> list[ExportRow]:
    rows = ResponseLink.objects.filter(member=member).select_related("announcement")
    return [
        {
            "announcement": link.announcement.title,
            "channel": link.get_channel_display(),
            "made_at": _iso(link.created_at),
            "expires_at": _iso(link.expires_at),
        }
        for link in rows.order_by("created_at", "id")
    ]


def _export_follow_up(member: Member) -> list[ExportRow]:
    """Who was asked to reach the member about an announcement (chase list, call queue), and
    the reminders and notices sent to the member's own addresses."""
    chases: list[ExportRow] = [
        {
            "announcement": c.announcement.title,
            "kind": "chase",
            "stage": c.get_stage_display(),
            "channel": c.channel,
            "address": "",
            "status": "done" if c.done_at else "open",
            "at": _iso(c.created_at),
            "done_at": _iso(c.done_at),
        }
        for c in Chase.objects.filter(member=member)
        .select_related("announcement")
        .order_by("created_at", "id")
    ]
    notices: list[ExportRow] = [
        {
            "announcement": n.announcement.title,
            "kind": "notice",
            "stage": n.get_stage_display(),
            "channel": n.get_channel_display(),
            "address": n.address,
            "status": n.get_status_display(),
            "at": _iso(n.created_at),
            "done_at": _iso(n.sent_at),
        }
        for n in _notices_to(member).select_related("announcement").order_by("created_at", "id")
    ]
    return chases + notices


def _notices_to(member: Member) -> Any:
    """Notices sent to this member: reminders about their answer, and (if they were a
    representative) the chase lists and escalations pushed to them."""
    user_id = member.user_id
    condition = Notice.objects.filter(member=member)
    if user_id is not None:
        condition = condition | Notice.objects.filter(user_id=user_id)
    return condition


def _erase_notices(member: Member, ids: Identifiers) -> int:
    """A notice's row stays (the follow-up's counts); its address and error go. The address
    is part of a uniqueness rule, so each gets its own erased marker."""
    addresses = (*ids.line_ids, *ids.phones, *ids.emails)
    rows = _notices_to(member) | Notice.objects.filter(address__in=addresses)
    changed = 0
    for notice in rows.distinct():
        Notice.objects.filter(pk=notice.pk).update(address=f"{ERASED}{notice.pk}", last_error="")
        changed += 1
    return changed


def _erase_messaging(member: Member, ids: Identifiers) -> dict[str, int]:
    addresses = (
        Delivery.objects.filter(member=member).exclude(address="").update(address="", last_error="")
    )
    errors = scrub_rows(Delivery.objects.filter(member=member), ids.everything)
    # The source names the LINE user who answered ("liff:U…", an event id) and who marked.
    responses = Response.objects.filter(member=member).update(text="", note="", source="")
    notices = _erase_notices(member, ids)
    relays = (
        Relay.objects.filter(representative_line_user_id__in=ids.line_ids).update(
            representative_line_user_id=""
        )
        if ids.line_ids
        else 0
    )
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
        "notices_scrubbed": notices,
        "relays_scrubbed": relays,
    }


# Free-text answers, "why they could not be reached" notes and where an answer came from
# (a LINE user id, a link key): a year, like delivery addresses; the row stays (the counts).
RESPONSE_TEXT_KEPT = dt.timedelta(days=365)
# Who was told to chase whom, and the reminders and notices with their addresses: a year (the
# timeline and the frozen closing report keep the counts).
FOLLOW_UP_KEPT = dt.timedelta(days=365)
# A personal answer link is dead once expired; its row (which member got which key) a month.
ANSWER_LINKS_KEPT = dt.timedelta(days=30)


def _old_response_texts(now: dt.datetime) -> Any:
    return Response.objects.filter(at__lt=now - RESPONSE_TEXT_KEPT).exclude(
        text="", note="", source=""
    )


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
    register_member_data(
        "messaging.messages_to_member",
        label=_("Messages to the member's own LINE, phone or e-mail"),
        export=_export_messages_to_member,
        order=62,
    )
    register_member_data(
        "messaging.answer_links",
        label=_("Personal answer links sent by SMS or e-mail"),
        export=_export_answer_links,
        order=63,
    )
    register_member_data(
        "messaging.follow_up",
        label=_("Follow-up: chase lists, call queue, reminders and notices"),
        export=_export_follow_up,
        order=64,
    )
    register_retention(
        "messaging.delivery_addresses",
        label=_("Delivery addresses and provider errors"),
        period=DELIVERY_ADDRESS_KEPT,
        select=_old_addresses,
        purge=lambda now: _old_addresses(now).update(address="", last_error=""),
    )
    register_retention(
        "messaging.response_texts",
        label=_("Answers' free text, notes and sources"),
        period=RESPONSE_TEXT_KEPT,
        select=_old_response_texts,
        purge=lambda now: _old_response_texts(now).update(text="", note="", source=""),
    )
    register_retention(
        "messaging.chase_marks",
        label=_("Chase list and call queue rows"),
        period=FOLLOW_UP_KEPT,
        select=lambda now: Chase.objects.filter(created_at__lt=now - FOLLOW_UP_KEPT),
    )
    register_retention(
        "messaging.notices",
        label=_("Reminders and notices with their addresses"),
        period=FOLLOW_UP_KEPT,
        select=lambda now: Notice.objects.filter(created_at__lt=now - FOLLOW_UP_KEPT),
    )
    register_retention(
        "messaging.answer_links",
        label=_("Personal answer links, expired"),
        period=ANSWER_LINKS_KEPT,
        select=lambda now: ResponseLink.objects.filter(expires_at__lt=now - ANSWER_LINKS_KEPT),
    )
