from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from tocnet.accounts.backends import REFUSAL_ATTRIBUTE
from tocnet.accounts.services import (
    Throttle,
    login_counters_clear,
    login_failure_record,
    login_refusal_record,
    login_throttle_reserve,
)
from tocnet.core.http import client_ip


def throttle_message(throttle: Throttle) -> str:
    if throttle.locked:
        return gettext(
            "Too many failed sign-ins. This account or address is locked for %(minutes)s minutes."
        ) % {"minutes": max(1, (throttle.wait_seconds + 59) // 60)}
    return gettext("Please wait %(seconds)s seconds before trying again.") % {
        "seconds": throttle.wait_seconds
    }


class SigninForm(AuthenticationForm):
    """Django's sign-in form; a throttled attempt says so instead of "wrong password"."""

    def get_invalid_login_error(self) -> ValidationError:
        refusal = getattr(self.request, REFUSAL_ATTRIBUTE, None)
        if isinstance(refusal, Throttle):
            return ValidationError(throttle_message(refusal), code="throttled")
        return super().get_invalid_login_error()


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """Password change: the old password is checked through the sign-in throttle too."""

    def __init__(self, user: Any, *args: Any, request: Any = None, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request
        for name in ("old_password", "new_password1", "new_password2"):
            self.fields[name].widget.attrs.pop("autofocus", None)
        self.fields["old_password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        username = self.user.get_username()
        ip = client_ip(self.request) if self.request is not None else None
        refusal = login_throttle_reserve(username=username, ip_address=ip)
        if refusal is not None:
            login_refusal_record(
                username=username, ip_address=ip, throttle=refusal, method="password_change"
            )
            raise ValidationError(throttle_message(refusal), code="throttled")
        if not self.user.check_password(old_password):
            login_failure_record(username=username, ip_address=ip, method="password_change")
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        login_counters_clear(username=username, ip_address=ip)
        return old_password
