from django.apps import AppConfig


class RegistersConfig(AppConfig):
    name = "tocnet.registers"
    label = "registers"
