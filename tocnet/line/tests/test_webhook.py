import json

from django.test import override_settings

from tocnet.line import simulate
from tocnet.line.models import LineFriend, WebhookEvent
from tocnet.line.tests.base import SECRET, LineTestCase


class LineWebhookTestCase(LineTestCase):
    def test_it_rejects_a_missing_signature_and_stores_nothing(self) -> None:
        response = self.post_events([simulate.follow_event("Uabc")], signature="")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(WebhookEvent.objects.count(), 0)
        self.assertEqual(LineFriend.objects.count(), 0)

    def test_it_rejects_a_wrong_signature_and_stores_nothing(self) -> None:
        other_body, other_signature = simulate.signed([simulate.follow_event("Uzzz")], SECRET)
        for signature in ("AAAA", other_signature, simulate.sign_body(other_body, "wrong")):
            with self.subTest(signature=signature):
                response = self.post_events([simulate.follow_event("Uabc")], signature=signature)
                self.assertEqual(response.status_code, 400)
        self.assertEqual(WebhookEvent.objects.count(), 0)
        self.assertEqual(self.fake.requests, [])

    def test_it_accepts_the_header_in_any_case(self) -> None:
        body, signature = simulate.signed([simulate.unfollow_event("Uabc")], SECRET)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.generic(
                "POST",
                "/line/webhook",
                body,
                "application/json",
                headers={"x-line-signature": signature},
            )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(WebhookEvent.objects.count(), 1)

    def test_it_answers_200_to_lines_empty_connectivity_check(self) -> None:
        response = self.post_events([])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(WebhookEvent.objects.count(), 0)

    def test_it_rejects_a_signed_body_that_is_not_a_webhook(self) -> None:
        body = b'{"destination":"U1"}'
        response = self.client.post(
            "/line/webhook",
            data=body,
            content_type="application/json",
            HTTP_X_LINE_SIGNATURE=simulate.sign_body(body, SECRET),
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(WebhookEvent.objects.count(), 0)

    def test_it_refuses_get(self) -> None:
        self.assertEqual(self.client.get("/line/webhook").status_code, 405)

    def test_it_says_not_configured_without_a_secret(self) -> None:
        with override_settings(LINE_CHANNEL_SECRET=""):
            response = self.post_events([simulate.follow_event("Uabc")])
        self.assertEqual(response.status_code, 503)
        self.assertEqual(WebhookEvent.objects.count(), 0)

    def test_it_stores_unknown_event_types_and_ignores_them(self) -> None:
        event = simulate.follow_event("Uabc")
        event["type"] = "somethingNew2027"
        response = self.post_events([event])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.status_of(event), WebhookEvent.Status.IGNORED)
        self.assertEqual(WebhookEvent.objects.get().payload["type"], "somethingNew2027")
        self.assertEqual(self.fake.requests, [])

    def test_it_processes_a_redelivered_event_once(self) -> None:
        event = simulate.follow_event("Uabc")
        self.post_events([event])
        redelivered = json.loads(json.dumps(event))
        redelivered["deliveryContext"]["isRedelivery"] = True
        response = self.post_events([redelivered])
        self.assertEqual(response.status_code, 200)
        row = WebhookEvent.objects.get()
        self.assertEqual((row.status, row.attempts, row.is_redelivery), ("done", 1, False))
        self.assertEqual(len(self.fake.replies()), 1)

    def test_it_processes_duplicates_in_one_body_once(self) -> None:
        event = simulate.follow_event("Uabc")
        self.post_events([event, event, simulate.follow_event("Udef")])
        self.assertEqual(WebhookEvent.objects.count(), 2)
        self.assertEqual(len(self.fake.replies()), 2)
        self.assertEqual(LineFriend.objects.count(), 2)

    def test_it_enqueues_only_after_commit(self) -> None:
        body, signature = simulate.signed([simulate.follow_event("Uabc")], SECRET)
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            response = self.client.post(
                "/line/webhook",
                data=body,
                content_type="application/json",
                HTTP_X_LINE_SIGNATURE=signature,
            )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(WebhookEvent.objects.get().status, WebhookEvent.Status.PENDING)
        self.assertEqual(len(callbacks), 1)
        callbacks[0]()
        self.assertEqual(WebhookEvent.objects.get().status, WebhookEvent.Status.DONE)

    def test_the_request_does_one_insert_for_the_whole_batch_and_nothing_else(self) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        events = [simulate.follow_event(f"U{i}") for i in range(3)]
        body, signature = simulate.signed(events, SECRET)
        with (
            CaptureQueriesContext(connection) as queries,
            self.captureOnCommitCallbacks(execute=False) as callbacks,
        ):
            response = self.client.post(
                "/line/webhook",
                data=body,
                content_type="application/json",
                HTTP_X_LINE_SIGNATURE=signature,
            )
        self.assertEqual(response.status_code, 200)
        statements = [
            q["sql"].split(None, 1)[0].upper()
            for q in queries.captured_queries
            if q["sql"].split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE")
        ]
        self.assertEqual(statements, ["INSERT"])
        self.assertEqual(WebhookEvent.objects.count(), 3)
        self.assertEqual(len(callbacks), 1)  # one enqueue, after commit

    def test_it_keeps_an_event_for_retry_when_line_is_down(self) -> None:
        self.fake.add_group(simulate.group_id_for("สอ.พช.กพ.1"), "สอ.พช.กพ.1", count=3)
        self.fake.fail_next(1, status=500, path_prefix="/v2/bot/group/")
        event = simulate.join_event(simulate.group_id_for("สอ.พช.กพ.1"))
        self.post_events([event])
        self.assertEqual(self.status_of(event), WebhookEvent.Status.PENDING)
        from tocnet.line.services.events import webhook_event_process

        webhook_event_process(webhook_event_id=event["webhookEventId"])
        row = WebhookEvent.objects.get()
        self.assertEqual((row.status, row.attempts), ("done", 2))


class LineEventRaceTestCase(LineTestCase):
    def test_it_processes_once_when_two_workers_race_for_an_event(self) -> None:
        from unittest import mock

        from tocnet.line.services import linking
        from tocnet.line.services.events import webhook_event_process

        event = simulate.follow_event("Urace")
        from tocnet.line.services.events import webhook_events_store

        with self.captureOnCommitCallbacks(execute=False):  # no worker yet
            webhook_events_store(body=simulate.webhook_body([event]))
        real_on_follow = linking.on_follow
        outcomes: list[object] = []
        started: list[bool] = []

        def slow_prepare(payload: dict) -> object:
            # While this worker reads from LINE, a second worker takes the same event.
            if not started:
                started.append(True)
                outcomes.append(webhook_event_process(webhook_event_id=event["webhookEventId"]))
            return real_on_follow(payload)

        with mock.patch.object(linking, "on_follow", side_effect=slow_prepare):
            first = webhook_event_process(webhook_event_id=event["webhookEventId"])
        self.assertEqual(outcomes, [WebhookEvent.Status.DONE])
        self.assertIsNone(first)
        row = WebhookEvent.objects.get()
        self.assertEqual((row.status, row.attempts), (WebhookEvent.Status.DONE, 1))
        self.assertEqual(len(self.fake.replies()), 1)
        self.assertEqual(LineFriend.objects.count(), 1)
