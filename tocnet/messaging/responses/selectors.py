"""Reads for responses: the chase list and the per-announcement report, in a constant number
of queries whatever the audience size."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.members.models import Phone
from tocnet.messaging.models import Announcement, Recipient
from tocnet.messaging.responses.models import Ask, Response
from tocnet.registers.models import Register
from tocnet.registers.selectors import register_leader_q

OPEN_STATES = (Announcement.State.SENDING, Announcement.State.PAUSED, Announcement.State.SENT)


def chase_registers_for_user(user: User) -> QuerySet[Register]:
    """Registers whose unanswered members this user chases: a representative or deputy their
    own, a coop agent their units' (escalation reaches them), staff every register."""
    qs = Register.objects.filter(retired_at__isnull=True)
    if roles.is_cooperative_staff(user):
        return qs
    if roles.is_agent(user):
        return qs.filter(unit__in=user.unit_links.values("unit_id"))
    if roles.is_representative(user):
        return qs.filter(register_leader_q(user))
    return qs.none()


def open_asks_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}state__in": OPEN_STATES}) & ~Q(
        **{f"{prefix}ask__stage": Ask.Stage.CLOSED}
    )


@dataclass
class ChaseSection:
    announcement: Announcement
    rows: list[Recipient] = field(default_factory=list)
    total: int = 0


def chase_list_for_user(
    user: User, *, announcement: Announcement | None = None, register: Register | None = None
) -> list[ChaseSection]:
    """Members of the user's registers who have not responded to open announcements, newest
    announcement first; each row carries its member (phones prefetched), the channel tried
    (``channel``, ``delivery``) and any "could not reach" mark (``mark_note``). Four queries."""
    registers = chase_registers_for_user(user)
    if register is not None:
        registers = registers.filter(pk=register.pk)
    answered = Response.objects.filter(
        announcement=OuterRef("announcement"), member=OuterRef("member"), first_at__isnull=False
    )
    mark = Response.objects.filter(
        announcement=OuterRef("announcement"), member=OuterRef("member"), first_at__isnull=True
    )
    recipients = Recipient.objects.filter(register__in=registers).filter(
        open_asks_q("announcement__"), announcement__ask__isnull=False
    )
    if announcement is not None:
        recipients = recipients.filter(announcement=announcement)
    rows = list(
        recipients.annotate(
            answered=Exists(answered),
            mark_note=Subquery(mark.order_by().values("note")[:1]),
            marked=Exists(mark),
        )
        .filter(answered=False)
        .select_related("member", "delivery", "register", "announcement__ask")
        .prefetch_related(
            Prefetch(
                "member__phones",
                queryset=Phone.objects.filter(valid=True).order_by("position", "id"),
            )
        )
        .order_by(
            "-announcement__send_started_at", "announcement_id", "register_id", "member__first_name"
        )
    )
    totals = dict(
        recipients.order_by()
        .values_list("announcement")
        .annotate(n=Count("id"))
        .values_list("announcement", "n")
    )
    sections: dict[int, ChaseSection] = {}
    for row in rows:
        section = sections.get(row.announcement_id)
        if section is None:
            section = sections[row.announcement_id] = ChaseSection(
                announcement=row.announcement, total=totals.get(row.announcement_id, 0)
            )
        section.rows.append(row)
    return list(sections.values())


def chase_recipient_for_user(
    user: User, *, announcement_code: object, member_code: object
) -> Recipient | None:
    """The recipient a chaser may mark, or None outside their registers."""
    return (
        Recipient.objects.filter(
            register__in=chase_registers_for_user(user),
            announcement__code=announcement_code,
            member__code=member_code,
        )
        .filter(open_asks_q("announcement__"))
        .select_related("announcement", "member", "delivery", "register")
        .first()
    )
