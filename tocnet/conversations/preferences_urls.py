"""The members' privacy preferences page, below the LIFF endpoint (/r/) so LINE can open it."""

from django.urls import path

from tocnet.conversations import preferences

app_name = "preferences"

urlpatterns = [path("", preferences.preferences_edit, name="edit")]
