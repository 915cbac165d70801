"""Webhook handlers (tocnet.line.handlers contract): LINE reads first, then an apply function
running in the event's transaction and returning the bot's replies."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlencode

from django.utils import timezone

from tocnet.accounts.models import Department
from tocnet.conversations import routing, selectors, services
from tocnet.conversations.models import Article, Conversation, Message
from tocnet.core.jsontypes import JSONObject
from tocnet.core.thai import to_arabic_digits
from tocnet.line import client
from tocnet.line.services.replies import QuickReply, Reply
from tocnet.members.models import Member

Kind = Message.Kind
KEPT_KINDS = {"text": Kind.TEXT, "image": Kind.IMAGE, "sticker": Kind.STICKER, "file": Kind.FILE}
TEMPLATES = "conversations/line/"
ASK_PREFIX = re.compile(r"^\s*(ถาม|\?|？)\s*")


def _reply(name: str, quick: tuple[QuickReply, ...] = (), **context: Any) -> Reply:
    return Reply(f"{TEMPLATES}{name}.txt", context, quick)


def _at(event: JSONObject) -> dt.datetime:
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float):
        return dt.datetime.fromtimestamp(stamp / 1000, tz=dt.UTC)
    return timezone.now()


def _max_file_bytes() -> int:
    return services.setting("CONVERSATIONS_MAX_FILE_BYTES", 10 * 1024 * 1024)


def _postback(action: str, conversation: Conversation, **extra: str) -> str:
    return urlencode({"conv": action, "c": str(conversation.code), **extra})


def department_menu(conversation: Conversation) -> tuple[QuickReply, ...]:
    """Quick-reply buttons: one per department, then "not sure" (triage)."""
    buttons = [
        QuickReply(label=d.name, data=_postback("route", conversation, d=d.code))
        for d in Department.objects.all()[:12]
    ]
    buttons.append(QuickReply(label="ไม่แน่ใจ", data=_postback("route", conversation, d="")))
    return tuple(buttons)


def _consent_buttons(conversation: Conversation) -> tuple[QuickReply, ...]:
    return (
        QuickReply(label="ยินยอม", data=_postback("consent", conversation, a="yes")),
        QuickReply(label="ไม่ยินยอม", data=_postback("consent", conversation, a="no")),
    )


def _route_by_keywords(conversation: Conversation, text: str) -> bool:
    """Send the conversation to the department whose keywords the text matches best; False
    (left where it is) when none does."""
    department = routing.department_for(text)
    if department is None:
        return False
    services.conversation_route(
        conversation=conversation,
        department=department,
        routing=Conversation.Routing.KEYWORDS,
        actor=services.BOT,
    )
    return True


def _routed_reply(conversation: Conversation) -> Reply:
    """ "Sent to <department>", asking once for the representative's access when it applies."""
    representative = (
        selectors.member_representative_user(conversation.member) if conversation.member else None
    )
    ask = (
        representative is not None
        and conversation.member is not None
        and not selectors.consent_asked(conversation.member)
    )
    from tocnet.conversations.preferences import preferences_url

    return _reply(
        "routed",
        _consent_buttons(conversation) if ask else (),
        department=conversation.department,
        representative=representative if ask else None,
        preferences_url=preferences_url() if ask else "",
    )


def _content(message: JSONObject) -> tuple[bytes | None, str]:
    """The bytes of an image or file (None when too large or LINE refused), and a refusal."""
    kind = message.get("type")
    if kind not in ("image", "file"):
        return None, ""
    size = message.get("fileSize")
    if isinstance(size, int) and size > _max_file_bytes():
        return None, "too_large"
    try:
        return client.get_message_content(
            message_id=str(message.get("id", "")), max_bytes=_max_file_bytes()
        ), ""
    except client.ChannelError as exc:
        return None, "too_large" if exc.permanent and "larger" in exc.message else "unavailable"


def _linked_member(line_user_id: str) -> Member | None:
    return Member.objects.filter(line_user_id=line_user_id).first() if line_user_id else None


def on_direct_message(event: JSONObject) -> Any:
    """A linked member writes 1:1: the message joins their open conversation (or opens one).
    None for unlinked users: line's linking conversation handles those."""
    user_id = (event.get("source") or {}).get("userId") or ""
    member = _linked_member(user_id)
    if member is None:
        return None
    message = event.get("message") or {}
    kind = KEPT_KINDS.get(str(message.get("type")))
    token = str(event.get("replyToken") or "")
    at = _at(event)
    content, refusal = _content(message) if kind else (None, "")

    def apply() -> list[Reply]:
        now = timezone.now()
        if services.rate_limited(line_user_id=user_id, now=now):
            return [_reply("slow_down")] if services.flood_warn_once(line_user_id=user_id) else []
        if kind is None:
            return [_reply("unsupported")]  # acknowledged, not stored
        if refusal:
            return [_reply("file_refused", max_mb=_max_file_bytes() // (1024 * 1024))]
        previous = services.open_conversation_last_activity(member=member)
        conversation, stored, opened = services.message_receive(
            member=member,
            line_user_id=user_id,
            kind=kind,
            text=_text_of(message),
            content=content,
            file_name=str(message.get("fileName") or _default_name(message)),
            line_message_id=str(message.get("id") or ""),
            reply_token=token,
            at=at,
        )
        if stored is None:
            return []
        if opened:
            return first_reply(conversation=conversation, text=stored.text)
        if kind == Kind.TEXT and starts_new_question(stored.text, previous, stored.created_at):
            return article_offer(conversation=conversation, text=stored.text)
        return []  # the token stays with the conversation: a staff answer goes free

    return apply


def starts_new_question(text: str, previous: dt.datetime | None, at: dt.datetime) -> bool:
    """A chat line of an open conversation is a new question when it starts with "ถาม" / "?"
    or comes after a silence of CONVERSATIONS_NEW_QUESTION_AFTER_MINUTES (a solved
    conversation never continues: the next message opens a new one)."""
    if ASK_PREFIX.match(text):
        return True
    return previous is not None and at - previous >= services.new_question_gap()


def _matching_article(conversation: Conversation, text: str) -> Article | None:
    """The article that answers ``text`` well, unless the rate limit is reached or the bot
    already offered that article in this conversation."""
    if not text or not services.automatic_articles_left(line_user_id=conversation.line_user_id):
        return None
    articles = Article.objects.filter(published=True).values_list("pk", "title", "keywords")
    match = routing.article_best_match(ASK_PREFIX.sub("", text, count=1), articles)
    if match is None or match.article_id == conversation.article_id:
        return None
    return Article.objects.select_related("department").get(pk=match.article_id)


def _article_reply(conversation: Conversation, article: Article) -> Reply:
    answer = _reply(
        "article",
        (QuickReply(label="คุยกับเจ้าหน้าที่", data=_postback("person", conversation)),),
        article=article,
    )
    services.bot_answer_record(conversation=conversation, text=answer.render(), article=article)
    return answer


def article_offer(*, conversation: Conversation, text: str) -> list[Reply]:
    """A new question inside an open conversation: offer a matching article (the member can
    still ask a person; the conversation stays with its team). Nothing when none matches:
    the reply token then stays for a free staff answer."""
    article = _matching_article(conversation, text)
    if article is None:
        return []
    services.reply_token_spent(conversation=conversation)
    return [_article_reply(conversation, article)]


def _text_of(message: JSONObject) -> str:
    if message.get("type") == "text":
        return str(message.get("text") or "")
    if message.get("type") == "sticker":
        return f"[sticker {message.get('packageId', '')}/{message.get('stickerId', '')}]"
    return ""


def _default_name(message: JSONObject) -> str:
    return f"{message.get('id', 'image')}.jpg" if message.get("type") == "image" else ""


def first_reply(*, conversation: Conversation, text: str) -> list[Reply]:
    """What the bot says to a new conversation: a knowledge-base article when one matches
    well (the member can still ask a person), else the department the keywords point to, else
    the department menu (triage until the member picks)."""
    services.reply_token_spent(conversation=conversation)
    if text:
        article = _matching_article(conversation, text)
        if article is not None:
            services.conversation_route(
                conversation=conversation,
                department=article.department,
                routing=Conversation.Routing.ARTICLE,
                actor=services.BOT,
            )
            services.conversation_set_status(
                conversation=conversation, status=Conversation.Status.SOLVED, actor=services.BOT
            )
            return [_article_reply(conversation, article)]
        if _route_by_keywords(conversation, text):
            return [_routed_reply(conversation)]
    return [_reply("menu", department_menu(conversation))]


def on_any_direct_message(event: JSONObject) -> Any:
    """Observer of every 1:1 message: an unlinked user's question is kept (not the member
    number and digits of the linking conversation) and joins the member once linked."""
    user_id = (event.get("source") or {}).get("userId") or ""
    if not user_id:
        return None
    message = event.get("message") or {}
    kind = KEPT_KINDS.get(str(message.get("type")))
    text = _text_of(message)
    worth_keeping = kind in (Kind.TEXT, Kind.IMAGE) and (
        kind == Kind.IMAGE or re.search(r"[^\W\d_]", to_arabic_digits(text))
    )
    at = _at(event)

    def apply() -> list[Reply]:
        member = _linked_member(user_id)
        if member is not None:
            attached = services.pending_attach(member=member, line_user_id=user_id)
            return [_reply("pending_attached")] if attached else []
        if not worth_keeping or services.rate_limited(line_user_id=user_id, now=timezone.now()):
            return []
        services.message_receive(
            member=None,
            line_user_id=user_id,
            kind=kind or Kind.TEXT,
            text=text,
            line_message_id=str(message.get("id") or ""),
            at=at,
        )
        return []

    return apply


def on_postback(event: JSONObject) -> Any:
    """The member's taps on the bot's buttons: department, consent, "talk to a person"."""
    data = parse_qs(str((event.get("postback") or {}).get("data") or ""))
    action = (data.get("conv") or [""])[0]
    if not action:
        return None  # someone else's postback
    user_id = (event.get("source") or {}).get("userId") or ""
    token = str(event.get("replyToken") or "")
    code = (data.get("c") or [""])[0]

    def apply() -> list[Reply]:
        conversation = selectors.conversation_of_line_user(code=code, line_user_id=user_id)
        if conversation is None:
            return []
        if action == "route":
            department = Department.objects.filter(code=(data.get("d") or [""])[0]).first()
            services.conversation_route(
                conversation=conversation,
                department=department,
                routing=Conversation.Routing.MEMBER if department else Conversation.Routing.NONE,
                actor=services.BOT,
            )
            answer = _routed_reply(conversation)
            if answer.quick_replies:
                return [answer]
        elif action == "consent" and conversation.member is not None:
            services.representative_consent_record(
                member=conversation.member, allowed=(data.get("a") or [""])[0] == "yes"
            )
        elif action == "person":
            services.conversation_set_status(
                conversation=conversation, status=Conversation.Status.OPEN, actor=services.BOT
            )
        services.reply_token_keep(conversation=conversation, token=token)
        return []

    return apply


def _mentions(message: JSONObject) -> tuple[bool, list[str], str]:
    """(the bot is mentioned, other mentioned user ids, the text without the mentions)."""
    text = str(message.get("text") or "")
    mentionees = ((message.get("mention") or {}).get("mentionees")) or []
    to_bot, others, spans = False, [], []
    for m in mentionees:
        if not isinstance(m, dict):
            continue
        if m.get("isSelf"):
            to_bot = True
        elif m.get("userId"):
            others.append(str(m["userId"]))
        if isinstance(m.get("index"), int) and isinstance(m.get("length"), int):
            spans.append((m["index"], m["length"]))
    for index, length in sorted(spans, reverse=True):
        text = text[:index] + text[index + length :]
    return to_bot, others, text.strip()


def on_group_question(event: JSONObject) -> Any:
    """A representative forwards a question in their group: "ถาม ..." / "? ..." or mentioning
    the bot. It becomes a conversation of the mentioned member (when linked and theirs), else
    of the representative. None for any other group message."""
    source = event.get("source") or {}
    message = event.get("message") or {}
    if message.get("type") != "text":
        return None
    to_bot, others, text = _mentions(message)
    prefixed = ASK_PREFIX.match(text)
    if not (to_bot or prefixed):
        return None
    poster = str(source.get("userId") or "")
    rep_user = selectors.representative_user_by_line(poster)
    if rep_user is None:
        return None
    question = ASK_PREFIX.sub("", text, count=1).strip() if prefixed else text
    at = _at(event)
    message_id = str(message.get("id") or "")

    def apply() -> list[Reply]:
        if not question:
            return [_reply("group_ask_empty")]
        member = selectors.forwarded_member(rep_user=rep_user, line_user_ids=others)
        target = member or selectors.user_member(rep_user)
        line_user_id = (member.line_user_id if member else poster) or poster
        conversation, stored, opened = services.message_receive(
            member=target,
            line_user_id=line_user_id or "",
            kind=Kind.TEXT,
            text=question,
            line_message_id=message_id,
            at=at,
            origin=Conversation.Origin.GROUP,
            forwarded_by=rep_user,
        )
        if stored is None:
            return []
        if opened:
            _route_by_keywords(conversation, question)
        return [_reply("group_forwarded", member=target, department=conversation.department)]

    return apply


def on_linked_preferences(event: JSONObject) -> Any:
    """Observer of 1:1 messages of a LINE user not linked yet: when this message links them,
    the bot sends the link of their privacy choices (after "linked" and the notice)."""
    from tocnet.conversations.preferences import preferences_url

    user_id = (event.get("source") or {}).get("userId") or ""
    if not user_id or _linked_member(user_id) is not None:
        return None

    def apply() -> list[Reply]:
        if _linked_member(user_id) is None:
            return []
        return [_reply("preferences", url=preferences_url())]

    return apply
