from django.urls import path

from tocnet.line import views

app_name = "line"

urlpatterns = [
    path("webhook", views.webhook, name="webhook"),
    path("groups/", views.group_list, name="group_list"),
    path("official-account-qr.svg", views.official_account_qr, name="official_account_qr"),
    path("login/", views.login_start, name="login"),
    path("login/connect/", views.login_connect, name="login_connect"),
    path("login/callback/", views.login_callback, name="login_callback"),
]
