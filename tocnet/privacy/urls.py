from django.urls import path

from tocnet.privacy import views

app_name = "privacy"
urlpatterns = [
    path("notice/", views.notice, name="notice"),
    path("notice/<str:version>/", views.notice, name="notice_version"),
    path("members/<uuid:code>/", views.member_privacy, name="member"),
    path("members/<uuid:code>/export/", views.member_export, name="member_export"),
    path("members/<uuid:code>/action/", views.member_action, name="member_action"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/<uuid:code>/", views.request_detail, name="request_detail"),
    path("access-log/", views.access_log, name="access_log"),
    path("breaches/", views.breach_list, name="breach_list"),
    path("breaches/<uuid:code>/", views.breach_detail, name="breach_detail"),
]
