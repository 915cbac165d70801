from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class ThaiFirstLocaleMiddleware:
    """Thai unless the person chose another language (the set_language cookie).

    Django's LocaleMiddleware follows the browser's Accept-Language, and many phones and office
    PCs in Thailand send English first; the cooperative wants Thai by default.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class AdminAccessLogMiddleware:
    """Every admin page a signed-in user reads leaves an access event (PDPA: who saw what).

    Site-wide rather than per ModelAdmin, so an admin registered later is covered too: its
    lists and forms show member data (names, numbers, phones) like any product page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.method == "GET"
            and response.status_code == 200
            and request.path.startswith(_admin_prefix())
            and getattr(request, "user", None) is not None
            and request.user.is_authenticated
            and not request.path.endswith("/jsi18n/")
        ):
            from tocnet.core.audit import audit_access
            from tocnet.core.http import client_ip

            audit_access(
                actor=request.user,
                action="admin.viewed",
                detail={"path": request.path[:200], "query": sorted(request.GET.keys())[:20]},
                ip_address=client_ip(request),
                members=_listed_members(response),
            )
        return response


def _listed_members(response: HttpResponse) -> list[int | None] | None:
    """The members an admin list page shows (its page of rows): the rows themselves on the
    members' list, the row's member on a list of things of a member (representatives,
    memberships, phones). None on other pages. Read from the rendered list, no query."""
    context = getattr(response, "context_data", None) or {}
    changelist = context.get("cl") if isinstance(context, dict) else None
    rows = getattr(changelist, "result_list", None)
    model = getattr(changelist, "model", None)
    if rows is None or model is None:
        return None
    if model._meta.label == "members.Member":
        return [row.pk for row in rows]
    names = {f.name for f in model._meta.concrete_fields}
    if "member" in names:
        return [getattr(row, "member_id", None) for row in rows]
    return None


def _admin_prefix() -> str:
    from django.urls import reverse

    return reverse("admin:index")
