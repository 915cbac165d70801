"""Bot answers as templates, rendered after the work's transaction commits (the SQLite write
lock is held for the writes only, not for template rendering)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string


@dataclass(frozen=True)
class QuickReply:
    """A quick-reply button under a bot message: tapping it sends ``data`` as a postback and
    shows ``display_text`` (default: the label) in the chat as the user's message."""

    label: str  # LINE allows 20 characters
    data: str
    display_text: str = ""


@dataclass(frozen=True)
class Reply:
    template: str
    context: Mapping[str, object] = field(default_factory=dict)  # the template's
    quick_replies: tuple[QuickReply, ...] = ()

    def render(self) -> str:
        # A bare name is one of line's replies; later apps give their own path ("x/y.txt").
        name = self.template if "/" in self.template else f"line/replies/{self.template}.txt"
        return render_to_string(name, self.context).strip()

    def __str__(self) -> str:
        return self.render()


def reply(template: str, **context: Any) -> Reply:
    return Reply(template, context)


def reply_message(item: Reply) -> Any:
    """The LINE message object of a reply: text, with its quick-reply buttons (at most 13)."""
    from linebot.v3.messaging import PostbackAction, QuickReplyItem, TextMessage
    from linebot.v3.messaging import QuickReply as LineQuickReply

    text = item.render()[:5000]
    if not item.quick_replies:
        return TextMessage(text=text)
    buttons = [
        QuickReplyItem(
            action=PostbackAction(
                label=q.label[:20], data=q.data, displayText=(q.display_text or q.label)[:300]
            )
        )
        for q in item.quick_replies[:13]
    ]
    return TextMessage(text=text, quickReply=LineQuickReply(items=buttons))
