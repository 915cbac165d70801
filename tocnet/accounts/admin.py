from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from tocnet.accounts.models import Department, LoginFailure, User
from tocnet.core.thai import keyword_lines

KEYWORD_MAX_CHARS = 60


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


class DepartmentForm(forms.ModelForm[Department]):
    class Meta:
        model = Department
        fields = ("name", "code", "ordering", "keywords")
        widgets = {"keywords": forms.Textarea(attrs={"rows": 12})}

    def clean_keywords(self) -> str:
        """One keyword or phrase per line, normalised (core.thai.keyword_lines): trimmed,
        Thai digits as 0-9, repeats dropped. A line too long to be a keyword is refused."""
        keywords = keyword_lines(self.cleaned_data.get("keywords") or "")
        for keyword in keywords:
            if len(keyword) > KEYWORD_MAX_CHARS:
                raise forms.ValidationError(
                    _(
                        "Keywords: “%(start)s…” is longer than %(max)d characters. Write one "
                        "word or short phrase per line."
                    ),
                    code="keyword_too_long",
                    params={"start": keyword[:20], "max": KEYWORD_MAX_CHARS},
                )
        return "\n".join(keywords)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    form = DepartmentForm
    list_display = ("name", "code", "ordering", "keyword_count")
    list_editable = ("ordering",)
    search_fields = ("name", "code", "keywords")

    @admin.display(description=_("keywords"))
    def keyword_count(self, department: Department) -> int:
        return len(keyword_lines(department.keywords))
