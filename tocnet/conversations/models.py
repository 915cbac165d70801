"""Two-way conversations: a member's questions to the cooperative and the answers."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tocnet.accounts.models import Department
from tocnet.members.models import Member


def _file_storage() -> FileSystemStorage:
    return FileSystemStorage(location=settings.VAR_DIR / "conversations")


class Conversation(models.Model):
    """One question thread of a member (or of a representative forwarding for a member)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting for the member")
        SOLVED = "solved", _("Solved")

    class Origin(models.TextChoices):
        DIRECT = "direct", _("1:1 chat with the official account")
        GROUP = "group", _("Forwarded from a LINE group")
        STAFF = "staff", _("Opened by staff")

    class Routing(models.TextChoices):
        NONE = "", _("Triage")
        MEMBER = "member", _("Chosen by the member")
        KEYWORDS = "keywords", _("By keywords")
        ARTICLE = "article", _("By a knowledge-base article")
        STAFF = "staff", _("By staff")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="conversations",
        help_text="None while the LINE user is not linked to a member yet",
    )
    line_user_id = models.CharField(max_length=64, blank=True, db_index=True)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.DIRECT)
    forwarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
        verbose_name=_("department"),
    )
    routing = models.CharField(max_length=10, choices=Routing.choices, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        verbose_name=_("assigned to"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField()
    last_message_at = models.DateTimeField()
    waiting_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    reply_token = models.CharField(max_length=64, blank=True)
    reply_token_at = models.DateTimeField(null=True, blank=True)
    blocked = models.BooleanField(default=False)
    sending_since = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    article = models.ForeignKey(
        "Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rep_may_answer = models.BooleanField(
        _("the representative may answer"),
        default=False,
        help_text=_("A simple question the member's representative may answer themselves"),
    )

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-last_message_at"], name="conv_status_last"),
            models.Index(fields=["department", "status", "-last_message_at"], name="conv_dept"),
            models.Index(fields=["due_at"], name="conv_due"),
            models.Index(fields=["-last_message_at", "-id"], name="conv_last"),
            # Covers the inbox's counts (one pass over a narrow index, not the table).
            models.Index(fields=["status", "department", "due_at", "member"], name="conv_counts"),
        ]

    def __str__(self) -> str:
        return f"{self.member or self.line_user_id} ({self.get_status_display()})"


class Message(models.Model):
    """One message of a conversation: the member's, an answer, the bot's, or an internal note."""

    class Direction(models.TextChoices):
        IN = "in", _("From the member")
        OUT = "out", _("Answer")
        BOT = "bot", _("Automatic answer")
        NOTE = "note", _("Internal note")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Image")
        STICKER = "sticker", _("Sticker")
        FILE = "file", _("File")

    class SendStatus(models.TextChoices):
        NONE = "", _("Not sent")
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BLOCKED = "blocked", _("The member blocked the account")

    class Via(models.TextChoices):
        NONE = "", "-"
        REPLY = "reply", _("Reply (free)")
        PUSH = "push", _("Push (billed)")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=4, choices=Direction.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    text = models.TextField(blank=True)
    file = models.FileField(storage=_file_storage, upload_to="%Y/%m", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    line_message_id = models.CharField(max_length=40, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    send_status = models.CharField(max_length=10, choices=SendStatus.choices, blank=True)
    via = models.CharField(max_length=5, choices=Via.choices, blank=True)
    billed = models.BooleanField(default=False)
    retry_key = models.UUIDField(default=uuid.uuid4, editable=False)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["line_message_id"],
                condition=~Q(line_message_id=""),
                name="conv_message_line_id_once",
            )
        ]
        indexes = [
            models.Index(fields=["send_status", "sent_at"], name="conv_msg_send"),
            # The month's billed answers (shown on every inbox page).
            models.Index(fields=["sent_at"], condition=Q(billed=True), name="conv_msg_billed"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class Article(models.Model):
    """A knowledge-base article in Thai: the bot offers it when a question matches well, and
    representatives browse and share it (the coach's handbook)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        verbose_name=_("department"),
    )
    title = models.CharField(_("title"), max_length=200)
    keywords = models.CharField(
        _("keywords"),
        max_length=500,
        blank=True,
        help_text=_("Words a member would use, separated by commas"),
    )
    answer = models.TextField(_("answer"), max_length=4000)
    published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["department__ordering", "title"]
        verbose_name = _("knowledge-base article")
        verbose_name_plural = _("knowledge-base articles")

    def __str__(self) -> str:
        return self.title


class SavedAnswer(models.Model):
    """A saved answer of a department that staff insert into a reply."""

    department = models.ForeignKey(
        Department, on_delete=models.CASCADE, related_name="saved_answers"
    )
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), max_length=4000)

    class Meta:
        ordering = ["department__ordering", "title"]
        verbose_name = _("saved answer")
        verbose_name_plural = _("saved answers")

    def __str__(self) -> str:
        return self.title


class Holiday(models.Model):
    """A public holiday (or a substitute day) of the cooperative: not a working day for the
    answer target. Staff keep the list in the admin; 2026-2027 is seeded (docs/decisions/0006)."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["date"]
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"
