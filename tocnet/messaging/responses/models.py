"""Responses: what an announcement asks of its recipients, and what each one answered.

One :class:`Response` per (announcement, member), whatever the way it came (LIFF page, a
"รับทราบ" typed in the group, a personal SMS/e-mail link, the representative's mark): the way
and time of the first acknowledgement are kept, a poll answer can change until the poll
closes. Imported by ``tocnet.messaging.models`` so Django finds these models.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Ask(models.Model):
    """What an announcement asks: an acknowledgement, a poll answer, or free feedback."""

    class Kind(models.TextChoices):
        ACKNOWLEDGE = "ack", _("Acknowledge (รับทราบ)")
        POLL = "poll", _("Poll: one answer out of 2–6")
        FEEDBACK = "feedback", _("Open feedback (free text, to staff only)")

    class Audience(models.TextChoices):
        MEMBERS = "members", _("Members")
        REPRESENTATIVES = "representatives", _("Representatives only (a consultation)")

    class Stage(models.TextChoices):
        MEMBERS = "members", _("Members responding")
        REPRESENTATIVES = "representatives", _("Representatives chasing")
        DEPUTIES = "deputies", _("Deputies and coop agents chasing")
        STAFF = "staff", _("Staff call queue")
        CLOSED = "closed", _("Closed")

    announcement = models.OneToOneField(
        "messaging.Announcement", on_delete=models.CASCADE, related_name="ask"
    )
    kind = models.CharField(_("asks for"), max_length=10, choices=Kind.choices)
    question = models.CharField(_("question"), max_length=300, blank=True)
    audience = models.CharField(
        _("asked of"), max_length=16, choices=Audience.choices, default=Audience.MEMBERS
    )
    member_hours = models.PositiveSmallIntegerField(_("members have (hours)"), default=48)
    representative_hours = models.PositiveSmallIntegerField(
        _("then representatives have (hours)"), default=48
    )
    deputy_hours = models.PositiveSmallIntegerField(
        _("then deputies and agents have (hours)"), default=48
    )
    # The last window: staff call the still unreached; then answers close by themselves and
    # the closing report is frozen, unless ``closes_at`` (an explicit end) is set.
    staff_hours = models.PositiveSmallIntegerField(
        _("then staff call, and answers close (hours)"), default=48
    )
    closes_at = models.DateTimeField(_("answers accepted until"), null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)  # when the send started
    stage = models.CharField(
        max_length=16, choices=Stage.choices, default=Stage.MEMBERS, db_index=True
    )
    stage_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("response request")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.question or self.announcement_id}"


class PollOption(models.Model):
    ask = models.ForeignKey(Ask, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    label = models.CharField(_("answer"), max_length=100)

    class Meta:
        ordering = ["ask", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ask", "position"], name="polloption_unique_position")
        ]

    def __str__(self) -> str:
        return self.label


class Way(models.TextChoices):
    LIFF = "liff", _("LINE page (LIFF)")
    GROUP_TEXT = "group_text", _("Typed รับทราบ in the LINE group")
    GROUP_QUOTE = "group_quote", _("Quote-replied the card in the group")
    SMS_LINK = "sms_link", _("SMS link")
    EMAIL_LINK = "email_link", _("E-mail link")
    REP_PHONE = "rep_phone", _("Informed by the representative by phone")
    REP_IN_PERSON = "rep_in_person", _("Informed by the representative in person")
    REP_UNREACHABLE = "rep_unreachable", _("Representative could not reach them")
    STAFF_CALL = "staff_call", _("Informed by staff by phone")
    STAFF_IN_PERSON = "staff_in_person", _("Informed by staff in person")
    STAFF_UNREACHABLE = "staff_unreached", _("Staff could not reach them")


MEMBER_WAYS = frozenset({Way.LIFF, Way.GROUP_TEXT, Way.GROUP_QUOTE, Way.SMS_LINK, Way.EMAIL_LINK})
# What the register's representative (or its deputy) did themselves: "informed by the
# representative" in the report, and their responsiveness on the dashboard.
REPRESENTATIVE_WAYS = frozenset({Way.REP_PHONE, Way.REP_IN_PERSON})
# What the cooperative's people did: staff from the call queue or a chase list, and coop
# agents (employees of the cooperative, told at the second deadline) from their chase list.
STAFF_INFORMED_WAYS = frozenset({Way.STAFF_CALL, Way.STAFF_IN_PERSON})
INFORMED_WAYS = REPRESENTATIVE_WAYS | STAFF_INFORMED_WAYS
# Marks that say who tried and why it failed: they do not count as reached.
UNREACHABLE_WAYS = frozenset({Way.REP_UNREACHABLE, Way.STAFF_UNREACHABLE})
# A mark chosen on a chase list, as recorded when the one marking is not the register's
# representative or deputy (staff, a coop agent): the same act, counted for the cooperative.
STAFF_WAY_FOR = {
    Way.REP_PHONE: Way.STAFF_CALL,
    Way.REP_IN_PERSON: Way.STAFF_IN_PERSON,
    Way.REP_UNREACHABLE: Way.STAFF_UNREACHABLE,
}


class Response(models.Model):
    """A member's answer to an announcement, or what their representative recorded."""

    announcement = models.ForeignKey(
        "messaging.Announcement", on_delete=models.CASCADE, related_name="responses"
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="announcement_responses"
    )
    # The audience row it answers for (same announcement and member): reports group by its
    # register and unit in one query.
    recipient = models.OneToOneField(
        "messaging.Recipient",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="response",
    )
    way = models.CharField(max_length=16, choices=Way.choices)
    # The first time it counted (member responded or was informed); kept when answers change.
    first_at = models.DateTimeField(null=True, blank=True, db_index=True)
    at = models.DateTimeField()
    # Where it came from: a webhook event id, a link key, "user:<code>" for a person's mark.
    source = models.CharField(max_length=80, blank=True)
    option = models.ForeignKey(
        PollOption, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    text = models.TextField(blank=True)  # open feedback: staff only
    note = models.CharField(max_length=200, blank=True)  # why they could not be reached
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recorded_responses",
    )

    class Meta:
        ordering = ["announcement", "at"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "member"], name="response_one_per_member"
            )
        ]
        indexes = [models.Index(fields=["announcement", "first_at"])]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.way}"

    @property
    def counts(self) -> bool:
        return self.way not in UNREACHABLE_WAYS


class ResponseLink(models.Model):
    """A personal link for SMS or e-mail: the key of a signed token, and when it expires."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    key = models.CharField(max_length=16, unique=True)
    announcement = models.ForeignKey(
        "messaging.Announcement", on_delete=models.CASCADE, related_name="response_links"
    )
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "member", "channel"], name="responselink_one_per_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} link for {self.member_id}"


class TimelineEntry(models.Model):
    """One step of an announcement's follow-up: deadline passed, who was told, how many."""

    class Step(models.TextChoices):
        MEMBER_DEADLINE = "member_deadline", _("Members' deadline passed")
        REPRESENTATIVES_TOLD = "representatives_told", _("Representatives sent their chase list")
        REMINDERS = "reminders", _("Reminders sent by the members' next channel")
        REMINDERS_HELD = "reminders_held", _("Reminders held for quiet hours")
        REPRESENTATIVE_DEADLINE = "representative_deadline", _("Representatives' deadline passed")
        DEPUTIES_TOLD = "deputies_told", _("Deputies and coop agents told")
        STAFF_QUEUE = "staff_queue", _("Unreached members put in the staff call queue")
        CLOSED = "closed", _("Closed")
        CLOSING_REPORT = "closing_report", _("Closing report frozen")

    announcement = models.ForeignKey(
        "messaging.Announcement", on_delete=models.CASCADE, related_name="timeline"
    )
    step = models.CharField(max_length=24, choices=Step.choices)
    at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["announcement", "at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "step"],
                condition=~Q(step="reminders_held"),
                name="timeline_one_per_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.step} ({self.count})"


class Chase(models.Model):
    """A person told to chase a member (reminder, representative, deputy, agent, staff):
    one row per (announcement, member, stage), so nobody is reminded twice at a stage."""

    class Stage(models.TextChoices):
        REMINDER = "reminder", _("Reminder to the member")
        REPRESENTATIVE = "representative", _("Representative")
        DEPUTY = "deputy", _("Deputy representative")
        AGENT = "agent", _("Coop agent")
        STAFF = "staff", _("Staff call queue")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    announcement = models.ForeignKey(
        "messaging.Announcement", on_delete=models.CASCADE, related_name="chases"
    )
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    stage = models.CharField(max_length=16, choices=Stage.choices)
    channel = models.CharField(max_length=16, blank=True)  # reminder: line_direct, sms, email
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["announcement", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "member", "stage"], name="chase_one_per_stage"
            )
        ]
        indexes = [models.Index(fields=["stage", "done_at"])]

    def __str__(self) -> str:
        return f"{self.stage} {self.member_id}"


class Notice(models.Model):
    """A message the follow-up sends: a representative's chase list, a deputy's or agent's
    escalation, a member's reminder. One per (announcement, stage, address): never twice;
    the retry key is saved before the first try, so a retried LINE push is answered 409."""

    class Channel(models.TextChoices):
        LINE = "line", _("LINE 1:1")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not needed: they responded")

    announcement = models.ForeignKey(
        "messaging.Announcement", on_delete=models.CASCADE, related_name="notices"
    )
    stage = models.CharField(max_length=16, choices=Chase.Stage.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254)  # LINE user id, E.164, e-mail
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    count = models.PositiveIntegerField(default=0)  # members it is about
    retry_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["announcement", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "stage", "channel", "address"],
                name="notice_one_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stage} {self.channel} ({self.status})"


class ClosingReport(models.Model):
    """The frozen summary of an announcement whose response window has ended (its last
    deadline passed, or staff closed it): what the report showed at that moment, kept as it
    was whatever changes later. ``data`` holds the totals, counts by way, the unreached by
    reason, times to 50/80/95 %, the poll, and the rows per register and per unit (each unit
    with its own counts by way and reason, so a coop agent's share can be shown)."""

    class Reason(models.TextChoices):
        DEADLINE = "deadline", _("The last deadline passed")
        STAFF = "staff", _("Closed by staff")

    announcement = models.OneToOneField(
        "messaging.Announcement", on_delete=models.CASCADE, related_name="closing_report"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    data = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("closing report")

    def __str__(self) -> str:
        return f"closing report {self.announcement_id}"
