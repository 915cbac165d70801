from django.contrib import admin

from tocnet.messaging.models import Announcement, Delivery, LineBatch, Recipient, Relay


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin[Announcement]):
    list_display = [
        "title",
        "state",
        "purpose",
        "mode",
        "category",
        "author",
        "approver",
        "created_at",
    ]
    list_filter = ["state", "purpose", "mode", "category"]
    search_fields = ["title"]
    # State changes go through the services (two-person rule, audit): read-only here.
    readonly_fields = [f.name for f in Announcement._meta.fields]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ["announcement", "channel", "status", "reason", "attempts", "sent_at"]
    list_filter = ["channel", "status"]
    readonly_fields = [f.name for f in Delivery._meta.fields]


@admin.register(LineBatch)
class LineBatchAdmin(admin.ModelAdmin[LineBatch]):
    list_display = ["announcement", "retry_key", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in LineBatch._meta.fields]


@admin.register(Relay)
class RelayAdmin(admin.ModelAdmin[Relay]):
    list_display = ["announcement", "register", "status", "forwarded_at", "fallback_due_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Relay._meta.fields]


admin.site.register(Recipient)
