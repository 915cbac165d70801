"""What announcements hold about a member, for the PDPA export and erasure: the deliveries to
them (channel, state, time) and the address used (phone, e-mail, LINE user), blanked on erasure."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from tocnet.members.models import Member
from tocnet.messaging.models import Delivery, Recipient
from tocnet.privacy.erasure import Identifiers
from tocnet.privacy.registry import register_member_data


def _export_deliveries(member: Member) -> list[dict[str, Any]]:
    rows = Recipient.objects.filter(member=member).select_related("announcement", "delivery")
    return [
        {
            "announcement": r.announcement.title,
            "channel": r.channel,
            "status": r.delivery.status,
            "reason": r.reason or r.delivery.reason,
            "sent_at": r.delivery.sent_at.isoformat() if r.delivery.sent_at else None,
        }
        for r in rows.order_by("announcement__created_at", "id")
    ]


def _erase_deliveries(member: Member, ids: Identifiers) -> dict[str, int]:
    blanked = (
        Delivery.objects.filter(member=member).exclude(address="").update(address="", last_error="")
    )
    return {"delivery_addresses": blanked}


def register_privacy_hooks() -> None:
    register_member_data(
        "messaging.deliveries",
        label=_("Announcements sent to the member"),
        export=_export_deliveries,
        erase=_erase_deliveries,
        order=60,
    )
