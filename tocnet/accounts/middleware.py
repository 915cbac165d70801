"""Until the second factor is passed, a user who must use one reaches only the pages that
let them pass it (and sign out, change language, read the privacy notice)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse

from tocnet.accounts import two_factor
from tocnet.accounts.models import User
from tocnet.core.audit import audit_record
from tocnet.core.http import client_ip
from tocnet.core.models import AuditEvent

# View names a signed-in but not yet verified user may open.
OPEN_BEFORE_SECOND_FACTOR = frozenset(
    {
        "accounts:logout",
        "accounts:two_factor_verify",
        "accounts:two_factor_setup",
        "accounts:two_factor_qr",
        "set_language",
        "healthz",
        "privacy:notice",
        "privacy:notice_version",
    }
)


class SecondFactorMiddleware:
    """After AuthenticationMiddleware. Costs no query: the state is on the user row and in
    the session (accounts.two_factor)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if two_factor.must_verify(user) and not two_factor.is_verified(request):
            if two_factor.is_remembered(request, user):
                two_factor.session_verify(request, user)
                audit_record(
                    actor=user,
                    action="2fa.verified",
                    target=None,
                    changes={"method": "remembered_device"},
                    kind=AuditEvent.Kind.SECURITY,
                    ip_address=client_ip(request),
                )
            elif not self._open(request):
                return self._redirect(request, user)
        return self.get_response(request)

    @staticmethod
    def _open(request: HttpRequest) -> bool:
        if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return True
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in OPEN_BEFORE_SECOND_FACTOR

    @staticmethod
    def _redirect(request: HttpRequest, user: User) -> HttpResponse:
        enrolled = two_factor.has_second_factor(user)
        target = reverse("accounts:two_factor_verify" if enrolled else "accounts:two_factor_setup")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        response = HttpResponseRedirect(target)
        if request.headers.get("HX-Request") == "true":
            response["HX-Redirect"] = target
        return response
