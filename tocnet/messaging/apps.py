from typing import Any

from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "tocnet.messaging"
    label = "messaging"

    def ready(self) -> None:
        from tocnet.line.handlers import Apply, line_handler_register
        from tocnet.messaging.responses import line_handlers, tasks  # noqa: F401 (periodic job)

        def acknowledge(event: dict[str, Any]) -> Apply | None:
            # Looked up at call time so tests can patch the module's function (the seam).
            result: Apply | None = line_handlers.on_group_acknowledgement(event)
            return result

        line_handler_register(
            name="messaging.acknowledge",
            event_type="message",
            source_type="group",
            handler=acknowledge,
        )
