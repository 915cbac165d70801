from django.contrib import admin

from tocnet.line.models import GroupMemberSighting, LineFriend, LineGroup, WebhookEvent


@admin.register(LineGroup)
class LineGroupAdmin(admin.ModelAdmin[LineGroup]):
    list_display = ["name", "status", "problem", "register", "member_count", "checked_at"]
    list_filter = ["status", "problem"]
    search_fields = ["name", "group_id"]
    readonly_fields = [f.name for f in LineGroup._meta.fields]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin[WebhookEvent]):
    list_display = ["webhook_event_id", "event_type", "status", "attempts", "received_at"]
    list_filter = ["status", "event_type"]
    readonly_fields = [f.name for f in WebhookEvent._meta.fields]


@admin.register(LineFriend)
class LineFriendAdmin(admin.ModelAdmin[LineFriend]):
    list_display = ["line_user_id", "step", "blocked", "failed_attempts", "locked_until"]
    list_filter = ["step", "blocked"]
    readonly_fields = [f.name for f in LineFriend._meta.fields]


@admin.register(GroupMemberSighting)
class GroupMemberSightingAdmin(admin.ModelAdmin[GroupMemberSighting]):
    list_display = ["group", "line_user_id", "in_group", "last_seen_at"]
    readonly_fields = [f.name for f in GroupMemberSighting._meta.fields]
