from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tocnet.core.models import AuditEvent

admin.site.site_header = _("TOC-Net administration")
admin.site.site_title = _("TOC-Net administration")
admin.site.index_title = _("Data management")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ("created_at", "kind", "actor_repr", "action", "target_repr")
    list_filter = ("kind", "action")
    search_fields = ("actor_repr", "action", "target_repr", "target_id")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
