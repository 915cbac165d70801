"""Reads of PDPA records. The planner asks here who may not be messaged; search asks who is hidden.

Everything is a subquery over Member so that 10,700 members cost one query, wherever it is used:
`Member.objects.filter(member_messageable_q(purpose=..., channel=...))`.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, CharField, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from tocnet.core.models import AccessedMember, AuditEvent
from tocnet.members.models import Member
from tocnet.privacy.models import (
    MESSAGE_PURPOSES,
    OPT_OUT_PURPOSES,
    REPRESENTATIVE_CHANNEL,
    Channel,
    Consent,
    Purpose,
    Restriction,
)


class Unreachable:
    """Why a member may not be messaged for a purpose on a channel (shown as "unreachable: …")."""

    RESTRICTED = "restricted"
    OBJECTED = "objected"
    NO_CONSENT = "no_consent"

    LABELS = {
        RESTRICTED: _("processing restricted"),
        OBJECTED: _("objected"),
        NO_CONSENT: _("no consent given"),
    }


def restricted_member_ids() -> QuerySet[Restriction, Any]:
    """Member pks under an active restriction, as a subquery (`pk__in=`)."""
    return Restriction.objects.filter(active=True).values("member_id")


def _check(purpose: str, channel: str) -> None:
    if purpose not in MESSAGE_PURPOSES:
        raise ValueError(f"unknown message purpose {purpose!r}")
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")


def member_not_messageable_ids(*, purpose: str, channel: str) -> QuerySet[Member, Any]:
    """Pks of members who may not be messaged for `purpose` on `channel` (a subquery).

    News is allowed unless the member objected; offers and coaching need a consent that is still
    given. A restricted member may not be messaged for anything.
    """
    _check(purpose, channel)
    restricted = Q(pk__in=restricted_member_ids())
    if purpose in OPT_OUT_PURPOSES:
        objected = Consent.objects.filter(purpose=purpose, channel=channel, allowed=False)
        condition = restricted | Q(pk__in=objected.values("member_id"))
    else:
        given = Consent.objects.filter(purpose=purpose, channel=channel, allowed=True)
        condition = restricted | ~Q(pk__in=given.values("member_id"))
    return Member.objects.filter(condition).values("pk")


def member_messageable_q(*, purpose: str, channel: str) -> Q:
    """A filter on Member keeping only those who may be messaged for `purpose` on `channel`."""
    return ~Q(pk__in=member_not_messageable_ids(purpose=purpose, channel=channel))


def members_not_messageable(
    *, purpose: str, channel: str, members: QuerySet[Member] | None = None
) -> QuerySet[Member]:
    """Members (of `members`, default all) who may not be messaged, each with `privacy_reason`.

    One query; `privacy_reason` is one of Unreachable.RESTRICTED, OBJECTED, NO_CONSENT.
    """
    base = Member.objects.all() if members is None else members
    qs = base.filter(pk__in=member_not_messageable_ids(purpose=purpose, channel=channel))
    restricted = Exists(Restriction.objects.filter(member=OuterRef("pk"), active=True))
    refused = Exists(
        Consent.objects.filter(
            member=OuterRef("pk"), purpose=purpose, channel=channel, allowed=False
        )
    )
    return qs.annotate(
        privacy_reason=Case(
            When(restricted, then=Value(Unreachable.RESTRICTED)),
            When(refused, then=Value(Unreachable.OBJECTED)),
            default=Value(Unreachable.NO_CONSENT),
            output_field=CharField(),
        )
    )


def member_may_be_messaged(*, member: Member, purpose: str, channel: str) -> bool:
    """One member's answer, for the inbox and single sends."""
    return (
        not member_not_messageable_ids(purpose=purpose, channel=channel)
        .filter(pk=member.pk)
        .exists()
    )


def member_is_restricted(member: Member) -> bool:
    return Restriction.objects.filter(member=member, active=True).exists()


@dataclass(frozen=True)
class ConsentCell:
    purpose: str
    purpose_label: str
    channel: str
    channel_label: str
    allowed: bool
    explicit: bool  # False: the default (news allowed, the others not yet given)
    consent: Consent | None


def consent_matrix_for_member(member: Member) -> list[ConsentCell]:
    """Every message purpose × channel with the member's current choice or the default, then
    the representative's access (one cell, not per channel)."""
    current = {(c.purpose, c.channel): c for c in Consent.objects.filter(member=member)}
    cells = []
    pairs = [(p, c) for p in MESSAGE_PURPOSES for c in Channel]
    pairs.append((Purpose.REPRESENTATIVE, REPRESENTATIVE_CHANNEL))
    for purpose, channel in pairs:
        consent = current.get((purpose.value, channel.value))
        allowed = consent.allowed if consent else purpose in OPT_OUT_PURPOSES
        cells.append(
            ConsentCell(
                purpose=purpose.value,
                purpose_label=str(purpose.label),
                channel=channel.value,
                channel_label="–" if purpose == Purpose.REPRESENTATIVE else str(channel.label),
                allowed=allowed,
                explicit=consent is not None,
                consent=consent,
            )
        )
    return cells


def representative_access_q(prefix: str = "") -> Q:
    """A filter on Member (or through ``prefix``) keeping members who allowed their
    representative to see their conversations."""
    return Q(
        **{
            f"{prefix}consents__purpose": Purpose.REPRESENTATIVE,
            f"{prefix}consents__channel": REPRESENTATIVE_CHANNEL,
            f"{prefix}consents__allowed": True,
        }
    )


def representative_access_answered(member: Member) -> bool:
    """The member already answered (either way) whether their representative may see."""
    return Consent.objects.filter(
        member=member, purpose=Purpose.REPRESENTATIVE, channel=REPRESENTATIVE_CHANNEL
    ).exists()


def representative_access_allowed(member: Member) -> bool:
    return Consent.objects.filter(
        member=member,
        purpose=Purpose.REPRESENTATIVE,
        channel=REPRESENTATIVE_CHANNEL,
        allowed=True,
    ).exists()


def audit_events_about_member(member: Member) -> QuerySet[AuditEvent]:
    """Audit events about one member: those targeting their record, events about
    something of theirs that name them in their detail (``{"member": <code or number>}``: a
    conversation opened, a response recorded), and access events that showed them among
    others (a list page, a unit page, an export or a job's file: `AccessedMember` rows)."""
    code = str(member.code)
    return AuditEvent.objects.filter(
        Q(target_type="members.member", target_id=code)
        | Q(changes__member=code)
        | Q(changes__member=member.number)
        | Q(pk__in=AccessedMember.objects.filter(member_pk=member.pk).values("event_id"))
    )
