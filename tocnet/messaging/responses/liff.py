"""The LIFF page's identity: a LIFF ID token checked by LINE's verify endpoint.

The page sends the raw ID token (never the decoded profile, which a page can forge); LINE
answers with the claims when the token is genuine, unexpired and issued for our channel.
"""

from __future__ import annotations

import time

from django.conf import settings

from tocnet.core.jsontypes import JSONObject
from tocnet.line import client

SESSION_KEY = "liff_line_user"
SESSION_SECONDS = 60 * 60  # an ID token lives an hour; so does what we learnt from it
DEFAULT_SDK_URL = "https://static.line-scdn.net/liff/edge/2/sdk.js"


class LiffTokenError(ValueError):
    """LINE did not vouch for the token. ``reason``: ``expired`` (open the page again),
    ``other_channel`` (issued for another LINE app) or ``invalid`` (forged, damaged, absent)."""

    def __init__(self, message: str, *, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


def _refusal_reason(description: str) -> str:
    """LINE's error_description ("IdToken expired.", "Invalid IdToken Audience.") as a reason."""
    text = description.lower()
    if "expired" in text:
        return "expired"
    if "audience" in text:
        return "other_channel"
    return "invalid"


def liff_id() -> str:
    return str(getattr(settings, "LIFF_ID", "") or "")


def liff_channel_id() -> str:
    """The LINE Login channel of the LIFF app: the part of the LIFF ID before the dash."""
    return liff_id().split("-", 1)[0] if liff_id() else ""


def liff_sdk_url() -> str:
    return str(getattr(settings, "LIFF_SDK_URL", "") or DEFAULT_SDK_URL)


def liff_claims_verify(*, id_token: str) -> JSONObject:
    """Ask LINE whether the ID token is genuine and ours. Returns its claims (``sub`` is the
    LINE user); raises LiffTokenError (refused) or client.ChannelError (LINE unreachable)."""
    channel = liff_channel_id()
    if not channel:
        raise client.NotConfiguredError()
    if not id_token or len(id_token) > 4096:
        raise LiffTokenError("no token")
    import requests  # imported on use: start-up of every process does not pay for it

    try:
        response = requests.post(
            f"{client.api_base_url()}/oauth2/v2.1/verify",
            data={"id_token": id_token, "client_id": channel},
            timeout=client.TIMEOUT,
        )
    except requests.RequestException as exc:
        raise client.ChannelError(f"{type(exc).__name__}: {exc}", permanent=False) from exc
    if response.status_code >= 500:
        raise client.ChannelError(response.reason, permanent=False, status=response.status_code)
    try:
        claims = response.json()
    except ValueError as exc:
        raise LiffTokenError("unreadable answer") from exc
    if response.status_code != 200 or not isinstance(claims, dict):
        description = (
            str(claims.get("error_description", "refused"))
            if isinstance(claims, dict)
            else "refused"
        )
        raise LiffTokenError(description, reason=_refusal_reason(description))
    # LINE checked these; check again so a misconfigured proxy or fake cannot widen them.
    audience = claims.get("aud")
    if audience != channel and not (isinstance(audience, list) and channel in audience):
        raise LiffTokenError("token for another channel", reason="other_channel")
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] < time.time() - 60:
        raise LiffTokenError("expired", reason="expired")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.startswith("U") or len(sub) > 64:
        raise LiffTokenError("no LINE user")
    return claims


def endpoint_path() -> str:
    """The LIFF app's endpoint, as a path of the site: ``/r/``. Every page opened inside LINE
    (the relay page, the answer page, linking, the chase list) lives under it, because a LIFF
    URL can only open the endpoint URL and the paths below it."""
    from django.urls import reverse

    return reverse("messaging:liff_entry")


def endpoint_url() -> str:
    """What to type as the LIFF app's endpoint URL in the LINE Developers Console."""
    return str(settings.SITE_URL).rstrip("/") + endpoint_path()


def liff_url(path: str) -> str:
    """The link that opens the site's ``path`` (a path below the endpoint, e.g. ``/r/relay/…/``)
    inside LINE: ``https://liff.line.me/<LIFF_ID>/relay/…/``. LINE lands on the endpoint with
    ``liff.state=/relay/…/`` and the SDK's liff.init() opens the page (see views.liff_entry).
    Without a LIFF app or LIFF_URL_BASE (demo, tests) the page's own absolute URL."""
    endpoint = endpoint_path()
    if not path.startswith(endpoint):
        raise ValueError(f"{path} is not below the LIFF endpoint {endpoint}")
    base = str(getattr(settings, "LIFF_URL_BASE", "") or "").rstrip("/")
    if liff_id() and base:
        return f"{base}/{liff_id()}/{path[len(endpoint) :]}"
    return str(settings.SITE_URL).rstrip("/") + path


def liff_state_target(state: str) -> str:
    """The site path a ``liff.state`` value names (``/relay/…/?a=1`` → ``/r/relay/…/?a=1``), or
    "" when it is not a plain path below the endpoint (no other site, no tricks)."""
    from django.urls import Resolver404, resolve

    state = state.split("#", 1)[0]
    if not state.startswith("/") or state.startswith("//") or "\\" in state or len(state) > 500:
        return ""
    if any(ord(ch) < 32 for ch in state):
        return ""
    target = endpoint_path().rstrip("/") + state
    path = target.split("?", 1)[0]
    try:
        match = resolve(path)
    except Resolver404:
        return ""
    if match.view_name == "messaging:liff_entry":
        return ""
    return target
