from django.urls import path

from tocnet.messaging import views
from tocnet.messaging.feeds import PublicAnnouncementsFeed

app_name = "messaging"

urlpatterns = [
    path("news/", views.public_list, name="public_list"),
    path("news/feed.atom", PublicAnnouncementsFeed(), name="feed"),
    path("news/<uuid:code>/", views.public_detail, name="public_detail"),
    # The LIFF app's endpoint URL is SITE_URL + /r/ (one LIFF app): LINE lands here with the
    # page asked for in liff.state; the members' pages (responses) live below it too.
    path("r/", views.liff_entry, name="liff_entry"),
    path("r/relay/<uuid:code>/", views.relay_page, name="relay_page"),
    path("r/relay/<uuid:code>/report", views.relay_report, name="relay_report"),
    path("announcements/", views.announcement_list, name="list"),
    path("announcements/new/", views.announcement_create, name="create"),
    path("announcements/preview/", views.announcement_preview, name="preview"),
    path("announcements/mine/", views.register_deliveries, name="register_deliveries"),
    path("announcements/<uuid:code>/", views.announcement_detail, name="detail"),
    path("announcements/<uuid:code>/edit/", views.announcement_edit, name="edit"),
    path("announcements/<uuid:code>/progress/", views.announcement_progress, name="progress"),
    path("announcements/<uuid:code>/export.xlsx", views.announcement_export, name="export"),
    path("announcements/<uuid:code>/<slug:action>/", views.announcement_action, name="action"),
]
