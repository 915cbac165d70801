"""Reads for responses: the chase list and the per-announcement report, in a constant number
of queries whatever the audience size."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.thai import thai_sort_key
from tocnet.members.models import Phone, Unit
from tocnet.messaging.models import Announcement, Recipient
from tocnet.messaging.responses.models import (
    INFORMED_WAYS,
    MEMBER_WAYS,
    Ask,
    Response,
    TimelineEntry,
    Way,
)
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
    recipients = Recipient.objects.filter(register__in=registers).filter(
        open_asks_q("announcement__"), announcement__ask__isnull=False
    )
    if announcement is not None:
        recipients = recipients.filter(announcement=announcement)
    # Not answered: no response row, or only a "could not reach" mark (first_at empty). The
    # response is reached by its one-to-one recipient link: a join, not a subquery per row.
    rows = list(
        recipients.filter(Q(response__isnull=True) | Q(response__first_at__isnull=True))
        .select_related("member", "delivery", "register", "announcement__ask", "response")
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
    for row in rows:
        mark = getattr(row, "response", None)
        row.mark_note = mark.note if mark is not None else ""  # type: ignore[attr-defined]
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


# --- the report per announcement --------------------------------------------------------------

MEMBER_WAY_VALUES = [str(w) for w in MEMBER_WAYS]
INFORMED_WAY_VALUES = [str(w) for w in INFORMED_WAYS]
PERCENTILES = (50, 80, 95)


@dataclass
class ReportRow:
    key: str
    name: str
    unit: str
    representative: str
    recipients: int
    responded: int
    informed: int
    unit_key: str = ""

    @property
    def unreached(self) -> int:
        return self.recipients - self.responded - self.informed

    @property
    def percent(self) -> int:
        done = self.responded + self.informed
        return round(100 * done / self.recipients) if self.recipients else 0


@dataclass
class AnnouncementReport:
    announcement: Announcement
    ask: Ask | None
    recipients: int
    responded: int
    informed: int
    by_way: dict[str, int]
    unreached_by_reason: dict[str, int]
    poll: dict[str, int] | None
    poll_by_unit: list[dict[str, object]]
    times: dict[int, dt.timedelta | None]
    by_register: list[ReportRow]
    by_unit: list[ReportRow]
    curve: list[tuple[float, int]]  # (hours since the send, responded or informed so far)

    @property
    def unreached(self) -> int:
        return self.recipients - self.responded - self.informed

    def as_json(self) -> dict[str, object]:
        return {
            "announcement": self.announcement.pk,
            "recipients": self.recipients,
            "responded": self.responded,
            "informed_by_representative": self.informed,
            "unreached": self.unreached,
            "by_way": self.by_way,
            "poll": self.poll,
            "by_register": [
                {
                    "register": row.name,
                    "recipients": row.recipients,
                    "responded": row.responded,
                    "informed_by_representative": row.informed,
                    "unreached": row.unreached,
                }
                for row in self.by_register
            ],
        }


def _rows(recipients: QuerySet[Recipient], keys: list[str]) -> list[dict[str, object]]:
    return list(
        recipients.order_by()
        .values(*keys)
        .annotate(
            n=Count("id"),
            responded=Count("id", filter=Q(response__way__in=MEMBER_WAY_VALUES)),
            informed=Count("id", filter=Q(response__way__in=INFORMED_WAY_VALUES)),
        )
    )


def announcement_report(
    announcement: Announcement, *, units: QuerySet[Unit] | None = None
) -> AnnouncementReport:
    """Everything the report shows, in a fixed number of queries (about ten) whatever the
    audience size: totals by way and reason, poll answers overall and per unit, times to
    50/80/95 %, per register (with representative) and per unit, and the response curve."""
    ask = Ask.objects.filter(announcement=announcement).first()
    recipients = Recipient.objects.filter(announcement=announcement)
    responses = Response.objects.filter(announcement=announcement)
    if units is not None:  # a coop agent: their units' share only
        recipients = recipients.filter(unit__in=units)
        responses = responses.filter(recipient__unit__in=units)
    counted = responses.filter(first_at__isnull=False)
    by_way = {
        way: n
        for way, n in responses.order_by().values_list("way").annotate(n=Count("id"))
        if way != Way.REP_UNREACHABLE
    }
    total = recipients.count()
    responded = sum(n for way, n in by_way.items() if way in MEMBER_WAY_VALUES)
    informed = sum(n for way, n in by_way.items() if way in INFORMED_WAY_VALUES)
    # Unreached, by why: what the representative said, what the planner found, or silence.
    unanswered = recipients.exclude(response__first_at__isnull=False)
    reasons: dict[str, int] = {}
    for reason, marked, status, n in (
        unanswered.order_by()
        .values_list("reason", "response__way", "delivery__status")
        .annotate(n=Count("id"))
    ):
        if marked == Way.REP_UNREACHABLE:
            key = "representative_could_not_reach"
        elif reason:
            key = str(reason)
        elif status in ("failed", "unknown", "cancelled", "unreachable"):
            key = f"delivery_{status}"
        else:
            key = "no_answer"
        reasons[key] = reasons.get(key, 0) + n
    poll: dict[str, int] | None = None
    poll_by_unit: list[dict[str, object]] = []
    if ask is not None and ask.kind == Ask.Kind.POLL:
        options = list(ask.options.all())
        counts = dict(
            responses.filter(option__isnull=False)
            .order_by()
            .values_list("option")
            .annotate(n=Count("id"))
        )
        poll = {o.label: counts.get(o.pk, 0) for o in options}
        per_unit: dict[str, dict[str, object]] = {}
        for unit, option, n in (
            recipients.filter(response__option__isnull=False)
            .order_by()
            .values_list("unit__name", "response__option")
            .annotate(n=Count("id"))
        ):
            row = per_unit.setdefault(
                unit, {"unit": unit, "answers": {o.label: 0 for o in options}}
            )
            label = next(o.label for o in options if o.pk == option)
            row["answers"][label] = n  # type: ignore[index]
        poll_by_unit = [per_unit[k] for k in sorted(per_unit, key=thai_sort_key)]
    start = announcement.send_started_at
    # One sorted column gives both the times to 50/80/95 % and the hourly curve.
    stamps: list[dt.datetime] = [
        at for at in counted.order_by("first_at").values_list("first_at", flat=True) if at
    ]
    times: dict[int, dt.timedelta | None] = {}
    for p in PERCENTILES:
        k = math.ceil(total * p / 100)
        times[p] = (stamps[k - 1] - start) if start and k and k <= len(stamps) else None
    registers = [
        ReportRow(
            key=str(r["register__code"] or ""),
            name=str(r["register__line_group_name"] or r["register__unit__abbreviation"] or "–"),
            unit=str(r["unit__name"]),
            unit_key=str(r["unit__code"]),
            representative=" ".join(
                str(x)
                for x in (
                    r["register__representative__member__first_name"],
                    r["register__representative__member__last_name"],
                )
                if x
            ),
            recipients=int(r["n"]),  # type: ignore[call-overload]
            responded=int(r["responded"]),  # type: ignore[call-overload]
            informed=int(r["informed"]),  # type: ignore[call-overload]
        )
        for r in _rows(
            recipients,
            [
                "register__code",
                "register__line_group_name",
                "register__unit__abbreviation",
                "unit__code",
                "unit__name",
                "register__representative__member__first_name",
                "register__representative__member__last_name",
            ],
        )
    ]
    registers.sort(key=lambda row: (thai_sort_key(row.unit), thai_sort_key(row.name)))
    unit_totals: dict[str, ReportRow] = {}
    for reg in registers:
        unit_row = unit_totals.setdefault(
            reg.unit_key,
            ReportRow(
                key=reg.unit_key,
                name=reg.unit,
                unit=reg.unit,
                representative="",
                recipients=0,
                responded=0,
                informed=0,
            ),
        )
        unit_row.recipients += reg.recipients
        unit_row.responded += reg.responded
        unit_row.informed += reg.informed
    unit_rows = sorted(unit_totals.values(), key=lambda row: thai_sort_key(row.name))
    curve: list[tuple[float, int]] = []
    if start is not None:
        hourly: dict[int, int] = {}
        for stamp in stamps:
            hour = max(0, int((stamp - start).total_seconds() // 3600))
            hourly[hour] = hourly.get(hour, 0) + 1
        running = 0
        for hour in sorted(hourly):
            running += hourly[hour]
            curve.append((float(hour + 1), running))
    return AnnouncementReport(
        announcement=announcement,
        ask=ask,
        recipients=total,
        responded=responded,
        informed=informed,
        by_way=by_way,
        unreached_by_reason=reasons,
        poll=poll,
        poll_by_unit=poll_by_unit,
        times=times,
        by_register=registers,
        by_unit=unit_rows,
        curve=curve,
    )


def report_announcement_list_for_user(user: User) -> QuerySet[Announcement]:
    """Announcements whose responses this user may see: staff and board all that asked for
    responses; coop agents those that reached their units."""
    qs = Announcement.objects.filter(ask__isnull=False, send_started_at__isnull=False)
    if roles.sees_whole_cooperative(user):
        return qs.select_related("ask").order_by("-send_started_at")
    if roles.is_agent(user):
        units = user.unit_links.values("unit_id")
        return (
            qs.filter(Exists(Recipient.objects.filter(announcement=OuterRef("pk"), unit__in=units)))
            .select_related("ask")
            .order_by("-send_started_at")
        )
    return qs.none()


def report_units_for_user(user: User) -> QuerySet[Unit] | None:
    """None (every unit) for staff and board, the agent's units for an agent."""
    if roles.sees_whole_cooperative(user):
        return None
    return Unit.objects.filter(agent_links__user=user)


def timeline_for(announcement: Announcement) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(announcement=announcement).order_by("at", "id")
