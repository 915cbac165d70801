"""Issue #10 item 3: one bad event must not poison the sound events of its body."""

import json
from typing import Any

from tocnet.line import simulate
from tocnet.line.models import LineFriend, WebhookEvent
from tocnet.line.tests.base import SECRET, LineTestCase


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


class WebhookPoisonTestCase(LineTestCase):
    def post_raw(self, body: bytes) -> Any:
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                "/line/webhook",
                data=body,
                content_type="application/json",
                HTTP_X_LINE_SIGNATURE=simulate.sign_body(body, SECRET),
            )

    def body_around(self, bad_event_json: str) -> tuple[bytes, list[dict[str, Any]]]:
        good = [simulate.follow_event("U" + "a" * 32), simulate.follow_event("U" + "b" * 32)]
        events = ",".join([json.dumps(good[0]), bad_event_json, json.dumps(good[1])])
        text = f'{{"destination":"{simulate.BOT_USER_ID}","events":[{events}]}}'
        return text.encode(), good

    def bad_events(self) -> dict[str, str]:
        def event(**overrides: Any) -> str:
            base = simulate.follow_event("U" + "c" * 32)
            base.update(overrides)
            return json.dumps(base)

        stamp = simulate.follow_event("U" + "c" * 32)
        return {
            "timestamp NaN": event(timestamp=float("nan")),
            "timestamp Infinity": event(timestamp=float("inf")),
            "timestamp 1e300": event(timestamp=1e300),
            "timestamp -1e20": event(timestamp=-1e20),
            "timestamp string": event(timestamp="soon"),
            "huge integer": json.dumps(stamp)[:-1] + ', "n": ' + "9" * 5000 + "}",
            "nested 40 levels": json.dumps(stamp)[:-1] + ', "x": ' + _deep(40) + "}",
            "nested 100000 levels": json.dumps(stamp)[:-1] + ', "x": ' + _deep(100_000) + "}",
            "not an object": '"hello"',
        }

    def test_it_stores_the_sound_events_beside_a_bad_one_and_answers_200(self) -> None:
        for name, bad in self.bad_events().items():
            with self.subTest(bad=name):
                WebhookEvent.objects.all().delete()
                LineFriend.objects.all().delete()
                body, good = self.body_around(bad)
                response = self.post_raw(body)
                self.assertEqual(response.status_code, 200)
                for event in good:
                    self.assertEqual(self.status_of(event), WebhookEvent.Status.DONE)
                self.assertEqual(LineFriend.objects.count(), 2)
                rejected = WebhookEvent.objects.get(event_type="invalid")
                self.assertEqual(rejected.status, WebhookEvent.Status.FAILED)
                self.assertTrue(rejected.error.startswith("rejected: "))
                # LINE's redelivery of the same body changes nothing and still answers 200.
                self.assertEqual(self.post_raw(body).status_code, 200)
                self.assertEqual(WebhookEvent.objects.count(), 3)

    def test_it_strips_nul_from_text_and_user_ids_before_storing(self) -> None:
        user = "U" + "d" * 31 + "\u0000"
        message = simulate.user_message_event(user, "สวัสดี\u0000ครับ")
        follow = simulate.follow_event("U\u0000" + "e" * 32)
        lone = simulate.user_message_event("U" + "f" * 32, "bad \ud800 surrogate")
        body = json.dumps({"destination": simulate.BOT_USER_ID, "events": [message, follow, lone]})
        response = self.post_raw(body.encode())  # ASCII JSON: NUL as \u0000, lone \ud800
        self.assertEqual(response.status_code, 200)
        self.assertEqual(WebhookEvent.objects.count(), 3)
        for row in WebhookEvent.objects.all():
            self.assertNotIn("\x00", json.dumps(row.payload, ensure_ascii=False))
            self.assertNotIn("\x00", row.line_user_id)
        self.assertEqual(
            WebhookEvent.objects.get(webhook_event_id=message["webhookEventId"]).line_user_id,
            "U" + "d" * 31,
        )

    def test_a_signed_body_that_is_not_a_webhook_is_still_refused_without_500(self) -> None:
        for body in (b"\xff\xfe", b"[1,2]", ("[" * 100_000).encode(), b'{"events": "x"}'):
            with self.subTest(body=body[:10]):
                self.assertEqual(self.post_raw(body).status_code, 400)
        self.assertEqual(WebhookEvent.objects.count(), 0)
