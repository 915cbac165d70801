from django.urls import path

from tocnet.conversations import views

app_name = "conversations"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("my/", views.my_members, name="my_members"),
    path("kb/", views.article_list, name="article_list"),
    path("kb/<uuid:code>/", views.article_detail, name="article_detail"),
    path("<uuid:code>/", views.conversation_detail, name="detail"),
]
