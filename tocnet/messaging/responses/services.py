"""Writes for responses: every way in goes through :func:`response_record`."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tocnet.accounts.models import User
from tocnet.core.audit import audit_record
from tocnet.core.models import AuditEvent
from tocnet.members.models import Member
from tocnet.messaging.models import Announcement, Recipient
from tocnet.messaging.responses.links import link_token_for_key, link_token_key, link_token_new
from tocnet.messaging.responses.models import (
    INFORMED_WAYS,
    STAFF_WAY_FOR,
    UNREACHABLE_WAYS,
    Ask,
    Chase,
    ClosingReport,
    PollOption,
    Response,
    ResponseLink,
    Way,
)
from tocnet.registers.selectors import register_leader_role

LINK_DAYS_DEFAULT = 14


class ResponseRefused(Exception):
    """A response that cannot count; ``reason`` is a stable code for pages and tests."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _actor(actor: User | None, way: str) -> Any:
    if actor is not None:
        return actor
    return "line" if way in (Way.GROUP_TEXT, Way.GROUP_QUOTE, Way.LIFF) else "response-link"


def ask_is_closed(ask: Ask | None, now: dt.datetime) -> bool:
    return ask is not None and (
        ask.stage == Ask.Stage.CLOSED or (ask.closes_at is not None and ask.closes_at <= now)
    )


def ask_closes_at(ask: Ask, *, sent_at: dt.datetime | None) -> dt.datetime | None:
    """When answers close by themselves: the closing time set, or the end of the staff's
    window after the last escalation deadline (each stage's hours counted from the moment the
    current stage began; the job, every 15 minutes, moves it a little later). None when
    closed or not sent yet."""
    if ask.stage == Ask.Stage.CLOSED:
        return None
    if ask.closes_at is not None:
        return ask.closes_at
    start = ask.opened_at or sent_at
    if start is None:
        return None
    order = [
        (Ask.Stage.MEMBERS, ask.member_hours),
        (Ask.Stage.REPRESENTATIVES, ask.representative_hours),
        (Ask.Stage.DEPUTIES, ask.deputy_hours),
        (Ask.Stage.STAFF, ask.staff_hours),
    ]
    stages = [str(stage) for stage, _hours in order]
    current = stages.index(ask.stage) if ask.stage in stages else 0
    since = start if current == 0 else (ask.stage_at or start)
    return since + dt.timedelta(hours=sum(hours for _stage, hours in order[current:]))


def response_record(
    *,
    announcement: Announcement,
    member: Member,
    way: str,
    source: str = "",
    option: PollOption | None = None,
    text: str = "",
    note: str = "",
    actor: User | None = None,
    at: dt.datetime | None = None,
) -> Response:
    """Record a response of ``member`` to ``announcement``: one row per pair. A later answer
    replaces the poll answer or the feedback text but keeps the way and time of the first
    acknowledgement; a member's own response replaces a "could not reach" mark; a
    representative cannot overwrite what the member said. Raises ResponseRefused (logged)."""
    now = at or timezone.now()
    ask = Ask.objects.filter(announcement=announcement).first()
    reason = ""
    recipient = Recipient.objects.filter(announcement=announcement, member=member).first()
    if recipient is None:
        reason = "not_in_audience"
    elif ask_is_closed(ask, now):
        reason = "closed"
    elif (option is not None and (ask is None or option.ask_id != ask.pk)) or (
        text and (ask is None or ask.kind != Ask.Kind.FEEDBACK)
    ):
        reason = "bad_option"
    if reason:
        # Logged before raising and outside the write's transaction, so the log stays.
        _refused(announcement, member, way, reason, actor)
        raise ResponseRefused(reason)
    try:
        return _record(
            announcement=announcement,
            member=member,
            recipient=recipient,
            way=way,
            source=source,
            option=option,
            text=text,
            note=note,
            actor=actor,
            now=now,
        )
    except ResponseRefused as exc:
        _refused(announcement, member, way, exc.reason, actor)
        raise


@transaction.atomic
def _record(
    *,
    announcement: Announcement,
    member: Member,
    recipient: Recipient | None,
    way: str,
    source: str,
    option: PollOption | None,
    text: str,
    note: str,
    actor: User | None,
    now: dt.datetime,
) -> Response:
    counts = way not in UNREACHABLE_WAYS
    existing = (
        Response.objects.select_for_update()
        .filter(announcement=announcement, member=member)
        .first()
    )
    if existing is None:
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    announcement=announcement,
                    member=member,
                    recipient=recipient,
                    way=way,
                    first_at=now if counts else None,
                    at=now,
                    source=source[:80],
                    option=option,
                    text=text,
                    note=note[:200],
                    recorded_by=actor,
                )
        except IntegrityError:  # the same member answered at the same moment elsewhere
            return _record(
                announcement=announcement,
                member=member,
                recipient=recipient,
                way=way,
                source=source,
                option=option,
                text=text,
                note=note,
                actor=actor,
                now=now,
            )
        action = "responses.recorded"
    else:
        response = existing
        if (way in INFORMED_WAYS or way in UNREACHABLE_WAYS) and response.counts:
            raise ResponseRefused("already_responded")
        if counts and response.counts and option is None and not text:
            return response  # a repeated รับทราบ changes nothing
        if not response.counts and counts:
            response.way, response.first_at, response.note = way, now, ""
            response.recorded_by = actor
        elif not response.counts:
            response.way, response.note, response.recorded_by = way, note[:200], actor
        if option is not None:
            response.option = option
        if text:
            response.text = text
        response.at, response.source = now, (source or response.source)[:80]
        response.save()
        action = "responses.changed"
    if counts:
        Chase.objects.filter(announcement=announcement, member=member, done_at=None).update(
            done_at=now
        )
    audit_record(
        actor=_actor(actor, way),
        action=action,
        target=announcement,
        changes={
            "member": member.number,
            "way": way,
            "option": option.label if option else None,
            "source": source[:80],
        },
    )
    return response


def _refused(
    announcement: Announcement, member: Member, way: str, reason: str, actor: User | None
) -> None:
    audit_record(
        actor=_actor(actor, way),
        action="responses.refused",
        target=announcement,
        changes={"member": member.number, "way": way, "reason": reason},
        kind=AuditEvent.Kind.SECURITY if reason == "not_in_audience" else AuditEvent.Kind.CHANGE,
    )


def _link_days() -> int:
    return int(getattr(settings, "RESPONSE_LINK_DAYS", LINK_DAYS_DEFAULT))


def response_link_create(
    *, announcement: Announcement, member: Member, channel: str, now: dt.datetime | None = None
) -> str:
    """The personal link token for a member on SMS or e-mail: the same token while the link
    is valid (a retried or reminded send repeats it), a new one once it has expired.
    Returns the token for the URL."""
    now = now or timezone.now()
    link = ResponseLink.objects.filter(
        announcement=announcement, member=member, channel=channel
    ).first()
    if link is not None and link.expires_at > now:
        return link_token_for_key(link.key)
    key, token = link_token_new()
    ResponseLink.objects.update_or_create(
        announcement=announcement,
        member=member,
        channel=channel,
        defaults={"key": key, "expires_at": now + dt.timedelta(days=_link_days())},
    )
    return token


def response_link_resolve(*, token: str, now: dt.datetime | None = None) -> ResponseLink:
    """The stored link a token names. Raises ResponseRefused("forged" / "expired")."""
    key = link_token_key(token)
    link = (
        ResponseLink.objects.select_related("announcement", "member").filter(key=key).first()
        if key
        else None
    )
    if link is None:
        raise ResponseRefused("forged")
    if link.expires_at <= (now or timezone.now()):
        raise ResponseRefused("expired")
    return link


class AskError(ValueError):
    """What is wrong with an ask, in Thai and English (field named)."""


def ask_set(
    *,
    announcement: Announcement,
    actor: User,
    kind: str,
    question: str = "",
    options: list[str] | None = None,
    audience: str = Ask.Audience.MEMBERS,
    member_hours: int = 48,
    representative_hours: int = 48,
    deputy_hours: int = 48,
    staff_hours: int = 48,
    closes_at: dt.datetime | None = None,
) -> Ask:
    """Attach (or replace) what an announcement asks, while it can still be edited. A
    consultation of the representatives narrows the announcement's audience to current
    representatives, reached 1:1 (never through their members' group). Audited."""
    options = [o.strip() for o in (options or []) if o.strip()]
    if not announcement.is_editable:
        raise AskError(_("Only an announcement not yet approved can change what it asks."))
    if kind == Ask.Kind.POLL and not 2 <= len(options) <= 6:
        raise AskError(_("Answers: give between 2 and 6 answers, one per line."))
    if kind in (Ask.Kind.POLL, Ask.Kind.FEEDBACK) and not question.strip():
        raise AskError(_("Question: write the question members answer."))
    if len(set(options)) != len(options):
        raise AskError(_("Answers: each answer must be different."))
    with transaction.atomic():
        ask, _created = Ask.objects.update_or_create(
            announcement=announcement,
            defaults={
                "kind": kind,
                "question": question.strip(),
                "audience": audience,
                "member_hours": member_hours,
                "representative_hours": representative_hours,
                "deputy_hours": deputy_hours,
                "staff_hours": staff_hours,
                "closes_at": closes_at,
            },
        )
        ask.full_clean()
        PollOption.objects.filter(ask=ask).delete()
        PollOption.objects.bulk_create(
            [
                PollOption(ask=ask, position=i, label=label[:100])
                for i, label in enumerate(options, 1)
            ]
        )
        data = dict(announcement.audience or {})
        data["representatives_only"] = audience == Ask.Audience.REPRESENTATIVES
        if data["representatives_only"]:
            data["channels"] = ["line_direct", "sms", "email"]
        elif "channels" in data and "line_group" not in data["channels"]:
            data.pop("channels")
        Announcement.objects.filter(pk=announcement.pk).update(audience=data)
        announcement.audience = data
        audit_record(
            actor=actor,
            action="responses.ask_set",
            target=announcement,
            changes={"kind": kind, "question": question, "options": options, "audience": audience},
        )
    return ask


CHASE_WAYS = (Way.REP_PHONE, Way.REP_IN_PERSON, Way.REP_UNREACHABLE)
STAFF_WAYS = (Way.STAFF_CALL, Way.STAFF_UNREACHABLE)


def chase_way_for(*, recipient: Recipient, way: str, actor: User) -> str:
    """The way a chase-list mark is recorded as: the representative's ways when ``actor`` is
    the register's representative or deputy, else (staff, a coop agent) the staff ways, so
    "informed by the representative" counts only what the register's own leaders did."""
    register = recipient.register
    if register is not None and register_leader_role(actor, register):
        return way
    return str(STAFF_WAY_FOR.get(Way(way), way))


def chase_mark_record(
    *, recipient: Recipient, way: str, note: str, actor: User, at: dt.datetime | None = None
) -> Response:
    """A mark from a chase list: informed by phone / in person, or could not reach (why),
    recorded with the way :func:`chase_way_for` gives. Raises ResponseRefused."""
    if way not in CHASE_WAYS:
        raise ResponseRefused("bad_option")
    return response_record(
        announcement=recipient.announcement,
        member=recipient.member,
        way=chase_way_for(recipient=recipient, way=way, actor=actor),
        note=note,
        source=f"user:{actor.code}",
        actor=actor,
        at=at,
    )


def staff_call_record(
    *, recipient: Recipient, way: str, note: str, actor: User, at: dt.datetime | None = None
) -> Response:
    """Staff record a call from the call queue: informed by phone, or could not reach (why).
    Either way the member leaves the queue (the staff step is done); a member who answered
    meanwhile raises ResponseRefused("already_responded"). Audited like every response."""
    if way not in STAFF_WAYS:
        raise ResponseRefused("bad_option")
    now = at or timezone.now()
    response = response_record(
        announcement=recipient.announcement,
        member=recipient.member,
        way=way,
        note=note,
        source=f"user:{actor.code}",
        actor=actor,
        at=now,
    )
    Chase.objects.filter(
        announcement=recipient.announcement,
        member=recipient.member,
        stage=Chase.Stage.STAFF,
        done_at=None,
    ).update(done_at=now)
    return response


# --- closing: the response window ends, the summary is frozen ----------------------------------


class ClosingRow(TypedDict):
    """A register's or a unit's figures in the closing report."""

    key: str
    name: str
    recipients: int
    responded: int
    informed: int
    informed_staff: int


class ClosingRegisterRow(ClosingRow):
    unit: str
    unit_key: str
    representative: str


class ClosingUnitRow(ClosingRow):
    by_way: dict[str, int]
    reasons: dict[str, int]


class ClosingReportData(TypedDict):
    """The frozen closing report (ClosingReport.data, JSON)."""

    kind: str
    question: str
    recipients: int
    responded: int
    informed: int
    informed_staff: int
    unreached: int
    by_way: dict[str, int]
    unreached_by_reason: dict[str, int]
    poll: dict[str, int] | None
    poll_by_unit: list[dict[str, object]]
    poll_by_register: list[dict[str, object]]
    times: dict[str, float | None]  # per cent answered -> hours after the send
    curve: list[list[float]]  # [hours since the send, answered so far]
    by_register: list[ClosingRegisterRow]
    by_unit: list[ClosingUnitRow]


def closing_report_data(announcement: Announcement) -> ClosingReportData:
    """The report of ``announcement`` as it stands, as JSON for :class:`ClosingReport`: the
    totals, by way, unreached by reason, times to 50/80/95 % (hours), the curve, the poll,
    and rows per register and per unit (each unit with its own ways and reasons)."""
    from django.db.models import Count

    from tocnet.messaging.responses.selectors import (
        UNREACHABLE_WAY_VALUES,
        announcement_report,
        unreached_reason_key,
    )

    report = announcement_report(announcement)
    unit_ways: dict[str, dict[str, int]] = {}
    for unit, way, n in (
        Response.objects.filter(announcement=announcement, recipient__isnull=False)
        .exclude(way__in=UNREACHABLE_WAY_VALUES)
        .order_by()
        .values_list("recipient__unit__code", "way")
        .annotate(n=Count("id"))
    ):
        unit_ways.setdefault(str(unit), {})[way] = n
    unit_reasons: dict[str, dict[str, int]] = {}
    for unit, reason, marked, status, n in (
        Recipient.objects.filter(announcement=announcement)
        .exclude(response__first_at__isnull=False)
        .order_by()
        .values_list("unit__code", "reason", "response__way", "delivery__status")
        .annotate(n=Count("id"))
    ):
        key = unreached_reason_key(reason, marked, status)
        reasons = unit_reasons.setdefault(str(unit), {})
        reasons[key] = reasons.get(key, 0) + n
    return {
        "kind": report.ask.kind if report.ask else "",
        "question": report.ask.question if report.ask else "",
        "recipients": report.recipients,
        "responded": report.responded,
        "informed": report.informed,
        "informed_staff": report.informed_staff,
        "unreached": report.unreached,
        "by_way": report.by_way,
        "unreached_by_reason": report.unreached_by_reason,
        "poll": report.poll,
        "poll_by_unit": report.poll_by_unit,
        "poll_by_register": report.poll_by_register,
        "times": {
            str(p): (round(d.total_seconds() / 3600, 2) if d is not None else None)
            for p, d in report.times.items()
        },
        "curve": [[h, n] for h, n in report.curve],
        "by_register": [
            {
                "key": r.key,
                "name": r.name,
                "unit": r.unit,
                "unit_key": r.unit_key,
                "representative": r.representative,
                "recipients": r.recipients,
                "responded": r.responded,
                "informed": r.informed,
                "informed_staff": r.informed_staff,
            }
            for r in report.by_register
        ],
        "by_unit": [
            {
                "key": r.key,
                "name": r.name,
                "recipients": r.recipients,
                "responded": r.responded,
                "informed": r.informed,
                "informed_staff": r.informed_staff,
                "by_way": unit_ways.get(r.key, {}),
                "reasons": unit_reasons.get(r.key, {}),
            }
            for r in report.by_unit
        ],
    }


def ask_close(
    *,
    ask: Ask,
    reason: str,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> ClosingReport | None:
    """End an ask's response window (its last deadline passed, or staff closed it): the stage
    becomes closed (by a conditional update: two callers never both close it), the timeline
    gets "closed" and "closing report frozen", and the report is frozen as it stands.
    Returns the closing report, or None when the ask was already closed. Audited."""
    from tocnet.messaging.responses.models import TimelineEntry

    now = now or timezone.now()
    announcement = ask.announcement
    with transaction.atomic():
        entered = (
            Ask.objects.filter(pk=ask.pk)
            .exclude(stage=Ask.Stage.CLOSED)
            .update(stage=Ask.Stage.CLOSED, stage_at=now)
        )
        if not entered:
            return None
        ask.stage, ask.stage_at = Ask.Stage.CLOSED, now
        data = closing_report_data(announcement)
        closing, _created = ClosingReport.objects.update_or_create(
            announcement=announcement,
            defaults={"reason": reason, "closed_at": now, "closed_by": actor, "data": data},
        )
        reached = int(data["responded"]) + int(data["informed"]) + int(data["informed_staff"])
        for step, count in (
            (TimelineEntry.Step.CLOSED, reached),
            (TimelineEntry.Step.CLOSING_REPORT, int(data["recipients"])),
        ):
            TimelineEntry.objects.get_or_create(
                announcement=announcement,
                step=step,
                defaults={"at": now, "count": count, "detail": {"reason": reason}},
            )
        audit_record(
            actor=actor or "responses-deadline",
            action="responses.closed",
            target=announcement,
            changes={"reason": reason, "recipients": data["recipients"], "reached": reached},
        )
    return closing
