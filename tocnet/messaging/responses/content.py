"""What the announcement's messages carry for responses: the card's button to the LIFF page,
the personal link in SMS and e-mail. Empty when the announcement asks for nothing."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from tocnet.core.jsontypes import JSONObject
from tocnet.members.models import Member
from tocnet.messaging.models import Announcement
from tocnet.messaging.responses.liff import liff_url
from tocnet.messaging.responses.models import Ask
from tocnet.messaging.responses.services import response_link_create

LABELS = {
    Ask.Kind.ACKNOWLEDGE: "รับทราบ",
    Ask.Kind.POLL: "ตอบแบบสอบถาม",
    Ask.Kind.FEEDBACK: "แสดงความคิดเห็น",
}


def _ask(announcement: Announcement) -> Ask | None:
    return Ask.objects.filter(announcement=announcement).first()


def respond_buttons(announcement: Announcement) -> list[JSONObject]:
    """The card's primary button: opens the LIFF page where a member answers."""
    ask = _ask(announcement)
    if ask is None:
        return []
    uri = liff_url(reverse("responses:liff_announcement", args=[announcement.code]))
    if not uri.startswith("http"):
        uri = str(getattr(settings, "SITE_URL", "")).rstrip("/") + uri
    return [
        {
            "type": "button",
            "style": "primary",
            "height": "sm",
            "action": {"type": "uri", "label": LABELS[Ask.Kind(ask.kind)], "uri": uri[:1000]},
        }
    ]


def personal_url(announcement: Announcement, member: Member, *, channel: str) -> str:
    """The member's own link for SMS ("sms") or e-mail ("email"), or "" without an ask."""
    if _ask(announcement) is None:
        return ""
    token = response_link_create(announcement=announcement, member=member, channel=channel)
    site = str(getattr(settings, "SITE_URL", "")).rstrip("/")
    return site + reverse("responses:link", args=[token])
