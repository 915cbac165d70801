from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tocnet.accounts import roles
from tocnet.accounts.models import Department, User
from tocnet.conversations import selectors, services
from tocnet.conversations.forms import AnswerForm, ArticleShareForm, ManageForm, NoteForm
from tocnet.conversations.models import Article, Conversation
from tocnet.core.audit import audit_access
from tocnet.core.http import client_ip, is_htmx

PAGE_SIZE = 50


def as_int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The inbox: conversations in the user's scope (the board: counts only)."""
    user = request.user
    if not selectors.may_open_inbox(user):
        raise Http404
    counts = selectors.conversation_counts(user)
    if roles.is_board(user):
        return render(request, "conversations/inbox_counts.html", {"counts": counts})
    department = request.GET.get("department", "")
    status = request.GET.get("status", "")
    if status not in Conversation.Status.values:
        status = ""
    assigned = "me" if request.GET.get("assigned") == "me" else ""
    conversations = selectors.conversation_list_for_user(
        user, department=department, status=status, assigned=assigned
    )
    paginator = Paginator(conversations, PAGE_SIZE)
    if not department and not assigned:
        # The counts above cover the same scope: no second COUNT over the conversations.
        paginator.count = (
            counts[status] if status else counts["open"] + counts["waiting"] + counts["solved"]
        )
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": selectors.inbox_rows(page),
        "counts": counts,
        "departments": Department.objects.all(),
        "department": department,
        "status": status,
        "statuses": Conversation.Status.choices,
        "assigned": assigned,
        "now": timezone.now(),
        "pushes_this_month": services.pushes_this_month(),
        # reverse() once, not per row (50 reverses were a tenth of the page's time)
        "detail_prefix": reverse("conversations:inbox"),
    }
    rows = list(page.object_list)
    if rows:
        # The rows name members (PDPA: a read of personal data), as the member list's do.
        audit_access(
            actor=user,
            action="conversations.listed",
            detail={"page": page.number, "conversations": [str(c.code) for c in rows]},
            ip_address=client_ip(request),
            members=[c.member_id for c in rows],
        )
    template = "conversations/inbox.html#rows" if is_htmx(request) else "conversations/inbox.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def conversation_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One conversation: its messages, the answer box and (staff) routing, assignment, status."""
    user = request.user
    assert isinstance(user, User)
    conversation = selectors.get_conversation_for_user(user, code)
    manages = roles.is_cooperative_staff(user)
    notes = manages or roles.is_representative(user)
    # free text: staff, and representatives on the questions they may answer; a
    # knowledge-base article: both, on every question they see
    answers = manages or (notes and selectors.representative_may_answer(conversation))
    restricted = services.member_restricted(conversation)
    shares = notes
    articles = selectors.articles_to_share(conversation) if shares else []
    status = 200
    answer_form, note_form = AnswerForm(), NoteForm()
    article_form = ArticleShareForm(articles=articles)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "answer" and manages and request.POST.get("insert"):
            # A saved answer of the department goes into the answer box, to edit and send.
            saved = selectors.saved_answers_for(conversation).filter(
                pk=as_int(request.POST.get("insert"))
            )
            text = request.POST.get("text", "").rstrip()
            for answer in saved:
                text = f"{text}\n\n{answer.text}" if text else answer.text
            answer_form = AnswerForm(initial={"text": text[:5000]})
        elif action in ("answer", "article") and (answers or shares) and restricted:
            note_form = NoteForm(initial={"note": request.POST.get("text", "")[:2000]})
            messages.error(
                request,
                _("%(why)s Your text is in the note box.") % {"why": services.RESTRICTED_TEXT},
            )
            status = 409
        elif action == "answer" and notes and not answers:
            # Refused here and in the service: the page says why, the text is kept.
            note_form = NoteForm(initial={"note": request.POST.get("text", "")[:2000]})
            messages.error(
                request,
                _(
                    "Only the cooperative's staff answer this question; nothing was sent. "
                    "Your text is in the note box: save it as a note for staff."
                ),
            )
            status = 403
        elif action == "answer" and answers:
            answer_form = AnswerForm(request.POST)
            if answer_form.is_valid():
                services.conversation_answer(
                    conversation=conversation, author=user, text=answer_form.cleaned_data["text"]
                )
                messages.success(request, _("Answer queued for sending."))
                return redirect("conversations:detail", code=conversation.code)
            status = 400
        elif action == "article" and shares:
            article_form = ArticleShareForm(request.POST, articles=articles)
            if article_form.is_valid():
                services.conversation_answer(
                    conversation=conversation,
                    author=user,
                    article=article_form.cleaned_data["article"],
                )
                messages.success(request, _("Article queued for sending."))
                return redirect("conversations:detail", code=conversation.code)
            status = 400
        elif action == "note" and notes:
            note = NoteForm(request.POST)
            if note.is_valid():
                services.conversation_note_add(
                    conversation=conversation, author=user, text=note.cleaned_data["note"]
                )
                return redirect("conversations:detail", code=conversation.code)
        elif action == "manage" and manages:
            manage = ManageForm(request.POST)
            if manage.is_valid():
                with transaction.atomic():
                    data = manage.cleaned_data
                    if data["department"] != conversation.department:
                        services.conversation_route(
                            conversation=conversation,
                            department=data["department"],
                            routing=Conversation.Routing.STAFF,
                            actor=user,
                        )
                    if data["assigned_to"] != conversation.assigned_to:
                        services.conversation_assign(
                            conversation=conversation, assignee=data["assigned_to"], actor=user
                        )
                    if data["rep_may_answer"] != conversation.rep_may_answer:
                        services.conversation_rep_may_answer_set(
                            conversation=conversation, allowed=data["rep_may_answer"], actor=user
                        )
                    if data["status"] != conversation.status:
                        services.conversation_set_status(
                            conversation=conversation, status=data["status"], actor=user
                        )
                messages.success(request, _("Saved."))
                return redirect("conversations:detail", code=conversation.code)
        else:
            raise Http404
    audit_access(
        actor=user,
        action="conversation.viewed",
        target=conversation,
        # The member's code: the DPO finds the reading by member, the export lists it.
        detail={"member": str(conversation.member.code)} if conversation.member else None,
        ip_address=client_ip(request),
    )
    now = timezone.now()
    token_fresh = (
        bool(conversation.reply_token)
        and conversation.reply_token_at is not None
        and (now - conversation.reply_token_at < services.reply_token_life())
    )
    context = {
        "conversation": conversation,
        "thread": conversation.messages.select_related("author").order_by("created_at", "id"),
        "answer_form": answer_form,
        "note_form": note_form,
        "manage_form": ManageForm(
            initial={
                "department": conversation.department,
                "assigned_to": conversation.assigned_to,
                "status": conversation.status,
                "rep_may_answer": conversation.rep_may_answer,
            }
        )
        if manages
        else None,
        "answers": answers and not restricted,
        "restricted": restricted,
        "shares": shares and bool(articles) and not restricted,
        "article_form": article_form,
        "rep_departments": selectors.representative_answer_department_names(),
        "notes": notes,
        "representative": roles.is_representative(user),
        "token_fresh": token_fresh,
        "token_until": (conversation.reply_token_at + services.reply_token_life())
        if token_fresh and conversation.reply_token_at
        else None,
        "saved_answers": selectors.saved_answers_for(conversation) if manages else [],
        "now": now,
        "pushes_this_month": services.pushes_this_month(),
    }
    return render(request, "conversations/conversation_detail.html", context, status=status)


@login_required
def my_members(request: HttpRequest) -> HttpResponse:
    """The representative's phone page: their members' conversations (with consent)."""
    if not roles.is_representative(request.user):
        raise Http404
    conversations = selectors.conversation_list_for_user(request.user)[:50]
    rows = [(c, selectors.representative_may_answer(c)) for c in conversations]
    return render(
        request,
        "conversations/my_members.html",
        {
            "rows": rows,
            "now": timezone.now(),
            "rep_departments": selectors.representative_answer_department_names(),
        },
    )


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    """The knowledge base: search and browse (the coach's handbook)."""
    if not selectors.may_browse_articles(request.user):
        raise Http404
    query = request.GET.get("q", "").strip()[:100]
    department = request.GET.get("department", "")
    articles = selectors.article_list_for_user(request.user, query=query, department=department)
    return render(
        request,
        "conversations/article_list.html",
        {
            "articles": articles,
            "query": query,
            "department": department,
            "departments": Department.objects.all(),
        },
    )


@login_required
def article_detail(request: HttpRequest, code: str) -> HttpResponse:
    if not selectors.may_browse_articles(request.user):
        raise Http404
    try:
        article = selectors.article_list_for_user(request.user).get(code=code)
    except Article.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "conversations/article_detail.html", {"article": article})
