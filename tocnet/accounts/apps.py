from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tocnet.accounts"
    label = "accounts"
