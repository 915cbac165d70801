"""Later apps register webhook handlers; line's own keep their precedence."""

from typing import Any
from unittest import mock

from tocnet.line import handlers, simulate
from tocnet.line.models import GroupMemberSighting, LineGroup, WebhookEvent
from tocnet.line.services import groups
from tocnet.line.services.replies import Reply, reply
from tocnet.line.tests.base import LineTestCase

LINKED = "U" + "1" * 32


class HandlerRegistryTestCase(LineTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.calls: list[str] = []
        # line's own handlers only: the later apps' registrations are theirs to test
        isolated = mock.patch.dict(handlers._REGISTRY, clear=True)
        isolated.start()
        self.addCleanup(isolated.stop)
        handlers.register_line_handlers()

    def add_handler(self, name: str, event_type: str, source_type: str | None, **kw: Any) -> None:
        template = kw.pop("template", "follow_ask_number")

        def handler(event: dict[str, Any]) -> handlers.Apply | None:
            self.calls.append(f"{name}:read")

            def apply() -> list[Reply]:
                self.calls.append(f"{name}:apply")
                return [reply(template)] if template else []

            return apply

        handlers.line_handler_register(
            name=name, event_type=event_type, source_type=source_type, handler=handler, **kw
        )
        self.addCleanup(handlers.line_handler_unregister, name=name)

    def test_it_hands_a_linked_members_message_to_a_registered_handler(self) -> None:
        self.add_handler("test.inbox", "message", "user")
        event = simulate.user_message_event(LINKED, "สอบถามเงินกู้")
        self.post_events([event])
        self.assertEqual(self.calls, ["test.inbox:read", "test.inbox:apply"])
        self.assertEqual(self.status_of(event), WebhookEvent.Status.DONE)
        self.assertEqual(len(self.fake.replies()), 1)

    def test_it_keeps_the_linking_flow_first_for_unlinked_users(self) -> None:
        self.add_handler("test.inbox", "message", "user")
        self.post_events([simulate.user_message_event("U" + "9" * 32, "สวัสดี")])
        self.assertEqual(self.calls, [])
        self.assertEqual(len(self.reply_texts()), 1)

    def test_it_falls_back_to_line_when_no_app_handles_a_linked_message(self) -> None:
        event = simulate.user_message_event(LINKED, "สวัสดี")
        self.post_events([event])
        self.assertEqual(self.status_of(event), WebhookEvent.Status.DONE)
        self.assertEqual(len(self.reply_texts()), 1)  # "already linked"

    def test_it_lets_group_codes_win_and_still_records_sightings(self) -> None:
        self.add_handler("test.ack", "message", "group", template="")
        group_id = simulate.group_id_for("สอ.พช.กพ.1")
        self.fake.add_group(group_id, "สอ.พช.กพ.1", count=3)
        # (Not "รับทราบ": messaging's acknowledgement handler, registered first, claims that.)
        self.post_events([simulate.group_message_event(group_id, "U" + "2" * 32, "สวัสดีครับ")])
        self.assertEqual(self.calls, ["test.ack:read", "test.ack:apply"])
        self.assertEqual(GroupMemberSighting.objects.filter(group__group_id=group_id).count(), 1)
        self.calls.clear()
        code = groups.register_code_ensure(register=self.register).code
        self.post_events([simulate.group_message_event(group_id, "U" + "2" * 32, code)])
        self.assertEqual(self.calls, [])  # line's verification claimed it
        self.assertEqual(len(self.reply_texts()), 1)

    def test_it_runs_every_observer_and_only_the_first_claiming_handler(self) -> None:
        self.add_handler("test.observe", "postback", None, observer=True, template="")
        self.add_handler("test.first", "postback", "user")
        self.add_handler("test.second", "postback", "user")
        event = simulate._event(
            "postback", {"type": "user", "userId": LINKED}, postback={"data": "x=1"}
        )
        self.post_events([event])
        self.assertEqual(
            self.calls,
            ["test.first:read", "test.observe:read", "test.first:apply", "test.observe:apply"],
        )

    def test_it_passes_to_the_next_handler_when_one_declines(self) -> None:
        handlers.line_handler_register(
            name="test.decline", event_type="postback", handler=lambda e: None
        )
        self.addCleanup(handlers.line_handler_unregister, name="test.decline")
        self.add_handler("test.second", "postback", None)
        event = simulate._event(
            "postback", {"type": "user", "userId": LINKED}, postback={"data": "a"}
        )
        self.post_events([event])
        self.assertEqual(self.calls, ["test.second:read", "test.second:apply"])

    def test_it_ignores_an_event_nobody_handles(self) -> None:
        event = simulate._event(
            "postback", {"type": "user", "userId": LINKED}, postback={"data": "a"}
        )
        self.post_events([event])
        self.assertEqual(self.status_of(event), WebhookEvent.Status.IGNORED)

    def test_it_rolls_back_every_handlers_writes_when_one_fails(self) -> None:
        def failing(event: dict[str, Any]) -> handlers.Apply:
            def apply() -> list[Reply]:
                raise RuntimeError("boom")

            return apply

        handlers.line_handler_register(
            name="test.fail", event_type="message", source_type="group", handler=failing
        )
        self.addCleanup(handlers.line_handler_unregister, name="test.fail")
        group_id = simulate.group_id_for("สอ.พช.กพ.2")
        event = simulate.group_message_event(group_id, "U" + "3" * 32, "ถาม ดอกเบี้ย")
        self.post_events([event])
        self.assertEqual(self.status_of(event), WebhookEvent.Status.FAILED)
        self.assertFalse(LineGroup.objects.filter(group_id=group_id).exists())

    def test_it_refuses_unknown_event_types(self) -> None:
        with self.assertRaises(ValueError):
            handlers.line_handler_register(name="x", event_type="mesage", handler=lambda e: None)
