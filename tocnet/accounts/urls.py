from django.urls import path

from tocnet.accounts import two_factor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("2fa/", two_factor_views.two_factor_home, name="two_factor"),
    path("2fa/setup/", two_factor_views.two_factor_setup, name="two_factor_setup"),
    path("2fa/qr.svg", two_factor_views.two_factor_qr, name="two_factor_qr"),
    path("2fa/verify/", two_factor_views.two_factor_verify, name="two_factor_verify"),
    path("2fa/users/", two_factor_views.two_factor_users, name="two_factor_users"),
    path(
        "2fa/users/<uuid:code>/reset/", two_factor_views.two_factor_reset, name="two_factor_reset"
    ),
]
