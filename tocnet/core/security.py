"""Response headers: Content-Security-Policy (django-csp), Permissions-Policy, no-store.

The policy allows the site's own files only, no inline script or style. LINE's origins are
added per request from the current settings (the LIFF SDK, the LINE API for the SDK's calls,
LINE Login's authorize page as a form redirect target), so the demo's and the tests' local
fake LINE work under the same policy as production.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control

PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), interest-cohort=()"
)


def _origin(url: str) -> str | None:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _origins(*urls: str) -> list[str]:
    return sorted({o for o in (_origin(u) for u in urls) if o})


class TocnetCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        sdk = _origins(getattr(settings, "LIFF_SDK_URL", ""))
        api = _origins(settings.LINE_API_BASE_URL)
        login = _origins(getattr(settings, "LINE_LOGIN_AUTHORIZE_URL", ""))
        update: dict[str, list[str]] = {
            "script-src": sdk,
            "connect-src": sorted({*api, *sdk}),
            "form-action": login,
        }
        if request.path.startswith("/admin/"):
            # Django 5.2's admin sets a few style attributes (widgets, popups); its scripts
            # are files, so only styles are relaxed, and only there.
            update["style-src"] = ["'unsafe-inline'"]
        for key, values in (parts.update or {}).items():
            update[key] = sorted({*update.get(key, []), *values})
        parts.update = {k: v for k, v in update.items() if v}
        return parts


class PrivateResponseMiddleware:
    """Permissions-Policy on every answer; Cache-Control: no-store on every answer to a
    signed-in user (their pages and downloads carry member data) and on every download."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        download = "attachment" in response.headers.get("Content-Disposition", "")
        if signed_in or download:
            patch_cache_control(response, no_store=True, private=True)
        return response
