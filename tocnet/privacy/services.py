"""Writes of PDPA records; each in one transaction with its AuditEvent."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tocnet.core.audit import audit_record
from tocnet.members.models import Member
from tocnet.privacy.models import Channel, Consent, ConsentChange, Method, Purpose, Restriction
from tocnet.privacy.notice import current_notice


def _actor_repr(actor: Any) -> str:
    if getattr(actor, "is_authenticated", False):
        return str(actor.get_username())[:150]
    return str(actor or "system")[:150]


@transaction.atomic
def consent_set(
    *,
    member: Member,
    purpose: str,
    channel: str,
    allowed: bool,
    method: str,
    actor: Any,
    member_statement: str = "",
    notice_version: str | None = None,
) -> Consent:
    """Record a member's choice for a purpose on a channel; a no-op change still leaves history."""
    if purpose not in Purpose.values or channel not in Channel.values:
        raise ValidationError(_("Unknown purpose or channel."))
    if method not in Method.values:
        raise ValidationError(_("Unknown way of recording a consent."))
    if method == Method.REPRESENTATIVE and not member_statement.strip():
        raise ValidationError(
            {"member_statement": _("Write down what the member said (their own words).")}
        )
    now = timezone.now()
    version = notice_version or current_notice().version
    user = actor if getattr(actor, "is_authenticated", False) else None
    consent = (
        Consent.objects.select_for_update()
        .filter(member=member, purpose=purpose, channel=channel)
        .first()
    )
    previous = consent.allowed if consent else None
    if consent is None:
        consent = Consent(member=member, purpose=purpose, channel=channel)
    consent.allowed = allowed
    consent.method = method
    consent.notice_version = version
    consent.recorded_by = user
    consent.recorded_at = now
    consent.full_clean(validate_unique=False)
    consent.save()
    ConsentChange.objects.create(
        member=member,
        purpose=purpose,
        channel=channel,
        allowed=allowed,
        previous=previous,
        method=method,
        notice_version=version,
        member_statement=member_statement.strip()[:300],
        recorded_by=user,
        recorded_by_repr=_actor_repr(actor),
        created_at=now,
    )
    audit_record(
        actor=actor,
        action="privacy.consent_set",
        target=member,
        changes={
            "purpose": purpose,
            "channel": channel,
            "allowed": {"before": previous, "after": allowed},
            "method": method,
            "notice_version": version,
        },
    )
    return consent


@transaction.atomic
def member_restrict(*, member: Member, reason: str, actor: Any) -> Restriction:
    """Restrict processing: the member disappears from sends and search, the record stays."""
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the restriction.")})
    existing = Restriction.objects.filter(member=member, active=True).first()
    if existing:
        return existing
    user = actor if getattr(actor, "is_authenticated", False) else None
    restriction = Restriction.objects.create(
        member=member,
        reason=reason.strip()[:300],
        started_at=timezone.now(),
        started_by=user,
    )
    audit_record(
        actor=actor, action="privacy.member_restricted", target=member, changes={"reason": reason}
    )
    return restriction


@transaction.atomic
def member_restriction_lift(*, member: Member, actor: Any) -> int:
    """Lift an active restriction; returns how many were lifted (0 or 1)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    lifted = Restriction.objects.filter(member=member, active=True).update(
        active=False, lifted_at=timezone.now(), lifted_by=user
    )
    if lifted:
        audit_record(actor=actor, action="privacy.member_restriction_lifted", target=member)
    return lifted
