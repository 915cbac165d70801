import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from tocnet.accounts.forms import throttle_message
from tocnet.accounts.http import AuthenticatedHttpRequest
from tocnet.accounts.models import User
from tocnet.accounts.roles import can_see_line_groups
from tocnet.accounts.services import (
    THROTTLED_BACKEND,
    login_failure_record,
    login_refusal_record,
    login_success_record,
    login_throttle_reserve,
)
from tocnet.core.http import client_ip
from tocnet.line import client
from tocnet.line.selectors import line_group_list_for_user, register_without_group_list_for_user
from tocnet.line.services.events import MalformedPayloadError, webhook_events_store
from tocnet.line.services.login import (
    IdTokenError,
    login_claims_verify,
    user_for_line_login,
    user_line_connect,
)
from tocnet.line.signature import is_valid_signature

SESSION_KEY = "line_login"


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.LINE_CHANNEL_SECRET
    if not secret:
        return HttpResponse("LINE is not configured", status=503, content_type="text/plain")
    body = request.body
    if not is_valid_signature(body, request.headers.get("X-Line-Signature"), secret):
        return HttpResponseBadRequest("invalid signature", content_type="text/plain")
    try:
        webhook_events_store(body=body)
    except MalformedPayloadError:
        return HttpResponseBadRequest("malformed body", content_type="text/plain")
    return HttpResponse("OK", content_type="text/plain")


@login_required
@require_GET
def official_account_qr(request: HttpRequest) -> HttpResponse:
    """The add-friend QR code of the official account, as SVG (404 when not configured)."""
    import qrcode
    import qrcode.image.svg

    url = client.official_account_add_url()
    if not url:
        raise Http404
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    response = HttpResponse(image.to_string(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@login_required
@require_GET
def group_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or not can_see_line_groups(user):
        raise PermissionDenied
    groups = line_group_list_for_user(user)
    return render(
        request,
        "line/group_list.html",
        {
            "groups": groups,
            "configured": client.is_configured(),
            "without_group": register_without_group_list_for_user(user),
        },
    )


def _callback_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("line:login_callback"))


def _start(request: HttpRequest, *, connect: bool) -> HttpResponse:
    if not client.is_login_configured():
        return render(request, "line/login_not_configured.html", status=200)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    request.session[SESSION_KEY] = {"state": state, "nonce": nonce, "connect": connect}
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.LINE_LOGIN_CHANNEL_ID,
            "redirect_uri": _callback_url(request),
            "state": state,
            "scope": "openid profile",
            "nonce": nonce,
        }
    )
    authorize = settings.LINE_LOGIN_AUTHORIZE_URL
    return redirect(f"{authorize}?{query}")


@require_GET
def login_start(request: HttpRequest) -> HttpResponse:
    return _start(request, connect=False)


@login_required
@require_POST
def login_connect(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _start(request, connect=True)


def _failed(request: HttpRequest, reason: str, status: int = 400) -> HttpResponse:
    return render(request, "line/login_failed.html", {"reason": reason}, status=status)


@require_GET
def login_callback(request: HttpRequest) -> HttpResponse:
    pending = request.session.pop(SESSION_KEY, None)
    state = request.GET.get("state", "")
    if not pending or not state or not secrets.compare_digest(state, pending["state"]):
        return _failed(request, _("The sign-in link expired or was not started here. Try again."))
    if request.GET.get("error") or not request.GET.get("code"):
        return _failed(request, _("LINE sign-in was cancelled."))
    try:
        tokens = client.login_exchange_code(
            code=request.GET["code"], redirect_uri=_callback_url(request)
        )
        claims = login_claims_verify(id_token=tokens.get("id_token", ""), nonce=pending["nonce"])
    except client.ChannelError:
        return _failed(request, _("LINE could not confirm the sign-in. Try again."), 502)
    except IdTokenError:
        return _failed(request, _("The answer from LINE could not be verified."))
    line_user_id = str(claims["sub"])
    if pending.get("connect"):
        if not request.user.is_authenticated:
            return _failed(request, _("Sign in first, then connect LINE."))
        if not user_line_connect(user=request.user, line_user_id=line_user_id):
            return _failed(request, _("This LINE account is already tied to another account."))
        messages.success(request, _("Your LINE account is now connected."))
        return redirect(settings.LOGIN_REDIRECT_URL)
    user = user_for_line_login(line_user_id=line_user_id)
    ip = client_ip(request)
    if user is None:
        login_failure_record(username="", ip_address=ip, method="line")
        return _failed(
            request,
            _(
                "No representative or agent account is tied to this LINE account. Sign in with "
                "your password and connect LINE, or link it with your register's code."
            ),
            403,
        )
    # The same throttle as the password form: an account locked at this address stays locked.
    refusal = login_throttle_reserve(username=user.username, ip_address=ip)
    if refusal is not None:
        login_refusal_record(username=user.username, ip_address=ip, throttle=refusal, method="line")
        return _failed(request, throttle_message(refusal), 429)
    login(request, user, backend=THROTTLED_BACKEND)
    login_success_record(user=user, username=user.username, ip_address=ip, method="line")
    return redirect(settings.LOGIN_REDIRECT_URL)
