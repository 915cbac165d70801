from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "tocnet.members"
    label = "members"

    def ready(self) -> None:
        from tocnet.accounts import roles
        from tocnet.accounts.menu import MenuEntry, menu_entry_register

        menu_entry_register(
            MenuEntry("members:member_list", _("Members"), roles.sees_personal_data, 10, "members")
        )
        menu_entry_register(
            MenuEntry("members:unit_list", _("Units"), roles.sees_unit_list, 20, "units")
        )
        menu_entry_register(
            MenuEntry("members:import_upload", _("Import"), roles.can_import, 60, "import")
        )
