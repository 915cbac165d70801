"""The bot sends the privacy notice's link when someone follows the official account and when
a member links their LINE account: two observers of the webhook's handler registry, so the
greeting and linking replies stay free of it (their templates know nothing of the notice)."""

from __future__ import annotations

from tocnet.core.jsontypes import JSONObject
from tocnet.line.handlers import Apply, line_handler_register
from tocnet.line.services.replies import Reply
from tocnet.members.models import Member
from tocnet.privacy.line_notice import notice_reply_context

TEMPLATE = "line/replies/privacy_notice.txt"


def notice_reply() -> Reply:
    return Reply(TEMPLATE, notice_reply_context())


def _user_id(event: JSONObject) -> str:
    source = event.get("source")
    return str(source.get("userId") or "") if isinstance(source, dict) else ""


def on_follow(event: JSONObject) -> Apply | None:
    """Someone added (or unblocked) the account: the notice follows the greeting."""
    if not _user_id(event):
        return None
    return lambda: [notice_reply()]


def on_direct_message(event: JSONObject) -> Apply | None:
    """A 1:1 message of a LINE user not linked yet: if the winning handler links them with
    it (the member number and phone digits), the notice follows the "linked" reply."""
    user_id = _user_id(event)
    if not user_id or Member.objects.filter(line_user_id=user_id).exists():
        return None  # linked before this message: nothing to tell

    def apply() -> list[Reply]:
        linked_now = Member.objects.filter(line_user_id=user_id).exists()
        return [notice_reply()] if linked_now else []

    return apply


def register() -> None:
    """Called from LineConfig.ready()."""
    line_handler_register(
        name="line.privacy_notice_follow", event_type="follow", handler=on_follow, observer=True
    )
    line_handler_register(
        name="line.privacy_notice_linked",
        event_type="message",
        source_type="user",
        handler=on_direct_message,
        observer=True,
    )
