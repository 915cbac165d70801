import datetime as dt

import time_machine

from tocnet.line import simulate
from tocnet.line.models import LineGroup, WebhookEvent
from tocnet.line.tasks import line_groups_refresh_task, webhook_events_sweep_task
from tocnet.line.tests.base import LineTestCase


class LineTasksTestCase(LineTestCase):
    def test_it_sweeps_events_whose_enqueue_was_lost(self) -> None:
        event = simulate.follow_event("Ulost")
        body = simulate.webhook_body([event])
        with time_machine.travel(dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC), tick=False):
            with self.captureOnCommitCallbacks(execute=False):  # the enqueue never happens
                from tocnet.line.services.events import webhook_events_store

                webhook_events_store(body=body)
            webhook_events_sweep_task()
            self.assertEqual(self.status_of(event), WebhookEvent.Status.PENDING)  # too fresh
        with time_machine.travel(dt.datetime(2026, 5, 1, 8, 5, tzinfo=dt.UTC), tick=False):
            webhook_events_sweep_task()
            webhook_events_sweep_task()
        row = WebhookEvent.objects.get()
        self.assertEqual((row.status, row.attempts), (WebhookEvent.Status.DONE, 1))

    def test_it_refreshes_every_group_the_bot_is_in(self) -> None:
        self.fake.add_group("Cone", "สอ.พช.กพ.1", count=8)
        LineGroup.objects.create(group_id="Cone", name="old name")
        LineGroup.objects.create(group_id="Cgone", name="left", status=LineGroup.Status.LEFT)
        line_groups_refresh_task()
        group = LineGroup.objects.get(group_id="Cone")
        self.assertEqual(
            (group.name, group.member_count, group.register), ("สอ.พช.กพ.1", 8, self.register)
        )
        self.assertEqual(self.fake.requests_to("/v2/bot/group/Cgone/*"), [])

    def test_it_keeps_no_chat_text_and_purges_old_events(self) -> None:
        from tocnet.line.tasks import webhook_events_purge_task

        with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
            self.post_events([simulate.group_message_event("Cchat", "Ux", "เบอร์ผม 0812345678")])
        row = WebhookEvent.objects.get()
        self.assertEqual(row.status, WebhookEvent.Status.DONE)
        self.assertEqual(set(row.payload["message"]), {"id", "type"})
        self.assertNotIn("0812345678", str(row.payload))
        with time_machine.travel(dt.datetime(2026, 1, 20, tzinfo=dt.UTC), tick=False):
            webhook_events_purge_task()
        self.assertEqual(WebhookEvent.objects.count(), 1)
        with time_machine.travel(dt.datetime(2026, 2, 5, tzinfo=dt.UTC), tick=False):
            webhook_events_purge_task()
        self.assertEqual(WebhookEvent.objects.count(), 0)

    def test_it_keeps_only_the_id_and_type_of_any_message(self) -> None:
        # Review: only message.text was dropped; addresses, coordinates, file names, sticker
        # keywords, mentions and quoted ids stayed in the stored event.
        private = ("บ้านสมชาย", "99 ถ.พหลโยธิน", "16.48", "สลิป.pdf", "ขอบคุณ", "Umention")
        messages = [
            {
                "type": "location",
                "title": "บ้านสมชาย",
                "address": "99 ถ.พหลโยธิน กำแพงเพชร",
                "latitude": 16.48,
                "longitude": 99.52,
            },
            {"type": "file", "fileName": "สลิป.pdf", "fileSize": 2048},
            {
                "type": "sticker",
                "packageId": "1",
                "stickerId": "2",
                "stickerResourceType": "STATIC",
                "keywords": ["ขอบคุณ"],
                "text": "ขอบคุณ",
            },
            {
                "type": "image",
                "contentProvider": {"type": "external", "originalContentUrl": "https://x/สลิป.pdf"},
            },
            {
                "type": "text",
                "text": "@สมชาย ขอบคุณ",
                "mention": {"mentionees": [{"index": 0, "length": 4, "userId": "Umention"}]},
                "quotedMessageId": "77",
            },
        ]
        events = []
        for i, message in enumerate(messages):
            message = {"id": str(1000 + i), "quoteToken": "q", **message}
            events.append(
                simulate._event("message", simulate.group_source("Cchat", "Ux"), message=message)
            )
            events.append(
                simulate._event("message", {"type": "user", "userId": "Uy"}, message=message)
            )
        self.post_events(events)
        for row in WebhookEvent.objects.all():
            with self.subTest(event=row.payload["message"]["type"], source=row.source_type):
                self.assertNotEqual(row.status, WebhookEvent.Status.PENDING)
                self.assertEqual(set(row.payload["message"]), {"id", "type"})
                for value in private:
                    self.assertNotIn(value, str(row.payload))
