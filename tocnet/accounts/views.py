from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from tocnet.accounts.services import (
    login_failure_record,
    login_success_record,
    login_throttle_check,
)
from tocnet.core.http import client_ip


@never_cache
@csrf_protect
def login(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    form = AuthenticationForm(request, data=request.POST or None)
    status = 200
    throttle_error = ""
    if request.method == "POST":
        username = (request.POST.get("username") or "").strip()
        ip = client_ip(request)
        throttle = login_throttle_check(username=username, ip_address=ip)
        if throttle.locked:
            form = AuthenticationForm(request)
            throttle_error = _(
                "Too many failed sign-ins. This account or address is locked for "
                "%(minutes)s minutes."
            ) % {"minutes": max(1, throttle.wait_seconds // 60)}
            status = 429
        elif throttle.wait_seconds:
            form = AuthenticationForm(request)
            throttle_error = _("Please wait %(seconds)s seconds before trying again.") % {
                "seconds": throttle.wait_seconds
            }
            status = 429
        elif form.is_valid():
            user = form.get_user()
            auth_login(request, user)
            login_success_record(user=user, username=username, ip_address=ip)
            return redirect(next_url or "home")
        else:
            login_failure_record(username=username, ip_address=ip)
            status = 200
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url, "throttle_error": throttle_error},
        status=status,
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("accounts:login")
