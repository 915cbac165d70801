from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistersConfig(AppConfig):
    name = "tocnet.registers"
    label = "registers"

    def ready(self) -> None:
        from tocnet.accounts import roles
        from tocnet.accounts.menu import MenuEntry, menu_entry_register
        from tocnet.members.scope import ScopeRule, scope_rule_register
        from tocnet.registers.selectors import led_member_ids, led_unit_ids

        scope_rule_register(
            ScopeRule(
                applies_to=roles.is_representative,
                member_ids=led_member_ids,
                unit_ids=led_unit_ids,
            )
        )

        menu_entry_register(
            MenuEntry(
                "registers:plan_overview", _("Register plan"), roles.can_plan, 50, "register-plan"
            )
        )

        from tocnet.members.importing.leaders import leader_hooks_register
        from tocnet.registers import import_leaders

        leader_hooks_register(
            check=import_leaders.leader_rows_check, apply=import_leaders.leader_actions_apply
        )

        from tocnet.registers.privacy_hooks import register_privacy_hooks

        register_privacy_hooks()
