"""A small fake of the LINE Platform API for tests and the demo.

Implements the Messaging API endpoints TOC-Net uses (group summary, member count, member
profile, profile, reply, push with ``X-Line-Retry-Key``, leave group, webhook endpoint) and
the LINE Login v2.1 token/verify endpoints plus a click-through authorize page, with LINE's
error bodies (``{"message": ..., "details": [...]}``).  State is plain Python, settable from
tests or over a small ``/_fake/...`` control API (used by ``tocnet line_simulate``).

Standalone: ``python -m tocnet.testing.fakes.line_server --port 8090``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tocnet.core.jsontypes import JSONObject
from tocnet.testing.fakes.base import FakeServer, QuietHandler

LOGIN_ISSUER = "https://access.line.me"


@dataclass
class FakeGroup:
    group_id: str
    name: str
    count: int = 0
    picture_url: str | None = None
    members: dict[str, str] = field(default_factory=dict)  # userId -> displayName


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    status: int = 0

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class ScriptedFailure:
    """``status`` 0 is a timeout: ``hang_before`` never handles the request, else it is
    handled (and counted) and the answer never comes (a read timeout after acceptance)."""

    status: int
    message: str
    path_prefix: str
    hang_before: bool = False


@dataclass
class Accepted:
    """A message request LINE accepted: who it reached and how many messages it cost."""

    path: str
    to: list[str]
    retry_key: str | None
    messages: list[JSONObject]
    cost: int


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_hs256_jwt(payload: JSONObject, secret: str) -> str:
    """Encode ``payload`` as an HS256 JWT (LINE Login web ID tokens use the channel secret)."""
    header = b64url(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    signing_input = f"{header}.{body}".encode()
    signature = hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(signature)}"


class FakeLineServer(FakeServer):
    """Threaded fake LINE API on 127.0.0.1; ``with FakeLineServer() as fake: fake.url``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        access_token: str | None = None,
        login_channel_id: str | None = None,
        login_channel_secret: str | None = None,
    ) -> None:
        self.access_token = access_token
        self.login_channel_id = login_channel_id
        self.login_channel_secret = login_channel_secret
        self.lock = threading.RLock()
        self.groups: dict[str, FakeGroup] = {}
        self.profiles: dict[str, str] = {}  # userId -> displayName (friends of the OA)
        self.requests: list[RecordedRequest] = []
        self.failures: list[ScriptedFailure] = []
        self.retry_keys: dict[str, tuple[str, list[dict[str, str]]]] = {}
        self.used_reply_tokens: set[str] = set()
        # Reply tokens the tests/simulator announced: token -> monotonic time of the event.
        # Announced tokens expire after reply_token_ttl seconds, as LINE's do (about 1 min);
        # tokens never announced stay valid until used (older tests build events alone).
        self.issued_reply_tokens: dict[str, float] = {}
        self.reply_token_ttl = 60.0
        self.contents: dict[str, tuple[bytes, str]] = {}  # message id -> (bytes, content type)
        self.login_codes: dict[str, JSONObject] = {}
        self.webhook_endpoint = ""
        self.delay_seconds = 0.0
        self.hang_seconds = 1.0  # how long a scripted timeout keeps the client waiting
        self.quota_limit: int | None = None  # None: no monthly limit
        self.quota_used = 0
        self.accepted: list[Accepted] = []
        # Message requests (/v2/bot/message/...) being handled now, and the most at once.
        self.messages_in_flight = 0
        self.messages_in_flight_peak = 0
        # LIFF stand-in: who is "signed in to LINE" on the LIFF page, and what pages shared.
        self.liff_user: str | None = None
        self.liff_shares: list[JSONObject] = []
        self.liff_context = "utou"  # what liff.getContext().type says: utou, group, none
        self.liff_share_cancel = False  # the user closes the share target picker
        # LIFF apps: LIFF ID -> endpoint URL, for the stand-in LIFF URLs /liff/app/<id>/<path>.
        self.liff_endpoints: dict[str, str] = {}
        super().__init__(host=host, port=port, handler=_Handler)

    # --- state for tests -----------------------------------------------------------------
    def add_group(
        self, group_id: str, name: str, *, count: int = 0, members: dict[str, str] | None = None
    ) -> FakeGroup:
        with self.lock:
            group = FakeGroup(group_id=group_id, name=name, count=count, members=members or {})
            self.groups[group_id] = group
            return group

    def rename_group(self, group_id: str, name: str) -> None:
        with self.lock:
            self.groups[group_id].name = name

    def set_member_count(self, group_id: str, count: int) -> None:
        with self.lock:
            self.groups[group_id].count = count

    def add_liff_app(self, liff_id: str, endpoint_url: str) -> None:
        """Register a LIFF app: ``{url}/liff/app/<liff_id>/<path>`` then behaves like LINE's
        ``https://liff.line.me/<liff_id>/<path>`` (to the endpoint with ``liff.state``)."""
        with self.lock:
            self.liff_endpoints[liff_id] = endpoint_url

    def add_profile(self, user_id: str, display_name: str) -> None:
        with self.lock:
            self.profiles[user_id] = display_name

    def fail_next(
        self, count: int = 1, *, status: int = 500, message: str = "", path_prefix: str = "/"
    ) -> None:
        """Make the next ``count`` API calls under ``path_prefix`` answer ``status``."""
        message = message or _DEFAULT_MESSAGES.get(status, "An error occurred")
        with self.lock:
            self.failures.extend(
                ScriptedFailure(status, message, path_prefix) for _ in range(count)
            )

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        with self.lock:
            return [
                r
                for r in self.requests
                if (r.path == path or (path.endswith("*") and r.path.startswith(path[:-1])))
                and (method is None or r.method == method)
            ]

    def replies(self) -> list[JSONObject]:
        """Bodies of successful reply calls, oldest first."""
        return [r.json for r in self.requests_to("/v2/bot/message/reply") if r.status == 200]

    def fail_timeout(self, count: int = 1, *, path_prefix: str = "/", after: bool = True) -> None:
        """Make the next ``count`` calls under ``path_prefix`` time out: ``after`` accepts the
        request first (the client never hears it was sent), else nothing is accepted."""
        with self.lock:
            self.failures.extend(
                ScriptedFailure(0, "timeout", path_prefix, hang_before=not after)
                for _ in range(count)
            )

    def deliveries_by_recipient(self) -> dict[str, int]:
        """How many accepted requests reached each user or group id (duplicates show as > 1)."""
        counts: dict[str, int] = {}
        with self.lock:
            for item in self.accepted:
                for to in item.to:
                    counts[to] = counts.get(to, 0) + 1
        return counts

    @property
    def messages_counted(self) -> int:
        with self.lock:
            return sum(item.cost for item in self.accepted)

    def mint_id_token(self, *, user_id: str, channel_id: str, ttl: int = 3600) -> str:
        """An ID token as LIFF's getIDToken() returns, verifiable at /oauth2/v2.1/verify."""
        now = int(time.time())
        claims = {
            "iss": LOGIN_ISSUER,
            "sub": user_id,
            "aud": channel_id,
            "exp": now + ttl,
            "iat": now,
            "amr": ["linesso"],
            "name": self.profiles.get(user_id, ""),
        }
        return make_hs256_jwt(claims, self._id_token_key())

    def _id_token_key(self) -> str:
        return "fake-liff-key:" + (self.login_channel_secret or "")

    def pushes(self) -> list[JSONObject]:
        return [r.json for r in self.requests_to("/v2/bot/message/push") if r.status == 200]

    def issue_login_code(
        self, *, user_id: str, nonce: str, client_id: str, redirect_uri: str
    ) -> str:
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.login_codes[code] = {
                "user_id": user_id,
                "nonce": nonce,
                "client_id": client_id,
                "redirect_uri": redirect_uri,
            }
        return code

    def issue_reply_token(self, token: str, *, age: float = 0.0) -> None:
        """Announce the reply token of an event sent ``age`` seconds ago (expiry applies)."""
        with self.lock:
            self.issued_reply_tokens[token] = time.monotonic() - age

    def add_content(self, message_id: str, data: bytes, content_type: str = "image/jpeg") -> None:
        """What GET /v2/bot/message/{id}/content returns for an image or file message."""
        with self.lock:
            self.contents[message_id] = (data, content_type)

    def reset(self) -> None:
        with self.lock:
            self.issued_reply_tokens.clear()
            self.contents.clear()
            self.reply_token_ttl = 60.0
            self.groups.clear()
            self.profiles.clear()
            self.requests.clear()
            self.failures.clear()
            self.retry_keys.clear()
            self.used_reply_tokens.clear()
            self.login_codes.clear()
            self.delay_seconds = 0.0
            self.quota_limit = None
            self.quota_used = 0
            self.accepted.clear()
            self.messages_in_flight = 0
            self.messages_in_flight_peak = 0
            self.liff_user = None
            self.liff_shares.clear()

    def take_failure(self, path: str) -> ScriptedFailure | None:
        with self.lock:
            for i, failure in enumerate(self.failures):
                if path.startswith(failure.path_prefix):
                    return self.failures.pop(i)
        return None


_DEFAULT_MESSAGES = {
    400: "The request body has 1 error(s)",
    401: "Authentication failed due to the following reason: invalid token.",
    403: "Access to this API is not available for your account",
    404: "Not found",
    429: "The API rate limit has been exceeded. Try again later.",
    500: "An error occurred in the API server",
}

_GROUP_RE = re.compile(r"^/v2/bot/group/([^/]+)/(summary|members/count|leave|member/([^/]+))$")
_PROFILE_RE = re.compile(r"^/v2/bot/profile/([^/]+)$")
_CONTENT_RE = re.compile(r"^/v2/bot/message/([^/]+)/content$")


class _Handler(QuietHandler):
    fake: FakeLineServer

    # --- plumbing ------------------------------------------------------------------------
    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        body = self.read_body()
        record = RecordedRequest(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        self.record = record
        if split.path.startswith("/_fake/"):
            self._control(record)
            return
        if split.path.startswith("/liff/"):
            self._liff(record)
            return
        with self.fake.lock:
            self.fake.requests.append(record)
        if not split.path.startswith("/v2/bot/message/"):
            self._handle(record, split.path)
            return
        with self.fake.lock:
            self.fake.messages_in_flight += 1
            self.fake.messages_in_flight_peak = max(
                self.fake.messages_in_flight_peak, self.fake.messages_in_flight
            )
        try:
            self._handle(record, split.path)
        finally:
            with self.fake.lock:
                self.fake.messages_in_flight -= 1

    def _handle(self, record: RecordedRequest, path: str) -> None:
        if self.fake.delay_seconds:
            time.sleep(self.fake.delay_seconds)
        failure = self.fake.take_failure(path)
        if failure and failure.status == 0:
            if not failure.hang_before:
                self._muted = True  # handle (and count) the request, answer nothing
                self._route(record)
            time.sleep(self.fake.hang_seconds)
            self.close_connection = True
            return
        if failure:
            self._error(failure.status, failure.message)
            return
        self._route(record)

    def _route(self, record: RecordedRequest) -> None:
        if record.path.startswith("/oauth2/"):
            self._login(record)
            return
        if not self._authorised(record):
            self._error(401, _DEFAULT_MESSAGES[401])
            return
        self._messaging(record)

    do_GET = do_POST = do_PUT = do_DELETE = _dispatch

    _muted = False

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        if self._muted:
            self.record.status = status
            return
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.record.status = status
        ctype = "text/html; charset=utf-8" if isinstance(payload, bytes) else "application/json"
        self.write_answer(
            status, data, ctype, {"X-Line-Request-Id": str(uuid.uuid4()), **(headers or {})}
        )

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.record.status = status
        self.write_answer(status, data, content_type)

    def _error(
        self, status: int, message: str, details: list[dict[str, str]] | None = None, **extra: Any
    ) -> None:
        payload: JSONObject = {"message": message}
        if details:
            payload["details"] = details
        payload.update(extra)
        self._send(status, payload)

    def _authorised(self, record: RecordedRequest) -> bool:
        auth = record.header("authorization") or ""
        if not auth.startswith("Bearer ") or not auth[7:]:
            return False
        return self.fake.access_token is None or auth[7:] == self.fake.access_token

    # --- Messaging API -------------------------------------------------------------------
    def _messaging(self, record: RecordedRequest) -> None:
        fake, path, method = self.fake, record.path, record.method
        if record.header("x-line-retry-key") and path not in (
            "/v2/bot/message/push",
            "/v2/bot/message/multicast",
        ):
            self._error(400, "The retry key cannot be used for this API")
            return
        match = _GROUP_RE.match(path)
        if match:
            group_id, action, member_id = match.groups()
            with fake.lock:
                group = fake.groups.get(group_id)
            if group is None:
                self._error(404, "Not found")
            elif action == "summary" and method == "GET":
                summary = {"groupId": group.group_id, "groupName": group.name}
                if group.picture_url:
                    summary["pictureUrl"] = group.picture_url
                self._send(200, summary)
            elif action == "members/count" and method == "GET":
                self._send(200, {"count": group.count})
            elif action == "leave" and method == "POST":
                with fake.lock:
                    fake.groups.pop(group_id, None)
                self._send(200, {})
            elif member_id and method == "GET":
                name = group.members.get(member_id) or fake.profiles.get(member_id)
                if name is None:
                    self._error(404, "Not found")
                else:
                    self._send(200, {"userId": member_id, "displayName": name})
            else:
                self._error(405, "Method not allowed")
            return
        match = _PROFILE_RE.match(path)
        if match and method == "GET":
            user_id = match.group(1)
            name = fake.profiles.get(user_id)
            if name is None:
                self._error(404, "Not found")
            else:
                self._send(200, {"userId": user_id, "displayName": name, "language": "th"})
            return
        if path == "/v2/bot/message/reply" and method == "POST":
            self._reply(record)
            return
        match = _CONTENT_RE.match(path)
        if match and method == "GET":
            with fake.lock:
                content = fake.contents.get(match.group(1))
            if content is None:
                self._error(404, "Not found")
            else:
                self._send_bytes(200, *content)
            return
        if path == "/v2/bot/message/push" and method == "POST":
            self._push(record)
            return
        if path == "/v2/bot/message/multicast" and method == "POST":
            self._multicast(record)
            return
        if path == "/v2/bot/message/broadcast" and method == "POST":
            self._broadcast(record)
            return
        if path == "/v2/bot/message/quota" and method == "GET":
            limit = fake.quota_limit
            self._send(
                200, {"type": "none"} if limit is None else {"type": "limited", "value": limit}
            )
            return
        if path == "/v2/bot/message/quota/consumption" and method == "GET":
            with fake.lock:
                used = fake.quota_used + sum(item.cost for item in fake.accepted)
            self._send(200, {"totalUsage": used})
            return
        if path == "/v2/bot/channel/webhook/endpoint":
            if method == "PUT":
                endpoint = (record.json or {}).get("endpoint", "")
                if not str(endpoint).startswith("https://"):
                    self._error(
                        400,
                        "The request body has 1 error(s)",
                        [{"message": "must be a valid HTTPS URL", "property": "endpoint"}],
                    )
                    return
                fake.webhook_endpoint = endpoint
                self._send(200, {})
                return
            self._send(
                200, {"endpoint": fake.webhook_endpoint, "active": bool(fake.webhook_endpoint)}
            )
            return
        self._error(404, "Not found")

    def _messages_errors(self, payload: Any) -> list[dict[str, str]]:
        messages = payload.get("messages") if isinstance(payload, dict) else None
        if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
            return [{"message": "Size must be between 1 and 5", "property": "messages"}]
        errors = []
        for i, message in enumerate(messages):
            text = message.get("text", "") if isinstance(message, dict) else ""
            if len(text.encode("utf-16-le")) // 2 > 5000:
                errors.append(
                    {
                        "message": "Length must be between 0 and 5000",
                        "property": f"messages[{i}].text",
                    }
                )
        return errors

    def _sent(self, payload: JSONObject) -> list[dict[str, str]]:
        return [
            {"id": str(secrets.randbelow(10**18)), "quoteToken": secrets.token_urlsafe(12)}
            for _ in payload["messages"]
        ]

    def _reply(self, record: RecordedRequest) -> None:
        payload = record.json
        errors = self._messages_errors(payload)
        if errors:
            self._error(400, "The request body has 1 error(s)", errors)
            return
        token = payload.get("replyToken") or ""
        with self.fake.lock:
            issued = self.fake.issued_reply_tokens.get(token)
            expired = issued is not None and time.monotonic() - issued > self.fake.reply_token_ttl
            if not token or token in self.fake.used_reply_tokens or expired:
                self._error(400, "Invalid reply token")
                return
            self.fake.used_reply_tokens.add(token)
        self._send(200, {"sentMessages": self._sent(payload)})

    def _push(self, record: RecordedRequest) -> None:
        payload = record.json
        errors = self._messages_errors(payload)
        if errors:
            self._error(400, "The request body has 1 error(s)", errors)
            return
        to = str(payload.get("to") or "")
        with self.fake.lock:
            known = (to.startswith("C") and to in self.fake.groups) or (
                to.startswith("U") and len(to) > 1
            )
        if not known:
            self._error(400, "Failed to send messages")
            return
        with self.fake.lock:
            cost = self.fake.groups[to].count if to.startswith("C") else 1
        self._accept(record, payload, to=[to], cost=cost, answer_sent=True)

    def _multicast(self, record: RecordedRequest) -> None:
        payload = record.json
        errors = self._messages_errors(payload)
        to = payload.get("to") if isinstance(payload, dict) else None
        if not isinstance(to, list) or not 1 <= len(to) <= 500:
            errors.append({"message": "Size must be between 1 and 500", "property": "to"})
        elif not all(isinstance(u, str) and u.startswith("U") for u in to):
            errors.append({"message": "Invalid user ID", "property": "to"})
        if errors or not isinstance(to, list):
            self._error(400, "The request body has 1 error(s)", errors)
            return
        self._accept(record, payload, to=list(to), cost=len(to), answer_sent=False)

    def _broadcast(self, record: RecordedRequest) -> None:
        payload = record.json
        errors = self._messages_errors(payload)
        if errors:
            self._error(400, "The request body has 1 error(s)", errors)
            return
        with self.fake.lock:
            friends = list(self.fake.profiles)
        self._accept(record, payload, to=friends, cost=len(friends), answer_sent=False)

    def _accept(
        self,
        record: RecordedRequest,
        payload: JSONObject,
        *,
        to: list[str],
        cost: int,
        answer_sent: bool,
    ) -> None:
        """Accept once per retry key (a repeat answers 409 and costs nothing), within quota."""
        fake = self.fake
        key = record.header("x-line-retry-key")
        with fake.lock:
            if key and key in fake.retry_keys:
                accepted_id, sent = fake.retry_keys[key]
                body: JSONObject = {"message": "The retry key is already accepted"}
                if answer_sent:
                    body["sentMessages"] = sent
                self._send(409, body, {"X-Line-Accepted-Request-Id": accepted_id})
                return
            used = fake.quota_used + sum(item.cost for item in fake.accepted)
            if fake.quota_limit is not None and used + cost > fake.quota_limit:
                self._error(429, "You have reached your monthly limit.")
                return
            sent = self._sent(payload)
            if key:
                fake.retry_keys[key] = (str(uuid.uuid4()), sent)
            fake.accepted.append(
                Accepted(
                    path=record.path,
                    to=to,
                    retry_key=key,
                    messages=payload["messages"],
                    cost=cost,
                )
            )
        self._send(200, {"sentMessages": sent} if answer_sent else {})

    # --- LINE Login ----------------------------------------------------------------------
    def _login(self, record: RecordedRequest) -> None:
        fake = self.fake
        if record.path == "/oauth2/v2.1/authorize" and record.method == "GET":
            self._authorize_page(record)
            return
        if record.path == "/oauth2/v2.1/authorize/consent" and record.method == "GET":
            q = {k: v[0] for k, v in record.query.items()}
            code = fake.issue_login_code(
                user_id=q.get("user_id", ""),
                nonce=q.get("nonce", ""),
                client_id=q.get("client_id", ""),
                redirect_uri=q.get("redirect_uri", ""),
            )
            target = (
                q.get("redirect_uri", "")
                + "?"
                + urlencode({"code": code, "state": q.get("state", "")})
            )
            self.record.status = 302
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if record.path == "/oauth2/v2.1/verify" and record.method == "POST":
            self._verify_id_token(record.form)
            return
        if record.path == "/oauth2/v2.1/token" and record.method == "POST":
            form = record.form
            with fake.lock:
                grant = fake.login_codes.pop(form.get("code", ""), None)
            if form.get("grant_type") != "authorization_code":
                self._send(
                    400, {"error": "unsupported_grant_type", "error_description": "grant_type"}
                )
                return
            secret_ok = (
                fake.login_channel_secret is None
                or form.get("client_secret") == fake.login_channel_secret
            )
            if not secret_ok or (
                fake.login_channel_id and form.get("client_id") != fake.login_channel_id
            ):
                self._send(400, {"error": "invalid_client", "error_description": "invalid client"})
                return
            if (
                grant is None
                or grant["client_id"] != form.get("client_id")
                or grant["redirect_uri"] != form.get("redirect_uri")
            ):
                self._send(
                    400,
                    {"error": "invalid_grant", "error_description": "invalid authorization code"},
                )
                return
            now = int(time.time())
            claims = {
                "iss": LOGIN_ISSUER,
                "sub": grant["user_id"],
                "aud": form["client_id"],
                "exp": now + 3600,
                "iat": now,
                "amr": ["linesso"],
                "name": fake.profiles.get(grant["user_id"], ""),
            }
            if grant["nonce"]:
                claims["nonce"] = grant["nonce"]
            self._send(
                200,
                {
                    "access_token": secrets.token_urlsafe(24),
                    "expires_in": 2592000,
                    "id_token": make_hs256_jwt(claims, form.get("client_secret", "")),
                    "refresh_token": secrets.token_urlsafe(16),
                    "scope": "openid profile",
                    "token_type": "Bearer",
                },
            )
            return
        self._send(404, {"error": "not_found", "error_description": "Not found"})

    def _verify_id_token(self, form: dict[str, str]) -> None:
        """LINE's ID-token verify endpoint: signature, audience (client_id) and expiry."""
        token, client_id = form.get("id_token", ""), form.get("client_id", "")
        refused = {"error": "invalid_request", "error_description": "Invalid IdToken."}
        try:
            header, body, signature = token.split(".")
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            self._send(400, refused)
            return
        keys = [self.fake._id_token_key()]
        if self.fake.login_channel_secret:
            keys.append(self.fake.login_channel_secret)
        signing_input = f"{header}.{body}".encode()
        genuine = any(
            hmac.compare_digest(
                b64url(hmac.new(key.encode(), signing_input, hashlib.sha256).digest()), signature
            )
            for key in keys
        )
        if not genuine:
            self._send(400, refused)
        elif claims.get("aud") != client_id:
            self._send(
                400, {"error": "invalid_request", "error_description": "Invalid IdToken Audience."}
            )
        elif int(claims.get("exp", 0)) < time.time():
            self._send(400, {"error": "invalid_request", "error_description": "IdToken expired."})
        elif form.get("nonce") and claims.get("nonce") != form["nonce"]:
            self._send(
                400, {"error": "invalid_request", "error_description": "Invalid IdToken Nonce."}
            )
        else:
            self._send(200, claims)

    # --- LIFF stand-in -------------------------------------------------------------------
    def _liff(self, record: RecordedRequest) -> None:
        """A stand-in for LINE's LIFF SDK: ``/liff/sdk.js`` defines ``window.liff``; the page's
        identity is the fake's ``liff_user``; shares and sends are recorded, not delivered."""
        fake = self.fake
        with fake.lock:
            fake.requests.append(record)
        if record.path.startswith("/liff/app/") and record.method == "GET":
            self._liff_url(record)
            return
        if record.path == "/liff/sdk.js":
            host = self.headers.get("Host") or "127.0.0.1"
            script = LIFF_SDK_JS.replace("__BASE__", f"http://{host}")
            self._send_cors(200, script.encode(), "application/javascript; charset=utf-8")
            return
        if record.path == "/liff/session" and record.method == "GET":
            liff_id = (record.query.get("liffId") or [""])[0]
            with fake.lock:
                user = fake.liff_user
                context = fake.liff_context
            payload: JSONObject = {"userId": user, "contextType": context}
            if user:
                payload["idToken"] = fake.mint_id_token(
                    user_id=user, channel_id=liff_id.split("-", 1)[0]
                )
                payload["displayName"] = fake.profiles.get(user, "")
            self._send_cors(200, json.dumps(payload).encode(), "application/json")
            return
        if record.path == "/liff/share" and record.method == "POST":
            try:
                shared = json.loads(record.body or b"{}")
            except ValueError:
                shared = {}
            with fake.lock:
                cancel = fake.liff_share_cancel
                if not cancel:
                    fake.liff_shares.append(shared)
            self._send_cors(200, json.dumps({"cancelled": cancel}).encode(), "application/json")
            return
        self._send_cors(404, b'{"message": "Not found"}', "application/json")

    def _liff_url(self, record: RecordedRequest) -> None:
        """LINE's LIFF URL server: what follows the LIFF ID (path and query) goes to the app's
        endpoint URL as ``liff.state`` (the "primary redirect", "Concatenate" mode)."""
        liff_id, _, rest = record.path[len("/liff/app/") :].partition("/")
        with self.fake.lock:
            endpoint = self.fake.liff_endpoints.get(liff_id)
        if not endpoint:
            self._send_cors(404, b'{"message": "LIFF app not found"}', "application/json")
            return
        state = "/" + rest if rest else ""
        if record.query:
            state = (state or "/") + "?" + urlencode(record.query, doseq=True)
        location = endpoint
        if state:
            joiner = "&" if "?" in endpoint else "?"
            location = f"{endpoint}{joiner}{urlencode({'liff.state': state})}"
        self.record.status = 302
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_cors(self, status: int, data: bytes, content_type: str) -> None:
        self.record.status = status
        self.write_answer(
            status,
            data,
            content_type,
            {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"},
        )

    def _authorize_page(self, record: RecordedRequest) -> None:
        q = {k: v[0] for k, v in record.query.items()}
        with self.fake.lock:
            people = sorted(self.fake.profiles.items(), key=lambda item: item[1])
        links = "".join(
            f'<li><a href="/oauth2/v2.1/authorize/consent?{html.escape(urlencode({**q, "user_id": uid}))}">'
            f"{html.escape(name)} ({html.escape(uid)})</a></li>"
            for uid, name in people
        )
        page = (
            "<!doctype html><meta charset=utf-8><title>Fake LINE Login</title>"
            "<h1>Fake LINE Login</h1><p>Sign in as:</p><ul>"
            f"{links or '<li>No LINE users yet: run tocnet line_simulate follow</li>'}</ul>"
        )
        self._send(200, page.encode())

    # --- control API (demo and line_simulate) ---------------------------------------------
    def _control(self, record: RecordedRequest) -> None:
        fake, parts = self.fake, record.path.strip("/").split("/")
        payload = record.json if record.body else {}
        if parts[1:2] == ["groups"] and len(parts) == 3 and record.method == "PUT":
            with fake.lock:  # fields left out keep their value
                existing = fake.groups.get(parts[2])
                if existing is None:
                    existing = fake.add_group(parts[2], "")
                if "groupName" in payload:
                    existing.name = str(payload["groupName"])
                if payload.get("count") is not None:
                    existing.count = int(payload["count"])
                existing.members.update(payload.get("members", {}))
                group = existing
            self._send(200, {"groupId": group.group_id})
        elif parts[1:2] == ["groups"] and len(parts) == 3 and record.method == "DELETE":
            with fake.lock:
                fake.groups.pop(parts[2], None)
            self._send(200, {})
        elif parts[1:2] == ["profiles"] and len(parts) == 3 and record.method == "PUT":
            fake.add_profile(parts[2], payload.get("displayName", parts[2]))
            self._send(200, {})
        elif parts[1:2] == ["reply-tokens"] and record.method == "POST":
            fake.issue_reply_token(str(payload.get("token", "")), age=float(payload.get("age", 0)))
            self._send(200, {})
        elif parts[1:2] == ["fail"] and record.method == "POST":
            fake.fail_next(
                int(payload.get("count", 1)),
                status=int(payload.get("status", 500)),
                path_prefix=payload.get("pathPrefix", "/"),
            )
            self._send(200, {})
        elif parts[1:2] == ["liff"] and record.method == "PUT":
            if payload.get("liffId") and payload.get("endpoint"):
                fake.add_liff_app(str(payload["liffId"]), str(payload["endpoint"]))
            with fake.lock:
                if "userId" in payload:
                    fake.liff_user = payload["userId"] or None
                fake.liff_context = payload.get("contextType", fake.liff_context)
                fake.liff_share_cancel = bool(payload.get("shareCancel", False))
            self._send(200, {})
        elif parts[1:2] == ["liff"] and record.method == "GET":
            with fake.lock:
                self._send(200, {"userId": fake.liff_user, "shares": list(fake.liff_shares)})
        elif parts[1:2] == ["quota"] and record.method == "PUT":
            with fake.lock:
                fake.quota_limit = payload.get("limit")
                fake.quota_used = int(payload.get("used", fake.quota_used))
            self._send(200, {})
        elif parts[1:2] == ["accepted"] and record.method == "GET":
            with fake.lock:
                rows = [
                    {"path": a.path, "to": a.to, "retryKey": a.retry_key, "cost": a.cost}
                    for a in fake.accepted
                ]
            self._send(200, rows)
        elif parts[1:2] == ["requests"] and record.method == "GET":
            with fake.lock:
                rows = [
                    {
                        "method": r.method,
                        "path": r.path,
                        "status": r.status,
                        "body": r.body.decode(errors="replace"),
                    }
                    for r in fake.requests
                ]
            self._send(200, rows)
        elif parts[1:2] == ["state"] and record.method == "GET":
            with fake.lock:
                state = {
                    "groups": {
                        g.group_id: {"groupName": g.name, "count": g.count}
                        for g in fake.groups.values()
                    },
                    "profiles": dict(fake.profiles),
                }
            self._send(200, state)
        else:
            self._send(404, {"message": "Not found"})


LIFF_SDK_JS = r"""/* Stand-in for LINE's LIFF SDK, served by TOC-Net's fake LINE server (tests, demo). */
(function () {
  "use strict";
  var base = "__BASE__";
  var state = { liffId: null, userId: null, idToken: null, name: "", context: "none" };
  function call(method, path, body) {
    return fetch(base + path, {
      method: method,
      headers: { "Content-Type": "text/plain" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }
  function record(kind, messages) {
    return call("POST", "/liff/share", {
      kind: kind, liffId: state.liffId, userId: state.userId, context: state.context,
      page: window.location.href, messages: messages
    });
  }
  window.liff = {
    id: null,
    init: function (config) {
      state.liffId = config && config.liffId;
      window.liff.id = state.liffId;
      return call("GET", "/liff/session?liffId=" + encodeURIComponent(state.liffId || ""))
        .then(function (d) {
          state.userId = d.userId; state.idToken = d.idToken || null;
          state.name = d.displayName || ""; state.context = d.contextType || "none";
          // Opened at the endpoint URL through a LIFF URL: open the page liff.state names
          // below the endpoint (LINE's "secondary redirect", "Concatenate" mode).
          var target = new URLSearchParams(window.location.search).get("liff.state");
          if (target) {
            var endpoint = window.location.origin + window.location.pathname;
            if (target.charAt(0) === "/") { endpoint = endpoint.replace(/\/$/, ""); }
            window.location.replace(endpoint + target);
          }
        });
    },
    isLoggedIn: function () { return !!state.idToken; },
    isInClient: function () { return true; },
    login: function () { document.documentElement.setAttribute("data-fake-liff-login", "1"); },
    logout: function () { state.idToken = null; },
    getIDToken: function () { return state.idToken; },
    getDecodedIDToken: function () { return state.userId ? { sub: state.userId, name: state.name } : null; },
    getProfile: function () { return Promise.resolve({ userId: state.userId, displayName: state.name }); },
    getContext: function () { return { type: state.context }; },
    isApiAvailable: function (name) {
      if (name === "shareTargetPicker") { return true; }
      return false;
    },
    shareTargetPicker: function (messages) {
      return record("share", messages).then(function (d) {
        return d.cancelled ? undefined : { status: "success" };
      });
    },
    sendMessages: function (messages) {
      if (state.context !== "group" && state.context !== "utou" && state.context !== "room") {
        return Promise.reject(new Error("sendMessages is only available in a chat"));
      }
      return record("send", messages).then(function () { return undefined; });
    },
    closeWindow: function () { document.documentElement.setAttribute("data-fake-liff-closed", "1"); }
  };
})();
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake LINE API server for the TOC-Net demo")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--access-token", default=None, help="accept only this bearer token")
    parser.add_argument("--login-channel-id", default=None, help="LINE Login: accept only this")
    parser.add_argument("--login-channel-secret", default=None, help="LINE Login: accept only this")
    args = parser.parse_args(argv)
    server = FakeLineServer(
        host=args.host,
        port=args.port,
        access_token=args.access_token,
        login_channel_id=args.login_channel_id,
        login_channel_secret=args.login_channel_secret,
    )
    server.serve_until_interrupted("Fake LINE API")


if __name__ == "__main__":
    main()
