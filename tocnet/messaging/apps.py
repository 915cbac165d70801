from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from tocnet.core.jsontypes import JSONObject


class MessagingConfig(AppConfig):
    name = "tocnet.messaging"
    label = "messaging"

    def ready(self) -> None:
        from tocnet.messaging.privacy_hooks import register_privacy_hooks

        register_privacy_hooks()
        from tocnet.accounts import roles
        from tocnet.accounts.menu import MenuEntry, menu_entry_register

        menu_entry_register(
            MenuEntry(
                url_name="messaging:list",
                label=_("Announcements"),
                shown_to=lambda u: (
                    roles.is_cooperative_staff(u) or roles.is_agent(u) or roles.is_board(u)
                ),
                position=55,
                nav="announcements",
            )
        )
        menu_entry_register(
            MenuEntry(
                url_name="responses:call_queue",
                label=_("Call queue"),
                shown_to=roles.is_cooperative_staff,
                position=56,
                nav="call-queue",
            )
        )
        from tocnet.line.handlers import Apply, line_handler_register
        from tocnet.messaging.responses import line_handlers, tasks  # noqa: F401 (periodic job)

        def acknowledge(event: JSONObject) -> Apply | None:
            # Looked up at call time so tests can patch the module's function (the seam).
            result: Apply | None = line_handlers.on_group_acknowledgement(event)
            return result

        line_handler_register(
            name="messaging.acknowledge",
            event_type="message",
            source_type="group",
            handler=acknowledge,
        )
