"""LINE group messages that acknowledge an announcement ("รับทราบ", 👍, a quote-reply of the
card). Nothing else said in a group is kept: this handler declines every other message."""

from __future__ import annotations

import contextlib
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string

from tocnet.core.jsontypes import JSONObject
from tocnet.line.services.replies import Reply
from tocnet.members.models import Member
from tocnet.messaging.models import Announcement, Channel, Delivery, Recipient
from tocnet.messaging.responses.liff import liff_url
from tocnet.messaging.responses.matcher import is_acknowledgement
from tocnet.messaging.responses.models import Ask, Response, Way
from tocnet.messaging.responses.services import ResponseRefused, response_record


class MessagingReply(Reply):
    """A bot reply whose text is a messaging template."""

    def render(self) -> str:
        return render_to_string(f"messaging/line/{self.template}.txt", self.context).strip()


OPEN_STATES = (Announcement.State.SENDING, Announcement.State.PAUSED, Announcement.State.SENT)


def _quoted_announcement(quoted_id: str) -> Announcement | None:
    delivery = (
        Delivery.objects.filter(
            provider_message_id=quoted_id,
            channel__in=[Channel.LINE_GROUP, Channel.LINE_DIRECT],
        )
        .select_related("announcement")
        .first()
    )
    return delivery.announcement if delivery else None


def announcement_to_acknowledge(*, member: Member) -> Announcement | None:
    """The most recent open announcement sent to ``member`` that they have not acknowledged
    yet (or, when all are, the most recent one: a repeated รับทราบ changes nothing)."""
    responded = Response.objects.filter(
        announcement=OuterRef("announcement"), member=member, first_at__isnull=False
    )
    rows = (
        Recipient.objects.filter(member=member, announcement__state__in=OPEN_STATES)
        .exclude(announcement__ask__stage=Ask.Stage.CLOSED)
        .annotate(done=Exists(responded))
        .select_related("announcement")
        .order_by("done", "-announcement__send_started_at", "-announcement_id")
    )
    row = rows.first()
    return row.announcement if row else None


def on_group_acknowledgement(event: JSONObject) -> Any:
    """Handler (tocnet.line.handlers contract): claims a group text message that says
    รับทราบ, or quotes an announcement card; None for anything else."""
    source = event.get("source") or {}
    message = event.get("message") or {}
    user_id = source.get("userId") or ""
    if message.get("type") != "text" or not user_id:
        return None
    quoted = str(message.get("quotedMessageId") or "")
    said_ack = is_acknowledgement(message.get("text"))
    if not said_ack and not quoted:
        return None
    quoted_announcement = _quoted_announcement(quoted) if quoted else None
    if not said_ack and quoted_announcement is None:
        return None
    event_id = str(event.get("webhookEventId") or "")[:80]

    def apply() -> list[Reply]:
        member = Member.objects.filter(line_user_id=user_id).first()
        if member is None:
            # Counted for nobody; invite them to link once (a reply is free).
            return [MessagingReply("link_first", {"url": liff_url("/r/liff/link/")})]
        announcement = quoted_announcement or announcement_to_acknowledge(member=member)
        if announcement is None:
            return []
        already = Response.objects.filter(
            Q(first_at__isnull=False), announcement=announcement, member=member
        ).exists()
        if already:
            return []
        # A refusal is logged by the service; nothing to say in a group of fifty.
        with contextlib.suppress(ResponseRefused):
            response_record(
                announcement=announcement,
                member=member,
                way=Way.GROUP_QUOTE if quoted_announcement else Way.GROUP_TEXT,
                source=event_id,
            )
        return []

    return apply
