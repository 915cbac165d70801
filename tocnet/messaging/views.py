"""Pages of announcements."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tocnet.messaging import content
from tocnet.messaging.models import Announcement
from tocnet.messaging.selectors import public_announcement_list


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    """Public announcements, newest first: no sign-in, no personal data."""
    return render(
        request,
        "messaging/public_list.html",
        {"announcements": public_announcement_list()[:50]},
    )


@require_GET
def public_detail(request: HttpRequest, code: uuid.UUID) -> HttpResponse:
    """One public announcement with Open Graph tags (a Facebook post shows a proper card)."""
    try:
        announcement = public_announcement_list().get(code=code)
    except Announcement.DoesNotExist as exc:
        raise Http404 from exc
    return render(
        request,
        "messaging/public_detail.html",
        {
            "announcement": announcement,
            "body_html": content.body_html(announcement.body),
            "summary": content.body_text(announcement.body)[:200],
            "page_url": content.public_url(announcement),
            "image_url": content.image_url(announcement),
        },
    )
