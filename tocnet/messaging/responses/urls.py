from django.urls import path

from tocnet.messaging.responses import views

app_name = "responses"

urlpatterns = [
    path("liff/", views.liff_home, name="liff_home"),
    path("liff/session/", views.liff_session, name="liff_session"),
    path("liff/link/", views.liff_link, name="liff_link"),
]
