"""The one module for every outbound call to the LINE Platform.

Built on line-bot-sdk v3 (``linebot.v3.messaging``).  Settings are read on every call, so
``override_settings(LINE_API_BASE_URL=fake.url)`` points everything at a local fake.  Every
call has a timeout; failures become :class:`ChannelError` with ``permanent`` telling callers
whether a retry can help (5xx, rate-limit 429, timeouts and connection errors: retryable;
other 4xx: permanent).  A push answered 409 (retry key already accepted) is a success:
:func:`push_messages` returns ``SendResult(already_sent=True)``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from tocnet.core.jsontypes import JSONObject

# line-bot-sdk's generated modules take ~1 s to import: every command and the web server's
# start-up would pay for them. They are imported in the functions that call LINE.
if TYPE_CHECKING:
    from linebot.v3.messaging import ApiException, Configuration, MessagingApi
    from linebot.v3.messaging.models import Message

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.line.me"
TIMEOUT: tuple[float, float] = (3, 10)  # (connect, read) seconds
MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."


class ChannelError(Exception):
    """A LINE call failed; ``permanent`` says whether retrying the same request can help."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        details: Sequence[JSONObject] = (),
        quota_exhausted: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status = status
        self.details = list(details)
        self.quota_exhausted = quota_exhausted

    def __str__(self) -> str:
        prefix = f"LINE {self.status}: " if self.status else "LINE: "
        return prefix + self.message


class NotConfiguredError(ChannelError):
    def __init__(self) -> None:
        super().__init__("LINE is not configured", permanent=True)


@dataclass(frozen=True)
class GroupSummary:
    group_id: str
    name: str
    picture_url: str | None = None


@dataclass(frozen=True)
class Profile:
    user_id: str
    display_name: str


@dataclass(frozen=True)
class SendResult:
    request_id: str | None = None
    already_sent: bool = False
    message_ids: list[str] = field(default_factory=list)


def api_base_url() -> str:
    return (getattr(settings, "LINE_API_BASE_URL", "") or DEFAULT_API_BASE_URL).rstrip("/")


def official_account_id() -> str:
    """The official account's basic ID with its leading @ (LINE_OA_BASIC_ID), or ""."""
    basic_id = (getattr(settings, "LINE_OA_BASIC_ID", "") or "").strip()
    if basic_id and not basic_id.startswith("@"):
        basic_id = "@" + basic_id
    return basic_id


def official_account_add_url() -> str:
    """LINE's add-friend address for the official account (opens LINE on a phone)."""
    from urllib.parse import quote

    basic_id = official_account_id()
    return f"https://line.me/R/ti/p/{quote(basic_id)}" if basic_id else ""


def is_configured() -> bool:
    """True when the Messaging API channel secret and access token are both set."""
    return bool(
        getattr(settings, "LINE_CHANNEL_SECRET", "")
        and getattr(settings, "LINE_CHANNEL_ACCESS_TOKEN", "")
    )


def is_login_configured() -> bool:
    """True when LINE Login (web sign-in) has a channel id and secret."""
    return bool(
        getattr(settings, "LINE_LOGIN_CHANNEL_ID", "")
        and getattr(settings, "LINE_LOGIN_CHANNEL_SECRET", "")
    )


def _configuration() -> Configuration:
    import urllib3
    from linebot.v3.messaging import Configuration

    config = Configuration(host=api_base_url(), access_token=settings.LINE_CHANNEL_ACCESS_TOKEN)
    # Connection errors are safe to retry (nothing was sent); a read timeout is left to the
    # caller, who retries with the same X-Line-Retry-Key.
    config.retries = urllib3.Retry(total=2, connect=2, read=0, status=0, redirect=0)
    return config


def _error_from_api(exc: ApiException) -> ChannelError:
    status = int(exc.status or 0)
    message = str(exc.reason or "error")
    details: list[JSONObject] = []
    try:
        body = json.loads(exc.body or b"{}")
        message = body.get("message") or message
        details = body.get("details") or []
    except (ValueError, AttributeError):
        pass
    if status == 0:  # the SDK reports TLS failures as status 0
        return ChannelError(message, permanent=False)
    if status == 429:
        quota = message == MONTHLY_LIMIT_MESSAGE
        # A monthly-quota 429 does not clear by retrying; a rate-limit 429 does after a pause.
        return ChannelError(
            message, permanent=quota, status=status, details=details, quota_exhausted=quota
        )
    return ChannelError(message, permanent=status < 500, status=status, details=details)


# A batch of calls (an announcement's send) can share one HTTP connection: see reused_api().
_shared_api: ContextVar[MessagingApi | None] = ContextVar("tocnet_line_shared_api", default=None)


@contextmanager
def reused_api() -> Iterator[None]:
    """Within this block every LINE call of this thread shares one API client and its
    keep-alive connection (one TLS handshake for a whole batch, not one per message)."""
    if _shared_api.get() is not None or not is_configured():
        yield
        return
    from linebot.v3.messaging import ApiClient, MessagingApi

    with ApiClient(_configuration()) as api_client:
        token = _shared_api.set(MessagingApi(api_client))
        try:
            yield
        finally:
            _shared_api.reset(token)


@contextmanager
def _api() -> Iterator[MessagingApi]:
    import urllib3
    from linebot.v3.messaging import ApiClient, ApiException, MessagingApi

    if not is_configured():
        raise NotConfiguredError()
    try:
        shared = _shared_api.get()
        if shared is not None:
            yield shared
        else:
            with ApiClient(_configuration()) as api_client:
                yield MessagingApi(api_client)
    except ApiException as exc:
        raise _error_from_api(exc) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise ChannelError(f"{type(exc).__name__}: {exc}", permanent=False) from exc


def get_group_summary(group_id: str) -> GroupSummary:
    with _api() as api:
        data = api.get_group_summary(group_id, _request_timeout=TIMEOUT)
    return GroupSummary(group_id=data.group_id, name=data.group_name, picture_url=data.picture_url)


def get_group_member_count(group_id: str) -> int:
    """Members of the group, excluding the bot (includes non-friends and blockers)."""
    with _api() as api:
        return int(api.get_group_member_count(group_id, _request_timeout=TIMEOUT).count)


def get_profile(user_id: str) -> Profile:
    with _api() as api:
        data = api.get_profile(user_id, _request_timeout=TIMEOUT)
    return Profile(user_id=data.user_id, display_name=data.display_name)


def get_group_member_profile(group_id: str, user_id: str) -> Profile:
    with _api() as api:
        data = api.get_group_member_profile(group_id, user_id, _request_timeout=TIMEOUT)
    return Profile(user_id=data.user_id, display_name=data.display_name)


def leave_group(group_id: str) -> None:
    with _api() as api:
        api.leave_group(group_id, _request_timeout=TIMEOUT)


def _result(response: Any, *, already_sent: bool = False) -> SendResult:
    headers = response.headers or {}
    data = response.data
    ids = [m.id for m in (getattr(data, "sent_messages", None) or [])]
    return SendResult(
        request_id=headers.get("x-line-request-id") or headers.get("X-Line-Request-Id"),
        already_sent=already_sent,
        message_ids=ids,
    )


def reply_messages(*, reply_token: str, messages: Sequence[Message]) -> SendResult:
    """Answer an event with its (free, single-use) reply token."""
    from linebot.v3.messaging import ReplyMessageRequest

    with _api() as api:
        response = api.reply_message_with_http_info(
            ReplyMessageRequest(reply_token=reply_token, messages=list(messages)),
            _request_timeout=TIMEOUT,
        )
    return _result(response)


def reply_text(*, reply_token: str, texts: Sequence[str]) -> SendResult:
    from linebot.v3.messaging import TextMessage

    return reply_messages(
        reply_token=reply_token, messages=[TextMessage(text=text) for text in texts]
    )


def push_messages(*, to: str, messages: Sequence[Message], retry_key: str) -> SendResult:
    """Push to a user or group id; repeat with the same ``retry_key`` (saved before the first
    try) to retry safely.  A 409 for the key means LINE already accepted it: success."""
    from linebot.v3.messaging import PushMessageRequest

    try:
        with _api() as api:
            response = api.push_message_with_http_info(
                PushMessageRequest(to=to, messages=list(messages)),
                x_line_retry_key=retry_key,
                _request_timeout=TIMEOUT,
            )
    except ChannelError as exc:
        done = _already_sent(exc)
        if done is None:
            raise
        return done
    return _result(response)


def _already_sent(exc: ChannelError) -> SendResult | None:
    if exc.status != 409:
        return None
    headers = getattr(exc.__cause__, "headers", None) or {}
    return SendResult(request_id=headers.get("x-line-accepted-request-id"), already_sent=True)


def multicast_messages(
    *, to: Sequence[str], messages: Sequence[Message], retry_key: str
) -> SendResult:
    """Send the same messages to 1–500 LINE users (friends only; others are skipped by LINE).

    Repeat with the same ``to`` and ``retry_key`` to retry; a 409 means already accepted."""
    from linebot.v3.messaging import MulticastRequest

    try:
        with _api() as api:
            response = api.multicast_with_http_info(
                MulticastRequest(to=list(to), messages=list(messages)),
                x_line_retry_key=retry_key,
                _request_timeout=TIMEOUT,
            )
    except ChannelError as exc:
        done = _already_sent(exc)
        if done is None:
            raise
        return done
    return _result(response)


def broadcast_messages(*, messages: Sequence[Message], retry_key: str) -> SendResult:
    """Send to every friend of the official account (rate limit: 60 requests an hour)."""
    from linebot.v3.messaging import BroadcastRequest

    try:
        with _api() as api:
            response = api.broadcast_with_http_info(
                BroadcastRequest(messages=list(messages)),
                x_line_retry_key=retry_key,
                _request_timeout=TIMEOUT,
            )
    except ChannelError as exc:
        done = _already_sent(exc)
        if done is None:
            raise
        return done
    return _result(response)


@dataclass(frozen=True)
class Quota:
    limit: int | None  # None: no monthly limit
    used: int

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)


def get_quota() -> Quota:
    """This month's message target and (approximate) consumption: two GET calls."""
    with _api() as api:
        quota = api.get_message_quota(_request_timeout=TIMEOUT)
        used = api.get_message_quota_consumption(_request_timeout=TIMEOUT)
    limit = int(quota.value) if quota.type == "limited" and quota.value is not None else None
    return Quota(limit=limit, used=int(used.total_usage or 0))


def get_message_content(*, message_id: str, max_bytes: int) -> bytes:
    """The bytes of an image or file a user sent (LINE keeps them a short while); refuses
    (permanent ChannelError) content larger than ``max_bytes``."""
    import urllib3
    from linebot.v3.messaging import ApiClient, ApiException, MessagingApiBlob

    if not is_configured():
        raise NotConfiguredError()
    try:
        with ApiClient(_configuration()) as api_client:
            response = MessagingApiBlob(api_client).get_message_content_with_http_info(
                message_id, _request_timeout=TIMEOUT
            )
    except ApiException as exc:
        raise _error_from_api(exc) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise ChannelError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    data = bytes(response.data or b"")
    if len(data) > max_bytes:
        raise ChannelError(f"content larger than {max_bytes} bytes", permanent=True)
    return data


def push_text(*, to: str, texts: Sequence[str], retry_key: str) -> SendResult:
    from linebot.v3.messaging import TextMessage

    return push_messages(
        to=to, messages=[TextMessage(text=text) for text in texts], retry_key=retry_key
    )


def set_webhook_endpoint(url: str) -> None:
    from linebot.v3.messaging import SetWebhookEndpointRequest

    with _api() as api:
        api.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=url), _request_timeout=TIMEOUT)


def get_webhook_endpoint() -> str:
    with _api() as api:
        return str(api.get_webhook_endpoint(_request_timeout=TIMEOUT).endpoint)


# --- LINE Login (OAuth 2.0 / OpenID Connect); the SDK has no client for these endpoints ---


def login_exchange_code(*, code: str, redirect_uri: str) -> JSONObject:
    """Trade an authorization code for tokens (``id_token`` included with scope openid)."""
    import requests  # imported on use, like the SDK: most processes never sign anyone in

    if not is_login_configured():
        raise NotConfiguredError()
    try:
        response = requests.post(
            f"{api_base_url()}/oauth2/v2.1/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": settings.LINE_LOGIN_CHANNEL_ID,
                "client_secret": settings.LINE_LOGIN_CHANNEL_SECRET,
            },
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise ChannelError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200:
        message = body.get("error_description") or body.get("error") or response.reason
        raise ChannelError(
            str(message), permanent=response.status_code < 500, status=response.status_code
        )
    return dict(body)
