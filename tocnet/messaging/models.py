"""Announcements and their deliveries.

An :class:`Announcement` is written, approved by a second person, planned (cheapest channel per
member, the plan stored on the row) and sent.  Sending creates, in one transaction:

* a :class:`Recipient` per member of the audience: the channel chosen for them (or why they are
  unreachable) and the :class:`Delivery` that carries the announcement to them;
* a :class:`Delivery` per recipient *address*: a register's LINE group (``line_group``), a
  representative's 1:1 relay push (``line_relay``, per register), a member's own LINE account
  (``line_direct``), mobile (``sms``) or e-mail (``email``); unreachable members get a
  ``none`` delivery with the reason, so every member ends in a row with a terminal status;
* a :class:`Relay` per register in relay mode: pushed to the representative, forwarded by them
  from the LIFF page, or pushed directly into the group when the fallback is due;
* a :class:`LineBatch` per multicast request (≤ 500 LINE users) with its own retry key.

Every LINE request carries a retry key saved on its row before the first try, so a retry after a
timeout, a 500 or a killed worker is answered 409 ("already accepted") instead of sending twice.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Announcement(models.Model):
    """A piece of news from the cooperative to (part of) its members."""

    class Purpose(models.TextChoices):
        """Why it is sent; the lawful basis follows (privacy.Purpose, docs/privacy.md): news
        reaches everyone who has not objected on a channel; an offer or a coaching follow-up
        only members who consented to that purpose on that channel, always 1:1."""

        NEWS = "news", _("News of the cooperative")
        OFFERS = "offers", _("Product or service offer")
        COACHING = "coaching", _("Financial-coach follow-up")

    class Category(models.TextChoices):
        PRODUCT = "product", _("Products")
        SERVICE = "service", _("Services")
        WELFARE = "welfare", _("Welfare")
        MANAGEMENT = "management", _("Management")
        OTHER = "other", _("Other")

    class Mode(models.TextChoices):
        RELAY = "relay", _("Representatives relay into their groups")
        DIRECT = "direct", _("Push directly into every group")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_("Markdown: **bold**, lists, links."))
    image = models.ImageField(_("image"), upload_to="announcements/%Y/%m/", blank=True)
    link = models.URLField(_("link"), max_length=1000, blank=True)
    category = models.CharField(
        _("category"), max_length=12, choices=Category.choices, default=Category.OTHER
    )
    # {"scope": "all" | "units" | "registers", "units": [unit codes], "registers": [register
    #  codes], "member_types": [...], "statuses": [...]}; empty lists mean "any".
    audience = models.JSONField(_("audience"), default=dict, blank=True)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.NEWS
    )
    is_public = models.BooleanField(_("public"), default=False)
    sms_text = models.CharField(_("SMS text"), max_length=320, blank=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.RELAY)
    oa_broadcast = models.BooleanField(
        _("also broadcast to every friend of the account"), default=False
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="announcements_written",
        verbose_name=_("author"),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="announcements_approved",
        verbose_name=_("approved by"),
    )
    department = models.ForeignKey(
        "accounts.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="announcements",
        verbose_name=_("department"),
    )
    # Written by the command line (no user): shown as such, audited as "cli".
    by_command_line = models.BooleanField(default=False)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    # The channel plan and cost shown before sending, stored when the send starts.
    plan = models.JSONField(default=dict, blank=True)
    relay_delay_minutes = models.PositiveIntegerField(
        _("push directly into groups not relayed after (minutes)"), null=True, blank=True
    )
    halted_reason = models.CharField(max_length=300, blank=True)
    rejection_note = models.CharField(_("why it was sent back"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    send_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        constraints = [
            models.CheckConstraint(
                condition=Q(approver__isnull=True) | ~Q(approver=models.F("author")),
                name="announcement_approver_not_author",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def needs_consent(self) -> bool:
        """An offer or a coaching follow-up: consented members only, 1:1, never a group."""
        return self.purpose != self.Purpose.NEWS

    def clean(self) -> None:
        super().clean()
        if self.needs_consent and self.oa_broadcast:
            raise ValidationError(
                {
                    "oa_broadcast": _(
                        "An offer or a coaching follow-up goes only to members who consented: "
                        "it is never broadcast to every friend of the account."
                    )
                }
            )

    @property
    def is_editable(self) -> bool:
        return self.state in (self.State.DRAFT, self.State.SUBMITTED)

    @property
    def has_started(self) -> bool:
        return (
            self.state
            in (
                self.State.SENDING,
                self.State.PAUSED,
                self.State.SENT,
                self.State.CANCELLED,
            )
            and self.send_started_at is not None
        )


class Channel(models.TextChoices):
    LINE_GROUP = "line_group", _("LINE group")
    LINE_RELAY = "line_relay", _("LINE to the representative for relay")
    LINE_DIRECT = "line_direct", _("LINE 1:1")
    LINE_BROADCAST = "line_broadcast", _("LINE broadcast to all friends")
    SMS = "sms", _("SMS message")
    EMAIL = "email", _("E-mail")
    NONE = "none", _("Unreachable")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown (check before resending)")
    UNREACHABLE = "unreachable", _("Unreachable")
    CANCELLED = "cancelled", _("Cancelled")


class Reason(models.TextChoices):
    """Why a member is unreachable, or how a delivery ended."""

    NONE = "", _("—")
    NO_CONTACT = "no_contact", _("No LINE, no mobile, no e-mail on record")
    INVALID_CONTACT = "invalid", _("No LINE; the mobile or e-mail on record is not valid")
    OBJECTED = "objected", _("Objected to announcements")
    NO_CONSENT = "no_consent", _("No consent for this purpose on a channel that reaches them")
    BLOCKED = "blocked", _("Blocked the official account")
    RELAYED = "relayed", _("Relayed by the representative")
    FALLBACK = "fallback", _("Pushed into the group: not relayed in time")
    QUOTA = "quota", _("LINE monthly quota reached")
    PERMANENT = "permanent", _("Refused by the provider")
    TIMEOUT = "timeout", _("No answer from the provider")
    CANCELLED = "cancelled", _("Send cancelled")


class LineBatch(models.Model):
    """One LINE multicast request (≤ 500 users): same recipients and retry key on every try."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="line_batches"
    )
    retry_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    to = models.JSONField(default=list)  # LINE user ids, in request order
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    first_tried_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["announcement", "id"]
        indexes = [models.Index(fields=["announcement", "status"])]

    def __str__(self) -> str:
        return f"multicast {self.retry_key} ({len(self.to)} users, {self.status})"


class Delivery(models.Model):
    """The announcement to one address on one channel: a group, a representative, a member."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # Exactly one of register (line_group, line_relay, line_broadcast: none) and member.
    register = models.ForeignKey(
        "registers.Register",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # The address used (group id, LINE user id, E.164 number, e-mail), fixed when planned.
    address = models.CharField(max_length=254, blank=True)
    # People the message reaches: the group's member count for a group push, else 1.
    reach = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=12,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.QUEUED,
        db_index=True,
    )
    reason = models.CharField(max_length=12, choices=Reason.choices, blank=True, default="")
    # Saved before the first try; LINE answers a repeat with 409 instead of sending twice.
    retry_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch = models.ForeignKey(
        LineBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)  # quiet hours, relay fallback
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    segments = models.PositiveSmallIntegerField(default=0)  # SMS credits per message
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["announcement", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "member", "channel"],
                condition=Q(member__isnull=False),
                name="delivery_one_per_member_channel",
            ),
            models.UniqueConstraint(
                fields=["announcement", "register", "channel"],
                condition=Q(register__isnull=False),
                name="delivery_one_per_register_channel",
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=True) | Q(register__isnull=True),
                name="delivery_member_or_register",
            ),
        ]
        indexes = [
            models.Index(fields=["announcement", "status", "channel"]),
            models.Index(fields=["announcement", "channel", "next_attempt_at"]),
        ]

    def __str__(self) -> str:
        target = self.register_id or self.member_id or "all"
        return f"{self.channel} → {target} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {
        DeliveryStatus.SENT,
        DeliveryStatus.FAILED,
        DeliveryStatus.UNKNOWN,
        DeliveryStatus.UNREACHABLE,
        DeliveryStatus.CANCELLED,
    }
)


class Recipient(models.Model):
    """A member of the audience: the channel planned for them and the delivery carrying it.

    Members reached through their register's group share the group's delivery; the status of a
    member is the status of ``delivery``.  Responses (acknowledgements) key on
    (announcement, member) like this row.
    """

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="recipients"
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="announcement_recipients"
    )
    # The member's register and unit when planned (reports group by these).
    register = models.ForeignKey(
        "registers.Register",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="announcement_recipients",
    )
    unit = models.ForeignKey(
        "members.Unit", on_delete=models.PROTECT, related_name="announcement_recipients"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    reason = models.CharField(max_length=12, choices=Reason.choices, blank=True, default="")
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="recipients")

    class Meta:
        ordering = ["announcement", "member__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "member"], name="recipient_one_per_member"
            )
        ]
        indexes = [
            models.Index(fields=["announcement", "register"]),
            models.Index(fields=["announcement", "unit"]),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} via {self.channel}"


class Relay(models.Model):
    """Relay mode, per register: the representative forwards the card into their group."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting for the representative")
        FORWARDED = "forwarded", _("Forwarded by the representative")
        FALLBACK = "fallback", _("Pushed directly into the group")
        CANCELLED = "cancelled", _("Cancelled")

    class Method(models.TextChoices):
        NONE = "", _("—")
        SHARE_TARGET_PICKER = "share", _("Share target picker")
        SEND_MESSAGES = "send", _("Sent in the group's chat")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="relays")
    register = models.ForeignKey(
        "registers.Register", on_delete=models.PROTECT, related_name="relays"
    )
    representative = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="relays"
    )
    representative_line_user_id = models.CharField(max_length=64)
    # The 1:1 push to the representative, and the group push used as fallback.
    push = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="relay_push")
    group_delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="relay")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.WAITING, db_index=True
    )
    method = models.CharField(max_length=6, choices=Method.choices, blank=True, default="")
    pushed_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    fallback_due_at = models.DateTimeField()

    class Meta:
        ordering = ["announcement", "register"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "register"], name="relay_one_per_register"
            )
        ]

    def __str__(self) -> str:
        return f"relay {self.register_id} ({self.status})"


# Responses live in their own module; importing them here registers them with Django.
from tocnet.messaging.responses.models import (  # noqa: E402, F401
    Ask,
    Chase,
    ClosingReport,
    Notice,
    PollOption,
    Response,
    ResponseLink,
    TimelineEntry,
    Way,
)
