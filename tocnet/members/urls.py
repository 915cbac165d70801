from django.urls import path

from tocnet.members import views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="member_list"),
    path("<uuid:code>/", views.member_detail, name="member_detail"),
    path("<uuid:code>/contact/", views.member_contact_edit, name="member_contact_edit"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/<uuid:code>/", views.unit_detail, name="unit_detail"),
]
