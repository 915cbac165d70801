import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """One LINE webhook event, stored once by its webhookEventId and processed once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Done")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    webhook_event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=40)
    source_type = models.CharField(max_length=10, blank=True)
    group_id = models.CharField(max_length=64, blank=True, db_index=True)
    line_user_id = models.CharField(max_length=64, blank=True)
    is_redelivery = models.BooleanField(default=False)
    occurred_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_event_id} ({self.status})"


class LineGroup(models.Model):
    """A LINE group the cooperative's official account was invited into."""

    class Status(models.TextChoices):
        UNMATCHED = "unmatched", _("Name does not match a register")
        AWAITING_CODE = "awaiting_code", _("Waiting for the representative's code")
        VERIFIED = "verified", _("Verified")
        AWAITING_NEW = "awaiting_new", _("Waiting for the new representative to confirm")
        LEFT = "left", _("Bot removed")

    class Problem(models.TextChoices):
        NONE = "", _("No problem")
        BAD_NAME = "bad_name", _("Not the cooperative's naming")
        UNKNOWN_UNIT = "unknown_unit", _("Unknown unit")
        NO_SUCH_REGISTER = "no_such_register", _("No such register")
        REGISTER_TAKEN = "register_taken", _("Register already has a group")
        UNREADABLE = "unreadable", _("Could not read the group from LINE")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("LINE group name"), max_length=200, blank=True)
    status = models.CharField(
        max_length=15, choices=Status.choices, default=Status.UNMATCHED, db_index=True
    )
    problem = models.CharField(max_length=20, choices=Problem.choices, blank=True, default="")
    problem_detail = models.CharField(max_length=300, blank=True)
    unit = models.ForeignKey(
        "members.Unit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="line_groups",
    )
    register = models.ForeignKey(
        "registers.Register",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="line_groups",
    )
    member_count = models.PositiveIntegerField(null=True, blank=True)
    drift = models.CharField(_("drift"), max_length=300, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by_line_user_id = models.CharField(max_length=64, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register"],
                condition=Q(status="verified"),
                name="linegroup_one_verified_per_register",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.group_id

    @property
    def is_verified(self) -> bool:
        return self.status == self.Status.VERIFIED


class GroupMemberSighting(models.Model):
    """A LINE user seen in a group through memberJoined, memberLeft or message events."""

    group = models.ForeignKey(LineGroup, on_delete=models.CASCADE, related_name="sightings")
    line_user_id = models.CharField(max_length=64)
    in_group = models.BooleanField(default=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "first_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "line_user_id"], name="sighting_unique_group_user"
            )
        ]
        indexes = [models.Index(fields=["line_user_id"])]

    def __str__(self) -> str:
        return f"{self.line_user_id} in {self.group}"


class RegisterCode(models.Model):
    """The one-time code a representative posts in their group to prove it is theirs."""

    register = models.ForeignKey(
        "registers.Register", on_delete=models.CASCADE, related_name="line_codes"
    )
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_in_group_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["register"],
                condition=Q(used_at__isnull=True),
                name="registercode_one_open_per_register",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.register_id})"


class LineFriend(models.Model):
    """A LINE user who added the official account: linking conversation and block state."""

    class Step(models.TextChoices):
        ASK_NUMBER = "ask_number", _("Asked for the member number")
        ASK_PHONE = "ask_phone", _("Asked for the phone digits")
        LINKED = "linked", _("Linked")

    line_user_id = models.CharField(max_length=64, unique=True)
    step = models.CharField(max_length=12, choices=Step.choices, default=Step.ASK_NUMBER)
    # The number typed at the first step; kept only until the second answer is checked.
    claimed_number = models.CharField(max_length=20, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    blocked = models.BooleanField(_("blocked the account"), default=False)
    followed_at = models.DateTimeField(null=True, blank=True)
    blocked_at = models.DateTimeField(null=True, blank=True)
    linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-followed_at", "id"]

    def __str__(self) -> str:
        return self.line_user_id


class LinkAttempt(models.Model):
    """A wrong answer while linking; counted per LINE user and per member number."""

    line_user_id = models.CharField(max_length=64, db_index=True)
    claimed_number = models.CharField(max_length=20, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.line_user_id} → {self.claimed_number}"
