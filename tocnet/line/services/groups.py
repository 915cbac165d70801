"""LINE groups: attach by name on join, verify with the representative's one-time code,
follow who is in the group, re-read names and counts, detach on leave."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from tocnet.core.audit import audit_record
from tocnet.core.jsontypes import JSONObject
from tocnet.core.thai import to_arabic_digits
from tocnet.line import client
from tocnet.line.models import GroupMemberSighting, LineFriend, LineGroup, RegisterCode
from tocnet.line.services.login import user_line_connect
from tocnet.line.services.replies import Reply, reply
from tocnet.members.models import Member, Unit
from tocnet.registers.models import Register
from tocnet.registers.naming import RegisterNameProblemCode, parse_register_name

BOT = "line-bot"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L look-alikes
CODE_RE = re.compile(r"TOC[\s\-_.]*([A-Z0-9]{6})\b")

Problem = LineGroup.Problem
Status = LineGroup.Status


@dataclass(frozen=True)
class Match:
    register: Register | None
    unit: Unit | None
    problem: str
    detail: str


_reply = reply


# --- codes -------------------------------------------------------------------------------


def _new_code() -> str:
    return "TOC-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def register_code_ensure(*, register: Register) -> RegisterCode:
    """The register's open one-time code, created when there is none. Idempotent."""
    existing = RegisterCode.objects.filter(register=register, used_at__isnull=True).first()
    if existing:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return RegisterCode.objects.create(register=register, code=_new_code())
        except IntegrityError:
            existing = RegisterCode.objects.filter(register=register, used_at__isnull=True).first()
            if existing:  # a concurrent request made it
                return existing
    raise RuntimeError("could not allocate a register code")


def find_code(text: str) -> str | None:
    """The code in a chat message, however it was typed (lower case, Thai digits, spaces)."""
    match = CODE_RE.search(to_arabic_digits(text).upper())
    return f"TOC-{match.group(1)}" if match else None


# --- matching a name to a register ---------------------------------------------------------


def _abbreviations() -> list[str]:
    return list(Unit.objects.values_list("abbreviation", flat=True))


def _units_by_abbreviation(abbreviation: str) -> Unit | None:
    wanted = abbreviation.strip(".")
    for unit in Unit.objects.filter(abbreviation__in=[wanted, wanted + "."]):
        return unit
    return None


def _register_numbers(abbreviation: str) -> list[int | None]:
    wanted = abbreviation.strip(".")
    return list(
        Register.objects.filter(
            unit__abbreviation__in=[wanted, wanted + "."], retired_at__isnull=True
        ).values_list("number", flat=True)
    )


def group_name_match(*, name: str, group_id: str) -> Match:
    """Which register a group name points to, or why none (see LineGroup.Problem)."""
    result = parse_register_name(name, _abbreviations(), _register_numbers)
    if not result.ok:
        code = result.code  # type: ignore[union-attr]
        unit = _units_by_abbreviation(result.abbreviation) if result.abbreviation else None
        problem = {
            RegisterNameProblemCode.NOT_COOPERATIVE_PREFIX: Problem.BAD_NAME,
            RegisterNameProblemCode.UNKNOWN_ABBREVIATION: Problem.UNKNOWN_UNIT,
            RegisterNameProblemCode.NO_SUCH_REGISTER: Problem.NO_SUCH_REGISTER,
        }.get(code, Problem.BAD_NAME)
        return Match(None, unit, problem, result.message_th[:300])  # type: ignore[union-attr]
    unit = _units_by_abbreviation(result.abbreviation or "")
    register = (
        Register.objects.filter(unit=unit, number=result.number, retired_at__isnull=True)
        .select_related("unit")
        .first()
    )
    if register is None:  # the register vanished between parse and read
        return Match(None, unit, Problem.NO_SUCH_REGISTER, name)
    if register.line_group_id and register.line_group_id != group_id:
        return Match(register, unit, Problem.REGISTER_TAKEN, str(register))
    return Match(register, unit, Problem.NONE, "")


def _apply_match(group: LineGroup, match: Match) -> None:
    group.unit = match.unit
    group.problem = match.problem
    group.problem_detail = match.detail
    if match.problem == Problem.NONE:
        group.register = match.register
        group.status = Status.AWAITING_CODE
    else:
        group.register = match.register if match.problem == Problem.REGISTER_TAKEN else None
        group.status = Status.UNMATCHED


def _read_group(group_id: str) -> tuple[client.GroupSummary | None, int | None, str]:
    """Summary and member count, or the reason they could not be read."""
    try:
        summary = client.get_group_summary(group_id)
        count = client.get_group_member_count(group_id)
    except client.ChannelError as exc:
        if not exc.permanent:
            raise
        return None, None, str(exc)
    return summary, count, ""


# --- events -------------------------------------------------------------------------------


def on_join(event: JSONObject) -> Any:
    group_id = event["source"]["groupId"]
    summary, count, error = _read_group(group_id)

    def apply() -> list[Reply]:
        return [group_joined(group_id=group_id, summary=summary, member_count=count, error=error)]

    return apply


def group_joined(
    *,
    group_id: str,
    summary: client.GroupSummary | None,
    member_count: int | None,
    error: str = "",
) -> Reply:
    """Record the bot joining a group and attach it by name when exactly one register
    without a verified group matches. Returns the reply for the group."""
    now = timezone.now()
    group, _created = LineGroup.objects.get_or_create(group_id=group_id)
    group.joined_at, group.left_at, group.checked_at = now, None, now
    if summary is None:
        group.status, group.problem, group.problem_detail = (
            Status.UNMATCHED,
            Problem.UNREADABLE,
            error[:300],
        )
    else:
        group.name = summary.name
        group.member_count = member_count
        if group.status != Status.VERIFIED:
            _apply_match(group, group_name_match(name=summary.name, group_id=group_id))
    group.save()
    audit_record(
        actor=BOT,
        action="line.group_joined",
        target=group,
        changes={"name": group.name, "status": group.status, "problem": group.problem},
    )
    if group.status == Status.AWAITING_CODE:
        return _reply("join_matched", group=group, register=group.register)
    if group.status == Status.VERIFIED:
        return _reply("code_already_verified", register=group.register)
    return _reply("join_unmatched", group=group, suggestion=_free_group_name(group))


def _free_group_name(group: LineGroup) -> str:
    """A name the group could take: the first register of its unit with no verified group."""
    if group.unit_id is None:
        return ""
    free = (
        Register.objects.filter(unit_id=group.unit_id, retired_at__isnull=True)
        .filter(Q(line_group_id__isnull=True) | Q(line_group_id=""))
        .exclude(line_group_name="")
        .order_by("number")
        .values_list("line_group_name", flat=True)
        .first()
    )
    return free or ""


def on_leave(event: JSONObject) -> Any:
    group_id = event["source"]["groupId"]

    def apply() -> list[Reply]:
        group_left(group_id=group_id, reason="leave event")
        return []

    return apply


def group_left(*, group_id: str, reason: str) -> None:
    """The bot is out of the group: mark it left and detach it from its register."""
    group = LineGroup.objects.filter(group_id=group_id).select_related("register").first()
    if group is None:
        return
    register = group.register
    group.status, group.left_at = Status.LEFT, timezone.now()
    group.save(update_fields=["status", "left_at"])
    if register and register.line_group_id == group_id:
        register.line_group_id = None
        register.save(update_fields=["line_group_id", "updated_at"])
        audit_record(
            actor=BOT,
            action="line.group_detached",
            target=register,
            changes={"line_group_id": {"before": group_id, "after": None}, "reason": reason},
        )
    audit_record(actor=BOT, action="line.group_left", target=group, changes={"reason": reason})


def _ensure_group(group_id: str) -> LineGroup:
    group, _created = LineGroup.objects.get_or_create(group_id=group_id)
    return group


def _event_time(event: JSONObject) -> dt.datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float):
        return dt.datetime.fromtimestamp(stamp / 1000, tz=dt.UTC)
    return timezone.now()


def _sightings(
    group: LineGroup, user_ids: list[str], *, in_group: bool, at: dt.datetime | None = None
) -> None:
    """Record who is in the group as of ``at`` (the event's time: LINE may deliver events out
    of order, so an older event never overrides a newer one)."""
    at = at or timezone.now()
    for user_id in user_ids:
        sighting, created = GroupMemberSighting.objects.get_or_create(
            group=group,
            line_user_id=user_id,
            defaults={
                "first_seen_at": at,
                "last_seen_at": at,
                "in_group": in_group,
                "left_at": None if in_group else at,
            },
        )
        if not created and at >= sighting.last_seen_at:
            sighting.in_group = in_group
            sighting.last_seen_at = at
            sighting.left_at = None if in_group else at
            sighting.save(update_fields=["in_group", "last_seen_at", "left_at"])


def on_members_changed(event: JSONObject) -> Any:
    group_id = event["source"]["groupId"]
    joined = event["type"] == "memberJoined"
    at = _event_time(event)
    members = (event.get("joined") if joined else event.get("left")) or {}
    user_ids = [m["userId"] for m in members.get("members", []) if m.get("userId")]
    try:
        count: int | None = client.get_group_member_count(group_id)
    except client.ChannelError as exc:
        if not exc.permanent:
            raise
        count = None

    def apply() -> list[Reply]:
        group = _ensure_group(group_id)
        _sightings(group, user_ids, in_group=joined, at=at)
        if count is not None:
            LineGroup.objects.filter(pk=group.pk).update(member_count=count)
        return []

    return apply


def on_group_message_seen(event: JSONObject) -> Any:
    """Every group message: the group exists for us and its poster was seen in it."""
    group_id = event["source"]["groupId"]
    user_id = event["source"].get("userId") or ""
    at = _event_time(event)

    def apply() -> list[Reply]:
        group = _ensure_group(group_id)
        if user_id:
            _sightings(group, [user_id], in_group=True, at=at)
        return []

    return apply


def on_group_code(event: JSONObject) -> Any:
    """A group message carrying a one-time verification code; None for any other message."""
    group_id = event["source"]["groupId"]
    user_id = event["source"].get("userId") or ""
    message = event.get("message") or {}
    text = message.get("text", "") if message.get("type") == "text" else ""
    code = find_code(text)
    if not code:
        return None
    # Names change without an event; read it again before trusting it.
    fresh, _count, _error = _read_group(group_id)

    def apply() -> list[Reply]:
        group = _ensure_group(group_id)
        return [group_verify(group=group, code=code, line_user_id=user_id, summary=fresh)]

    return apply


def group_verify(
    *, group: LineGroup, code: str, line_user_id: str, summary: client.GroupSummary | None
) -> Reply:
    """Verify ``group`` for the register whose open one-time ``code`` was posted, and link
    the poster's LINE account to the representative. Returns the reply for the group."""
    register_code = (
        RegisterCode.objects.filter(code=code, used_at__isnull=True)
        .select_related("register__unit", "register__representative__member__user")
        .first()
    )
    if register_code is None:
        return _reply("code_unknown")
    register = register_code.register
    if summary is not None and group.status not in (Status.VERIFIED, Status.AWAITING_NEW):
        group.name = summary.name
        _apply_match(group, group_name_match(name=summary.name, group_id=group.group_id))
        group.save()
    if group.register_id != register.pk or group.status == Status.LEFT:
        return _reply("code_wrong_group", group=group, register=register)
    if group.status == Status.VERIFIED:
        return _reply("code_already_verified", register=register)
    if register.line_group_id and register.line_group_id != group.group_id:
        return _reply("code_register_taken", register=register)
    if not line_user_id:
        return _reply("code_no_user")
    representative = register.representative
    if representative is None or not representative.is_current:
        return _reply("code_no_representative", register=register)
    member = representative.member
    other = Member.objects.filter(line_user_id=line_user_id).exclude(pk=member.pk).first()
    if other is not None:
        return _reply("code_other_account", register=register)
    now = timezone.now()
    claimed = RegisterCode.objects.filter(pk=register_code.pk, used_at__isnull=True).update(
        used_at=now, used_in_group_id=group.group_id
    )
    if claimed != 1:
        return _reply("code_unknown")
    register.line_group_id = group.group_id
    register.save(update_fields=["line_group_id", "updated_at"])
    group.status, group.problem, group.problem_detail = Status.VERIFIED, Problem.NONE, ""
    group.verified_at, group.verified_by_line_user_id, group.drift = now, line_user_id, ""
    group.save()
    # Other groups copying the name stay unverified, with the reason.
    LineGroup.objects.filter(register=register, status=Status.AWAITING_CODE).exclude(
        pk=group.pk
    ).update(status=Status.UNMATCHED, problem=Problem.REGISTER_TAKEN, problem_detail=str(register))
    audit_record(
        actor=BOT,
        action="line.group_verified",
        target=register,
        changes={"line_group_id": {"before": None, "after": group.group_id}, "name": group.name},
    )
    if member.line_user_id != line_user_id:
        # The code (shown only on the representative's signed-in page) outranks a link made
        # through the bot with the member number and phone digits, which anyone holding an
        # attachment 3 form knows: that link moves to the poster.
        previous = member.line_user_id
        member.line_user_id = line_user_id
        member.save(update_fields=["line_user_id", "updated_at"])
        if previous:
            LineFriend.objects.filter(line_user_id=previous, step=LineFriend.Step.LINKED).update(
                step=LineFriend.Step.ASK_NUMBER, linked_at=None
            )
        audit_record(
            actor=BOT,
            action="line.member_relinked" if previous else "line.member_linked",
            target=member,
            changes={"line_user_id": "replaced" if previous else "linked", "via": "register code"},
        )
    # The one-time code is shown only on the representative's signed-in page, so posting it
    # ties their web account to this LINE user (LINE Login matches only the account's link).
    if member.user is not None:
        user_line_connect(
            user=member.user,
            line_user_id=line_user_id,
            actor=BOT,
            via="register code",
            keep_existing=True,
        )
    _sightings(group, [line_user_id], in_group=True)
    return _reply("code_verified", register=register, member=member)


# --- a new representative -----------------------------------------------------------------


def register_leader_changed(*, register: Register, actor: Any) -> None:
    """A successor took the register: its verified group waits for the successor's own
    one-time code (the bot then knows the new leader's LINE user); the predecessor's open
    code is withdrawn. Called inside the registers transaction."""
    RegisterCode.objects.filter(register=register, used_at__isnull=True).delete()
    if not register.line_group_id:
        return
    changed = LineGroup.objects.filter(
        group_id=register.line_group_id, status=Status.VERIFIED
    ).update(status=Status.AWAITING_NEW)
    if changed:
        audit_record(
            actor=actor,
            action="line.group_awaiting_new_representative",
            target=register,
            changes={"line_group_id": register.line_group_id},
        )


def register_retired_group_release(*, register: Register, group_id: str | None, actor: Any) -> None:
    """A retired register (merged into the unit's others) no longer has a LINE group: its
    group stays in LINE with the members, but is no register's now (no such register, named
    in the detail), and the register's open one-time code is withdrawn. Called inside the
    registers transaction."""
    RegisterCode.objects.filter(register=register, used_at__isnull=True).delete()
    if not group_id:
        return
    changed = LineGroup.objects.filter(
        group_id=group_id, status__in=[Status.VERIFIED, Status.AWAITING_NEW]
    ).update(
        status=Status.UNMATCHED,
        problem=Problem.NO_SUCH_REGISTER,
        problem_detail=str(register)[:300],
        register=None,
        drift="",
    )
    if changed:
        audit_record(
            actor=actor,
            action="line.group_released",
            target=register,
            changes={"line_group_id": group_id},
        )


# --- periodic re-read ---------------------------------------------------------------------


def group_refresh(*, group_id: str) -> LineGroup | None:
    """Re-read a group's name and member count (renames send no event) and flag drift: a
    verified group whose name no longer points to its register. Raises ChannelError when
    LINE is unreachable; a 404 means the bot is gone, so the group is detached."""
    try:
        summary = client.get_group_summary(group_id)
        count: int | None = client.get_group_member_count(group_id)
    except client.ChannelError as exc:
        if exc.status == 404:
            with transaction.atomic():
                group_left(group_id=group_id, reason="not found in LINE")
            return LineGroup.objects.filter(group_id=group_id).first()
        raise
    with transaction.atomic():
        group = LineGroup.objects.select_related("register").get(group_id=group_id)
        before = {"name": group.name, "member_count": group.member_count, "drift": group.drift}
        group.name, group.member_count, group.checked_at = summary.name, count, timezone.now()
        match = group_name_match(name=summary.name, group_id=group_id)
        if group.status in (Status.VERIFIED, Status.AWAITING_NEW):
            if match.register is not None and match.register.pk == group.register_id:
                group.drift = ""
            else:
                group.drift = _reply(
                    "drift_name", name=summary.name, register=group.register
                ).render()[:300]
        else:
            _apply_match(group, match)
        group.save()
        after = {"name": group.name, "member_count": group.member_count, "drift": group.drift}
        if before != after:
            audit_record(
                actor=BOT,
                action="line.group_refreshed",
                target=group,
                changes={
                    k: {"before": before[k], "after": v} for k, v in after.items() if before[k] != v
                },
            )
    return group


def line_groups_to_refresh() -> list[str]:
    """Group ids the periodic job re-reads: every group the bot is still in."""
    return list(
        LineGroup.objects.exclude(status=Status.LEFT)
        .order_by(F("checked_at").asc(nulls_first=True))
        .values_list("group_id", flat=True)
    )
