from django.contrib import admin
from django.urls import include, path

from tocnet.accounts import views as account_views
from tocnet.core import views as core_views
from tocnet.members import views as member_views

urlpatterns = [
    path("", member_views.home, name="home"),
    path("favicon.ico", core_views.favicon),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("tocnet.accounts.urls")),
    path("members/", include("tocnet.members.urls")),
    path("privacy/", include("tocnet.privacy.urls")),
    path("registers/", include("tocnet.registers.urls")),
    path("", include("tocnet.reports.urls")),
    path("line/", include("tocnet.line.urls")),
    path("", include("tocnet.messaging.urls")),
    path("r/privacy/", include("tocnet.conversations.preferences_urls")),
    path("r/", include("tocnet.messaging.responses.urls")),
    # One sign-in path: the admin's own login and password pages send to the site's.
    path("admin/login/", account_views.admin_login),
    path("admin/password_change/", account_views.admin_password_change),
    path("conversations/", include("tocnet.conversations.urls")),
    path("admin/", admin.site.urls),
]

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error
