"""The channel plan: for each member of an audience, the cheapest channel that reaches them.

Order (unless the author leaves a channel out): the member's verified register LINE group (in
relay mode through the representative, else one push per group), their own LINE account (a
friend of the official account who has not blocked it), SMS to a valid Thai mobile, e-mail, else
unreachable with the reason.  Members whose processing is restricted are left out; members who
objected on a channel are not sent to on it.

The announcement's purpose sets the rule (privacy app, docs/privacy.md): news goes to everyone
who has not objected on the channel ("unreachable: objected"); an offer or a coaching follow-up
only to members with a consent for that purpose on that channel ("unreachable: no consent"), and
always 1:1: a LINE group reaches everyone in it, so such an announcement is never put into a
group, relayed or broadcast; each LINE push is billed per member.

Constant queries whatever the audience size: every read is one ``values_list`` over the
audience, then plain Python (bench/bench_announce.py: 10,669 members).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NotRequired, TypedDict

from django.conf import settings
from django.db.models import Case, F, QuerySet, Value, When
from django.utils import timezone

from tocnet.line.models import LineFriend, LineGroup
from tocnet.members.models import Member, Phone, Representative, Unit
from tocnet.messaging.channels.sms import sms_segments
from tocnet.messaging.models import Announcement, Channel, Reason
from tocnet.privacy.selectors import Unreachable, members_not_messageable
from tocnet.registers.models import Register, RegisterMembership

# The announcement's purpose is the privacy app's purpose of the same name (news: allowed until
# a member objects; offers, coaching: consent needed).
NEWS = Announcement.Purpose.NEWS
PRIVACY_CHANNEL = {
    Channel.LINE_GROUP: "line",
    Channel.LINE_DIRECT: "line",
    Channel.SMS: "sms",
    Channel.EMAIL: "email",
}
MEMBER_CHANNELS = (Channel.LINE_GROUP, Channel.LINE_DIRECT, Channel.SMS, Channel.EMAIL)
PLAN_KEYS = ("line_group", "line_direct", "sms", "email", "unreachable")


class AudienceJSON(TypedDict, total=False):
    """Announcement.audience as stored: what Audience.as_json, the compose form and the command
    line write (keys left out mean "any")."""

    scope: str  # all | units | registers
    units: list[str]  # unit codes
    registers: list[str]  # register codes
    member_types: list[str]
    statuses: list[str]
    channels: list[str]
    representatives_only: bool


class QuotaJSON(TypedDict):
    limit: int | None
    used: int


class PlanSummary(TypedDict):
    """The numbers shown before sending (Announcement.plan, ``tocnet announce --json``)."""

    mode: str
    purpose: NotRequired[str]  # news | offers | coaching (plans stored before it: news)
    recipients: int
    channels: dict[str, int]
    groups: int
    relay_groups: int
    line_messages: int
    line_messages_if_not_relayed: int
    broadcast_reach: int
    sms_segments: int
    sms_per_message: int
    cost_baht: float
    unreachable_reasons: dict[str, int]
    excluded_restricted: int
    quota: NotRequired[QuotaJSON]  # LINE's monthly quota when the send started


class LineCost(TypedDict):
    line_messages: int


class SmsCost(TypedDict):
    recipients: int
    sms_segments: int
    cost_baht: float


class DirectCost(TypedDict):
    line_messages: int
    recipients: int


class PlanAlternatives(TypedDict):
    """What the other ways of sending the same announcement would cost."""

    relay: LineCost
    relay_none_forwarded: LineCost
    direct: LineCost
    all_sms: SmsCost
    all_direct: DirectCost


@dataclass(frozen=True)
class Audience:
    """Who an announcement is for; empty tuples mean "any"."""

    scope: str = "all"  # all | units | registers
    units: tuple[str, ...] = ()  # unit codes
    registers: tuple[str, ...] = ()  # register codes
    member_types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = (Member.Status.ACTIVE,)
    channels: tuple[str, ...] = tuple(MEMBER_CHANNELS)
    # A consultation of the representatives (responses' Ask.audience): current ones only.
    representatives_only: bool = False

    @classmethod
    def from_json(cls, data: AudienceJSON | None) -> Audience:
        data = data or {}
        return cls(
            scope=str(data.get("scope") or "all"),
            units=tuple(str(c) for c in data.get("units") or ()),
            registers=tuple(str(c) for c in data.get("registers") or ()),
            member_types=tuple(data.get("member_types") or ()),
            statuses=tuple(data.get("statuses") or (Member.Status.ACTIVE,)),
            channels=tuple(data.get("channels") or MEMBER_CHANNELS),
            representatives_only=bool(data.get("representatives_only")),
        )

    def as_json(self) -> AudienceJSON:
        return {
            "scope": self.scope,
            "units": list(self.units),
            "registers": list(self.registers),
            "member_types": list(self.member_types),
            "statuses": list(self.statuses),
            "channels": list(self.channels),
            "representatives_only": self.representatives_only,
        }

    def members(self) -> QuerySet[Member]:
        qs = Member.objects.all()
        if self.statuses:
            qs = qs.filter(status__in=self.statuses)
        if self.member_types:
            qs = qs.filter(member_type__in=self.member_types)
        if self.representatives_only:
            qs = qs.filter(
                pk__in=Representative.objects.filter(ended_on__isnull=True).values("member_id")
            )
        if self.scope == "units":
            qs = qs.filter(unit__code__in=self.units)
        elif self.scope == "registers":
            qs = qs.filter(
                pk__in=RegisterMembership.objects.filter(
                    until__isnull=True, register__code__in=self.registers
                ).values("member_id")
            )
        return qs

    def unit_ids(self) -> set[int] | None:
        """Units the audience may touch (None: every unit); scoping checks use it."""
        if self.scope == "units":
            return set(Unit.objects.filter(code__in=self.units).values_list("pk", flat=True))
        if self.scope == "registers":
            return set(
                Register.objects.filter(code__in=self.registers).values_list("unit_id", flat=True)
            )
        return None


@dataclass(slots=True)
class MemberRoute:
    member_id: int
    unit_id: int
    register_id: int | None
    channel: str
    reason: str = ""
    address: str = ""


@dataclass
class GroupRoute:
    register_id: int
    unit_id: int
    group_id: str
    reach: int  # people in the group (LINE's count, else members planned into it)
    relay_member_id: int | None = None  # the representative, when they can relay
    relay_line_user_id: str = ""


@dataclass
class ChannelPlan:
    """The plan for one announcement: routes per member and group, counts and costs."""

    mode: str
    purpose: str = NEWS
    members: list[MemberRoute] = field(default_factory=list)
    groups: dict[int, GroupRoute] = field(default_factory=dict)
    sms_per_message: int = 1
    broadcast_reach: int = 0
    excluded_restricted: int = 0
    # Counted while planning, for the alternatives (None: count them with two queries).
    reachable_by_sms: int | None = None
    linked_friends: int | None = None
    # (len(members), channel counts, unreachable reasons): the summary reads the counts many
    # times; one pass over 10,000 routes instead of one per read.
    _counted: tuple[int, dict[str, int], dict[str, int]] | None = field(
        default=None, repr=False, compare=False
    )

    def _counts(self) -> tuple[dict[str, int], dict[str, int]]:
        if self._counted is None or self._counted[0] != len(self.members):
            counts: Counter[str] = Counter()
            reasons: Counter[str] = Counter()
            for m in self.members:
                if m.channel == Channel.NONE:
                    counts["unreachable"] += 1
                    reasons[m.reason] += 1
                else:
                    counts[m.channel] += 1
            channels = {key: counts.get(key, 0) for key in PLAN_KEYS}
            self._counted = (len(self.members), channels, dict(reasons))
        return self._counted[1], self._counted[2]

    @property
    def channels(self) -> dict[str, int]:
        return dict(self._counts()[0])

    @property
    def unreachable_reasons(self) -> dict[str, int]:
        return dict(self._counts()[1])

    @property
    def relay_groups(self) -> list[GroupRoute]:
        if self.mode != Announcement.Mode.RELAY:
            return []
        return [g for g in self.groups.values() if g.relay_member_id]

    def line_messages(self, *, mode: str | None = None, relayed: bool = True) -> int:
        """LINE messages billed: a group push counts everyone in the group; a relay push 1."""
        mode = mode or self.mode
        direct = self.channels["line_direct"]
        total = direct + self.broadcast_reach
        for group in self.groups.values():
            if mode == Announcement.Mode.RELAY and group.relay_member_id:
                total += 1 + (0 if relayed else group.reach)
            else:
                total += group.reach
        return total

    @property
    def sms_segments(self) -> int:
        return self.channels["sms"] * self.sms_per_message

    @property
    def sms_cost(self) -> Decimal:
        return (Decimal(self.sms_segments) * sms_price()).quantize(Decimal("0.01"))

    def alternatives(self, *, reachable_by_sms: int, linked_friends: int) -> PlanAlternatives:
        price = sms_price()
        all_sms_segments = reachable_by_sms * self.sms_per_message
        return {
            "relay": {"line_messages": self.line_messages(mode=Announcement.Mode.RELAY)},
            "relay_none_forwarded": {
                "line_messages": self.line_messages(mode=Announcement.Mode.RELAY, relayed=False)
            },
            "direct": {"line_messages": self.line_messages(mode=Announcement.Mode.DIRECT)},
            "all_sms": {
                "recipients": reachable_by_sms,
                "sms_segments": all_sms_segments,
                "cost_baht": float((Decimal(all_sms_segments) * price).quantize(Decimal("0.01"))),
            },
            "all_direct": {"line_messages": linked_friends, "recipients": linked_friends},
        }

    def summary(self) -> PlanSummary:
        """The numbers shown before sending (and printed by ``tocnet announce --json``)."""
        return {
            "mode": self.mode,
            "purpose": self.purpose,
            "recipients": len(self.members),
            "channels": self.channels,
            "groups": len(self.groups),
            "relay_groups": len(self.relay_groups),
            "line_messages": self.line_messages(),
            "line_messages_if_not_relayed": self.line_messages(relayed=False),
            "broadcast_reach": self.broadcast_reach,
            "sms_segments": self.sms_segments,
            "sms_per_message": self.sms_per_message,
            "cost_baht": float(self.sms_cost),
            "unreachable_reasons": self.unreachable_reasons,
            "excluded_restricted": self.excluded_restricted,
        }


def sms_price() -> Decimal:
    return Decimal(str(getattr(settings, "SMS_PRICE_BAHT", "0.35")))


def sms_body(announcement: Announcement) -> str:
    """The SMS actually sent: the author's text, else the title."""
    return (announcement.sms_text or f"สหกรณ์ฯ: {announcement.title}").strip()


def _not_messageable(
    members: QuerySet[Member], purpose: str
) -> tuple[set[int], dict[str, set[int]]]:
    """(restricted member ids, {privacy channel: ids not to be messaged there}) in three
    queries: for news those who objected there, for an offer or coaching those without a
    consent there."""
    restricted: set[int] = set()
    refused: dict[str, set[int]] = {}
    for channel in ("line", "sms", "email"):
        rows = members_not_messageable(
            purpose=purpose, channel=channel, members=members
        ).values_list("pk", "privacy_reason")  # type: ignore[misc]  # an annotation
        ids = set()
        for pk, reason in rows:
            if reason == Unreachable.RESTRICTED:
                restricted.add(pk)
            else:
                ids.add(pk)
        refused[channel] = ids
    return restricted, refused


def announcement_plan(
    *,
    audience: Audience,
    mode: str,
    sms_text: str = "",
    broadcast: bool = False,
    purpose: str = NEWS,
) -> ChannelPlan:
    """Plan every member of ``audience`` for ``purpose`` (news, offers, coaching). Constant
    queries (about ten) for any audience size."""
    if purpose not in Announcement.Purpose.values:
        raise ValueError(f"unknown announcement purpose {purpose!r}")
    consent_needed = purpose != NEWS
    members_qs = audience.members()
    restricted, objected = _not_messageable(members_qs, purpose)
    rows = list(
        # The e-mail only when valid, as text: no per-row boolean converter on 10,000 rows.
        members_qs.annotate(
            valid_email=Case(When(email_valid=True, then=F("email")), default=Value(""))
        ).values_list("pk", "unit_id", "line_user_id", "email", "valid_email")
    )
    # A whole-cooperative audience reads the related tables whole (no subquery per table:
    # faster on 10,000 members); smaller audiences filter by a subquery.
    whole = audience.scope == "all" and not audience.member_types
    member_ids_qs = members_qs.values("pk")

    def of_audience(qs: QuerySet[Any], field: str = "member_id") -> QuerySet[Any]:
        return qs if whole else qs.filter(**{f"{field}__in": member_ids_qs})

    register_of = dict(
        of_audience(
            RegisterMembership.objects.filter(until__isnull=True, register__retired_at__isnull=True)
        ).values_list("member_id", "register_id")
    )
    registers = {
        pk: (unit_id, group_id, rep_member_id, rep_line_user_id)
        for pk, unit_id, group_id, rep_member_id, rep_line_user_id in Register.objects.filter(
            pk__in=set(register_of.values()), retired_at__isnull=True
        ).values_list(
            "pk",
            "unit_id",
            "line_group_id",
            "representative__member_id",
            "representative__member__line_user_id",
        )
    }
    # Only current representatives relay.
    current_reps = set(
        Register.objects.filter(
            pk__in=list(registers), representative__ended_on__isnull=True
        ).values_list("pk", flat=True)
    )
    group_counts = dict(
        LineGroup.objects.filter(
            status=LineGroup.Status.VERIFIED,
            group_id__in=[r[1] for r in registers.values() if r[1]],
        ).values_list("group_id", "member_count")
    )
    mobiles: dict[int, str] = {}
    has_phone: set[int] = set()
    for member_id, e164, kind, valid in (
        of_audience(Phone.objects.all())
        .order_by("member_id", "position", "id")
        .values_list("member_id", "e164", "kind", "valid")
    ):
        has_phone.add(member_id)
        if valid and kind == Phone.Kind.MOBILE and e164.startswith("+66"):
            mobiles.setdefault(member_id, e164)
    friends: dict[str, bool] = dict(
        (
            LineFriend.objects.all()
            if whole
            else LineFriend.objects.filter(
                line_user_id__in=Member.objects.filter(pk__in=member_ids_qs)
                .exclude(line_user_id=None)
                .values("line_user_id")
            )
        ).values_list("line_user_id", "blocked")
    )
    rep_friends: dict[str, bool] = dict(
        LineFriend.objects.filter(
            line_user_id__in=[r[3] for r in registers.values() if r[3]]
        ).values_list("line_user_id", "blocked")
    )

    allowed = {str(c) for c in audience.channels}
    # A LINE group reaches everyone in it: never for an offer or coaching (1:1 only).
    use_group = "line_group" in allowed and not consent_needed
    use_direct = "line_direct" in allowed
    use_sms, use_email = "sms" in allowed, "email" in allowed
    # News: who objected on the channel; an offer or coaching: who has no consent there.
    objected_line, objected_sms, objected_email = (
        objected["line"],
        objected["sms"],
        objected["email"],
    )
    verified_groups = set(group_counts)
    plan = ChannelPlan(mode=mode, purpose=purpose, sms_per_message=max(1, sms_segments(sms_text)))
    routes = plan.members
    in_group: Counter[int] = Counter()
    reachable_by_sms = linked_friends = 0
    for pk, unit_id, line_user_id, email, valid_email in rows:
        friend = friends.get(line_user_id) if line_user_id else None
        # For the alternatives: every member of the audience with a Thai mobile / following
        # the official account (as the two counting queries of plan_alternatives would find).
        reachable_by_sms += pk in mobiles
        linked_friends += friend is False
        if pk in restricted:
            plan.excluded_restricted += 1
            continue
        register_id = register_of.get(pk)
        group_id = registers[register_id][1] if register_id in registers else None
        no_line = pk in objected_line
        if use_group and group_id in verified_groups and not no_line:
            routes.append(MemberRoute(pk, unit_id, register_id, "line_group", "", group_id))
            in_group[register_id] += 1  # type: ignore[index]
        elif use_direct and friend is False and not no_line:
            routes.append(MemberRoute(pk, unit_id, register_id, "line_direct", "", line_user_id))  # type: ignore[arg-type]
        elif use_sms and pk in mobiles and pk not in objected_sms:
            routes.append(MemberRoute(pk, unit_id, register_id, "sms", "", mobiles[pk]))
        elif use_email and valid_email and pk not in objected_email:
            routes.append(MemberRoute(pk, unit_id, register_id, "email", "", valid_email))
        else:
            refused_on = (no_line, pk in objected_sms, pk in objected_email)
            if consent_needed and (
                all(refused_on)  # consented on no channel at all
                # or a channel that would reach them lacks their consent
                or (use_direct and friend is False and no_line)
                or (use_sms and pk in mobiles and pk in objected_sms)
                or (use_email and bool(valid_email) and pk in objected_email)
            ):
                reason = Reason.NO_CONSENT
            elif not consent_needed and any(refused_on):
                reason = Reason.OBJECTED
            elif friend is True:
                reason = Reason.BLOCKED
            elif pk in has_phone or email:
                reason = Reason.INVALID_CONTACT
            else:
                reason = Reason.NO_CONTACT
            routes.append(MemberRoute(pk, unit_id, register_id, "none", str(reason)))

    for register_id, count in in_group.items():
        unit_id, group_id, rep_member_id, rep_line_user_id = registers[register_id]
        group_id = group_id or ""
        rep_line_user_id = rep_line_user_id or ""
        reach = group_counts.get(group_id) or count
        can_relay = (
            rep_member_id is not None
            and register_id in current_reps
            and bool(rep_line_user_id)
            and rep_friends.get(rep_line_user_id) is False
        )
        plan.groups[register_id] = GroupRoute(
            register_id=register_id,
            unit_id=unit_id,
            group_id=group_id,
            reach=max(reach, count),
            relay_member_id=rep_member_id if can_relay else None,
            relay_line_user_id=rep_line_user_id if can_relay else "",
        )
    plan.reachable_by_sms, plan.linked_friends = reachable_by_sms, linked_friends
    if broadcast and not consent_needed:
        plan.broadcast_reach = LineFriend.objects.filter(blocked=False).count()
    return plan


def plan_alternatives(plan: ChannelPlan, audience: Audience) -> PlanAlternatives:
    """Costs of the other ways to send the same announcement (no query when the plan counted
    them while planning, else two)."""
    if plan.reachable_by_sms is not None and plan.linked_friends is not None:
        return plan.alternatives(
            reachable_by_sms=plan.reachable_by_sms, linked_friends=plan.linked_friends
        )
    members = audience.members()
    reachable_by_sms = (
        Phone.objects.filter(
            member_id__in=members.values("pk"),
            kind=Phone.Kind.MOBILE,
            valid=True,
            e164__startswith="+66",
        )
        .values("member_id")
        .distinct()
        .count()
    )
    linked_friends = members.filter(
        line_user_id__in=LineFriend.objects.filter(blocked=False).values("line_user_id")
    ).count()
    return plan.alternatives(reachable_by_sms=reachable_by_sms, linked_friends=linked_friends)


# --- quiet hours and relay deadlines --------------------------------------------------------

QUIET_START = dt.time(21, 0)
QUIET_END = dt.time(9, 0)


def sms_allowed_from(now: dt.datetime) -> dt.datetime:
    """``now`` outside quiet hours (21:00–09:00 Bangkok), else the next 09:00 Bangkok."""
    local = timezone.localtime(now)
    t = local.time()
    if QUIET_END <= t < QUIET_START:
        return now
    day = local.date() if t < QUIET_END else local.date() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, QUIET_END), local.tzinfo)


def is_office_hours(now: dt.datetime) -> bool:
    local = timezone.localtime(now)
    return local.weekday() < 5 and dt.time(8, 30) <= local.time() < dt.time(16, 30)


def relay_delay(now: dt.datetime, announcement: Announcement) -> dt.timedelta:
    """How long representatives have to relay: 6 h in office hours, 2 h outside, or as set."""
    if announcement.relay_delay_minutes:
        return dt.timedelta(minutes=announcement.relay_delay_minutes)
    hours = (
        settings.RELAY_FALLBACK_HOURS if is_office_hours(now) else settings.RELAY_FALLBACK_HOURS_OFF
    )
    return dt.timedelta(hours=hours)
