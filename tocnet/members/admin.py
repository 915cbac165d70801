from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from tocnet.core.admin_audit import AuditedAdminMixin
from tocnet.core.audit import audit_access
from tocnet.core.http import client_ip
from tocnet.members.models import ImportJob, Member, Phone, Representative, Unit, UnitAgent


class UnitAgentInline(admin.TabularInline[UnitAgent, Unit]):
    model = UnitAgent
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Unit)
class UnitAdmin(AuditedAdminMixin):
    list_display = ("name", "kind", "abbreviation", "province", "responsible")
    list_filter = ("kind", "responsible")
    search_fields = ("name", "abbreviation", "province")
    inlines = [UnitAgentInline]


class PhoneInline(admin.TabularInline[Phone, Member]):
    model = Phone
    extra = 0


@admin.register(Member)
class MemberAdmin(AuditedAdminMixin):
    list_display = ("number", "first_name", "last_name", "unit", "status")
    list_filter = ("status", "member_type", "unit__kind")
    search_fields = ("number", "first_name", "last_name")
    list_select_related = ("unit",)
    raw_id_fields = ("user",)
    exclude = ("national_id",)
    inlines = [PhoneInline]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, object] | None = None,
    ) -> HttpResponse:
        member = self.get_object(request, object_id)
        if member is not None:
            audit_access(
                actor=request.user,
                action="member.viewed_in_admin",
                target=member,
                ip_address=client_ip(request),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Representative)
class RepresentativeAdmin(AuditedAdminMixin):
    list_display = ("member", "unit", "term_start", "term_end", "ended_on")
    list_filter = ("unit__kind",)
    raw_id_fields = ("member",)
    list_select_related = ("member", "unit")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin[ImportJob]):
    list_display = ("created_at", "kind", "file_name", "status", "uploaded_by")
    # result holds every parsed row (personal data): the import pages show it, scoped and logged.
    exclude = ("result",)
    readonly_fields = ("code", "sha256", "summary", "created_at", "committed_at")
