"""What registers hold about a member, for the PDPA export (privacy's registry)."""

from django.utils.translation import gettext_lazy as _

from tocnet.members.models import Member
from tocnet.privacy.registry import ExportRow, register_member_data
from tocnet.registers.models import Register, RegisterMembership


def _export_history(member: Member) -> list[ExportRow]:
    rows = RegisterMembership.objects.filter(member=member).select_related(
        "register__unit", "register__representative__member"
    )
    return [
        {
            "register": m.register.line_group_name or str(m.register),
            "unit": m.register.unit.name,
            "representative": (
                m.register.representative.member.full_name if m.register.representative else ""
            ),
            "since": m.since.isoformat(),
            "until": m.until.isoformat() if m.until else None,
        }
        for m in rows.order_by("since", "id")
    ]


def _export_deputy(member: Member) -> list[ExportRow]:
    return [
        {
            "register": r.line_group_name or str(r),
            "unit": r.unit.name,
            "retired": bool(r.retired_at),
        }
        for r in Register.objects.filter(deputy=member).select_related("unit").order_by("id")
    ]


def register_privacy_hooks() -> None:
    register_member_data(
        "registers.deputy",
        label=_("Deputy representative of registers"),
        export=_export_deputy,
        order=21,
    )
    # Membership rows hold no text about the member: they stay after an erasure (counts).
    register_member_data(
        "registers.history",
        label=_("Registers and representatives"),
        export=_export_history,
        order=20,
    )
