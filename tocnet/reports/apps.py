from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "tocnet.reports"
    label = "reports"

    def ready(self) -> None:
        from tocnet.accounts import roles
        from tocnet.accounts.menu import MenuEntry, menu_entry_register

        def sees_dashboard(user: object) -> bool:
            return roles.dashboard_level(user) != roles.DashboardLevel.NONE

        for entry in (
            MenuEntry("reports:dashboard", _("Dashboard"), sees_dashboard, 30, "dashboard"),
            MenuEntry("reports:forms", _("Forms"), roles.can_manage_forms, 40, "forms"),
            MenuEntry(
                "reports:my_register", _("My register"), roles.is_representative, 80, "my-register"
            ),
        ):
            menu_entry_register(entry)

        from tocnet.reports.privacy_hooks import register_privacy_hooks

        register_privacy_hooks()
