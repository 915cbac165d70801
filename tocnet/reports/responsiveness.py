"""Representatives' responsiveness across announcements (the coverage dashboard's follow-up).

For each announcement that asked members to respond and whose members' deadline has passed
(the moment the follow-up told representatives, kept on the timeline), a representative is
counted for the members of their registers:

- *to chase*: members (not the representative themselves) who had not responded by that deadline (no answer, a "could not
  reach" mark, an answer after it, or informed by the representative);
- *brought in*: of those, the ones informed by the representative (phone, in person) or who
  responded after the deadline;
- *how fast*: the median hours from the deadline to the moment each was brought in (an
  early mark by the representative counts as 0).

Three grouped queries whatever the number of members, registers or announcements.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.thai import thai_sort_key
from tocnet.messaging.models import Recipient
from tocnet.messaging.responses.models import (
    MEMBER_WAYS,
    REPRESENTATIVE_WAYS,
    Ask,
    TimelineEntry,
)

PERIOD_DAYS = 365
MEMBER_WAY_VALUES = sorted(str(w) for w in MEMBER_WAYS)
REPRESENTATIVE_WAY_VALUES = sorted(str(w) for w in REPRESENTATIVE_WAYS)


@dataclass
class RepresentativeFollowUp:
    key: str  # the representative's code
    name: str
    unit: str
    announcements: int = 0
    recipients: int = 0
    reached: int = 0  # responded or informed, whenever
    to_chase: int = 0
    informed: int = 0  # by the representative
    late_responses: int = 0  # members who answered after the deadline
    hours: list[float] = field(default_factory=list)

    @property
    def brought_in(self) -> int:
        return self.informed + self.late_responses

    @property
    def brought_in_share(self) -> float | None:
        return self.brought_in / self.to_chase if self.to_chase else None

    @property
    def reach_share(self) -> float | None:
        return self.reached / self.recipients if self.recipients else None

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.hours), 1) if self.hours else None

    @property
    def still_unreached(self) -> int:
        return self.to_chase - self.brought_in


@dataclass
class Responsiveness:
    rows: list[RepresentativeFollowUp]
    total: RepresentativeFollowUp
    since: dt.datetime


def _recipients_for_user(user: User) -> QuerySet[Recipient]:
    # A representative's own member record is not theirs to chase (it is not on their chase
    # list): it counts for none of their figures.
    qs = Recipient.objects.filter(register__representative__isnull=False).exclude(
        member_id=F("register__representative__member_id")
    )
    if roles.is_cooperative_staff(user):
        return qs
    if roles.is_agent(user):
        return qs.filter(register__unit__in=user.unit_links.values("unit_id"))
    if roles.is_representative(user):
        return qs.filter(register__representative__member__user=user)
    return qs.none()


def representative_responsiveness(
    user: User, *, now: dt.datetime | None = None, days: int = PERIOD_DAYS
) -> Responsiveness:
    """Per representative in the user's scope (staff: all; coop agents: their units'; a
    representative: their own; others: none), over the announcements of the last ``days``
    days whose members' deadline has passed. Three queries."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    deadline = TimelineEntry.objects.filter(
        announcement=OuterRef("announcement"), step=TimelineEntry.Step.MEMBER_DEADLINE
    ).values("at")[:1]
    base = (
        _recipients_for_user(user)
        .filter(
            announcement__send_started_at__gte=since,
            announcement__ask__audience=Ask.Audience.MEMBERS,
        )
        .annotate(deadline=Subquery(deadline))
        .filter(deadline__isnull=False)
    )
    informed = Q(response__way__in=REPRESENTATIVE_WAY_VALUES)
    late = Q(response__way__in=MEMBER_WAY_VALUES, response__first_at__gt=F("deadline"))
    to_chase = Q(response__first_at__isnull=True) | Q(response__first_at__gt=F("deadline"))
    rows: dict[int, RepresentativeFollowUp] = {}
    for r in (
        base.order_by()
        .values(
            "register__representative",
            "register__representative__code",
            "register__representative__member__title",
            "register__representative__member__first_name",
            "register__representative__member__last_name",
            "register__representative__unit__name",
        )
        .annotate(
            announcements=Count("announcement", distinct=True),
            recipients=Count("id"),
            reached=Count("id", filter=Q(response__first_at__isnull=False)),
            to_chase=Count("id", filter=to_chase | informed),
            informed=Count("id", filter=informed),
            late=Count("id", filter=late),
        )
    ):
        name = "{}{} {}".format(
            r["register__representative__member__title"] or "",
            r["register__representative__member__first_name"] or "",
            r["register__representative__member__last_name"] or "",
        ).strip()
        rows[r["register__representative"]] = RepresentativeFollowUp(
            key=str(r["register__representative__code"]),
            name=name,
            unit=str(r["register__representative__unit__name"] or ""),
            announcements=r["announcements"],
            recipients=r["recipients"],
            reached=r["reached"],
            to_chase=r["to_chase"],
            informed=r["informed"],
            late_responses=r["late"],
        )
    for rep, first_at, at in base.filter(informed | late).values_list(
        "register__representative", "response__first_at", "deadline"
    ):
        row = rows.get(rep)
        if row is not None and first_at is not None and at is not None:
            row.hours.append(max(0.0, (first_at - at).total_seconds() / 3600))
    ordered = sorted(
        rows.values(), key=lambda row: (thai_sort_key(row.unit), thai_sort_key(row.name))
    )
    total = RepresentativeFollowUp(key="", name="", unit="")
    for row in ordered:
        total.recipients += row.recipients
        total.reached += row.reached
        total.to_chase += row.to_chase
        total.informed += row.informed
        total.late_responses += row.late_responses
        total.hours.extend(row.hours)
    total.announcements = base.values("announcement").distinct().count() if ordered else 0
    return Responsiveness(rows=ordered, total=total, since=since)
