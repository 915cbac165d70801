"""Linking a member's LINE account (1:1 chat with the official account): member number,
then the last four digits of a phone on file. Rate-limited; reveals nothing before linking."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from tocnet.core.audit import audit_record
from tocnet.core.jsontypes import JSONObject
from tocnet.core.thai import to_arabic_digits
from tocnet.line.models import LineFriend, LinkAttempt
from tocnet.line.services.replies import Reply, reply
from tocnet.members.models import Member
from tocnet.registers.models import RegisterMembership

BOT = "line-bot"
Step = LineFriend.Step


def _max_attempts() -> int:
    return int(getattr(settings, "LINE_LINK_MAX_ATTEMPTS", 5))


def _lock_for() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "LINE_LINK_LOCK_MINUTES", 24 * 60)))


_reply = reply


def _friend(line_user_id: str) -> LineFriend:
    friend, _created = LineFriend.objects.get_or_create(line_user_id=line_user_id)
    return friend


def _linked_member(line_user_id: str) -> Member | None:
    return Member.objects.filter(line_user_id=line_user_id).first()


def on_follow(event: JSONObject) -> Any:
    user_id = (event.get("source") or {}).get("userId") or ""
    return lambda: [friend_followed(line_user_id=user_id)] if user_id else []


def friend_followed(*, line_user_id: str) -> Reply:
    """A LINE user added (or unblocked) the account: greet, and ask for the member number
    unless already linked. Returns the reply."""
    friend = _friend(line_user_id)
    friend.blocked, friend.blocked_at, friend.followed_at = False, None, timezone.now()
    member = _linked_member(line_user_id)
    if member is None and friend.step == Step.LINKED:
        friend.step = Step.ASK_NUMBER  # the link was removed by staff
    friend.save()
    if member is not None:
        return _reply("follow_linked", member=member)
    return _reply("follow_ask_number")


def on_unfollow(event: JSONObject) -> Any:
    user_id = (event.get("source") or {}).get("userId") or ""

    def apply() -> list[Reply]:
        if user_id:
            friend_unfollowed(line_user_id=user_id)
        return []

    return apply


def friend_unfollowed(*, line_user_id: str) -> None:
    """The user blocked the account: keep any link, mark it blocked."""
    friend = _friend(line_user_id)
    friend.blocked, friend.blocked_at = True, timezone.now()
    friend.save(update_fields=["blocked", "blocked_at"])
    member = _linked_member(line_user_id)
    if member is not None:
        audit_record(actor=BOT, action="line.member_blocked", target=member, changes={})


def on_user_message(event: JSONObject) -> Any:
    """Any 1:1 message (line's fallback: a linked member is told they are linked)."""
    user_id = (event.get("source") or {}).get("userId") or ""
    message = event.get("message") or {}
    text = message.get("text", "") if message.get("type") == "text" else ""
    return lambda: [friend_message(line_user_id=user_id, text=text)] if user_id else []


def on_unlinked_user_message(event: JSONObject) -> Any:
    """A 1:1 message from a LINE user not linked to a member: the linking conversation.
    None for linked members, whose messages later apps (conversations) handle."""
    user_id = (event.get("source") or {}).get("userId") or ""
    if user_id and Member.objects.filter(line_user_id=user_id).exists():
        return None
    return on_user_message(event)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", to_arabic_digits(text))


def friend_message(*, line_user_id: str, text: str, now: dt.datetime | None = None) -> Reply:
    """One step of the linking conversation. Returns the reply."""
    now = now or timezone.now()
    friend = LineFriend.objects.select_for_update().filter(line_user_id=line_user_id).first()
    if friend is None:
        friend = _friend(line_user_id)
    member = _linked_member(line_user_id)
    if member is not None:
        return _reply("already_linked", member=member, **_register_context(member))
    if friend.locked_until and friend.locked_until > now:
        return _reply("locked", until=friend.locked_until)
    digits = _digits(text)
    if friend.step != Step.ASK_PHONE:
        if not digits or len(digits) > 20:
            return _reply("follow_ask_number")
        friend.step, friend.claimed_number = Step.ASK_PHONE, digits
        friend.save(update_fields=["step", "claimed_number"])
        return _reply("ask_phone")
    if len(digits) != 4:
        return _reply("ask_phone")
    return _check_phone(friend, digits, now)


def member_link_by_answers(
    *, line_user_id: str, number: str, last4: str, now: dt.datetime | None = None
) -> Reply:
    """Both linking answers at once (the LIFF page's form), under the chat's rules: the same
    lock-out per LINE user and per member number, the same silence about which answer was
    wrong. Call inside a transaction. Returns the reply: linked, wrong_answer (left),
    locked (until), already_linked or ask_phone (the digits were not four)."""
    now = now or timezone.now()
    friend = LineFriend.objects.select_for_update().filter(line_user_id=line_user_id).first()
    if friend is None:
        friend = _friend(line_user_id)
    member = _linked_member(line_user_id)
    if member is not None:
        return _reply("already_linked", member=member, **_register_context(member))
    if friend.locked_until and friend.locked_until > now:
        return _reply("locked", until=friend.locked_until)
    number_digits, last4_digits = _digits(number), _digits(last4)
    if not number_digits or len(number_digits) > 20:
        return _reply("follow_ask_number")
    if len(last4_digits) != 4:
        return _reply("ask_phone")
    friend.claimed_number = number_digits
    return _check_phone(friend, last4_digits, now)


def _check_phone(friend: LineFriend, last4: str, now: dt.datetime) -> Reply:
    number = friend.claimed_number
    window_start = now - _lock_for()
    recent_for_number = LinkAttempt.objects.filter(
        claimed_number=number, created_at__gte=window_start
    ).count()
    member = (
        Member.objects.filter(number=number, status=Member.Status.ACTIVE)
        .prefetch_related("phones")
        .first()
    )
    matches = member is not None and any(p.last4 == last4 for p in member.phones.all())
    # Guessing one member's digits from many LINE accounts is capped per member number too.
    if recent_for_number >= _max_attempts():
        matches = False
    # A member already linked to another LINE account answers exactly like a wrong guess and
    # counts as one: a distinct reply would confirm the guessed number and digits.
    if not matches or member is None or member.line_user_id:
        return _wrong_answer(friend, number, now)
    try:
        with transaction.atomic():
            updated = Member.objects.filter(pk=member.pk, line_user_id__isnull=True).update(
                line_user_id=friend.line_user_id, updated_at=now
            )
    except IntegrityError:
        updated = 0
    if updated != 1:  # linked meanwhile by someone else
        return _wrong_answer(friend, number, now)
    friend.step, friend.claimed_number, friend.failed_attempts = Step.LINKED, "", 0
    friend.linked_at, friend.locked_until = now, None
    friend.save()
    member.refresh_from_db()
    audit_record(
        actor=BOT,
        action="line.member_linked",
        target=member,
        changes={"line_user_id": "linked", "via": "member number + phone"},
    )
    return _reply("linked", member=member, **_register_context(member))


def _wrong_answer(friend: LineFriend, number: str, now: dt.datetime) -> Reply:
    LinkAttempt.objects.create(line_user_id=friend.line_user_id, claimed_number=number)
    LineFriend.objects.filter(pk=friend.pk).update(failed_attempts=F("failed_attempts") + 1)
    friend.refresh_from_db()
    friend.step, friend.claimed_number = Step.ASK_NUMBER, ""
    fields = ["step", "claimed_number"]
    if friend.failed_attempts >= _max_attempts():
        friend.locked_until, friend.failed_attempts = now + _lock_for(), 0
        fields += ["locked_until", "failed_attempts"]
        friend.save(update_fields=fields)
        return _reply("locked", until=friend.locked_until)
    friend.save(update_fields=fields)
    return _reply("wrong_answer", left=_max_attempts() - friend.failed_attempts)


def _register_context(member: Member) -> dict[str, object]:
    membership = (
        RegisterMembership.objects.filter(member=member, until__isnull=True)
        .select_related("register__unit", "register__representative__member")
        .first()
    )
    register = membership.register if membership else None
    representative = (
        register.representative.member if register and register.representative else None
    )
    return {"register": register, "representative": representative}
