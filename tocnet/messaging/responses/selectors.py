"""Reads for responses: the chase list and the per-announcement report, in a constant number
of queries whatever the audience size."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, Window
from django.db.models.functions import Concat, RowNumber, Trim
from django.utils.translation import gettext as _

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.core.thai import thai_sort_key
from tocnet.members.models import Phone, Representative, Unit
from tocnet.messaging.models import Announcement, Channel, DeliveryStatus, Reason, Recipient
from tocnet.messaging.responses.models import (
    MEMBER_WAYS,
    REPRESENTATIVE_WAYS,
    STAFF_INFORMED_WAYS,
    UNREACHABLE_WAYS,
    Ask,
    Chase,
    ClosingReport,
    Notice,
    Response,
    TimelineEntry,
    Way,
)
from tocnet.registers.models import VACANT_LABEL, Register
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


CHASE_PAGE_SIZE = 50  # rows per page: a representative's register fits one page


@dataclass
class ChaseSection:
    announcement: Announcement
    rows: list[Recipient] = field(default_factory=list)
    total: int = 0  # recipients in the user's registers
    unanswered: int = 0  # of them, not answered yet (on every page)


@dataclass
class ChasePage:
    sections: list[ChaseSection]
    number: int  # 1-based
    pages: int
    count: int  # rows to chase over every page

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def chase_page_for_user(
    user: User,
    *,
    announcement: Announcement | None = None,
    register: Register | None = None,
    page: int = 1,
    per_page: int | None = CHASE_PAGE_SIZE,
) -> ChasePage:
    """One page of the members of the user's registers who have not responded to open
    announcements, newest announcement first (``per_page`` None: every row). Each row carries
    its member (phones prefetched), the channel tried (``channel``, ``delivery``) and any
    "could not reach" mark (``mark_note``). Three queries whatever the size: the counts per
    announcement, the page's rows, their phones."""
    registers = chase_registers_for_user(user)
    if register is not None:
        registers = registers.filter(pk=register.pk)
    # The chaser's own member record is not on their list: a representative (or deputy) is the
    # one chasing; their own answer still counts when they give it.
    recipients = (
        Recipient.objects.filter(register__in=registers)
        .filter(open_asks_q("announcement__"), announcement__ask__isnull=False)
        .exclude(member__user_id=user.pk)
    )
    if announcement is not None:
        recipients = recipients.filter(announcement=announcement)
    # Not answered: no response row, or only a "could not reach" mark (first_at empty). The
    # response is reached by its one-to-one recipient link: a join, not a subquery per row.
    not_answered = Q(response__isnull=True) | Q(response__first_at__isnull=True)
    counts = {
        pk: (total, open_)
        for pk, total, open_ in recipients.order_by()
        .values_list("announcement")
        .annotate(total=Count("id"), open=Count("id", filter=not_answered))
        .values_list("announcement", "total", "open")
    }
    count = sum(open_ for _total, open_ in counts.values())
    pages = max(1, math.ceil(count / per_page)) if per_page else 1
    number = min(max(1, page), pages)
    # Only what a row shows: a few columns of the announcement, member, delivery and mark.
    rows_qs = (
        recipients.filter(not_answered)
        .select_related("announcement", "member", "delivery", "response")
        .only(
            "announcement__code",
            "announcement__title",
            "announcement__send_started_at",
            "announcement_id",
            "member_id",
            "register_id",
            "channel",
            "delivery_id",
            "member__code",
            "member__number",
            "member__title",
            "member__first_name",
            "member__last_name",
            "delivery__status",
            "response__way",
            "response__note",
            "response__first_at",
        )
        .order_by(
            "-announcement__send_started_at",
            "announcement_id",
            "register_id",
            "member__first_name",
            "id",
        )
    )
    if per_page:
        rows_qs = rows_qs[(number - 1) * per_page : number * per_page]
    rows = list(rows_qs)
    chase_rows_decorate(rows)
    sections: dict[int, ChaseSection] = {}
    for row in rows:
        section = sections.get(row.announcement_id)
        if section is None:
            total, open_ = counts.get(row.announcement_id, (0, 0))
            section = sections[row.announcement_id] = ChaseSection(
                announcement=row.announcement, total=total, unanswered=open_
            )
        section.rows.append(row)
    return ChasePage(sections=list(sections.values()), number=number, pages=pages, count=count)


def chase_rows_decorate(rows: list[Recipient]) -> None:
    """What a chase row shows, set on each row (rows loaded with member, delivery, response):
    ``phone_numbers`` (valid phones as ``{"raw", "e164"}``, one query for all rows),
    ``channel_label``, ``status_label``, ``reminder_label`` (the reminder sent by the member's
    next channel) and ``mark_note`` (why they could not be reached). Two queries."""
    phones: dict[int, list[dict[str, str]]] = {}
    for member_id, raw, e164 in (
        Phone.objects.filter(member_id__in={row.member_id for row in rows}, valid=True)
        .order_by("member_id", "position", "id")
        .values_list("member_id", "raw", "e164")
    ):
        phones.setdefault(member_id, []).append({"raw": raw, "e164": e164})
    channels = {value: str(label) for value, label in Channel.choices}
    statuses = {value: str(label) for value, label in DeliveryStatus.choices}
    # The reminder the follow-up sent by the member's next channel, if any (tried too).
    notice_channels = {value: str(label) for value, label in Notice.Channel.choices}
    reminders: dict[tuple[int, int], str] = {}
    for announcement_id, member_id, channel, status in Notice.objects.filter(
        stage=Chase.Stage.REMINDER,
        announcement_id__in={row.announcement_id for row in rows},
        member_id__in={row.member_id for row in rows},
        status__in=[Notice.Status.PENDING, Notice.Status.SENDING, Notice.Status.SENT],
    ).values_list("announcement_id", "member_id", "channel", "status"):
        label = notice_channels.get(channel, channel)
        reminders[(announcement_id, member_id)] = (
            _("reminded by %(channel)s") % {"channel": label}
            if status == Notice.Status.SENT
            else _("reminder by %(channel)s waiting") % {"channel": label}
        )
    for row in rows:
        row.reminder_label = reminders.get((row.announcement_id, row.member_id), "")  # type: ignore[attr-defined]
        mark = getattr(row, "response", None)
        delivery = row.delivery if row.delivery_id else None
        row.mark_note = mark.note if mark is not None else ""  # type: ignore[attr-defined]
        row.phone_numbers = phones.get(row.member_id, [])  # type: ignore[attr-defined]
        row.channel_label = channels.get(row.channel, row.channel)  # type: ignore[attr-defined]
        row.status_label = (  # type: ignore[attr-defined]
            statuses.get(delivery.status, delivery.status) if delivery is not None else ""
        )


def chase_list_for_user(
    user: User, *, announcement: Announcement | None = None, register: Register | None = None
) -> list[ChaseSection]:
    """Every row of :func:`chase_page_for_user` at once (tests, small lists)."""
    return chase_page_for_user(
        user, announcement=announcement, register=register, per_page=None
    ).sections


def chase_recipient_for_user(
    user: User, *, announcement_code: object, member_code: object
) -> Recipient | None:
    """The recipient a chaser may mark, or None outside their registers (decorated as a chase
    row: see :func:`chase_rows_decorate`)."""
    recipient = (
        Recipient.objects.filter(
            register__in=chase_registers_for_user(user),
            announcement__code=announcement_code,
            member__code=member_code,
        )
        .filter(open_asks_q("announcement__"))
        .exclude(member__user_id=user.pk)  # nobody marks themselves informed
        .select_related("announcement", "member", "delivery", "register", "response")
        .first()
    )
    if recipient is not None:
        chase_rows_decorate([recipient])
    return recipient


# --- the report per announcement --------------------------------------------------------------

MEMBER_WAY_VALUES = [str(w) for w in MEMBER_WAYS]
INFORMED_WAY_VALUES = [str(w) for w in REPRESENTATIVE_WAYS]  # by the representative
STAFF_INFORMED_WAY_VALUES = [str(w) for w in STAFF_INFORMED_WAYS]  # by staff or a coop agent
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
    informed: int  # by the register's representative or deputy
    unit_key: str = ""
    informed_staff: int = 0  # by cooperative staff or a coop agent

    @property
    def unreached(self) -> int:
        return self.recipients - self.responded - self.informed - self.informed_staff

    @property
    def percent(self) -> int:
        done = self.responded + self.informed + self.informed_staff
        return round(100 * done / self.recipients) if self.recipients else 0


@dataclass
class AnnouncementReport:
    announcement: Announcement
    ask: Ask | None
    recipients: int
    responded: int
    informed: int  # by the register's representative or deputy
    by_way: dict[str, int]
    unreached_by_reason: dict[str, int]
    poll: dict[str, int] | None
    poll_by_unit: list[dict[str, object]]
    times: dict[int, dt.timedelta | None]
    by_register: list[ReportRow]
    by_unit: list[ReportRow]
    curve: list[tuple[float, int]]  # (hours since the send, responded or informed so far)
    poll_by_register: list[dict[str, object]] = field(default_factory=list)
    informed_staff: int = 0

    @property
    def unreached(self) -> int:
        """recipients = responded + informed (by the representative) + informed_staff
        (by staff or a coop agent) + unreached."""
        return self.recipients - self.responded - self.informed - self.informed_staff

    def as_json(self) -> dict[str, object]:
        return {
            "announcement": self.announcement.pk,
            "purpose": self.announcement.purpose,
            "recipients": self.recipients,
            "responded": self.responded,
            "informed_by_representative": self.informed,
            "informed_by_staff": self.informed_staff,
            "unreached": self.unreached,
            "by_way": self.by_way,
            "poll": self.poll,
            "by_register": [
                {
                    "register": row.name,
                    "recipients": row.recipients,
                    "responded": row.responded,
                    "informed_by_representative": row.informed,
                    "informed_by_staff": row.informed_staff,
                    "unreached": row.unreached,
                }
                for row in self.by_register
            ],
        }


CURVE_POINTS = 40  # the response curve: the time of every 2.5 % of the counted responses


def _register_rows(
    recipients: QuerySet[Recipient], option_ids: list[int]
) -> list[dict[str, int | None]]:
    """One row per (register, unit) with its recipients, responded, informed and the poll
    answers per option (``option_<pk>``): one GROUP BY on integer keys over the audience."""
    counts: dict[str, Count] = {
        "n": Count("id"),
        "responded": Count("id", filter=Q(response__way__in=MEMBER_WAY_VALUES)),
        "informed": Count("id", filter=Q(response__way__in=INFORMED_WAY_VALUES)),
        "informed_staff": Count("id", filter=Q(response__way__in=STAFF_INFORMED_WAY_VALUES)),
    }
    for pk in option_ids:
        counts[f"option_{pk}"] = Count("id", filter=Q(response__option_id=pk))
    return list(recipients.order_by().values("register_id", "unit_id").annotate(**counts))


def _names(
    rows: list[dict[str, int | None]],
) -> tuple[dict[int, tuple[uuid.UUID, str, str]], dict[int, tuple[uuid.UUID, str]]]:
    """Names for the few hundred (register, unit) keys of ``rows``, not joined into every
    recipient row: {register: (code, name, representative)}, {unit: (code, name)}. Two
    queries."""
    register_names = {
        pk: (
            code,
            group or abbr or "–",
            # A representative who left is not the register's: the report says it is vacant.
            " ".join(x for x in (first, last) if x)
            if first and ended is None
            else str(VACANT_LABEL),
        )
        for pk, code, group, abbr, first, last, ended in Register.objects.filter(
            pk__in={r["register_id"] for r in rows if r["register_id"]}
        ).values_list(
            "pk",
            "code",
            "line_group_name",
            "unit__abbreviation",
            "representative__member__first_name",
            "representative__member__last_name",
            "representative__ended_on",
        )
    }
    unit_names = {
        pk: (code, name)
        for pk, code, name in Unit.objects.filter(pk__in={r["unit_id"] for r in rows}).values_list(
            "pk", "code", "name"
        )
    }
    return register_names, unit_names


def _poll_by_register_sort(rows: list[dict[str, object]]) -> None:
    # Registers named alike in two units stay apart; those on no register ("–") merge per
    # unit, as the rows are per (register, unit).
    rows.sort(
        key=lambda row: (thai_sort_key(str(row["unit"])), thai_sort_key(str(row["register"])))
    )


def poll_by_register_rows(
    announcement: Announcement, *, units: QuerySet[Unit] | None = None
) -> tuple[Ask | None, list[dict[str, object]]]:
    """The poll's answers per register, as in :func:`announcement_report` (the report page
    loads this table apart, when it is scrolled to): the ask and rows ``{"unit", "register",
    "answers": {label: n}}`` for registers with at least one answer. Five queries whatever
    the audience: the ask, its options, one GROUP BY over the answered recipients, names."""
    ask = Ask.objects.filter(announcement=announcement).first()
    if ask is None or ask.kind != Ask.Kind.POLL:
        return ask, []
    options = list(ask.options.all())
    recipients = Recipient.objects.filter(announcement=announcement, response__option__isnull=False)
    if units is not None:
        recipients = recipients.filter(unit__in=units)
    counts = {f"option_{o.pk}": Count("id", filter=Q(response__option_id=o.pk)) for o in options}
    rows = list(recipients.order_by().values("register_id", "unit_id").annotate(**counts))
    register_names, unit_names = _names(rows)
    poll_by_register: list[dict[str, object]] = []
    for r in rows:
        _code, unit_name = unit_names[int(r["unit_id"] or 0)]
        register_id = r["register_id"]
        name = register_names[register_id][1] if register_id else "–"
        answers = {o.label: int(r[f"option_{o.pk}"] or 0) for o in options}
        if any(answers.values()):
            poll_by_register.append({"unit": unit_name, "register": name, "answers": answers})
    _poll_by_register_sort(poll_by_register)
    return ask, poll_by_register


def _ranked_stamps(counted: QuerySet[Response], ranks: set[int]) -> dict[int, dt.datetime]:
    """The time of the k-th counted response for each k in ``ranks`` (those that exist),
    numbered by the database (a window function): a few rows come back, not one per response."""
    ranked = (
        counted.order_by()
        .annotate(rank=Window(RowNumber(), order_by=[F("first_at").asc(), F("id").asc()]))
        .filter(rank__in=sorted(ranks))
        .values_list("rank", "first_at")
    )
    return {int(rank): at for rank, at in ranked if at is not None}


def announcement_report(
    announcement: Announcement, *, units: QuerySet[Unit] | None = None
) -> AnnouncementReport:
    """Everything the report shows, in a fixed number of queries (about ten) whatever the
    audience size, each aggregated in the database (no row per recipient reaches Python):
    totals by way and reason, poll answers overall, per unit and per register, times to
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
    responded = sum(n for way, n in by_way.items() if way in MEMBER_WAY_VALUES)
    informed = sum(n for way, n in by_way.items() if way in INFORMED_WAY_VALUES)
    informed_staff = sum(n for way, n in by_way.items() if way in STAFF_INFORMED_WAY_VALUES)
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
    is_poll = ask is not None and ask.kind == Ask.Kind.POLL
    options = list(ask.options.all()) if ask is not None and is_poll else []
    rows = _register_rows(recipients, [o.pk for o in options])
    total = sum(int(r["n"] or 0) for r in rows)
    register_names, unit_names = _names(rows)
    registers: list[ReportRow] = []
    poll_by_register: list[dict[str, object]] = []
    per_unit: dict[str, dict[str, int]] = {}
    for r in rows:
        unit_key, unit_name = unit_names[int(r["unit_id"] or 0)]
        register_id = r["register_id"]
        code, name, representative = register_names[register_id] if register_id else ("", "–", "")
        registers.append(
            ReportRow(
                key=str(code or ""),
                name=name,
                unit=unit_name,
                unit_key=str(unit_key),
                representative=representative,
                recipients=int(r["n"] or 0),
                responded=int(r["responded"] or 0),
                informed=int(r["informed"] or 0),
                informed_staff=int(r["informed_staff"] or 0),
            )
        )
        answers = {o.label: int(r[f"option_{o.pk}"] or 0) for o in options}
        if any(answers.values()):
            poll_by_register.append({"unit": unit_name, "register": name, "answers": answers})
            unit_answers = per_unit.setdefault(unit_name, {o.label: 0 for o in options})
            for label, n in answers.items():
                unit_answers[label] += n
    registers.sort(key=lambda row: (thai_sort_key(row.unit), thai_sort_key(row.name)))
    poll: dict[str, int] | None = None
    poll_by_unit: list[dict[str, object]] = []
    if is_poll:
        poll = {o.label: 0 for o in options}
        for unit_answers in per_unit.values():
            for label, n in unit_answers.items():
                poll[label] += n
        poll_by_unit = [
            {"unit": name, "answers": per_unit[name]}
            for name in sorted(per_unit, key=thai_sort_key)
        ]
        _poll_by_register_sort(poll_by_register)
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
        unit_row.informed_staff += reg.informed_staff
    unit_rows = sorted(unit_totals.values(), key=lambda row: thai_sort_key(row.name))
    # Times to 50/80/95 % of the recipients and the curve's points: the k-th response times.
    start = announcement.send_started_at
    reached = responded + informed + informed_staff
    wanted = {math.ceil(total * p / 100) for p in PERCENTILES} | {
        math.ceil(reached * j / CURVE_POINTS) for j in range(1, CURVE_POINTS + 1)
    }
    # Always asked (the first response's time at least): the query count never depends on data.
    stamps = _ranked_stamps(counted, {k for k in wanted if k > 0} | {1})
    times: dict[int, dt.timedelta | None] = {}
    for p in PERCENTILES:
        k = math.ceil(total * p / 100)
        times[p] = (stamps[k] - start) if start and k in stamps else None
    curve: list[tuple[float, int]] = []
    if start is not None:
        for k in sorted(stamps):
            hours = max(0.0, (stamps[k] - start).total_seconds() / 3600)
            curve.append((round(hours, 2), k))
    return AnnouncementReport(
        announcement=announcement,
        ask=ask,
        recipients=total,
        responded=responded,
        informed=informed,
        informed_staff=informed_staff,
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
    # Closing reports frozen before "informed_staff" was kept counted staff in "informed".
    totals = {
        k: int(data.get(k, 0)) for k in ("recipients", "responded", "informed", "informed_staff")
    }
    if units is not None:
        keys = {str(code) for code in units.values_list("code", flat=True)}
        unit_rows = [r for r in unit_rows if r["key"] in keys]
        names = {r["name"] for r in unit_rows}
        register_rows = [r for r in register_rows if r["unit_key"] in keys]
        poll_by_unit = [r for r in poll_by_unit if r["unit"] in names]
        poll_by_register = [r for r in poll_by_register if r["unit"] in names]
        totals = {k: sum(int(r.get(k, 0)) for r in unit_rows) for k in totals}
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
            informed_staff=int(row.get("informed_staff", 0)),  # type: ignore[call-overload]
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
        informed_staff=totals["informed_staff"],
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


def representatives_named_when_closed(data: AnnouncementReport) -> list[int]:
    """The members a frozen closing report names: the representatives, then or since, of its
    registers' units whose name is the one stored for a register (it may have changed hands
    since). One query, none without registers."""
    names = {row.representative for row in data.by_register if row.key and row.representative}
    codes = [row.key for row in data.by_register if row.key and row.representative]
    if not codes:
        return []
    return list(
        Representative.objects.filter(
            unit_id__in=Register.objects.filter(code__in=codes).values("unit_id")
        )
        .annotate(name=Trim(Concat("member__first_name", Value(" "), "member__last_name")))
        .filter(name__in=names)
        .values_list("member_id", flat=True)
        .distinct()
    )
