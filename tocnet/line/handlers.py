"""Which functions handle a webhook event: a registry later apps fill from AppConfig.ready().

Handler contract (unchanged from ``services.events``): ``handler(event) -> Apply | None``.
The handler makes its LINE reads first (no transaction held during HTTP calls) and returns an
``apply`` function that makes the writes and returns the bot's replies; every ``apply`` of an
event runs in one transaction with marking the event done. Returning ``None`` means "not mine".

Order of dispatch for an event:
1. line's own handlers (group verification, member linking): the first that claims wins;
2. handlers registered by later apps, in registration order: the first that claims wins;
3. line's fallbacks (e.g. "you are linked already" when no app handles a 1:1 message);
4. observers (``observer=True``): every matching one runs, its writes after the winner's (so
   it sees, e.g., a member linked by this very message); they record (sightings, a message
   kept for later) and usually reply nothing.
So line's handlers keep their precedence and later apps never edit line's dispatch table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from tocnet.core.jsontypes import JSONObject

if TYPE_CHECKING:
    from tocnet.line.services.replies import Reply

Apply = Callable[[], "list[Reply]"]
Handler = Callable[[JSONObject], Apply | None]

EVENT_TYPES = frozenset(
    {
        "message",
        "postback",
        "follow",
        "unfollow",
        "join",
        "leave",
        "memberJoined",
        "memberLeft",
        "unsend",
        "messageEdited",
    }
)
SOURCE_TYPES = frozenset({"user", "group", "room"})


class Stage(IntEnum):
    OBSERVER = 0
    LINE = 1
    APPS = 2
    FALLBACK = 3


@dataclass(frozen=True)
class Registration:
    name: str
    event_type: str
    source_type: str | None
    handler: Handler
    stage: Stage

    def matches(self, event: JSONObject) -> bool:
        source = event.get("source")
        source_type = source.get("type") if isinstance(source, dict) else None
        return event.get("type") == self.event_type and (
            self.source_type is None or self.source_type == source_type
        )


_REGISTRY: dict[str, Registration] = {}


def _register(
    *, name: str, event_type: str, source_type: str | None, handler: Handler, stage: Stage
) -> None:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown LINE event type {event_type!r}")
    if source_type is not None and source_type not in SOURCE_TYPES:
        raise ValueError(f"unknown LINE source type {source_type!r}")
    _REGISTRY.pop(name, None)  # re-registering moves it to the end, replacing the old one
    _REGISTRY[name] = Registration(name, event_type, source_type, handler, stage)


def line_handler_register(
    *,
    name: str,
    event_type: str,
    handler: Handler,
    source_type: str | None = None,
    observer: bool = False,
) -> None:
    """Register ``handler`` for events of ``event_type`` (and ``source_type``: "user",
    "group", "room"; None for any). Called from a later app's AppConfig.ready(); ``name``
    ("messaging.acknowledge") makes it idempotent. Observers all run; other handlers run
    after line's own, the first to return an apply function wins."""
    _register(
        name=name,
        event_type=event_type,
        source_type=source_type,
        handler=handler,
        stage=Stage.OBSERVER if observer else Stage.APPS,
    )


def line_handler_unregister(*, name: str) -> None:
    """Remove a registration (tests)."""
    _REGISTRY.pop(name, None)


def line_handlers_for(event: JSONObject) -> tuple[list[Handler], list[Handler]]:
    """The observers and, in precedence order, the candidate handlers of ``event``."""
    matching = [r for r in _REGISTRY.values() if r.matches(event)]
    # sorted() is stable: registration order within a stage.
    matching.sort(key=lambda r: r.stage)
    observers = [r.handler for r in matching if r.stage == Stage.OBSERVER]
    candidates = [r.handler for r in matching if r.stage != Stage.OBSERVER]
    return observers, candidates


def line_event_resolve(event: JSONObject) -> Apply | None:
    """Call the handlers of ``event`` (their LINE reads happen here) and return one apply
    function running the observers' and the winning handler's writes in order, or None when
    nobody handles the event."""
    observers, candidates = line_handlers_for(event)
    applies: list[Apply] = []
    for handler in candidates:
        claimed = handler(event)
        if claimed is not None:
            applies.append(claimed)
            break
    # Observers write after the winner, so they see what it did (a member linked just now).
    applies.extend(a for a in (h(event) for h in observers) if a is not None)
    if not applies:
        return None

    def apply() -> list[Reply]:
        replies: list[Reply] = []
        for each in applies:
            replies.extend(each())
        return replies

    return apply


def _late(module: Any, attribute: str) -> Handler:
    """Look the function up at call time, so a test patching the module attribute (the
    seam) patches what the dispatch calls."""

    def handler(event: JSONObject) -> Apply | None:
        result: Apply | None = getattr(module, attribute)(event)
        return result

    handler.__name__ = attribute
    return handler


def register_line_handlers() -> None:
    """Line's own handlers; called from LineConfig.ready()."""
    from tocnet.line.services import groups, linking

    builtin: list[tuple[str, str, str | None, Handler, Stage]] = [
        (
            "line.group_seen",
            "message",
            "group",
            _late(groups, "on_group_message_seen"),
            Stage.OBSERVER,
        ),
        ("line.group_join", "join", "group", _late(groups, "on_join"), Stage.LINE),
        ("line.group_leave", "leave", "group", _late(groups, "on_leave"), Stage.LINE),
        (
            "line.group_members_joined",
            "memberJoined",
            "group",
            _late(groups, "on_members_changed"),
            Stage.LINE,
        ),
        (
            "line.group_members_left",
            "memberLeft",
            "group",
            _late(groups, "on_members_changed"),
            Stage.LINE,
        ),
        ("line.group_code", "message", "group", _late(groups, "on_group_code"), Stage.LINE),
        (
            "line.link_message",
            "message",
            "user",
            _late(linking, "on_unlinked_user_message"),
            Stage.LINE,
        ),
        ("line.follow", "follow", None, _late(linking, "on_follow"), Stage.LINE),
        ("line.unfollow", "unfollow", None, _late(linking, "on_unfollow"), Stage.LINE),
        (
            "line.linked_message",
            "message",
            "user",
            _late(linking, "on_user_message"),
            Stage.FALLBACK,
        ),
    ]
    for name, event_type, source_type, handler, stage in builtin:
        _register(
            name=name, event_type=event_type, source_type=source_type, handler=handler, stage=stage
        )
