import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tocnet.members.models import Member, Representative, Unit

DEFAULT_DEADLINE = dt.date(2021, 6, 15)  # 15 มิ.ย. 2564, the cooperative's letter


class Register(models.Model):
    """A register (ทะเบียนสมาชิก) of a unit, led by one representative, with one LINE group."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="registers")
    number = models.PositiveSmallIntegerField(
        _("number"), null=True, blank=True, help_text=_("Empty for a unit's single group")
    )
    representative = models.ForeignKey(
        Representative,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registers",
    )
    deputy = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deputy_registers",
        verbose_name=_("deputy representative"),
        help_text=_("A member of the register who stands in for the representative"),
    )
    line_group_name = models.CharField(_("LINE group name"), max_length=100, blank=True)
    line_group_id = models.CharField(
        _("verified LINE group"), max_length=64, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit__name", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "number"],
                condition=Q(retired_at__isnull=True),
                name="register_unique_number_per_unit",
            ),
            models.UniqueConstraint(
                fields=["unit"],
                condition=Q(retired_at__isnull=True, number__isnull=True),
                name="register_one_single_group_per_unit",
            ),
            models.UniqueConstraint(
                fields=["representative"],
                condition=Q(retired_at__isnull=True),
                name="register_one_per_representative",
            ),
            models.UniqueConstraint(
                fields=["deputy"],
                condition=Q(retired_at__isnull=True),
                name="register_one_per_deputy",
            ),
        ]

    def __str__(self) -> str:
        return self.line_group_name or f"{self.unit.abbreviation} {self.number or ''}".strip()

    @property
    def is_single_group(self) -> bool:
        return self.number is None


class RegisterMembership(models.Model):
    """A member's place in a register, with history: until is set when they leave."""

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="memberships")
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="register_memberships"
    )
    since = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["register", "member__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(until__isnull=True),
                name="membership_one_open_per_member",
            ),
        ]
        indexes = [models.Index(fields=["register", "until"])]

    def __str__(self) -> str:
        return f"{self.member.number} in {self.register}"


class Campaign(models.Model):
    """The TOC-Net drive: units report their registers by the deadline."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    deadline = models.DateField(_("submission deadline"), default=DEFAULT_DEADLINE)
    is_current = models.BooleanField(_("current"), default=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="campaign_one_current"
            )
        ]

    def __str__(self) -> str:
        return self.name


class UnitSubmission(models.Model):
    """A unit's report (attachment 3) for a campaign: its status and who submitted it."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")

    class SubmitterRole(models.TextChoices):
        AGENT = "agent", _("Coop agent")
        ASSISTANT = "assistant", _("Assistant agent")
        REPRESENTATIVE = "representative", _("Representative")
        MANAGEMENT = "management", _("Management department")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="submissions")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="submissions")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.NOT_STARTED, db_index=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    submitted_role = models.CharField(max_length=15, choices=SubmitterRole.choices, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "unit"], name="submission_one_per_campaign_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} — {self.get_status_display()}"

    @property
    def is_late(self) -> bool:
        if self.status == self.Status.SUBMITTED and self.submitted_at:
            return self.submitted_at.date() > self.campaign.deadline
        return False
