from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from tocnet.accounts.models import Department, LoginFailure, User


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ("username", "display_name", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("TOC-Net", {"fields": ("role", "display_name", "line_user_id", "departments")}),
    )
    filter_horizontal = ("departments", *BaseUserAdmin.filter_horizontal)


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin[LoginFailure]):
    list_display = ("username", "ip_address", "created_at")
    readonly_fields = ("username", "ip_address", "created_at")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ("name", "code", "ordering")
    list_editable = ("ordering",)
    search_fields = ("name", "code")
