"""A small fake Thai SMS gateway for tests and the demo: ThaiBulkSMS and ANTS endpoints.

Records every message it accepts (``fake.messages``), answers with each provider's shape, and
can be scripted to fail the next calls under a path with a status, or to time out before or
after accepting (``fail_next``).  A control API under ``/_fake/`` serves the demo.

Standalone: ``python -m tocnet.testing.fakes.sms_server --port 8091``.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tocnet.testing.fakes.base import FakeServer, QuietHandler

THAI_MOBILE = re.compile(r"^0[689]\d{8}$")


@dataclass
class FakeSms:
    provider: str
    to: str  # as sent: 0812345678 (ThaiBulkSMS) or 66812345678 (ANTS)
    text: str
    sender: str
    reference: str
    message_id: str


@dataclass
class SmsFailure:
    status: int  # 0: a timeout
    path_prefix: str
    after: bool = True  # for timeouts: accept the message first


class FakeSmsGateway(FakeServer):
    """Threaded fake on 127.0.0.1; ``with FakeSmsGateway() as fake: fake.url``."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None
    ) -> None:
        self.api_key = api_key
        self.lock = threading.RLock()
        self.messages: list[FakeSms] = []
        self.failures: list[SmsFailure] = []
        self.requests: list[tuple[str, str, int]] = []  # method, path, status
        self.credit = 100_000
        self.hang_seconds = 1.0
        super().__init__(host=host, port=port, handler=_Handler)

    def fail_next(
        self, count: int = 1, *, status: int = 500, path_prefix: str = "/", after: bool = True
    ) -> None:
        """The next ``count`` calls under ``path_prefix`` answer ``status`` (0: time out;
        ``after``: the message is accepted before the silence)."""
        with self.lock:
            self.failures.extend(SmsFailure(status, path_prefix, after) for _ in range(count))

    def take_failure(self, path: str) -> SmsFailure | None:
        with self.lock:
            for i, failure in enumerate(self.failures):
                if path.startswith(failure.path_prefix):
                    return self.failures.pop(i)
        return None

    def by_number(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for sms in self.messages:
                counts[sms.to] = counts.get(sms.to, 0) + 1
        return counts

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.failures.clear()
            self.requests.clear()


class _Handler(QuietHandler):
    fake: FakeSmsGateway

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        self.body = self.read_body()
        self.muted = False
        path = split.path
        if path.startswith("/_fake/"):
            self._control(path)
            return
        failure = self.fake.take_failure(path)
        if failure and failure.status == 0:
            if failure.after:
                self.muted = True
                self._route(path)
            time.sleep(self.fake.hang_seconds)
            self.close_connection = True
            return
        if failure:
            self._send(failure.status, {"error": {"code": failure.status, "message": "fake"}})
            return
        self._route(path)

    do_GET = do_POST = _dispatch

    def _send(self, status: int, payload: Any) -> None:
        with self.fake.lock:
            self.fake.requests.append((self.command, urlsplit(self.path).path, status))
        if self.muted:
            return
        self.write_json(status, payload)

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization") or ""
        if not auth.startswith("Basic "):
            return False
        try:
            key = base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        except ValueError:
            return False
        return bool(key) and (self.fake.api_key is None or key == self.fake.api_key)

    def _route(self, path: str) -> None:
        if not self._authorised():
            self._send(401, {"error": {"code": 401, "message": "Unauthorized"}})
        elif path == "/sms" and self.command == "POST":
            self._thaibulksms()
        elif path == "/sms/send" and self.command == "POST":
            self._ants()
        elif path == "/credit" and self.command == "GET":
            self._send(200, {"remaining_credit": self.fake.credit})
        else:
            self._send(404, {"error": {"code": 404, "message": "Not found"}})

    def _record(self, provider: str, to: str, text: str, sender: str, reference: str) -> str:
        message_id = uuid.uuid4().hex[:20]
        with self.fake.lock:
            self.fake.messages.append(FakeSms(provider, to, text, sender, reference, message_id))
            self.fake.credit -= 1
        return message_id

    def _thaibulksms(self) -> None:
        form = {k: v[0] for k, v in parse_qs(self.body.decode()).items()}
        numbers = [n.strip() for n in form.get("msisdn", "").split(",") if n.strip()]
        if not numbers or not form.get("message"):
            self._send(400, {"error": {"code": 400, "message": "msisdn and message required"}})
            return
        good, bad = [], []
        for number in numbers:
            if THAI_MOBILE.match(number):
                message_id = self._record(
                    "thaibulksms", number, form["message"], form.get("sender", ""), ""
                )
                good.append({"number": number, "message_id": message_id, "used_credit": 1})
            else:
                bad.append({"number": number, "message": "Invalid phone number"})
        self._send(
            201,
            {
                "remaining_credit": self.fake.credit,
                "total_use_credit": len(good),
                "phone_number_list": good,
                "bad_phone_number_list": bad,
            },
        )

    def _ants(self) -> None:
        try:
            payload = json.loads(self.body or b"{}")
            messages = payload["messages"]
        except (ValueError, KeyError, TypeError):
            self._send(400, {"error": {"code": 400, "message": "Bad request"}})
            return
        answers = []
        for message in messages:
            for destination in message.get("destinations") or []:
                to = str(destination.get("to", ""))
                reference = str(destination.get("messageId") or uuid.uuid4())
                if re.match(r"^66[689]\d{8}$", to):
                    self._record(
                        "ants", to, message.get("text", ""), message.get("from", ""), reference
                    )
                    status = {"groupName": "PENDING", "name": "PENDING_ENROUTE"}
                else:
                    status = {"groupName": "REJECTED", "name": "REJECTED_DESTINATION"}
                answers.append({"to": to, "messageId": reference, "status": status, "credit": 1})
        self._send(200, {"bulkId": uuid.uuid4().hex, "messages": answers})

    def _control(self, path: str) -> None:
        fake = self.fake
        payload = json.loads(self.body or b"{}") if self.body else {}
        if path == "/_fake/messages" and self.command == "GET":
            with fake.lock:
                rows = [sms.__dict__ for sms in fake.messages]
            self._send(200, rows)
        elif path == "/_fake/fail" and self.command == "POST":
            fake.fail_next(
                int(payload.get("count", 1)),
                status=int(payload.get("status", 500)),
                path_prefix=payload.get("pathPrefix", "/"),
            )
            self._send(200, {})
        elif path == "/_fake/reset" and self.command == "POST":
            fake.reset()
            self._send(200, {})
        else:
            self._send(404, {"message": "Not found"})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake SMS gateway for the TOC-Net demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--api-key", default=None, help="accept only this API key")
    args = parser.parse_args(argv)
    server = FakeSmsGateway(host=args.host, port=args.port, api_key=args.api_key)
    server.serve_until_interrupted("Fake SMS gateway")


if __name__ == "__main__":
    main()
