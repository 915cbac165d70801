import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.templatetags.static import static
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without a <link rel=icon> (the admin, files)."""
    return redirect(static("favicon.svg"), permanent=True)


def _error_page(
    request: HttpRequest, *, status: int, title: str, text: str, hint: str = ""
) -> HttpResponse:
    context = {
        "error_status": status,
        "error_title": title,
        "error_text": text,
        "error_hint": hint,
    }
    html = loader.render_to_string("errors/error_page.html", context, request=request)
    return HttpResponse(html, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 in Thai, in the site's frame: the page does not exist or is outside the user's scope."""
    return _error_page(
        request,
        status=404,
        title=_("Page not found"),
        text=_(
            "This page does not exist, or it is not among the members, registers and units "
            "you look after."
        ),
        hint=_("If you followed a link someone sent you, ask them to check it."),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """403 in Thai, in the site's frame, with the menu of what the user may open."""
    return _error_page(
        request,
        status=403,
        title=_("You cannot open this page"),
        text=_("Your account does not give access to this page."),
        hint=_("If you need it for your work, ask the cooperative's staff to change your account."),
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        status=400,
        title=_("The request could not be read"),
        text=_("Please go back and try again."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent after its page went stale (or from another site): explain and offer a way on."""
    return _error_page(
        request,
        status=403,
        title=_("The form has expired"),
        text=_(
            "The page you sent the form from was open for too long, or you signed in or out in "
            "another tab. Nothing was saved."
        ),
        hint=_("Go back, reload the page and send the form again."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """500 in Thai. Rendered without the database (it may be what failed): no menu."""
    try:
        html: str = loader.render_to_string("500.html")
    except Exception:  # the template layer itself failed: still answer in Thai
        logger.exception("500 page could not be rendered")
        html = "<!doctype html><meta charset=utf-8><h1>ระบบขัดข้อง กรุณาลองใหม่อีกครั้ง</h1>"
    return HttpResponse(html, status=500)
