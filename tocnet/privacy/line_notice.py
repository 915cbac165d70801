"""The privacy notice as the bot sends it (line registers the follow observer and includes it
in the message that confirms a member linked their LINE account)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from tocnet.privacy.notice import current_notice


def notice_url() -> str:
    return f"{settings.SITE_URL}{reverse('privacy:notice')}"


def notice_reply_context() -> dict[str, str]:
    return {"url": notice_url(), "version": current_notice().version}
