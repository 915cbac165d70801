"""The one way a password is checked: every authenticate() call goes through the throttle."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from tocnet.accounts.models import User
from tocnet.accounts.services import (
    login_failure_record,
    login_refusal_record,
    login_success_record,
    login_throttle_reserve,
)
from tocnet.core.http import client_ip

REFUSAL_ATTRIBUTE = "signin_refusal"


class ThrottledModelBackend(ModelBackend):
    """ModelBackend behind the sign-in throttle; the form, the admin and any later second
    factor call authenticate(), so none of them can check a password unthrottled."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        username = User.normalize_username(username)
        ip = client_ip(request) if request is not None else None
        refusal = login_throttle_reserve(username=username, ip_address=ip)
        if refusal is not None:
            if request is not None:
                setattr(request, REFUSAL_ATTRIBUTE, refusal)
            login_refusal_record(
                username=username, ip_address=ip, throttle=refusal, method="password"
            )
            # Stops authenticate() here: no later backend may check this password.
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(username=username, ip_address=ip)
            return None
        login_success_record(user=user, username=username, ip_address=ip)
        return user
