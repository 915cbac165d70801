"""Second-factor helpers for tests: enrol a user, compute their current code, mark a test
client's session as verified (what conftest does for client.login/force_login)."""

from __future__ import annotations

import time
from typing import Any

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def totp_device_for(user: Any) -> TOTPDevice:
    """The user's confirmed TOTP device, created if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)
    if not getattr(user, "second_factor_enabled", False):
        type(user).objects.filter(pk=user.pk).update(second_factor_enabled=True)
        user.second_factor_enabled = True
    return device


def totp_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The 6-digit code the user's app would show now (or at `at`)."""
    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    generator.time = time.time() if at is None else at
    return f"{generator.token():0{device.digits}d}"


def session_mark_verified(client: Any, user: Any) -> None:
    """For a user who must use a second factor: enrol them (once) and mark the client's
    session as past it, as a real code would. Others are left as they are."""
    from tocnet.accounts.models import User
    from tocnet.accounts.two_factor import SESSION_KEY, needs_second_factor

    if not needs_second_factor(user):
        return
    totp_device_for(user)
    fresh = User.objects.get(pk=user.pk)
    session = client.session
    session[SESSION_KEY] = f"{fresh.pk}:{fresh.second_factor_epoch}"
    session.save()


def unspent_totp_code(device: TOTPDevice) -> str:
    """A code the server will accept now: django-otp refuses a time step at or before the last
    one used (replay), so a second sign-in within the same 30 s waits for the next step."""
    device.refresh_from_db()
    while int((time.time() - device.t0) // device.step) <= device.last_t:
        time.sleep(0.2)
    return totp_code(device)


def browser_pass_second_factor(page: Any, user: Any) -> None:
    """In a Playwright page just past the password: type the user's current code, if asked."""
    if "/accounts/2fa/" not in page.url:
        return
    if "/accounts/2fa/setup/" in page.url:
        raise AssertionError("enrol the user first: totp_device_for(user) before signing in")
    device = totp_device_for(user)
    page.fill("input[name=code]", unspent_totp_code(device))
    with page.expect_navigation():
        page.click("form:has(input[name=code]) button[type=submit]")


def browser_sign_in(page: Any, base: str, username: str, password: str) -> None:
    """Sign `username` in through the login form and, when asked, the second factor (enrolling
    them first when they must have one); fails naming the page where it stopped."""
    from tocnet.accounts.models import User
    from tocnet.accounts.two_factor import needs_second_factor

    user = User.objects.get(username=username)
    if needs_second_factor(user):
        totp_device_for(user)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    browser_pass_second_factor(page, user)
    if "/accounts/login/" in page.url or "/accounts/2fa/" in page.url:
        raise AssertionError(
            f"{username} could not sign in, stopped at {page.url}: {page.inner_text('main')[:300]}"
        )
