from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def bare(request: HttpRequest) -> HttpResponse:
    """The yardstick: a Django view that reads the body and answers 200."""
    request.body  # noqa: B018
    return HttpResponse("OK", content_type="text/plain")


urlpatterns = [
    path("bench/bare", bare),
    path("", include("tocnet.urls")),
]
