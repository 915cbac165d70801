from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "tocnet.privacy"
    label = "privacy"
