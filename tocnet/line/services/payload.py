"""A verified webhook body, split into events that are each judged on their own.

One event with a NUL, a non-finite or absurd timestamp, a huge number or deep nesting must
not stop the sound events of the same body from being stored: LINE redelivers a body that
was not answered with 200, and the same bad event would fail it again forever.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

from tocnet.core.jsontypes import JSONObject
from tocnet.core.nul import text_clean

MAX_DEPTH = 16  # LINE's deepest events (messages with mentions, emojis, quotes) are ~6
MAX_INT_DIGITS = 18
# Timestamps are milliseconds since 1970; anything outside 2000..2100 is not from LINE.
MIN_TIMESTAMP_MS = 946_684_800_000
MAX_TIMESTAMP_MS = 4_102_444_800_000


class MalformedPayloadError(ValueError):
    pass


class _BadNumber:
    def __repr__(self) -> str:
        return "<bad number>"


BAD_NUMBER = _BadNumber()


def _parse_int(text: str) -> int | _BadNumber:
    return int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else BAD_NUMBER


def _parse_float(text: str) -> float | _BadNumber:
    value = float(text)
    return value if math.isfinite(value) else BAD_NUMBER


def _loads(text: str) -> Any:
    return json.loads(
        text,
        parse_int=_parse_int,
        parse_float=_parse_float,
        parse_constant=lambda _name: BAD_NUMBER,
    )


@dataclass
class ParsedEvent:
    """A sound event (payload set, reason empty) or an unsound one (reason set)."""

    payload: JSONObject | None
    reason: str
    fingerprint: str
    event_id: str | None = None

    @property
    def sound(self) -> bool:
        return self.payload is not None


class _Unsound(ValueError):
    pass


def _clean(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _Unsound("nested too deeply")
    if value is BAD_NUMBER:
        raise _Unsound("number out of range")
    if isinstance(value, str):
        return text_clean(value)
    if isinstance(value, dict):
        return {text_clean(str(k)): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, depth + 1) for v in value]
    return value


def timestamp_to_datetime(stamp: Any) -> dt.datetime | None:
    """The event's time, or None when it is missing; _Unsound when it cannot be LINE's."""
    if stamp is None:
        return None
    if isinstance(stamp, bool) or not isinstance(stamp, int | float) or not math.isfinite(stamp):
        raise _Unsound("timestamp is not a number")
    if not MIN_TIMESTAMP_MS <= stamp <= MAX_TIMESTAMP_MS:
        raise _Unsound("timestamp out of range")
    return dt.datetime.fromtimestamp(stamp / 1000, tz=dt.UTC)


def _fingerprint(raw: str) -> str:
    return "sha256:" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:57]


def _judge(raw_event: Any, raw_text: str) -> ParsedEvent:
    fingerprint = _fingerprint(raw_text)
    event_id = None
    if isinstance(raw_event, dict):
        candidate = raw_event.get("webhookEventId")
        if isinstance(candidate, str) and 0 < len(candidate) <= 64:
            cleaned = text_clean(candidate)
            event_id = cleaned if cleaned == candidate else None
    if not isinstance(raw_event, dict):
        return ParsedEvent(None, "event is not an object", fingerprint, event_id)
    try:
        payload = _clean(raw_event, 0)
        timestamp_to_datetime(payload.get("timestamp"))
    except _Unsound as exc:
        return ParsedEvent(None, str(exc), fingerprint, event_id)
    except RecursionError:
        return ParsedEvent(None, "nested too deeply", fingerprint, event_id)
    return ParsedEvent(payload, "", fingerprint, event_id)


def _event_spans(text: str) -> list[str] | None:
    """The raw text of each element of the top-level "events" array, found by scanning (used
    when the body is too deep for the JSON parser); None when there is no such array."""
    depth = 0
    in_string = escaped = False
    string_start = 0
    last_string = current_key = None
    in_events = found = False
    start: int | None = None
    spans: list[str] = []
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                if depth == 1:
                    last_string = text[string_start : i + 1]
            continue
        if ch in " \t\r\n":
            continue
        if in_events and depth == 2 and start is None and ch not in ",]":
            start = i
        if ch == '"':
            in_string, string_start = True, i
        elif ch == ":" and depth == 1:
            current_key = last_string
        elif ch in "{[":
            depth += 1
            if depth == 2 and ch == "[" and current_key == '"events"':
                in_events = found = True
        elif ch in "}]":
            if in_events and depth == 2:
                if start is not None:
                    spans.append(text[start:i])
                    start = None
                in_events = False
            depth -= 1
        elif ch == "," and in_events and depth == 2 and start is not None:
            spans.append(text[start:i])
            start = None
    return spans if found else None


def webhook_body_parse(body: bytes) -> list[ParsedEvent]:
    """Each event of a verified body, sound or not; MalformedPayloadError when the body has
    no events list at all (it is not a webhook)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPayloadError("body is not UTF-8") from exc
    try:
        data = _loads(text)
    except RecursionError:
        spans = _event_spans(text)
        if spans is None:
            raise MalformedPayloadError("body nested too deeply") from None
        return [_judge_span(span) for span in spans]
    except ValueError as exc:
        raise MalformedPayloadError("body is not JSON") from exc
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise MalformedPayloadError("no events list")
    judged = []
    for event in events:
        try:
            raw = json.dumps(event, sort_keys=True, default=repr)
        except (ValueError, RecursionError):
            raw = repr(type(event))
        judged.append(_judge(event, raw))
    return judged


def _judge_span(span: str) -> ParsedEvent:
    try:
        event = _loads(span)
    except RecursionError:
        return ParsedEvent(None, "nested too deeply", _fingerprint(span))
    except ValueError:
        return ParsedEvent(None, "event is not JSON", _fingerprint(span))
    return _judge(event, span)
