"""Writes to members. Each service is atomic and leaves an AuditEvent in the same transaction."""

from dataclasses import dataclass

from django.db import transaction

from tocnet.accounts.models import User
from tocnet.core.audit import audit_record, diff_fields
from tocnet.core.thai import clean_text
from tocnet.members.importing.normalize import normalize_email, parse_phones
from tocnet.members.models import Member, Phone

CONTACT_FIELDS = ("email", "email_valid", "line_id", "no_line", "unreachable_reason")


@dataclass(frozen=True)
class ContactChange:
    phones: str
    email: str
    line_id: str
    no_line: bool
    unreachable_reason: str


def _contact_snapshot(member: Member) -> dict[str, object]:
    """The contact fields and phones as they stand, to diff for the audit event."""
    snapshot: dict[str, object] = {field: getattr(member, field) for field in CONTACT_FIELDS}
    snapshot["phones"] = [p.raw for p in member.phones.order_by("position", "id")]
    return snapshot


@transaction.atomic
def member_contact_update(
    *, member: Member, actor: User, change: ContactChange, ip_address: str | None = None
) -> Member:
    """Replace a member's phones, e-mail, LINE id and reachability; audited, all or nothing.

    Phones that cannot be read are kept as typed and flagged (valid=False) for correction.
    """
    member = Member.objects.select_for_update().get(pk=member.pk)
    before = _contact_snapshot(member)
    email, email_valid = normalize_email(change.email)
    member.email = email
    member.email_valid = email_valid
    member.line_id = clean_text(change.line_id)
    member.no_line = change.no_line
    member.unreachable_reason = clean_text(change.unreachable_reason)
    member.full_clean(exclude=["unit", "user"])
    member.save(update_fields=[*CONTACT_FIELDS, "updated_at"])

    # A number that stays the same keeps the text it was stored with (the form shows it in the
    # national format): saving the form unchanged changes nothing and audits nothing.
    stored = {(p.e164, p.extension): p.raw for p in member.phones.all() if p.e164}
    member.phones.all().delete()
    seen: set[tuple[str, str]] = set()
    phones: list[Phone] = []
    for value in parse_phones(change.phones):
        key = (value.e164 or value.raw, value.extension)
        if key in seen:
            continue
        seen.add(key)
        phones.append(
            Phone(
                member=member,
                raw=stored.get((value.e164, value.extension), value.raw)
                if value.e164
                else value.raw,
                e164=value.e164,
                extension=value.extension,
                kind=value.kind,
                valid=value.valid,
                position=len(phones),
            )
        )
    Phone.objects.bulk_create(phones)

    changes = diff_fields(before, _contact_snapshot(member))
    if changes:
        audit_record(
            actor=actor,
            action="member.contact_updated",
            target=member,
            changes=changes,
            ip_address=ip_address,
        )
    return member
