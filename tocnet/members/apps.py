from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "tocnet.members"
    label = "members"
