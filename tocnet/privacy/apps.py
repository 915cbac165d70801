from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "tocnet.privacy"
    label = "privacy"

    def ready(self) -> None:
        from tocnet.members.scope import hidden_members_register
        from tocnet.privacy.hooks import register_hooks
        from tocnet.privacy.selectors import restricted_member_ids

        hidden_members_register(restricted_member_ids)
        register_hooks()

        from django.utils.translation import gettext_lazy as _

        from tocnet.accounts.menu import MenuEntry, menu_entry_register
        from tocnet.accounts.roles import is_dpo

        menu_entry_register(
            MenuEntry("privacy:request_list", _("Personal data (DPO)"), is_dpo, 95, "privacy")
        )
