"""Admin changes leave the same audit trail as the product's own services."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.db import models, transaction
from django.forms import BaseModelForm
from django.http import HttpRequest

from tocnet.core.audit import audit_record


def _value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_value(v) for v in value]
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


class AuditedAdminMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Writes an AuditEvent, in the admin's own transaction, for every add, change and delete."""

    def save_model(self, request: HttpRequest, obj: Any, form: BaseModelForm, change: bool) -> None:  # type: ignore[type-arg]
        before = {}
        if change and obj.pk:
            old = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = {f: _value(getattr(old, f, None)) for f in form.changed_data} if old else {}
        super().save_model(request, obj, form, change)
        changes = {
            f: {"before": before.get(f), "after": _value(getattr(obj, f, None))}
            for f in form.changed_data
        }
        action = "admin_changed" if change else "admin_added"
        audit_record(
            actor=request.user,
            action=f"{obj._meta.model_name}.{action}",
            target=obj,
            changes=changes,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(actor=request.user, action=f"{obj._meta.model_name}.admin_deleted", target=obj)
        super().delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        touched = [*formset.new_objects, *(o for o, _f in formset.changed_objects)]
        for obj in [*touched, *formset.deleted_objects]:
            audit_record(
                actor=request.user,
                action=f"{obj._meta.model_name}.admin_inline_saved",
                target=form.instance,
                changes={"row": str(obj)},
            )


class ReadOnlyAdminMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Rows that only services may write (their history and audit live there)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def audited_delete_selected(modeladmin: Any, request: HttpRequest, queryset: Any) -> Any:
    """Django's "delete selected" for every admin, with one AuditEvent per deleted row
    written in the transaction that deletes them (registered site-wide in CoreConfig)."""
    if not request.POST.get("post"):
        return delete_selected(modeladmin, request, queryset)
    with transaction.atomic():
        rows = list(queryset)
        response = delete_selected(modeladmin, request, queryset)
        remaining = set(
            queryset.model._default_manager.filter(pk__in=[r.pk for r in rows]).values_list(
                "pk", flat=True
            )
        )
        for obj in rows:
            if obj.pk not in remaining:
                audit_record(
                    actor=request.user,
                    action=f"{obj._meta.model_name}.admin_deleted",
                    target=obj,
                    changes={"bulk": True},
                )
    return response


audited_delete_selected.short_description = delete_selected.short_description  # type: ignore[attr-defined]
audited_delete_selected.allowed_permissions = ("delete",)  # type: ignore[attr-defined]
