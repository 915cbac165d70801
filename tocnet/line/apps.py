from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LineConfig(AppConfig):
    name = "tocnet.line"
    label = "line"

    def ready(self) -> None:
        from tocnet.accounts import roles
        from tocnet.accounts.menu import MenuEntry, menu_entry_register
        from tocnet.line.handlers import register_line_handlers

        register_line_handlers()

        from tocnet.line import privacy_notice

        privacy_notice.register()

        from tocnet.line.services.groups import (
            register_leader_changed,
            register_retired_group_release,
        )
        from tocnet.registers.leaders import on_leader_changed, on_register_retired

        on_leader_changed(register_leader_changed)
        on_register_retired(register_retired_group_release)

        menu_entry_register(
            MenuEntry(
                "line:group_list", _("LINE groups"), roles.can_see_line_groups, 70, "line-groups"
            )
        )

        from tocnet.line.privacy_hooks import register_privacy_hooks

        register_privacy_hooks()
