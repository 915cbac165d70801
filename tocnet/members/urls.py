from django.urls import path

from tocnet.members import import_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="member_list"),
    path("<uuid:code>/", views.member_detail, name="member_detail"),
    path("<uuid:code>/contact/", views.member_contact_edit, name="member_contact_edit"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/<uuid:code>/", views.unit_detail, name="unit_detail"),
    path("import/", import_views.import_upload, name="import_upload"),
    path("import/history/", import_views.import_list, name="import_list"),
    path("import/<uuid:code>/", import_views.import_detail, name="import_detail"),
    path("import/<uuid:code>/commit/", import_views.import_commit, name="import_commit"),
    path("import/<uuid:code>/discard/", import_views.import_discard, name="import_discard"),
    path("import/<uuid:code>/errors.xlsx", import_views.import_errors, name="import_errors"),
]
