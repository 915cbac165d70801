"""LINE webhook payloads as LINE sends them, for tests, the bench and ``line_simulate``."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable
from typing import Any

from tocnet.core.jsontypes import JSONObject
from tocnet.line.signature import sign_body

BOT_USER_ID = "U" + "0" * 31 + "b"
_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_event_id() -> str:
    """A ULID-shaped webhookEventId (26 Crockford base-32 characters, time first)."""
    stamp = int(time.time() * 1000)
    head = ""
    for _ in range(10):
        head = _ULID_ALPHABET[stamp % 32] + head
        stamp //= 32
    tail = "".join(_ULID_ALPHABET[b % 32] for b in os.urandom(16))
    return head + tail


def group_id_for(name: str) -> str:
    """A stable fake group id for a group name, so demo commands can refer to it by name."""
    return "C" + hashlib.sha256(name.encode()).hexdigest()[:32]


def user_id_for(label: str) -> str:
    return "U" + hashlib.sha256(label.encode()).hexdigest()[:32]


def _event(
    kind: str, source: dict[str, str], *, reply: bool = True, redelivery: bool = False, **extra: Any
) -> JSONObject:
    event: JSONObject = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": source,
        "webhookEventId": new_event_id(),
        "deliveryContext": {"isRedelivery": redelivery},
    }
    if reply:
        event["replyToken"] = secrets.token_hex(16)
    event.update(extra)
    return event


def group_source(group_id: str, user_id: str | None = None) -> dict[str, str]:
    source = {"type": "group", "groupId": group_id}
    if user_id:
        source["userId"] = user_id
    return source


def join_event(group_id: str) -> JSONObject:
    return _event("join", group_source(group_id))


def leave_event(group_id: str) -> JSONObject:
    return _event("leave", group_source(group_id), reply=False)


def member_joined_event(group_id: str, user_ids: list[str]) -> JSONObject:
    members = [{"type": "user", "userId": u} for u in user_ids]
    return _event("memberJoined", group_source(group_id), joined={"members": members})


def member_left_event(group_id: str, user_ids: list[str]) -> JSONObject:
    members = [{"type": "user", "userId": u} for u in user_ids]
    return _event("memberLeft", group_source(group_id), reply=False, left={"members": members})


def text_message(text: str) -> JSONObject:
    return {
        "id": str(secrets.randbelow(10**17)),
        "type": "text",
        "text": text,
        "quoteToken": secrets.token_urlsafe(12),
    }


def group_message_event(group_id: str, user_id: str | None, text: str) -> JSONObject:
    return _event("message", group_source(group_id, user_id), message=text_message(text))


def user_message_event(user_id: str, text: str) -> JSONObject:
    return _event("message", {"type": "user", "userId": user_id}, message=text_message(text))


def user_event(user_id: str, message: JSONObject) -> JSONObject:
    """A 1:1 message event with any message object (image, sticker, file, location...)."""
    return _event("message", {"type": "user", "userId": user_id}, message=message)


def postback_event(user_id: str, data: str, display_text: str = "") -> JSONObject:
    """The user tapped a postback button (quick reply) in the 1:1 chat."""
    return _event("postback", {"type": "user", "userId": user_id}, postback={"data": data})


def follow_event(user_id: str, *, unblocked: bool = False) -> JSONObject:
    return _event("follow", {"type": "user", "userId": user_id}, follow={"isUnblocked": unblocked})


def unfollow_event(user_id: str) -> JSONObject:
    return _event("unfollow", {"type": "user", "userId": user_id}, reply=False)


def webhook_body(events: list[JSONObject], destination: str = BOT_USER_ID) -> bytes:
    return json.dumps(
        {"destination": destination, "events": events}, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def signed(events: list[JSONObject], channel_secret: str) -> tuple[bytes, str]:
    body = webhook_body(events)
    return body, sign_body(body, channel_secret)


# Later apps tell `line_simulate` what became of an event (e.g. the conversation a 1:1 message
# landed in): a reporter takes the event and returns lines to print, or [] when not theirs.
Reporter = Callable[[JSONObject], list[str]]
_REPORTERS: dict[str, Reporter] = {}


def reporter_register(name: str, reporter: Reporter) -> None:
    """Called from a later app's AppConfig.ready()."""
    _REPORTERS[name] = reporter


def reports_after(event: JSONObject, *, wait_seconds: float = 0.0) -> list[str]:
    """What the registered reporters say about ``event``, polling up to ``wait_seconds`` while
    the worker processes it."""
    deadline = time.monotonic() + wait_seconds
    while True:
        lines = [line for reporter in _REPORTERS.values() for line in reporter(event)]
        if lines or time.monotonic() >= deadline:
            return lines
        time.sleep(0.2)
