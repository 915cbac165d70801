import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tocnet.members.models import Member, Representative, Unit

# How a register without a representative is named wherever its leader would be shown.
VACANT_LABEL = _("Vacant — needs a new representative")


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
