"""The leader notice on a register's phone page: vacancy, term, deputy, who is looking."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict, cast

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from tocnet.members.models import Member
from tocnet.registers.models import Register
from tocnet.registers.selectors import register_deputy, register_leader_role, term_state

register = template.Library()


class LeaderNotice(TypedDict):
    """What the notice shows for this register and the signed-in user."""

    vacant: bool
    role: str  # representative | deputy | ""
    term_end: dt.date | None
    term_state: str
    deputy: Member | None
    representative: Member | None


@register.simple_tag(takes_context=True)
def register_leader_notice(context: template.Context, register_obj: Register) -> LeaderNotice:
    """What the notice shows for this register and the signed-in user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    rep = register_obj.representative
    current = rep if rep is not None and rep.ended_on is None else None
    return {
        "vacant": current is None,
        "role": register_leader_role(user, register_obj) if user is not None else "",
        "term_end": current.term_end if current else None,
        "term_state": term_state(current.term_end, timezone.localdate()) if current else "",
        "deputy": register_deputy(register_obj),
        "representative": current.member if current else None,
    }


@register.filter
def end_reason_label(reason: str) -> str:
    """A stored reason ("resigned", ...) in the reader's language; free text as typed."""
    from django import forms

    from tocnet.registers.forms import VacateForm

    field = cast(forms.ChoiceField, VacateForm.base_fields["reason"])
    labels = dict(cast(list[tuple[str, str]], field.choices))
    labels["not_in_list"] = _("not in the imported list of representatives")
    return str(labels.get(reason, reason))
