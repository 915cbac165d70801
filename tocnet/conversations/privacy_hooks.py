"""What the conversations app holds about a member, for the PDPA export, erasure and retention."""

import base64
import datetime as dt

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tocnet.conversations.models import Conversation, Message
from tocnet.conversations.services import conversations_purge, member_conversations_erase
from tocnet.members.models import Member
from tocnet.privacy.erasure import Identifiers
from tocnet.privacy.registry import ExportRow, register_member_data, register_retention


def _file_base64(message: Message) -> str | None:
    """The attachment itself (kept in VAR_DIR/conversations), for portability; None without."""
    if not message.file:
        return None
    try:
        with message.file.open("rb") as handle:
            return base64.b64encode(handle.read()).decode("ascii")
    except OSError:
        return None


def _export(member: Member) -> list[ExportRow]:
    rows = Conversation.objects.filter(member=member).select_related("department")
    return [
        {
            "opened_at": c.opened_at.isoformat(),
            "department": c.department.name if c.department else None,
            "status": c.status,
            "messages": [
                {
                    "at": m.created_at.isoformat(),
                    "direction": m.direction,
                    "kind": m.kind,
                    "text": m.text,
                    "file_name": m.file_name,
                    "file_size": m.file_size,
                    "file_base64": _file_base64(m),
                }
                for m in c.messages.exclude(direction="note").order_by("created_at", "id")
            ],
        }
        for c in rows.order_by("opened_at", "id")
    ]


def _erase(member: Member, ids: Identifiers) -> dict[str, int]:
    line_ids = [i for i in (member.line_user_id,) if i]
    deleted = member_conversations_erase(member=member, actor="privacy.erasure")
    # what the LINE account wrote before it was linked to the member
    unlinked = Conversation.objects.filter(member__isnull=True, line_user_id__in=line_ids)
    deleted += unlinked.delete()[1].get("conversations.Conversation", 0)
    return {"deleted": deleted}


def _period() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "CONVERSATIONS_RETENTION_DAYS", 730)))


def register_hooks() -> None:
    register_member_data(
        "conversations.conversations",
        label=_("Questions to the cooperative and their answers"),
        export=_export,
        erase=_erase,
    )
    register_retention(
        "conversations.conversations",
        label=_("Conversations: messages and files"),
        period=_period(),
        select=lambda now: Conversation.objects.filter(last_message_at__lt=now - _period()),
        purge=lambda now: conversations_purge(now=now),
    )
