from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "tocnet.messaging"
    label = "messaging"
