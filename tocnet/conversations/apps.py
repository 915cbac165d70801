from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "tocnet.conversations"
    label = "conversations"
    verbose_name = _("Conversations")

    def ready(self) -> None:
        from tocnet.accounts import roles
        from tocnet.accounts.menu import MenuEntry, menu_entry_register
        from tocnet.conversations import line_handlers, selectors
        from tocnet.conversations.reporting import simulate_report
        from tocnet.line.handlers import line_handler_register
        from tocnet.line.simulate import reporter_register

        line_handler_register(
            name="conversations.direct",
            event_type="message",
            source_type="user",
            handler=line_handlers.on_direct_message,
        )
        line_handler_register(
            name="conversations.unlinked",
            event_type="message",
            source_type="user",
            handler=line_handlers.on_any_direct_message,
            observer=True,
        )
        line_handler_register(
            name="conversations.preferences_on_link",
            event_type="message",
            source_type="user",
            handler=line_handlers.on_linked_preferences,
            observer=True,
        )
        line_handler_register(
            name="conversations.postback",
            event_type="postback",
            source_type="user",
            handler=line_handlers.on_postback,
        )
        line_handler_register(
            name="conversations.group_ask",
            event_type="message",
            source_type="group",
            handler=line_handlers.on_group_question,
        )
        reporter_register("conversations", simulate_report)
        from tocnet.conversations.privacy_hooks import register_hooks

        register_hooks()
        menu_entry_register(
            MenuEntry("conversations:inbox", _("Inbox"), selectors.shows_inbox_in_menu, 45, "inbox")
        )
        menu_entry_register(
            MenuEntry(
                "conversations:my_members",
                _("My members' questions"),
                roles.is_representative,
                45,
                "my-questions",
            )
        )
        menu_entry_register(
            MenuEntry(
                "conversations:article_list",
                _("Knowledge base"),
                selectors.may_browse_articles,
                46,
                "knowledge-base",
            )
        )
