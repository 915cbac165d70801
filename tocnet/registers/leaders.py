"""Writes about the people who lead a register: deputy (ผู้ช่วยผู้แทน), vacancy, successor.

Kept apart from the planner's services: these change who leads a register, never its members
(except the successor's own place) nor its number, name or LINE group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tocnet.core.audit import audit_record
from tocnet.members.models import Member
from tocnet.registers.models import Register, RegisterMembership

# Later apps (line) react when a register's representative changes: the LINE group must be
# confirmed again by the new representative. Registered in AppConfig.ready.
LeaderChangedHandler = Callable[..., None]
leader_changed_handlers: list[LeaderChangedHandler] = []


def on_leader_changed(handler: LeaderChangedHandler) -> LeaderChangedHandler:
    """Register ``handler(register=..., actor=...)``, called inside the changing transaction."""
    if handler not in leader_changed_handlers:
        leader_changed_handlers.append(handler)
    return handler


def _leader_changed(*, register: Register, actor: Any) -> None:
    for handler in leader_changed_handlers:
        handler(register=register, actor=actor)


def _in_register(member: Member, register: Register) -> bool:
    return RegisterMembership.objects.filter(
        register=register, member=member, until__isnull=True
    ).exists()


@transaction.atomic
def register_deputy_set(*, register: Register, member: Member | None, actor: Any) -> Register:
    """Name (or with ``member=None`` clear) the register's deputy; audited.

    The deputy must be an active member of this register and not its representative.
    Raises ValidationError (Thai message) and changes nothing otherwise. Idempotent."""
    register = Register.objects.select_for_update().get(pk=register.pk)
    if member is not None:
        if member.status != Member.Status.ACTIVE:
            raise ValidationError(
                _("%(member)s is not an active member.") % {"member": member.full_name}
            )
        if not _in_register(member, register):
            raise ValidationError(
                _("%(member)s is not a member of register %(register)s.")
                % {"member": member.full_name, "register": register}
            )
        rep = register.representative
        if rep is not None and rep.ended_on is None and rep.member_id == member.pk:
            raise ValidationError(_("The representative cannot also be the deputy."))
        elsewhere = (
            Register.objects.filter(deputy=member, retired_at__isnull=True)
            .exclude(pk=register.pk)
            .exists()
        )
        if elsewhere:
            raise ValidationError(
                _("%(member)s is already the deputy of another register.")
                % {"member": member.full_name}
            )
    before = register.deputy.number if register.deputy else None
    after = member.number if member else None
    if before == after:
        return register
    register.deputy = member
    register.save(update_fields=["deputy", "updated_at"])
    audit_record(
        actor=actor,
        action="register.deputy_set" if member else "register.deputy_cleared",
        target=register,
        changes={"deputy": {"before": before, "after": after}},
    )
    return register
