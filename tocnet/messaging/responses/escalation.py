"""Deadlines and escalation for announcements that ask for a response.

Stages (``Ask.stage``), each entered once by a conditional update (two workers never both
enter it):

1. members (from the send): everyone may respond;
2. representatives (members' deadline passed): each representative with unanswered members
   gets one LINE 1:1 push with a link to their chase list (a vacant register's deputy stands
   in; a representative who left is never told), and those members get a reminder by their
   next channel (LINE 1:1 when linked, else SMS, else e-mail);
3. deputies (representatives' deadline passed): the register's deputy, where there is one,
   and the unit's coop agents are told;
4. staff (deputies' deadline passed): the still unreached go to the staff call queue;
5. closed (the staff's hours passed, or ``closes_at``, or staff closed it): no more answers,
   the closing report is frozen. An explicit ``closes_at`` replaces the staff's hours as the
   end: the ask closes at that time whatever the stage, and not before.

Messages go out as :class:`Notice` rows (one per announcement, stage and address, retry key
saved first) sent outside quiet hours (21:00–09:00 Bangkok); a member who has responded is
never reminded; each step is written on the announcement's timeline.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tocnet.line import client
from tocnet.members.models import Member, UnitAgent
from tocnet.messaging.channels.sms import send_sms
from tocnet.messaging.models import Announcement, Channel, Reason, Recipient
from tocnet.messaging.responses.liff import liff_url
from tocnet.messaging.responses.models import Ask, Chase, ClosingReport, Notice, TimelineEntry
from tocnet.messaging.responses.services import ask_close, response_link_create
from tocnet.registers.models import Register
from tocnet.registers.selectors import register_deputy

logger = logging.getLogger(__name__)

QUIET_START = dt.time(21, 0)
QUIET_END = dt.time(9, 0)
BATCH = 200
MAX_ATTEMPTS = 3
STALE = dt.timedelta(minutes=10)


def is_quiet(now: dt.datetime) -> bool:
    """21:00–09:00 Bangkok: no reminders, no pushes to people (Thai SMS rule, and courtesy)."""
    t = timezone.localtime(now).time()
    return not (QUIET_END <= t < QUIET_START)


def _site() -> str:
    return str(getattr(settings, "SITE_URL", "") or "").rstrip("/")


def _unanswered(announcement: Announcement) -> QuerySet[Recipient]:
    """Who is followed up: not answered yet. A member an offer or coaching follow-up did not
    reach for want of consent is never chased about it (no reminder, chase list or call)."""
    return (
        Recipient.objects.filter(announcement=announcement)
        .exclude(response__first_at__isnull=False)
        .exclude(reason=Reason.NO_CONSENT)
    )


def _timeline(
    announcement: Announcement, step: str, now: dt.datetime, count: int, **detail: Any
) -> None:
    TimelineEntry.objects.get_or_create(
        announcement=announcement,
        step=step,
        defaults={"at": now, "count": count, "detail": detail},
    )


def _enter(ask: Ask, *, from_stage: str, to_stage: str, now: dt.datetime) -> bool:
    return Ask.objects.filter(pk=ask.pk, stage=from_stage).update(stage=to_stage, stage_at=now) == 1


def _chases(announcement: Announcement, members: list[int], stage: str, now: dt.datetime) -> None:
    Chase.objects.bulk_create(
        [
            Chase(announcement=announcement, member_id=m, stage=stage, created_at=now)
            for m in members
        ],
        ignore_conflicts=True,
    )


def _notice(
    announcement: Announcement,
    *,
    stage: str,
    channel: str,
    address: str,
    now: dt.datetime,
    count: int = 0,
    member: Member | None = None,
    user_id: int | None = None,
) -> None:
    Notice.objects.get_or_create(
        announcement=announcement,
        stage=stage,
        channel=channel,
        address=address,
        defaults={"created_at": now, "count": count, "member": member, "user_id": user_id},
    )


# --- stage 2: representatives and reminders --------------------------------------------------


@transaction.atomic
def _to_representatives(ask: Ask, now: dt.datetime) -> None:
    announcement = ask.announcement
    if not _enter(ask, from_stage=Ask.Stage.MEMBERS, to_stage=Ask.Stage.REPRESENTATIVES, now=now):
        return
    rows = list(
        _unanswered(announcement).select_related(
            "register__representative__member", "register__deputy", "member"
        )
    )
    _timeline(announcement, TimelineEntry.Step.MEMBER_DEADLINE, now, len(rows))
    by_register: dict[int, list[Recipient]] = defaultdict(list)
    for row in rows:
        if row.register_id:
            by_register[row.register_id].append(row)
    told = 0
    chasing: set[int] = set()  # representatives told to chase: no reminder of their own
    for members in by_register.values():
        register = members[0].register
        assert register is not None
        rep = _chaser(register)
        # The representative is the one chasing: their own record is not on their list (the
        # deputy, the coop agent and staff chase them at the next deadlines).
        others = [r for r in members if rep is None or r.member_id != rep.pk]
        if not others:
            continue
        _chases(announcement, [r.member_id for r in others], Chase.Stage.REPRESENTATIVE, now)
        if rep is not None and rep.line_user_id:
            _notice(
                announcement,
                stage=Chase.Stage.REPRESENTATIVE,
                channel=Notice.Channel.LINE,
                address=rep.line_user_id,
                now=now,
                count=len(others),
                member=rep,
            )
            chasing.add(rep.pk)
            told += 1
    _timeline(announcement, TimelineEntry.Step.REPRESENTATIVES_TOLD, now, told)
    # A representative who was pushed their chase list has the announcement in front of them:
    # no reminder as a member on top. One with no one else to chase is reminded as a member.
    reminders = _reminders(announcement, [r for r in rows if r.member_id not in chasing], now)
    _timeline(announcement, TimelineEntry.Step.REMINDERS, now, reminders)


def _chaser(register: Register) -> Member | None:
    """Who chases a register's members at the members' deadline: its current representative;
    for a vacant register (the representative left) its deputy, who stands in; else no one
    (the deputy stage, the coop agent and staff follow). Never a representative who left."""
    rep = register.representative
    if rep is not None and rep.ended_on is None:
        return rep.member
    return register_deputy(register)


def _next_channel(row: Recipient, refused: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """The member's next way after the one the announcement took: (channel, address); never
    a channel in ``refused`` (news: the member objected on it; an offer or coaching: the
    member has not consented on it)."""
    member = row.member
    tried = row.channel
    phones = [p for p in member.phones.all() if p.valid and p.kind == "mobile" and p.e164]
    options: list[tuple[str, str]] = []
    if member.line_user_id and tried != Channel.LINE_DIRECT:
        options.append((Notice.Channel.LINE, member.line_user_id))
    if phones and tried != Channel.SMS:
        options.append((Notice.Channel.SMS, phones[0].e164))
    if member.email and member.email_valid and tried != Channel.EMAIL:
        options.append((Notice.Channel.EMAIL, member.email))
    options = [o for o in options if o[0] not in refused]
    return options[0] if options else None


def _refused_channels(member_ids: list[int], purpose: str) -> dict[int, frozenset[str]]:
    """Per member: the channels a reminder may not take for the announcement's ``purpose``
    (news: objected there; an offer or coaching: no consent there; every channel when
    processing is restricted). Three queries whatever the number of members."""
    from tocnet.privacy.selectors import members_not_messageable

    refused: dict[int, set[str]] = defaultdict(set)
    members = Member.objects.filter(pk__in=member_ids)
    for channel in (Notice.Channel.LINE, Notice.Channel.SMS, Notice.Channel.EMAIL):
        for pk in members_not_messageable(
            purpose=purpose, channel=str(channel), members=members
        ).values_list("pk", flat=True):
            refused[pk].add(str(channel))
    return {pk: frozenset(channels) for pk, channels in refused.items()}


def _reminders(announcement: Announcement, rows: list[Recipient], now: dt.datetime) -> int:
    members = Member.objects.filter(pk__in=[r.member_id for r in rows]).prefetch_related("phones")
    by_pk = {m.pk: m for m in members}
    refused = _refused_channels(list(by_pk), announcement.purpose)
    count = 0
    for row in rows:
        row.member = by_pk[row.member_id]
        choice = _next_channel(row, refused.get(row.member_id, frozenset()))
        if choice is None:
            continue
        channel, address = choice
        _notice(
            announcement,
            stage=Chase.Stage.REMINDER,
            channel=channel,
            address=address,
            now=now,
            member=row.member,
        )
        count += 1
    _chases(announcement, [r.member_id for r in rows], Chase.Stage.REMINDER, now)
    return count


# --- stage 3: deputies and coop agents ---------------------------------------------------------


@transaction.atomic
def _to_deputies(ask: Ask, now: dt.datetime) -> None:
    announcement = ask.announcement
    if not _enter(ask, from_stage=Ask.Stage.REPRESENTATIVES, to_stage=Ask.Stage.DEPUTIES, now=now):
        return
    rows = list(_unanswered(announcement).select_related("register__deputy", "unit"))
    _timeline(announcement, TimelineEntry.Step.REPRESENTATIVE_DEADLINE, now, len(rows))
    by_register: dict[int, list[Recipient]] = defaultdict(list)
    by_unit: dict[int, list[Recipient]] = defaultdict(list)
    for row in rows:
        if row.register_id:
            by_register[row.register_id].append(row)
        by_unit[row.unit_id].append(row)
    told = 0
    # A vacant register's deputy stood in at the members' deadline and already has the chase
    # list in front of them: no second push about the same members.
    stood_in = set(
        Notice.objects.filter(
            announcement=announcement, stage=Chase.Stage.REPRESENTATIVE, member__isnull=False
        ).values_list("member_id", flat=True)
    )
    for members in by_register.values():
        register: Register | None = members[0].register
        deputy = register_deputy(register) if register else None
        if deputy is None:
            continue
        _chases(announcement, [r.member_id for r in members], Chase.Stage.DEPUTY, now)
        if deputy.line_user_id and deputy.pk not in stood_in:
            _notice(
                announcement,
                stage=Chase.Stage.DEPUTY,
                channel=Notice.Channel.LINE,
                address=deputy.line_user_id,
                now=now,
                count=len(members),
                member=deputy,
            )
            told += 1
    agents = UnitAgent.objects.filter(unit_id__in=list(by_unit)).select_related("user")
    for link in agents:
        members = by_unit[link.unit_id]
        _chases(announcement, [r.member_id for r in members], Chase.Stage.AGENT, now)
        user = link.user
        if user.line_user_id:
            channel, address = Notice.Channel.LINE, user.line_user_id
        elif user.email:
            channel, address = Notice.Channel.EMAIL, user.email
        else:
            continue
        _notice(
            announcement,
            stage=Chase.Stage.AGENT,
            channel=channel,
            address=address,
            now=now,
            count=len(members),
            user_id=user.pk,
        )
        told += 1
    _timeline(announcement, TimelineEntry.Step.DEPUTIES_TOLD, now, told)


# --- stage 4: the staff call queue -------------------------------------------------------------


@transaction.atomic
def _to_staff(ask: Ask, now: dt.datetime) -> None:
    announcement = ask.announcement
    if not _enter(ask, from_stage=Ask.Stage.DEPUTIES, to_stage=Ask.Stage.STAFF, now=now):
        return
    members = list(_unanswered(announcement).values_list("member_id", flat=True))
    _chases(announcement, members, Chase.Stage.STAFF, now)
    _timeline(announcement, TimelineEntry.Step.STAFF_QUEUE, now, len(members))


def _close(ask: Ask, now: dt.datetime) -> None:
    ask_close(ask=ask, reason=ClosingReport.Reason.DEADLINE, now=now)


def escalations_advance(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Move every open ask whose deadline has passed to its next stage, then send the notices
    that are due. Idempotent: a second run at the same moment does nothing more. Returns
    counts of what it did (stages entered, notices sent)."""
    now = now or timezone.now()
    done = {"stages": 0, "notices": 0}
    asks = (
        Ask.objects.exclude(stage=Ask.Stage.CLOSED)
        .filter(announcement__send_started_at__isnull=False)
        .select_related("announcement")
    )
    for ask in asks:
        start = ask.opened_at or ask.announcement.send_started_at
        assert start is not None
        if ask.closes_at and ask.closes_at <= now:
            _close(ask, now)
            done["stages"] += 1
            continue
        if ask.stage == Ask.Stage.MEMBERS:
            due = start + dt.timedelta(hours=ask.member_hours)
            step = _to_representatives
        elif ask.stage == Ask.Stage.REPRESENTATIVES:
            due = (ask.stage_at or start) + dt.timedelta(hours=ask.representative_hours)
            step = _to_deputies
        elif ask.stage == Ask.Stage.DEPUTIES:
            due = (ask.stage_at or start) + dt.timedelta(hours=ask.deputy_hours)
            step = _to_staff
        elif ask.stage == Ask.Stage.STAFF and ask.closes_at is None:
            # No closing time given: the last window ends it (the closing report is frozen).
            due = (ask.stage_at or start) + dt.timedelta(hours=ask.staff_hours)
            step = _close
        else:
            continue
        if now >= due:
            step(ask, now)
            done["stages"] += 1
    done["notices"] = notices_send(now=now)
    return done


# --- sending the notices -------------------------------------------------------------------------


def _text(notice: Notice) -> str:
    announcement = notice.announcement
    chase_path = f"{reverse('responses:chase_list')}?a={announcement.code}"
    if notice.channel == Notice.Channel.LINE:
        # Opened inside LINE: the chase list signs the representative in through LIFF.
        chase = liff_url(f"{chase_path}&via=line")
    else:  # an agent's e-mail: the site itself, where they sign in with their password
        chase = _site() + chase_path
    context: dict[str, object] = {
        "announcement": announcement,
        "count": notice.count,
        "chase_url": chase,
        "staff_url": _site() + reverse("responses:report", args=[announcement.code]),
    }
    if notice.stage == Chase.Stage.REMINDER and notice.member is not None:
        if notice.channel == Notice.Channel.LINE:
            context["url"] = liff_url(
                reverse("responses:liff_announcement", args=[announcement.code])
            )
        else:
            token = response_link_create(
                announcement=announcement,
                member=notice.member,
                channel="sms" if notice.channel == Notice.Channel.SMS else "email",
            )
            context["url"] = _site() + reverse("responses:link", args=[token])
        template = f"reminder_{notice.channel}"
    else:
        template = str(notice.stage)
    return render_to_string(f"messaging/notices/{template}.txt", context).strip()


def _deliver(notice: Notice) -> None:
    text = _text(notice)
    if notice.channel == Notice.Channel.LINE:
        client.push_text(to=notice.address, texts=[text], retry_key=str(notice.retry_key))
    elif notice.channel == Notice.Channel.EMAIL:
        subject = notice.announcement.title[:150]
        send_mail(subject, text, None, [notice.address])
    else:
        send_sms(to=notice.address, text=text, reference=str(notice.retry_key))


def _hold_for_quiet_hours(now: dt.datetime) -> None:
    pending = Notice.objects.filter(status=Notice.Status.PENDING)
    for announcement_id in set(pending.values_list("announcement_id", flat=True)):
        held_recently = TimelineEntry.objects.filter(
            announcement_id=announcement_id,
            step=TimelineEntry.Step.REMINDERS_HELD,
            at__gte=now - dt.timedelta(hours=12),
        ).exists()
        if not held_recently:
            TimelineEntry.objects.create(
                announcement_id=announcement_id,
                step=TimelineEntry.Step.REMINDERS_HELD,
                at=now,
                count=pending.filter(announcement_id=announcement_id).count(),
            )


def notices_send(*, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Send waiting notices outside quiet hours; skip reminders to members who responded
    meanwhile. Each notice is claimed (pending → sending) by a conditional update before it
    is sent, so two workers never send the same one; a claim older than STALE is revived
    (LINE's retry key makes the resend a no-op). Returns how many went out."""
    now = now or timezone.now()
    Notice.objects.filter(status=Notice.Status.SENDING, claimed_at__lt=now - STALE).update(
        status=Notice.Status.PENDING
    )
    if is_quiet(now):
        _hold_for_quiet_hours(now)
        return 0
    sent = 0
    rows = list(
        Notice.objects.filter(status=Notice.Status.PENDING)
        .select_related("announcement", "member")
        .order_by("created_at", "id")[:limit]
    )
    for notice in rows:
        responded = (
            notice.stage == Chase.Stage.REMINDER
            and notice.member_id is not None
            and Recipient.objects.filter(
                announcement=notice.announcement,
                member_id=notice.member_id,
                response__first_at__isnull=False,
            ).exists()
        )
        if responded:
            Notice.objects.filter(pk=notice.pk, status=Notice.Status.PENDING).update(
                status=Notice.Status.SKIPPED
            )
            continue
        claimed = Notice.objects.filter(pk=notice.pk, status=Notice.Status.PENDING).update(
            status=Notice.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        if not claimed:
            continue
        try:
            _deliver(notice)
        except client.ChannelError as exc:
            final = exc.permanent or notice.attempts + 1 >= MAX_ATTEMPTS
            Notice.objects.filter(pk=notice.pk).update(
                status=Notice.Status.FAILED if final else Notice.Status.PENDING,
                last_error=str(exc)[:300],
            )
            continue
        except Exception as exc:  # SMTP down, no SMS gateway: recorded, never resent blindly
            logger.exception("notice %s failed", notice.pk)
            Notice.objects.filter(pk=notice.pk).update(
                status=Notice.Status.FAILED, last_error=f"{type(exc).__name__}: {exc}"[:300]
            )
            continue
        Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.SENT, sent_at=now)
        sent += 1
    return sent


def staff_call_queue() -> QuerySet[Chase]:
    """Members escalated to staff and not yet answered or informed, oldest first."""
    return (
        Chase.objects.filter(stage=Chase.Stage.STAFF, done_at__isnull=True)
        .select_related("announcement", "member__unit")
        .prefetch_related("member__phones")
        .order_by("created_at", "id")
    )
