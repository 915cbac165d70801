"""Erasure of a member (PDPA s.33): anonymise what the cooperative must keep, delete the rest.

The rule is written down in docs/privacy.md ("Erasure"). In short: the Member row stays with
its member number, unit, type, status and dates (the reference to the share and loan records
the Cooperatives Act and accounting law make the cooperative keep, and what every count is made
of); everything that identifies the person in TOC-Net (names, phones, e-mail, LINE ids,
national ID, login, free text) is deleted or replaced by ERASED, through each app's hook.
"""

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q

from tocnet.members.models import Member

ERASED = "[ลบแล้ว]"
ERASED_NAME = "ลบข้อมูลแล้ว"

_TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


@dataclass(frozen=True)
class Identifiers:
    """What identifies one member, collected before anything is wiped."""

    member_pk: int
    member_code: str
    number: str
    names: tuple[str, ...]  # full-name forms: found anywhere means this person
    name_parts: tuple[str, ...]  # first and last name alone: scrubbed in this member's own rows
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    line_ids: tuple[str, ...]
    national_ids: tuple[str, ...]
    user_pk: int | None

    @property
    def strong(self) -> tuple[str, ...]:
        """Values that identify this person wherever they appear."""
        return tuple(
            v
            for v in (*self.names, *self.phones, *self.emails, *self.line_ids, *self.national_ids)
            if len(v) >= 4
        )

    @property
    def everything(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.strong, *(p for p in self.name_parts if len(p) >= 2))))


def _phone_forms(raw: str, e164: str) -> list[str]:
    forms = [raw.strip(), e164.strip()]
    digits = re.sub(r"\D", "", e164 or raw)
    if digits.startswith("66") and len(digits) >= 10:
        national = "0" + digits[2:]
        forms += [digits, national, f"{national[:3]}-{national[3:6]}-{national[6:]}"]
    elif digits:
        forms.append(digits)
    return [f for f in forms if f]


def identifiers_for(member: Member) -> Identifiers:
    """Collect the member's identifiers (run before any hook wipes them)."""
    names = {
        member.full_name,
        member.sort_name,
        f"{member.first_name}{member.last_name}",
        f"{member.title} {member.first_name} {member.last_name}".strip(),
    }
    phones: list[str] = []
    for phone in member.phones.all():
        phones += _phone_forms(phone.raw, phone.e164)
    emails = {member.email.strip()} if member.email.strip() else set()
    line_ids = {v for v in (member.line_id.strip(), member.line_user_id or "") if v}
    user = member.user
    if user is not None:
        if user.email:
            emails.add(user.email)
        if user.line_user_id:
            line_ids.add(user.line_user_id)
        full = f"{user.first_name} {user.last_name}".strip()
        if full:
            names.add(full)
    return Identifiers(
        member_pk=member.pk,
        member_code=str(member.code),
        number=member.number,
        names=tuple(sorted(n for n in names if n and n != member.title)),
        name_parts=tuple(p for p in (member.first_name, member.last_name) if p),
        phones=tuple(dict.fromkeys(phones)),
        emails=tuple(sorted(emails)),
        line_ids=tuple(sorted(line_ids)),
        national_ids=(member.national_id,) if member.national_id else (),
        user_pk=user.pk if user else None,
    )


def scrub_value(value: Any, needles: Iterable[str]) -> Any:
    """`value` with every needle replaced by ERASED, through strings, lists and dicts."""
    ordered = sorted(set(needles), key=len, reverse=True)
    if isinstance(value, str):
        for needle in ordered:
            if needle:
                value = re.sub(re.escape(needle), ERASED, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, list):
        return [scrub_value(v, ordered) for v in value]
    if isinstance(value, dict):
        return {scrub_value(k, ordered): scrub_value(v, ordered) for k, v in value.items()}
    return value


def text_fields(model: type[models.Model]) -> "list[models.Field[Any, Any]]":
    """The concrete columns of `model` that can hold text (char, text, JSON)."""
    return [
        f for f in model._meta.concrete_fields if isinstance(f, _TEXT_FIELDS) and not f.primary_key
    ]


def text_match_q(model: type[models.Model], needles: Iterable[str]) -> Q:
    """Rows of `model` where any text column contains any needle (case-insensitive)."""
    condition = Q(pk__in=[])
    for field in text_fields(model):
        for needle in needles:
            condition |= Q(**{f"{field.name}__icontains": needle})
            if isinstance(field, models.JSONField):
                # JSON is stored ASCII-escaped on SQLite (\u0e2a...), as typed on PostgreSQL.
                escaped = json.dumps(needle)[1:-1]
                if escaped != needle:
                    condition |= Q(**{f"{field.name}__icontains": escaped})
    return condition


def scrub_rows(
    queryset: "models.QuerySet[Any, Any]",
    needles: Iterable[str],
    *,
    match: bool = True,
    also: Iterable[str] = (),
) -> int:
    """Replace needles in every text column of the rows (that contain one, if `match`).

    `also` (the name parts) is scrubbed too in the rows found: a first name next to the
    member's phone number still points at them.
    """
    needles = tuple(n for n in needles if n)
    if not needles:
        return 0
    replaced = (*needles, *(a for a in also if a))
    model = queryset.model
    fields = text_fields(model)
    rows = queryset.filter(text_match_q(model, needles)) if match else queryset
    changed = 0
    for obj in rows.iterator():
        updates = []
        for field in fields:
            before = getattr(obj, field.attname)
            after = scrub_value(before, replaced)
            if after != before:
                setattr(obj, field.attname, after)
                updates.append(field.attname)
        if updates:
            obj.save(update_fields=updates)
            changed += 1
    return changed
