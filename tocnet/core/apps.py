from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tocnet.core"
    label = "core"

    def ready(self) -> None:
        from django.contrib import admin
        from django.db import connections
        from django.db.backends.signals import connection_created

        from tocnet.core.admin_audit import audited_delete_selected
        from tocnet.core.model_names import thai_model_names_apply
        from tocnet.core.nul import install_on_connection

        thai_model_names_apply()

        from pathlib import Path

        from django.conf import settings

        from tocnet.core.catalogue import stale_catalogues_compile

        # A plain install (no gettext tools, no scripts/setup) still serves Thai.
        stale_catalogues_compile([Path(p) for p in settings.LOCALE_PATHS])
        admin.site.add_action(audited_delete_selected, "delete_selected")

        connection_created.connect(install_on_connection, dispatch_uid="tocnet-nul-guard")
        for connection in connections.all(initialized_only=True):
            install_on_connection(sender=None, connection=connection)
