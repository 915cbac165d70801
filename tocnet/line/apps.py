from django.apps import AppConfig


class LineConfig(AppConfig):
    name = "tocnet.line"
    label = "line"
