"""The site's URLs plus one view that fails, to see the 500 page a user would get."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from tocnet import urls as site_urls


def failing_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("simulated failure")


urlpatterns = [path("failing/", failing_view), *site_urls.urlpatterns]
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500
