from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "tocnet.accounts"
    label = "accounts"

    def ready(self) -> None:
        from tocnet.accounts import roles
        from tocnet.accounts.menu import MenuEntry, menu_entry_register

        menu_entry_register(MenuEntry("home", _("Home"), roles.is_signed_in, 0, "home"))
        menu_entry_register(
            MenuEntry("admin:index", _("Admin"), lambda user: user.is_staff, 1000, "admin")
        )
        from django.contrib import admin

        from tocnet.accounts.two_factor import SecondFactorAdminSite

        # The admin also asks for the second factor (besides SecondFactorMiddleware).
        admin.site.__class__ = SecondFactorAdminSite
