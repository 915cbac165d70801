from django.urls import path

from tocnet.messaging import views
from tocnet.messaging.feeds import PublicAnnouncementsFeed

app_name = "messaging"

urlpatterns = [
    path("news/", views.public_list, name="public_list"),
    path("news/feed.atom", PublicAnnouncementsFeed(), name="feed"),
    path("news/<uuid:code>/", views.public_detail, name="public_detail"),
]
