"""SMS through a Thai gateway: one interface, an adapter per provider (setting SMS_PROVIDER).

No Thai gateway documents an idempotency key, so a send whose answer never came (read
timeout) may have gone out: it raises :class:`AmbiguousSendError` and the delivery ends
"unknown" for a person to check in the gateway's log; it is never resent blindly.  A refused
connection sent nothing and is retried.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import certifi
import requests.utils
import urllib3
from django.conf import settings

from tocnet.line.client import ChannelError, SendResult

logger = logging.getLogger(__name__)

TIMEOUT: tuple[float, float] = (3, 10)

# GSM 03.38 basic set; the extension set costs two characters each.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")


def sms_encoding(text: str) -> str:
    """ "GSM-7" when every character fits the GSM alphabet, else "UCS-2" (any Thai)."""
    return "GSM-7" if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else "UCS-2"


def sms_length(text: str) -> int:
    """Characters as the network counts them (GSM extension characters count two)."""
    if sms_encoding(text) == "GSM-7":
        return sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """Credits per recipient: Thai 70 in one part, 67 per part above; Latin 160 / 153."""
    if not text:
        return 0
    length = sms_length(text)
    single, part = (160, 153) if sms_encoding(text) == "GSM-7" else (70, 67)
    if length <= single:
        return 1
    return -(-length // part)


def sms_single_limit(text: str) -> int:
    return 160 if sms_encoding(text) == "GSM-7" else 70


class AmbiguousSendError(ChannelError):
    """The provider may have sent it (no answer): record "unknown", never resend blindly."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str, reference: str) -> SendResult: ...


def _local_number(e164: str) -> str:
    """+66812345678 → 0812345678 (ThaiBulkSMS's msisdn)."""
    return "0" + e164[3:] if e164.startswith("+66") else e164


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class _Connections:
    """Keep-alive connections to the gateway, through urllib3 (as line-bot-sdk's are): half
    the CPU of a request through requests, which merges settings and scans every environment
    variable on each call. What requests read from the environment (a proxy for the host,
    NO_PROXY, REQUESTS_CA_BUNDLE) is read once per host here."""

    def __init__(self) -> None:
        self._pools: dict[str, urllib3.PoolManager] = {}

    def pool(self, url: str) -> urllib3.PoolManager:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._pools:
            proxies = requests.utils.get_environ_proxies(url)
            proxy = proxies.get(parts.scheme) or proxies.get("all")
            ca_certs = (
                os.environ.get("REQUESTS_CA_BUNDLE")
                or os.environ.get("CURL_CA_BUNDLE")
                or certifi.where()
            )
            self._pools[origin] = (
                urllib3.ProxyManager(proxy, ca_certs=ca_certs)
                if proxy
                else urllib3.PoolManager(ca_certs=ca_certs)
            )
        return self._pools[origin]

    def close(self) -> None:
        for pool in self._pools.values():
            pool.clear()


# A batch of SMS (an announcement's send) can share connections: reused_session().
_shared: ContextVar[_Connections | None] = ContextVar("tocnet_sms_connections", default=None)


@contextmanager
def reused_session() -> Iterator[None]:
    """Within this block the gateway calls of this thread share keep-alive connections."""
    if _shared.get() is not None:
        yield
        return
    connections = _Connections()
    token = _shared.set(connections)
    try:
        yield
    finally:
        _shared.reset(token)
        connections.close()


def _post(url: str, *, form: dict[str, str] | None = None, json_body: Any = None) -> _Response:
    """POST with the gateway's Basic auth; no retry here, no redirect followed."""
    credentials = f"{settings.SMS_API_KEY}:{settings.SMS_API_SECRET}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode("ascii")}
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    else:
        body = urlencode(form or {}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connections = _shared.get() or _Connections()
    try:
        response = connections.pool(url).request(
            "POST",
            url,
            body=body,
            headers=headers,
            timeout=urllib3.Timeout(connect=TIMEOUT[0], read=TIMEOUT[1]),
            retries=False,
            redirect=False,
        )
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise AmbiguousSendError(f"SMS: no answer within {TIMEOUT[1]} s") from exc
    except urllib3.exceptions.ConnectTimeoutError as exc:
        # Not connected (a timeout or a refusal: NewConnectionError is one): nothing was
        # sent, retry.
        raise ChannelError(f"SMS: {type(exc).__name__}", permanent=False) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        # Dropped while sending or waiting for the answer: it may have been sent.
        raise AmbiguousSendError(f"SMS: connection dropped ({type(exc).__name__})") from exc
    finally:
        if connections is not _shared.get():
            connections.close()
    return _Response(response.status, response.data)


def _check_status(response: _Response) -> None:
    if response.status < 300:
        return
    try:
        detail = response.json()
    except ValueError:
        detail = response.body[:200].decode("utf-8", "replace")
    message = f"SMS {response.status}: {detail}"
    if response.status >= 500 or response.status == 429:
        raise ChannelError(message, permanent=False, status=response.status)
    raise ChannelError(message, permanent=True, status=response.status)


class ThaiBulkSms:
    """ThaiBulkSMS API v2: ``POST /sms`` (form, Basic auth), one number per call."""

    default_base_url = "https://api-v2.thaibulksms.com"

    def send(self, *, to: str, text: str, reference: str) -> SendResult:
        base = (settings.SMS_API_BASE_URL or self.default_base_url).rstrip("/")
        response = _post(
            f"{base}/sms",
            form={
                "msisdn": _local_number(to),
                "message": text,
                "sender": settings.SMS_SENDER,
                "force": "standard",
            },
        )
        _check_status(response)
        body = response.json()
        bad = body.get("bad_phone_number_list") or []
        if bad:
            raise ChannelError(
                f"SMS: bad number ({bad[0].get('message', '')})", permanent=True, status=400
            )
        sent = body.get("phone_number_list") or [{}]
        return SendResult(request_id=str(sent[0].get("message_id") or ""))


class Ants:
    """ANTS SMS: ``POST /sms/send`` (JSON, Basic auth); our reference is the messageId."""

    default_base_url = "https://api-service.ants.co.th"

    def send(self, *, to: str, text: str, reference: str) -> SendResult:
        base = (settings.SMS_API_BASE_URL or self.default_base_url).rstrip("/")
        response = _post(
            f"{base}/sms/send",
            json_body={
                "messages": [
                    {
                        "from": settings.SMS_SENDER,
                        "destinations": [{"to": to.lstrip("+"), "messageId": reference}],
                        "text": text,
                    }
                ]
            },
        )
        _check_status(response)
        body = response.json()
        messages = body.get("messages") or [{}]
        status = (messages[0].get("status") or {}).get("name", "")
        if status.upper().startswith("REJECTED"):
            raise ChannelError(f"SMS: {status}", permanent=True, status=400)
        return SendResult(request_id=str(messages[0].get("messageId") or reference))


PROVIDERS: dict[str, type[ThaiBulkSms] | type[Ants]] = {
    "thaibulksms": ThaiBulkSms,
    "ants": Ants,
}


def is_configured() -> bool:
    return bool(settings.SMS_API_KEY and settings.SMS_PROVIDER in PROVIDERS)


def gateway() -> SmsGateway:
    if not is_configured():
        raise ChannelError("SMS is not configured (SMS_PROVIDER, SMS_API_KEY)", permanent=True)
    return PROVIDERS[settings.SMS_PROVIDER]()


def send_sms(*, to: str, text: str, reference: str) -> SendResult:
    """Send one SMS through the configured gateway."""
    return gateway().send(to=to, text=text, reference=reference)
