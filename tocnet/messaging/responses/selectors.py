"""Reads for responses: the chase list and the per-announcement report, in a constant number
of queries whatever the audience size."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.thai import thai_sort_key
from tocnet.members.models import Phone, Unit
from tocnet.messaging.models import Announcement, DeliveryStatus, Reason, Recipient
from tocnet.messaging.responses.models import (
    INFORMED_WAYS,
    MEMBER_WAYS,
    UNREACHABLE_WAYS,
    Ask,
    Chase,
    ClosingReport,
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
UNREACHABLE_WAY_VALUES = [str(w) for w in UNREACHABLE_WAYS]


def unreached_reason_key(reason: object, marked: object, status: object) -> str:
    """Why a member is unreached: what a chaser said, what the planner found, or silence."""
    if marked == Way.REP_UNREACHABLE:
        return "representative_could_not_reach"
    if marked == Way.STAFF_UNREACHABLE:
        return "staff_could_not_reach"
    if reason:
        return str(reason)
    if status in ("failed", "unknown", "cancelled", "unreachable"):
        return f"delivery_{status}"
    return "no_answer"


def unreached_reason_label(key: str) -> str:
    """The Thai label of a reason key from :func:`unreached_reason_key`."""
    fixed = {
        "no_answer": _("Sent, no answer yet"),
        "representative_could_not_reach": _("Representative could not reach them"),
        "staff_could_not_reach": _("Staff could not reach them"),
    }
    if key in fixed:
        return str(fixed[key])
    if key.startswith("delivery_"):
        status = key.removeprefix("delivery_")
        if status in DeliveryStatus.values:
            return str(_("Delivery: %(status)s") % {"status": DeliveryStatus(status).label})
    if key in Reason.values:
        return str(Reason(key).label)
    return key


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
    poll_by_register: list[dict[str, object]] = field(default_factory=list)

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
        if way not in UNREACHABLE_WAY_VALUES
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
        key = unreached_reason_key(reason, marked, status)
        reasons[key] = reasons.get(key, 0) + n
    poll: dict[str, int] | None = None
    poll_by_unit: list[dict[str, object]] = []
    poll_by_register: list[dict[str, object]] = []
    if ask is not None and ask.kind == Ask.Kind.POLL:
        options = list(ask.options.all())
        counts = dict(
            responses.filter(option__isnull=False)
            .order_by()
            .values_list("option")
            .annotate(n=Count("id"))
        )
        poll = {o.label: counts.get(o.pk, 0) for o in options}
        labels = {o.pk: o.label for o in options}
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
            row["answers"][labels[option]] = n  # type: ignore[index]
        poll_by_unit = [per_unit[k] for k in sorted(per_unit, key=thai_sort_key)]
        per_register: dict[tuple[str, str], dict[str, object]] = {}
        for unit, group, abbr, option, n in (
            recipients.filter(response__option__isnull=False)
            .order_by()
            .values_list(
                "unit__name",
                "register__line_group_name",
                "register__unit__abbreviation",
                "response__option",
            )
            .annotate(n=Count("id"))
        ):
            name = str(group or abbr or "–")
            row = per_register.setdefault(
                (unit, name),
                {"unit": unit, "register": name, "answers": {o.label: 0 for o in options}},
            )
            answers = row["answers"]
            assert isinstance(answers, dict)
            answers[labels[option]] = answers[labels[option]] + n
        poll_by_register = [
            per_register[k]
            for k in sorted(per_register, key=lambda k: (thai_sort_key(k[0]), thai_sort_key(k[1])))
        ]
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
        poll_by_register=poll_by_register,
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


# --- the staff call queue ----------------------------------------------------------------------


def staff_call_queue_for_user(user: User, *, unit: Unit | None = None) -> list[Recipient]:
    """Members escalated past the third deadline to the staff call queue and not yet answered,
    informed or tried by staff, oldest escalation first; staff only (others get nothing).
    Each row carries its member (valid phones prefetched), announcement, register and its
    representative, and any earlier "could not reach" mark. Two queries."""
    if not roles.is_cooperative_staff(user):
        return []
    pending = Chase.objects.filter(
        announcement=OuterRef("announcement"),
        member=OuterRef("member"),
        stage=Chase.Stage.STAFF,
        done_at__isnull=True,
    )
    rows = Recipient.objects.filter(Exists(pending)).filter(open_asks_q("announcement__"))
    if unit is not None:
        rows = rows.filter(unit=unit)
    return list(
        rows.filter(Q(response__isnull=True) | Q(response__first_at__isnull=True))
        .select_related(
            "member",
            "unit",
            "delivery",
            "announcement__ask",
            "register__representative__member",
            "response",
        )
        .prefetch_related(
            Prefetch(
                "member__phones",
                queryset=Phone.objects.filter(valid=True).order_by("position", "id"),
            )
        )
        .order_by("announcement__ask__stage_at", "announcement_id", "unit__name", "member__number")
    )


def staff_call_recipient(
    user: User, *, announcement_code: uuid.UUID, member_code: uuid.UUID
) -> Recipient | None:
    """The queued recipient staff may mark, or None (not staff, not queued, closed)."""
    if not roles.is_cooperative_staff(user):
        return None
    return (
        Recipient.objects.filter(
            announcement__code=announcement_code,
            member__code=member_code,
            announcement__chases__stage=Chase.Stage.STAFF,
            announcement__chases__member=F("member"),
        )
        .filter(open_asks_q("announcement__"))
        .select_related("announcement", "member", "register__representative__member", "unit")
        .first()
    )


# --- open feedback (staff only) ----------------------------------------------------------------


def feedback_announcement_list_for_user(user: User) -> QuerySet[Announcement]:
    """Announcements whose open feedback this user may read: staff only (feedback reaches
    staff only), those that asked for it and were sent."""
    if not roles.is_cooperative_staff(user):
        return Announcement.objects.none()
    return Announcement.objects.filter(
        ask__kind=Ask.Kind.FEEDBACK, send_started_at__isnull=False
    ).select_related("ask")


def feedback_answers(announcement: Announcement) -> QuerySet[Response]:
    """The free-text answers to an announcement, newest first, with member, unit and register
    joined (one query per page)."""
    return (
        Response.objects.filter(announcement=announcement)
        .exclude(text="")
        .select_related("member", "recipient__unit", "recipient__register")
        .order_by("-at", "-id")
    )


# --- the closing report --------------------------------------------------------------------------


def closing_report_for(announcement: Announcement) -> ClosingReport | None:
    return ClosingReport.objects.filter(announcement=announcement).first()


def closing_report_as_report(
    closing: ClosingReport, *, units: QuerySet[Unit] | None = None
) -> AnnouncementReport:
    """The frozen summary in the live report's shape (same page, same .xlsx). A coop agent
    (``units`` given) gets their units' rows, and totals, ways and reasons summed from them;
    the times to 50/80/95 % stay those of the whole announcement."""
    data = closing.data
    unit_rows = list(data.get("by_unit", []))
    register_rows = list(data.get("by_register", []))
    poll_by_unit = list(data.get("poll_by_unit", []))
    poll_by_register = list(data.get("poll_by_register", []))
    by_way = dict(data.get("by_way", {}))
    reasons = dict(data.get("unreached_by_reason", {}))
    poll = data.get("poll")
    totals = {k: int(data.get(k, 0)) for k in ("recipients", "responded", "informed")}
    if units is not None:
        keys = {str(code) for code in units.values_list("code", flat=True)}
        unit_rows = [r for r in unit_rows if r["key"] in keys]
        names = {r["name"] for r in unit_rows}
        register_rows = [r for r in register_rows if r["unit_key"] in keys]
        poll_by_unit = [r for r in poll_by_unit if r["unit"] in names]
        poll_by_register = [r for r in poll_by_register if r["unit"] in names]
        totals = {k: sum(int(r[k]) for r in unit_rows) for k in totals}
        by_way, reasons = {}, {}
        for row in unit_rows:
            for way, n in row.get("by_way", {}).items():
                by_way[way] = by_way.get(way, 0) + n
            for reason, n in row.get("reasons", {}).items():
                reasons[reason] = reasons.get(reason, 0) + n
        if poll is not None:
            poll = {label: 0 for label in poll}
            for row in poll_by_unit:
                for label, n in row["answers"].items():
                    poll[label] = poll.get(label, 0) + n

    def report_row(row: dict[str, object], *, unit: str, representative: str) -> ReportRow:
        return ReportRow(
            key=str(row["key"]),
            name=str(row["name"]),
            unit=unit,
            representative=representative,
            recipients=int(row["recipients"]),  # type: ignore[call-overload]
            responded=int(row["responded"]),  # type: ignore[call-overload]
            informed=int(row["informed"]),  # type: ignore[call-overload]
            unit_key=str(row.get("unit_key", row["key"])),
        )

    times = {
        int(p): (dt.timedelta(hours=float(h)) if h is not None else None)
        for p, h in data.get("times", {}).items()
    }
    return AnnouncementReport(
        announcement=closing.announcement,
        ask=Ask.objects.filter(announcement_id=closing.announcement_id).first(),
        recipients=totals["recipients"],
        responded=totals["responded"],
        informed=totals["informed"],
        by_way=by_way,
        unreached_by_reason=reasons,
        poll=poll,
        poll_by_unit=poll_by_unit,
        poll_by_register=poll_by_register,
        times=times,
        by_register=[
            report_row(r, unit=str(r["unit"]), representative=str(r["representative"]))
            for r in register_rows
        ],
        by_unit=[report_row(r, unit=str(r["name"]), representative="") for r in unit_rows],
        curve=[(float(h), int(n)) for h, n in data.get("curve", [])],
    )
