from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tocnet.reports"
    label = "reports"
