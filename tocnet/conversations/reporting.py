"""Plain renderings of conversations: `tocnet inbox --json` and `line_simulate` reports."""

from __future__ import annotations

from typing import TypedDict

from django.db.models import QuerySet

from tocnet.conversations.models import Conversation, Message
from tocnet.core.jsontypes import JSONObject


class InboxConversation(TypedDict):
    """One conversation in `tocnet inbox --json`."""

    id: str
    member: str | None
    department: str | None
    status: str
    assigned_to: str | None
    messages: int
    waiting_since: str | None


class InboxJSON(TypedDict):
    conversations: list[InboxConversation]


def conversation_as_json(conversation: Conversation) -> InboxConversation:
    """One conversation in the shape of `tocnet inbox --json`."""
    member = conversation.member
    return {
        "id": str(conversation.code),
        "member": member.number if member else None,
        "department": conversation.department.code if conversation.department else None,
        "status": conversation.status,
        "assigned_to": conversation.assigned_to.get_username()
        if conversation.assigned_to
        else None,
        "messages": conversation.message_count,
        "waiting_since": conversation.waiting_since.isoformat()
        if conversation.waiting_since
        else None,
    }


def inbox_as_json(conversations: QuerySet[Conversation]) -> InboxJSON:
    """{"conversations": [...]} for the selected conversations, newest activity first."""
    rows = conversations.select_related("member", "department", "assigned_to")
    return {"conversations": [conversation_as_json(c) for c in rows]}


def simulate_report(event: JSONObject) -> list[str]:
    """For line_simulate: the conversation a 1:1 message (or a button tap) landed in."""
    source = event.get("source") or {}
    message_id = str((event.get("message") or {}).get("id") or "")
    conversation: Conversation | None = None
    if message_id:
        found = (
            Message.objects.filter(line_message_id=message_id)
            .select_related("conversation__member", "conversation__department")
            .first()
        )
        conversation = found.conversation if found else None
    elif event.get("type") == "postback" and source.get("userId"):
        conversation = (
            Conversation.objects.filter(line_user_id=source["userId"])
            .select_related("member", "department")
            .order_by("-last_message_at", "-id")
            .first()
        )
    if conversation is None:
        return []
    who = (
        f"{conversation.member.first_name} {conversation.member.last_name}"
        if conversation.member
        else "(not linked yet: kept until the member links)"
    )
    department = conversation.department.name if conversation.department else "triage"
    return [
        f"conversation {conversation.code}: {who}, {department}, {conversation.status}, "
        f"{conversation.message_count} message(s)"
    ]
