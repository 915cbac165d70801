"""LineTestCase: the personas plus a fake LINE API and signed webhook posts."""

from typing import Any

from django.http import HttpResponse
from django.test import override_settings

from tocnet.line import simulate
from tocnet.line.models import WebhookEvent
from tocnet.testing import BaseTestCase
from tocnet.testing.fakes.line_server import FakeLineServer

SECRET = "test-channel-secret"
TOKEN = "test-access-token"


class LineTestCase(BaseTestCase):
    fake: FakeLineServer

    @classmethod
    def setUpClass(cls) -> None:
        cls.fake = FakeLineServer(access_token=TOKEN).start()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        cls.fake.stop()

    def setUp(self) -> None:
        super().setUp()
        self.fake.reset()
        overrides = override_settings(
            LINE_CHANNEL_SECRET=SECRET,
            LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
            LINE_API_BASE_URL=self.fake.url,
        )
        overrides.enable()
        self.addCleanup(overrides.disable)

    def post_events(
        self, events: list[dict[str, Any]], *, signature: str | None = None
    ) -> HttpResponse:
        """POST a signed webhook body and run what it enqueued on commit."""
        body, good = simulate.signed(events, SECRET)
        headers = {} if signature == "" else {"HTTP_X_LINE_SIGNATURE": signature or good}
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                "/line/webhook", data=body, content_type="application/json", **headers
            )

    def status_of(self, event: dict[str, Any]) -> str:
        return WebhookEvent.objects.get(webhook_event_id=event["webhookEventId"]).status

    def reply_texts(self) -> list[str]:
        return [m["text"] for body in self.fake.replies() for m in body["messages"]]
