from django.urls import path

from tocnet.messaging.responses import views

app_name = "responses"

urlpatterns = [
    path("liff/", views.liff_home, name="liff_home"),
    path("liff/session/", views.liff_session, name="liff_session"),
    path("liff/link/", views.liff_link, name="liff_link"),
    path("liff/a/<uuid:code>/", views.liff_announcement, name="liff_announcement"),
    path("chase/", views.chase_list, name="chase_list"),
    path(
        "chase/<uuid:announcement_code>/<uuid:member_code>/",
        views.chase_mark,
        name="chase_mark",
    ),
    path("calls/", views.call_queue, name="call_queue"),
    path(
        "calls/<uuid:announcement_code>/<uuid:member_code>/",
        views.call_mark,
        name="call_mark",
    ),
    path("report/<uuid:code>/", views.report, name="report"),
    path("report/<uuid:code>/closing/", views.closing_report, name="closing_report"),
    path("report/<uuid:code>/close/", views.report_close, name="report_close"),
    path("feedback/<uuid:code>/", views.feedback, name="feedback"),
    path("ask/<uuid:code>/", views.ask_edit, name="ask"),
    path("<str:token>", views.link_announcement, name="link"),
]
