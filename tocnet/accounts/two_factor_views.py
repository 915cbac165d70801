"""Pages of the second factor: enrol (QR code), verify, recovery codes, reset by staff."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from tocnet.accounts import roles, two_factor
from tocnet.accounts.forms import throttle_message
from tocnet.accounts.http import AuthenticatedHttpRequest
from tocnet.accounts.models import User
from tocnet.core.http import client_ip


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "none"}
        ),
    )
    remember = forms.BooleanField(
        label=gettext_lazy("Remember this device for 30 days"), required=False
    )


class EnrolForm(CodeForm):
    enrol_code = forms.CharField(
        label=gettext_lazy("Enrolment code"), max_length=40, required=False
    )


def _next(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return next_url


def _user(request: AuthenticatedHttpRequest) -> User:
    return request.user


@never_cache
@login_required
def two_factor_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code, type one code, get ten recovery codes."""
    user = _user(request)
    if not two_factor.may_use_second_factor(user):
        raise PermissionDenied
    if two_factor.has_second_factor(user):
        return redirect("accounts:two_factor")
    state = two_factor.enrolment_state(user)
    if state == two_factor.ENROL_CLOSED:
        # No QR code, no device: a password alone enrols nothing here any more.
        return render(
            request,
            "accounts/two_factor_setup.html",
            {"closed": True, "required": True, "next": _next(request)},
            status=403,
        )
    device = two_factor.totp_pending(user)
    form = EnrolForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = two_factor.code_check(
            request=request,
            user=user,
            code=form.cleaned_data["code"],
            device=device,
            enrol_code=form.cleaned_data["enrol_code"],
        )
        if check.ok:
            codes = two_factor.recovery_codes_issue(user=user, actor=user)
            return render(
                request,
                "accounts/two_factor_codes.html",
                {"codes": codes, "next": _next(request), "first_time": True},
            )
        if check.throttle is not None:
            form.add_error(None, throttle_message(check.throttle))
            status = 429
        elif check.method == "enrol_code":
            form.add_error(
                "enrol_code",
                _(
                    "Enrolment code: not right or no longer valid. Ask the staff member who "
                    "reset your two-step sign-in for a new one."
                ),
            )
        else:
            form.add_error(
                "code", _("That code is not right. Type the 6 digits the app shows now.")
            )
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "secret": two_factor.totp_secret(device),
            "next": _next(request),
            "required": two_factor.needs_second_factor(user),
            "ask_enrol_code": state == two_factor.ENROL_CODE,
        },
        status=status,
    )


@never_cache
@login_required
def two_factor_qr(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The QR code of the device being enrolled, as SVG (an image file: no inline markup)."""
    user = _user(request)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        raise Http404
    response = HttpResponse(two_factor.totp_qr_svg(device), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def two_factor_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code (once each)."""
    user = _user(request)
    if not two_factor.has_second_factor(user):
        return redirect("accounts:two_factor_setup")
    if two_factor.is_verified(request):
        return redirect(_next(request) or "home")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = two_factor.code_check(request=request, user=user, code=form.cleaned_data["code"])
        if check.ok:
            response = redirect(_next(request) or "home")
            if form.cleaned_data["remember"]:
                two_factor.remember_device(response, user=user, request=request)
            return response
        if check.throttle is not None:
            form.add_error(None, throttle_message(check.throttle))
            status = 429
        else:
            form.add_error("code", _("That code is not right."))
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _next(request)},
        status=status,
    )


@never_cache
@login_required
def two_factor_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """My second factor: state, recovery codes left, new codes, forget remembered devices."""
    user = _user(request)
    if not two_factor.may_use_second_factor(user):
        raise PermissionDenied
    if request.method == "POST" and two_factor.is_verified(request):
        action = request.POST.get("action")
        if action == "codes":
            codes = two_factor.recovery_codes_issue(user=user, actor=user)
            return render(request, "accounts/two_factor_codes.html", {"codes": codes, "next": ""})
        if action == "forget":
            response = redirect("accounts:two_factor")
            response.delete_cookie(two_factor.REMEMBER_COOKIE)
            return response
    return render(
        request,
        "accounts/two_factor_home.html",
        {
            "enrolled": two_factor.has_second_factor(user),
            "required": two_factor.needs_second_factor(user),
            "codes_left": two_factor.recovery_codes_left(user),
        },
    )


@never_cache
@login_required
def two_factor_users(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Staff: who has a second factor; reset another person's (they enrol again)."""
    user = _user(request)
    if not roles.is_cooperative_staff(user):
        raise PermissionDenied
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    users = roles.site_accounts().annotate(enrolled=Exists(enrolled)).order_by("role", "username")
    query = (request.GET.get("q") or "").strip()
    if query:
        users = users.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    return render(request, "accounts/two_factor_users.html", {"users": users[:200], "q": query})


@never_cache
@require_POST
@login_required
def two_factor_reset(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """Reset another person's second factor (or give an enrolment code to someone who never
    enrolled): the one-time enrolment code is shown once, here, to be given out of band."""
    actor = _user(request)
    target = get_object_or_404(User, code=code)
    if not two_factor.can_reset_second_factor(actor, target):
        raise PermissionDenied
    reset = two_factor.second_factor_reset(user=target, actor=actor, ip_address=client_ip(request))
    return render(
        request, "accounts/two_factor_enrol_code.html", {"target": target, "reset": reset}
    )
