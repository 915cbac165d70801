from django.contrib import admin

from tocnet.core.admin_audit import ReadOnlyAdminMixin
from tocnet.privacy.models import Consent, ConsentChange, Restriction


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdminMixin):
    list_display = ("member", "purpose", "channel", "allowed", "method", "recorded_at")
    list_filter = ("purpose", "channel", "allowed", "method")
    raw_id_fields = ("member",)


@admin.register(ConsentChange)
class ConsentChangeAdmin(ReadOnlyAdminMixin):
    list_display = ("member", "purpose", "channel", "allowed", "method", "created_at")
    list_filter = ("purpose", "channel", "method")


@admin.register(Restriction)
class RestrictionAdmin(ReadOnlyAdminMixin):
    list_display = ("member", "active", "started_at", "lifted_at")
    list_filter = ("active",)
