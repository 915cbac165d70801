"""Writes of the conversations app: receiving, routing, answering, purging."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tocnet.accounts.models import Department, User
from tocnet.conversations.models import Article, Conversation, Message
from tocnet.core.audit import Changes, audit_record
from tocnet.line import client
from tocnet.line.models import LineFriend
from tocnet.members.models import Member

logger = logging.getLogger(__name__)
BOT = "line-bot"
OPEN_STATUSES = (Conversation.Status.OPEN, Conversation.Status.WAITING)


def setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def max_text() -> int:
    return setting("CONVERSATIONS_MAX_TEXT", 5000)


def reply_token_life() -> dt.timedelta:
    return dt.timedelta(seconds=setting("CONVERSATIONS_REPLY_TOKEN_SECONDS", 50))


def holidays_between(first: dt.date, last: dt.date) -> frozenset[dt.date]:
    """The public holidays (conversations.Holiday, kept by staff) from ``first`` to ``last``."""
    from tocnet.conversations.models import Holiday

    return frozenset(
        Holiday.objects.filter(date__gte=first, date__lte=last).values_list("date", flat=True)
    )


def is_working_day(day: dt.date, holidays: frozenset[dt.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


OPENS_AT = dt.time(8, 30)


def _holiday_window(first: dt.date, last: dt.date, days: int) -> frozenset[dt.date]:
    # Thai holidays never run longer than a week, so this window always holds the answer.
    return holidays_between(first, last + dt.timedelta(days=days * 3 + 21))


def _add_working_days(start: dt.datetime, days: int, holidays: frozenset[dt.date]) -> dt.datetime:
    local = timezone.localtime(start)  # Bangkok: settings.TIME_ZONE
    if not is_working_day(local.date(), holidays):
        while not is_working_day(local.date(), holidays):
            local += dt.timedelta(days=1)
        local = local.replace(hour=OPENS_AT.hour, minute=OPENS_AT.minute, second=0, microsecond=0)
    left = days
    while left > 0:
        local += dt.timedelta(days=1)
        if is_working_day(local.date(), holidays):
            left -= 1
    return local.astimezone(dt.UTC)


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """``start`` plus ``days`` working days (Bangkok time): weekends and the public holidays
    of the Holiday table are skipped; a start on a day off counts from the next working day
    at 08:30. One query, whatever the span."""
    day = timezone.localtime(start).date()
    return _add_working_days(start, days, _holiday_window(day, day, days))


def due_from(start: dt.datetime) -> dt.datetime:
    return add_working_days(start, setting("CONVERSATIONS_TARGET_WORKING_DAYS", 1))


def targets_from(starts: list[dt.datetime]) -> list[dt.datetime]:
    """due_from() of each start (a page of conversations' openings) with one query."""
    if not starts:
        return []
    days = setting("CONVERSATIONS_TARGET_WORKING_DAYS", 1)
    local = [timezone.localtime(s).date() for s in starts]
    holidays = _holiday_window(min(local), max(local), days)
    return [_add_working_days(s, days, holidays) for s in starts]


def clip(text: str) -> str:
    """Very long texts are kept up to the limit, marked as cut."""
    limit = max_text()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def rate_limited(*, line_user_id: str, now: dt.datetime) -> bool:
    """True when this LINE user sent more than CONVERSATIONS_RATE_LIMIT_PER_MINUTE messages
    in the last minute (a flood: further messages are not kept)."""
    limit = setting("CONVERSATIONS_RATE_LIMIT_PER_MINUTE", 20)
    recent = Message.objects.filter(
        conversation__line_user_id=line_user_id,
        direction=Message.Direction.IN,
        created_at__gte=now - dt.timedelta(minutes=1),
    ).count()
    return recent >= limit


def flood_warn_once(*, line_user_id: str) -> bool:
    """True the first time in a minute a flooding user is told to slow down."""
    from django.core.cache import cache

    return bool(cache.add(f"conversations:flood:{line_user_id}", 1, 60))


def representative_consent_record(*, member: Member, allowed: bool) -> None:
    """The member's answer in LINE to "may your representative see your questions to the
    cooperative?": a privacy Consent of its own purpose (asked once)."""
    from tocnet.privacy.models import REPRESENTATIVE_CHANNEL, Method, Purpose
    from tocnet.privacy.services import consent_set

    consent_set(
        member=member,
        purpose=Purpose.REPRESENTATIVE,
        channel=REPRESENTATIVE_CHANNEL,
        allowed=allowed,
        method=Method.LINE,
        actor=BOT,
    )


def open_conversation_for(*, member: Member | None, line_user_id: str) -> Conversation | None:
    """The member's (or the unlinked LINE user's) conversation still open, newest first."""
    qs = Conversation.objects.select_for_update().filter(status__in=OPEN_STATUSES)
    if member is not None:
        qs = qs.filter(member=member)
    else:
        qs = qs.filter(member__isnull=True, line_user_id=line_user_id)
    return qs.order_by("-last_message_at", "-id").first()


def message_receive(
    *,
    member: Member | None,
    line_user_id: str,
    kind: str,
    text: str = "",
    content: bytes | None = None,
    file_name: str = "",
    line_message_id: str = "",
    reply_token: str = "",
    at: dt.datetime | None = None,
    origin: str = Conversation.Origin.DIRECT,
    forwarded_by: User | None = None,
) -> tuple[Conversation, Message | None, bool]:
    """Keep one incoming message in the open conversation (opening one when there is none).
    Returns (conversation, message or None for a duplicate, whether it was opened now). Runs
    inside the webhook event's transaction."""
    now = at or timezone.now()
    if line_message_id:
        existing = (
            Message.objects.filter(line_message_id=line_message_id)
            .select_related("conversation")
            .first()
        )
        if existing is not None:  # stored once, whatever LINE redelivers
            return existing.conversation, None, False
    conversation = open_conversation_for(member=member, line_user_id=line_user_id)
    opened = conversation is None
    if conversation is None:
        conversation = Conversation.objects.create(
            member=member,
            line_user_id=line_user_id,
            origin=origin,
            forwarded_by=forwarded_by,
            opened_at=now,
            last_message_at=now,
            waiting_since=now,
            due_at=due_from(now),
        )
    message = Message(
        conversation=conversation,
        direction=Message.Direction.IN,
        kind=kind,
        text=clip(text),
        file_name=file_name[:200],
        line_message_id=line_message_id,
        created_at=now,
        author=forwarded_by,
    )
    if content is not None:
        message.file_size = len(content)
        message.file.save(
            file_name or f"{line_message_id or 'file'}.bin", ContentFile(content), save=False
        )
    message.save()
    updates: dict[str, object] = {
        "last_message_at": now,
        "message_count": F("message_count") + 1,
    }
    if conversation.waiting_since is None:
        updates["waiting_since"], updates["due_at"] = now, due_from(now)
    if conversation.status == Conversation.Status.WAITING:
        updates["status"] = Conversation.Status.OPEN
    if reply_token:
        updates["reply_token"], updates["reply_token_at"] = reply_token, now
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    conversation.refresh_from_db()
    return conversation, message, opened


def reply_token_keep(
    *, conversation: Conversation, token: str, at: dt.datetime | None = None
) -> None:
    """Remember the newest reply token of the member's chat: a staff answer within its life
    goes out free."""
    Conversation.objects.filter(pk=conversation.pk).update(
        reply_token=token, reply_token_at=at or timezone.now()
    )


def reply_token_spent(*, conversation: Conversation) -> None:
    """The bot used the token (its own reply); staff answers will push."""
    Conversation.objects.filter(pk=conversation.pk).update(reply_token="", reply_token_at=None)


def _conversation_change(
    conversation: Conversation,
    fields: dict[str, object],
    *,
    actor: Any,
    action: str,
    changes: Changes,
) -> Conversation:
    """Set `fields` on the conversation and save them with their audit event, both or neither."""
    with transaction.atomic():
        for name, value in fields.items():
            setattr(conversation, name, value)
        conversation.save(update_fields=list(fields))
        audit_record(actor=actor, action=action, target=conversation, changes=changes)
    return conversation


def conversation_route(
    *, conversation: Conversation, department: Department | None, routing: str, actor: Any
) -> Conversation:
    """Send a conversation to a department (None: back to triage)."""
    before = conversation.department.code if conversation.department else ""
    return _conversation_change(
        conversation,
        {"department": department, "routing": routing},
        actor=actor,
        action="conversation.routed",
        changes={"department": [before, department.code if department else ""], "by": routing},
    )


def conversation_assign(
    *, conversation: Conversation, assignee: User | None, actor: User
) -> Conversation:
    """Give a conversation to one person (None: nobody)."""
    return _conversation_change(
        conversation,
        {"assigned_to": assignee},
        actor=actor,
        action="conversation.assigned",
        changes={"assigned_to": assignee.get_username() if assignee else ""},
    )


def conversation_rep_may_answer_set(
    *, conversation: Conversation, allowed: bool, actor: User
) -> Conversation:
    """Staff mark a question simple enough for the member's representative to answer."""
    return _conversation_change(
        conversation,
        {"rep_may_answer": allowed},
        actor=actor,
        action="conversation.rep_may_answer",
        changes={"rep_may_answer": allowed},
    )


def conversation_set_status(*, conversation: Conversation, status: str, actor: Any) -> Conversation:
    """Open, waiting for the member, or solved; solving stops the clock."""
    now = timezone.now()
    with transaction.atomic():
        conversation.status = status
        fields = ["status"]
        if status == Conversation.Status.SOLVED:
            conversation.solved_at, conversation.waiting_since, conversation.due_at = (
                now,
                None,
                None,
            )
            fields += ["solved_at", "waiting_since", "due_at"]
        elif status == Conversation.Status.WAITING:
            conversation.waiting_since, conversation.due_at = None, None
            fields += ["waiting_since", "due_at"]
        else:
            conversation.solved_at = None
            fields.append("solved_at")
            if conversation.waiting_since is None:
                conversation.waiting_since, conversation.due_at = now, due_from(now)
                fields += ["waiting_since", "due_at"]
        conversation.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="conversation.status",
            target=conversation,
            changes={"status": status},
        )
    return conversation


RESTRICTED_TEXT = gettext_lazy(
    "Processing of this member's data is restricted (PDPA): nothing is sent to them until "
    "the restriction is lifted."
)


def member_restricted(conversation: Conversation) -> bool:
    """The conversation's member is under a restriction of processing: TOC-Net sends them
    nothing, answers included (the privacy app's rule for every send)."""
    from tocnet.privacy.selectors import restricted_member_ids

    return conversation.member_id is not None and (
        restricted_member_ids().filter(member_id=conversation.member_id).exists()
    )


def representative_signature(author: User) -> str:
    """The line under a representative's answer: the member reads it from the cooperative's
    official account and should know their representative, not staff, wrote it (in Thai,
    as everything the bot sends)."""
    from django.utils import translation

    from tocnet.conversations.selectors import user_member

    member = user_member(author)
    name = member.sort_name if member else (author.get_full_name() or author.get_username())
    with translation.override("th"):
        return _("— %(name)s, your member representative") % {"name": name}


def article_answer_text(article: Article) -> str:
    """What the member receives when an article is sent as an answer."""
    return f"{article.title}\n\n{article.answer}"


def conversation_answer(
    *, conversation: Conversation, author: User, text: str = "", article: Article | None = None
) -> Message:
    """Queue a staff (or representative) answer; it goes out after commit, through the reply
    token while valid (free), otherwise by push (billed). Two answers written at once are both
    kept and sent in order. ``article``: send a published knowledge-base article as the
    answer (a representative may always do that; their own words only where
    selectors.representative_may_answer allows)."""
    from tocnet.accounts import roles
    from tocnet.conversations.selectors import representative_may_answer

    if article is not None:
        if not article.published:
            raise ValueError(_("This article is not published."))
        text = article_answer_text(article)
    text = text.strip()
    if not text:
        raise ValueError(_("Write an answer first."))
    if (
        article is None
        and roles.is_representative(author)
        and not representative_may_answer(conversation)
    ):
        raise PermissionDenied(
            _("Representatives answer this question only with a knowledge-base article.")
        )
    if member_restricted(conversation):
        raise PermissionDenied(RESTRICTED_TEXT)
    if roles.is_representative(author):
        signature = representative_signature(author)
        room = max_text() - len(signature) - 2
        body = text if len(text) <= room else text[: room - 1] + "…"
        text = f"{body}\n\n{signature}"  # the signature survives a long answer
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUT,
            text=clip(text),
            author=author,
            send_status=Message.SendStatus.PENDING,
            created_at=now,
        )
        updates: dict[str, object] = {
            "last_message_at": now,
            "message_count": F("message_count") + 1,
            "waiting_since": None,
            "due_at": None,
        }
        if conversation.first_reply_at is None:
            updates["first_reply_at"] = now
        if conversation.assigned_to_id is None and roles.is_cooperative_staff(author):
            updates["assigned_to"] = author  # a representative's answer leaves it with staff
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        transaction.on_commit(lambda: _enqueue_send(conversation.pk))
    return message


def _enqueue_send(conversation_id: int) -> None:
    from tocnet.conversations.tasks import conversation_send_task

    conversation_send_task(conversation_id)


def conversation_note_add(*, conversation: Conversation, author: User, text: str) -> Message:
    """An internal note (never sent to the member)."""
    text = text.strip()
    if not text:
        raise ValueError(_("Write a note first."))
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.NOTE,
        text=clip(text),
        author=author,
        created_at=timezone.now(),
    )
    Conversation.objects.filter(pk=conversation.pk).update(message_count=F("message_count") + 1)
    return message


SENDING_STALE = dt.timedelta(minutes=5)


def conversation_send_pending(*, conversation_id: int) -> int:
    """Send the conversation's pending answers, oldest first, in one LINE request: through the
    reply token while it is fresh (free), else by push with each batch's saved retry key
    (billed). One worker per conversation at a time. Returns how many went out."""
    now = timezone.now()
    claimed = (
        Conversation.objects.filter(pk=conversation_id)
        .filter(Q(sending_since__isnull=True) | Q(sending_since__lt=now - SENDING_STALE))
        .update(sending_since=now)
    )
    if claimed != 1:
        return 0  # another worker is sending; it picks these up before it lets go
    sent = 0
    try:
        while True:
            pending = list(
                Message.objects.filter(
                    conversation_id=conversation_id,
                    direction=Message.Direction.OUT,
                    send_status=Message.SendStatus.PENDING,
                ).order_by("created_at", "id")[:5]
            )
            if not pending:
                break
            sent += _send_batch(conversation_id, pending)
    finally:
        Conversation.objects.filter(pk=conversation_id).update(sending_since=None)
    return sent


def _mark(messages: list[Message], **fields: Any) -> None:
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(**fields)


def _send_batch(conversation_id: int, batch: list[Message]) -> int:
    from linebot.v3.messaging import TextMessage

    conversation = Conversation.objects.get(pk=conversation_id)
    if member_restricted(conversation):  # restricted after the answer was queued
        _mark(batch, send_status=Message.SendStatus.FAILED, error="processing restricted")
        return 0
    to = conversation.line_user_id
    friend = LineFriend.objects.filter(line_user_id=to).first() if to else None
    if not to or (friend is not None and friend.blocked):
        _mark(
            batch,
            send_status=Message.SendStatus.BLOCKED,
            error="no LINE account" if not to else "blocked",
        )
        Conversation.objects.filter(pk=conversation_id).update(blocked=bool(to))
        return 0
    messages = [TextMessage(text=m.text) for m in batch]
    now = timezone.now()
    token = conversation.reply_token
    fresh = (
        bool(token)
        and conversation.reply_token_at is not None
        and (now - conversation.reply_token_at < reply_token_life())
    )
    if fresh:
        # Take the token first: a single-use token must never be tried twice.
        took = Conversation.objects.filter(pk=conversation_id, reply_token=token).update(
            reply_token="", reply_token_at=None
        )
        if took == 1:
            try:
                client.reply_messages(reply_token=token, messages=messages)
            except client.ChannelError as exc:
                logger.info("reply token of conversation %s refused: %s", conversation_id, exc)
            else:
                _mark(
                    batch,
                    send_status=Message.SendStatus.SENT,
                    via=Message.Via.REPLY,
                    billed=False,
                    sent_at=now,
                )
                return len(batch)
    try:
        client.push_messages(to=to, messages=messages, retry_key=str(batch[0].retry_key))
    except client.ChannelError as exc:
        status = Message.SendStatus.FAILED if exc.permanent else Message.SendStatus.PENDING
        _mark(batch, send_status=status, error=str(exc)[:500])
        if not exc.permanent:
            raise
        return 0
    _mark(
        batch, send_status=Message.SendStatus.SENT, via=Message.Via.PUSH, billed=True, sent_at=now
    )
    return len(batch)


def pushes_this_month(*, now: dt.datetime | None = None) -> int:
    """Messages of LINE's monthly quota the answers used this month (Bangkok calendar month):
    LINE counts a push once per recipient, however many message objects (up to 5) it carries,
    so answers pushed together in one request (one batch: same conversation, same sent_at)
    count once. Replies are free."""
    local = timezone.localtime(now or timezone.now())
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (
        Message.objects.filter(billed=True, sent_at__gte=start)
        .values("conversation_id", "sent_at")
        .distinct()
        .count()
    )


def bot_answer_record(
    *, conversation: Conversation, text: str, article: Article | None = None
) -> Message:
    """Keep what the bot answered (an article, a question) in the conversation."""
    message = Message.objects.create(
        conversation=conversation,
        direction=Message.Direction.BOT,
        text=clip(text),
        created_at=timezone.now(),
        send_status=Message.SendStatus.SENT,
        via=Message.Via.REPLY,
    )
    updates: dict[str, object] = {"message_count": F("message_count") + 1}
    if article is not None:
        updates["article"] = article
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    return message


def new_question_gap() -> dt.timedelta:
    """A message after this long a silence in an open conversation starts a new question."""
    return dt.timedelta(minutes=setting("CONVERSATIONS_NEW_QUESTION_AFTER_MINUTES", 120))


def open_conversation_last_activity(*, member: Member) -> dt.datetime | None:
    """When the member's open conversation last had a message (None: no open one)."""
    return (
        Conversation.objects.filter(member=member, status__in=OPEN_STATUSES)
        .order_by("-last_message_at", "-id")
        .values_list("last_message_at", flat=True)
        .first()
    )


def automatic_articles_left(*, line_user_id: str, now: dt.datetime | None = None) -> bool:
    """The rate limit of the bot's automatic articles: at most
    CONVERSATIONS_AUTO_ARTICLES_PER_DAY (default 3) to one LINE user in 24 hours."""
    since = (now or timezone.now()) - dt.timedelta(days=1)
    sent = Message.objects.filter(
        conversation__line_user_id=line_user_id,
        direction=Message.Direction.BOT,
        created_at__gte=since,
    ).count()
    return sent < setting("CONVERSATIONS_AUTO_ARTICLES_PER_DAY", 3)


def pending_attach(*, member: Member, line_user_id: str) -> int:
    """Messages a LINE user wrote before linking join the member's conversations."""
    return Conversation.objects.filter(member__isnull=True, line_user_id=line_user_id).update(
        member=member
    )


def conversations_purge(*, now: dt.datetime | None = None) -> int:
    """Delete conversations (messages and files) whose last message is older than the
    retention period (CONVERSATIONS_RETENTION_DAYS, default 2 years). Returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(
        days=setting("CONVERSATIONS_RETENTION_DAYS", 730)
    )
    total = 0
    while True:
        ids = list(
            Conversation.objects.filter(last_message_at__lt=cutoff).values_list("pk", flat=True)[
                :500
            ]
        )
        if not ids:
            return total
        total += _delete_conversations(ids)


def _delete_conversations(ids: list[int]) -> int:
    files = list(
        Message.objects.filter(conversation_id__in=ids)
        .exclude(file="")
        .values_list("file", flat=True)
    )
    with transaction.atomic():
        deleted = (
            Conversation.objects.filter(pk__in=ids).delete()[1].get("conversations.Conversation", 0)
        )
    storage = Message._meta.get_field("file").storage
    for name in files:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("could not delete %s", name)
    return deleted


def member_conversations_erase(*, member: Member, actor: Any) -> int:
    """Erasure of a member: their conversations, messages and files go."""
    ids = list(Conversation.objects.filter(member=member).values_list("pk", flat=True))
    count = _delete_conversations(ids) if ids else 0
    audit_record(
        actor=actor, action="conversation.erased", target=member, changes={"conversations": count}
    )
    return count


def conversations_with_stale_answers(*, now: dt.datetime | None = None) -> list[int]:
    """Conversations with answers pending for more than a minute."""
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=1)
    return list(
        Message.objects.filter(
            direction=Message.Direction.OUT,
            send_status=Message.SendStatus.PENDING,
            created_at__lt=cutoff,
        )
        .values_list("conversation_id", flat=True)
        .distinct()[:200]
    )


def conversations_overdue_notify(*, now: dt.datetime | None = None) -> int:
    """Push one note to the representative (who has LINE) of each member whose conversation
    passed its target and who allowed the representative to see it; once per conversation.
    Returns how many representatives were told."""
    from linebot.v3.messaging import TextMessage

    from tocnet.conversations.selectors import member_representative_user, representative_may_see
    from tocnet.line.services.replies import reply

    now = now or timezone.now()
    told = 0
    overdue = Conversation.objects.filter(
        due_at__lt=now,
        status=Conversation.Status.OPEN,
        overdue_notified_at__isnull=True,
        member__isnull=False,
    ).select_related("member")[:200]
    for conversation in overdue:
        claimed = Conversation.objects.filter(
            pk=conversation.pk, overdue_notified_at__isnull=True
        ).update(overdue_notified_at=now)
        member = conversation.member
        if claimed != 1 or member is None or not representative_may_see(member):
            continue
        if member_restricted(conversation):
            continue
        rep = member_representative_user(member)
        rep_line = (
            Member.objects.filter(user=rep).values_list("line_user_id", flat=True).first()
            if rep
            else None
        )
        if not rep_line:
            continue
        text = reply("conversations/line/overdue.txt", member=member).render()
        try:
            client.push_messages(
                to=rep_line,
                messages=[TextMessage(text=text)],
                retry_key=str(uuid.uuid5(uuid.NAMESPACE_URL, f"overdue:{conversation.code}")),
            )
        except client.ChannelError as exc:
            logger.warning("overdue note for %s failed: %s", conversation.pk, exc)
            continue
        told += 1
    return told
