from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tocnet.core"
    label = "core"
