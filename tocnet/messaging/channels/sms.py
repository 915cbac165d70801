"""SMS through a Thai gateway: one interface, an adapter per provider (setting SMS_PROVIDER).

No Thai gateway documents an idempotency key, so a send whose answer never came (read
timeout) may have gone out: it raises :class:`AmbiguousSendError` and the delivery ends
"unknown" for a person to check in the gateway's log; it is never resent blindly.  A refused
connection sent nothing and is retried.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
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


class _Session(requests.Session):
    """A keep-alive session that reads the environment (proxies, CA bundle) once per host
    rather than on every request: requests scans every environment variable twice a call
    otherwise, about a quarter of the CPU of an SMS request to a nearby gateway."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self._environment: dict[str, dict[str, Any]] = {}

    def environment(self, url: str) -> dict[str, Any]:
        """What requests would read from the environment for ``url``: proxies, verify, cert."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._environment:
            with requests.Session() as reader:  # trust_env: it reads the environment
                self._environment[origin] = reader.merge_environment_settings(
                    url, {}, None, None, None
                )
        return self._environment[origin]


# A batch of SMS (an announcement's send) can share one keep-alive session: reused_session().
_shared_session: ContextVar[_Session | None] = ContextVar("tocnet_sms_shared_session", default=None)


@contextmanager
def reused_session() -> Iterator[None]:
    """Within this block the gateway calls of this thread share one HTTP session."""
    if _shared_session.get() is not None:
        yield
        return
    with _Session() as session:
        token = _shared_session.set(session)
        try:
            yield
        finally:
            _shared_session.reset(token)


def _post(url: str, **kwargs: Any) -> requests.Response:
    session = _shared_session.get()
    if session is not None:
        kwargs.update(session.environment(url))
    try:
        return (session or requests).post(
            url,
            auth=(settings.SMS_API_KEY, settings.SMS_API_SECRET),
            timeout=TIMEOUT,
            **kwargs,
        )
    except requests.ConnectTimeout as exc:
        raise ChannelError(f"SMS: {type(exc).__name__}", permanent=False) from exc
    except requests.ReadTimeout as exc:
        raise AmbiguousSendError(f"SMS: no answer within {TIMEOUT[1]} s") from exc
    except requests.ConnectionError as exc:
        # Refused before the request went out: nothing was sent, retry.  Dropped while
        # waiting for the answer: it may have been sent.
        if "NewConnectionError" in repr(exc) or "Connection refused" in str(exc):
            raise ChannelError(f"SMS: {type(exc).__name__}", permanent=False) from exc
        raise AmbiguousSendError(f"SMS: connection dropped ({type(exc).__name__})") from exc


def _check_status(response: requests.Response) -> None:
    if response.status_code < 300:
        return
    try:
        detail = response.json()
    except ValueError:
        detail = response.text[:200]
    message = f"SMS {response.status_code}: {detail}"
    if response.status_code >= 500 or response.status_code == 429:
        raise ChannelError(message, permanent=False, status=response.status_code)
    raise ChannelError(message, permanent=True, status=response.status_code)


class ThaiBulkSms:
    """ThaiBulkSMS API v2: ``POST /sms`` (form, Basic auth), one number per call."""

    default_base_url = "https://api-v2.thaibulksms.com"

    def send(self, *, to: str, text: str, reference: str) -> SendResult:
        base = (settings.SMS_API_BASE_URL or self.default_base_url).rstrip("/")
        response = _post(
            f"{base}/sms",
            data={
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
            json={
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
