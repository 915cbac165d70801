from django.contrib import admin

from tocnet.core.admin_audit import AuditedAdminMixin, ReadOnlyAdminMixin
from tocnet.registers.models import Register, RegisterMembership


@admin.register(Register)
class RegisterAdmin(AuditedAdminMixin):
    list_display = ("line_group_name", "unit", "number", "representative", "line_group_id")
    list_select_related = ("unit", "representative__member")
    search_fields = ("line_group_name",)
    raw_id_fields = ("representative",)


@admin.register(RegisterMembership)
class RegisterMembershipAdmin(ReadOnlyAdminMixin):
    list_display = ("member", "register", "since", "until")
    raw_id_fields = ("member", "register")
    list_select_related = ("member", "register")
