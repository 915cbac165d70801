from typing import Any

from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from tocnet.accounts.forms import SigninForm, ThrottledPasswordChangeForm
from tocnet.accounts.models import User
from tocnet.core.audit import audit_record
from tocnet.core.http import client_ip
from tocnet.core.models import AuditEvent


@never_cache
@csrf_protect
def login(request: HttpRequest) -> HttpResponse:
    """The one sign-in page (/admin/login/ sends here too); the throttle is in the backend."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    form = SigninForm(request, data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            auth_login(request, form.get_user())
            return redirect(next_url or "home")
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            status = 429
    throttled = form.has_error(NON_FIELD_ERRORS, "throttled") if form.is_bound else False
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": next_url, "throttled": throttled},
        status=status,
    )


def admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/ is not a second door: it sends to the one sign-in page."""
    query = request.GET.urlencode()
    target = reverse("accounts:login")
    return redirect(f"{target}?{query}" if query else target)


def admin_password_change(request: HttpRequest) -> HttpResponse:
    return redirect("accounts:password_change")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("accounts:login")


def _has_password(request: HttpRequest) -> bool:
    return isinstance(request.user, User) and request.user.has_usable_password()


@method_decorator(login_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change with the validators on and the old password throttled."""

    form_class = ThrottledPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["request"] = self.request
        return kwargs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # An account that signs in with LINE only has no password to give as the old one:
        # the page says how to get one instead of a form it cannot fill.
        context = super().get_context_data(**kwargs)
        context["no_password"] = not _has_password(self.request)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _has_password(request):
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            audit_record(
                actor=self.request.user,
                action="password.changed",
                target=None,
                kind=AuditEvent.Kind.SECURITY,
                ip_address=client_ip(self.request),
            )
        return response

    def form_invalid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("old_password", "throttled"):
            response.status_code = 429
        return response


@method_decorator(login_required, name="dispatch")
class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"
