from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "tocnet.registers"
    label = "registers"

    def ready(self) -> None:
        from tocnet.accounts import roles
        from tocnet.accounts.menu import MenuEntry, menu_entry_register

        menu_entry_register(
            MenuEntry(
                "registers:plan_overview", _("Register plan"), roles.can_plan, 50, "register-plan"
            )
        )
