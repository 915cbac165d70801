"""Reads of the conversations app; scoping lives here and only here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import In
from django.http import Http404

from tocnet.accounts import roles
from tocnet.accounts.models import User
from tocnet.conversations.models import Article, Conversation, SavedAnswer
from tocnet.members.models import Member, Representative
from tocnet.members.selectors import as_uuid
from tocnet.privacy.selectors import (
    representative_access_allowed,
    representative_access_answered,
    representative_access_q,
)
from tocnet.registers.selectors import register_leader_q

MANAGEMENT = "management"


def is_manager(user: object) -> bool:
    """Staff who see every department: superusers and the management department."""
    if not roles.is_cooperative_staff(user):
        return False
    assert isinstance(user, User)
    return user.is_superuser or user.departments.filter(code=MANAGEMENT).exists()


def may_open_inbox(user: object) -> bool:
    """Staff, agents and representatives have an inbox; the board sees counts only."""
    return (
        roles.is_cooperative_staff(user)
        or roles.is_agent(user)
        or roles.is_representative(user)
        or roles.is_board(user)
    )


def shows_inbox_in_menu(user: object) -> bool:
    """Representatives get their phone page in the menu instead of the inbox table."""
    return may_open_inbox(user) and not roles.is_representative(user)


def may_browse_articles(user: object) -> bool:
    """The knowledge base (the coach's handbook): staff, agents, representatives."""
    return roles.is_cooperative_staff(user) or roles.is_agent(user) or roles.is_representative(user)


def sees_contents(user: object) -> bool:
    return may_open_inbox(user) and not roles.is_board(user)


def conversation_scope_q(user: object) -> Q | None:
    """The conversations this user may read; None means all, an empty Q-filter none.
    Staff: their departments' and the triage queue (managers all); agents: their units'
    members; representatives: their register's members who allowed it, and what they
    forwarded; the board: nothing (counts only)."""
    none = Q(pk__in=[])
    if not roles.is_signed_in(user):
        return none
    # Forwarded questions always have a member (the mentioned one or the representative);
    # unlinked users' messages (member None) wait, unseen, until they link.
    visible = Q(member__isnull=False)
    if roles.is_cooperative_staff(user):
        if is_manager(user):
            return visible
        # Their departments and triage (no department, 0 here) as one IN on an expression:
        # "department IN (...) OR department IS NULL" made SQLite merge two index lookups and
        # sort every matching row; this way it walks the last-activity index and stops after
        # a page (bench/README.md).
        departments = [0, *user.departments.values_list("pk", flat=True)]
        return visible & Q(In(Coalesce("department_id", Value(0)), departments))
    if roles.is_agent(user):
        return Q(member__unit__in=user.unit_links.values("unit_id"))
    if roles.is_representative(user):
        members = Member.objects.filter(
            Q(register_memberships__until__isnull=True)
            & register_leader_q(user, "register_memberships__register__")
            & representative_access_q()
        ).values("pk")
        return Q(member__in=members) | Q(forwarded_by=user)
    return none


def conversation_list_for_user(
    user: object, *, department: str = "", status: str = "", assigned: str = ""
) -> QuerySet[Conversation]:
    """Conversations in the user's scope, newest activity first, with what the inbox shows."""
    scope = conversation_scope_q(user)
    qs = Conversation.objects.select_related("member__unit", "department", "assigned_to")
    if scope is not None:
        qs = qs.filter(scope)
    if department == "triage":
        qs = qs.filter(department__isnull=True)
    elif department:
        qs = qs.filter(department__code=department)
    if status:
        qs = qs.filter(status=status)
    if assigned == "me" and isinstance(user, User):
        qs = qs.filter(assigned_to=user)
    return qs.order_by("-last_message_at", "-id")


@dataclass(frozen=True)
class InboxRow:
    """A row of the inbox: the conversation and how it stands against the answer target
    (CONVERSATIONS_TARGET_WORKING_DAYS working days from its opening)."""

    conversation: Conversation
    target: dt.datetime
    first_reply_in_time: bool | None  # None: no reply yet
    solved_in_time: bool | None  # None: not solved


def inbox_rows(conversations: Iterable[Conversation]) -> list[InboxRow]:
    """The page's conversations with their targets: one query for the public holidays."""
    from tocnet.conversations.services import targets_from

    page = list(conversations)
    targets = targets_from([c.opened_at for c in page])
    return [
        InboxRow(
            conversation=c,
            target=target,
            first_reply_in_time=(c.first_reply_at <= target) if c.first_reply_at else None,
            solved_in_time=(c.solved_at <= target)
            if c.status == Conversation.Status.SOLVED and c.solved_at
            else None,
        )
        for c, target in zip(page, targets, strict=True)
    ]


def get_conversation_for_user(user: object, code: object) -> Conversation:
    """One conversation by code, or 404 when it does not exist or is outside the scope."""
    if not sees_contents(user):
        raise Http404
    try:
        return conversation_list_for_user(user).get(code=as_uuid(code))
    except Conversation.DoesNotExist as exc:
        raise Http404 from exc


def conversation_counts(user: object) -> dict[str, int]:
    """Open, waiting, solved and overdue counts (the board's whole view)."""
    from django.utils import timezone

    scope = conversation_scope_q(user) if not roles.is_board(user) else None
    qs = Conversation.objects.filter(member__isnull=False)
    if scope is not None:
        qs = qs.filter(scope)
    now = timezone.now()
    row: dict[str, int | None] = qs.aggregate(
        open=Count("pk", filter=Q(status=Conversation.Status.OPEN)),
        waiting=Count("pk", filter=Q(status=Conversation.Status.WAITING)),
        solved=Count("pk", filter=Q(status=Conversation.Status.SOLVED)),
        overdue=Count("pk", filter=Q(due_at__lt=now) & ~Q(status=Conversation.Status.SOLVED)),
        triage=Count(
            "pk",
            filter=Q(department__isnull=True) & ~Q(status=Conversation.Status.SOLVED),
        ),
    )
    return {k: int(v or 0) for k, v in row.items()}


def conversation_of_line_user(*, code: str, line_user_id: str) -> Conversation | None:
    """The conversation a member's button refers to, only if it is theirs."""
    try:
        uuid = as_uuid(code)
    except Http404:
        return None
    return (
        Conversation.objects.select_related("member", "department")
        .filter(code=uuid, line_user_id=line_user_id)
        .first()
    )


def member_representative_user(member: Member | None) -> User | None:
    """The signed-in account of the member's current representative, if any."""
    if member is None:
        return None
    rep = (
        Representative.objects.filter(
            ended_on__isnull=True,
            registers__memberships__member=member,
            registers__memberships__until__isnull=True,
        )
        .select_related("member__user")
        .first()
    )
    user = rep.member.user if rep is not None else None
    return user if user is not None and user.pk != getattr(member, "user_id", None) else None


def consent_asked(member: Member) -> bool:
    """The member already answered (either way) whether their representative may see."""
    return representative_access_answered(member)


def representative_may_see(member: Member) -> bool:
    return representative_access_allowed(member)


def representative_answer_departments() -> frozenset[str]:
    """The teams whose questions a representative may answer in their own words
    (CONVERSATIONS_REP_ANSWER_DEPARTMENTS, default welfare and membership): general questions
    on claims, rules and procedures. Loans, savings and payments (credit, deposits,
    accounting), complaints and decisions (management) and questions not sorted yet (triage)
    stay with staff."""
    from django.conf import settings

    codes = getattr(settings, "CONVERSATIONS_REP_ANSWER_DEPARTMENTS", ("welfare", "membership"))
    return frozenset(str(c).strip() for c in codes if str(c).strip())


def representative_answer_department_names() -> list[str]:
    """The names of those teams, in the departments' order (for the pages that explain it)."""
    from tocnet.accounts.models import Department

    codes = representative_answer_departments()
    return [d.name for d in Department.objects.all() if d.code in codes]


def representative_may_answer(conversation: Conversation) -> bool:
    """The member's representative may answer in their own words: staff marked the question
    "the representative may answer", or it is in a team of representative_answer_departments().
    On every other question the representative may still send a knowledge-base article (the
    cooperative's own words) or a note for staff, never free text: it may be about the
    member's loans or money, or need a decision."""
    if conversation.rep_may_answer:
        return True
    department = conversation.department
    return department is not None and department.code in representative_answer_departments()


def articles_to_share(conversation: Conversation) -> list[Article]:
    """Published articles a representative (or staff) may send as an answer, the
    conversation's team first, then by team and title."""
    articles = list(Article.objects.filter(published=True).select_related("department"))
    own = conversation.department_id
    # stable: within each half the articles keep their order (team, then title)
    return sorted(articles, key=lambda a: own is None or a.department_id != own)


def representative_user_by_line(line_user_id: str) -> User | None:
    """The representative's account behind a LINE user id (a current representative)."""
    if not line_user_id:
        return None
    member = (
        Member.objects.filter(line_user_id=line_user_id, user__isnull=False)
        .select_related("user")
        .first()
    )
    if member is None or member.user is None:
        return None
    if not member.representations.filter(ended_on__isnull=True).exists():
        return None
    return member.user


def user_member(user: User) -> Member | None:
    return Member.objects.filter(user=user).first()


def forwarded_member(*, rep_user: User, line_user_ids: list[str]) -> Member | None:
    """The first mentioned LINE user who is a linked member of the representative's register."""
    if not line_user_ids:
        return None
    return (
        Member.objects.filter(
            line_user_id__in=line_user_ids,
            register_memberships__until__isnull=True,
        )
        .filter(register_leader_q(rep_user, "register_memberships__register__"))
        .first()
    )


def article_list_for_user(
    user: object, *, query: str = "", department: str = ""
) -> QuerySet[Article]:
    """Published articles (staff also see drafts), optionally searched and filtered."""
    qs = Article.objects.select_related("department")
    if not roles.is_cooperative_staff(user):
        qs = qs.filter(published=True)
    if department:
        qs = qs.filter(department__code=department)
    if query:
        qs = qs.filter(
            Q(title__icontains=query) | Q(keywords__icontains=query) | Q(answer__icontains=query)
        )
    return qs


def saved_answers_for(conversation: Conversation) -> QuerySet[SavedAnswer]:
    qs = SavedAnswer.objects.select_related("department")
    if conversation.department_id:
        return qs.filter(department_id=conversation.department_id)
    return qs
