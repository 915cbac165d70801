import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from tocnet.accounts.models import User


class Unit(models.Model):
    """An office whose members form registers: a province office, a study centre, ..."""

    class Kind(models.TextChoices):
        PROVINCE = "province", _("Provincial community development office")
        CENTRE = "centre", _("Community development study centre")
        CENTRAL = "central", _("Central office")
        PENSION = "pension", _("Central pensioners")
        OTHER = "other", _("Other agency")

    class Responsible(models.TextChoices):
        AGENT = "agent", _("Coop agent")
        MANAGEMENT = "management", _("Cooperative management department")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    province = models.CharField(_("province"), max_length=100, blank=True)
    abbreviation = models.CharField(
        _("abbreviation"),
        max_length=20,
        unique=True,
        help_text=_("Used in LINE group names, e.g. กพ for สอ.พช.กพ.1"),
    )
    responsible = models.CharField(
        _("responsible for registers"),
        max_length=12,
        choices=Responsible.choices,
        default=Responsible.AGENT,
    )
    agents: "models.ManyToManyField[User, UnitAgent]" = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="UnitAgent",
        related_name="agent_units",
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class UnitAgent(models.Model):
    """A coop agent (ตัวแทนสหกรณ์) or assistant agent (ผู้ช่วย) of a unit."""

    class Role(models.TextChoices):
        AGENT = "agent", _("Coop agent")
        ASSISTANT = "assistant", _("Assistant agent")

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="agent_links")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unit_links"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "user"], name="unitagent_unique_unit_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.unit} ({self.get_role_display()})"


class Member(models.Model):
    """A cooperative member, identified by their member number."""

    class MemberType(models.TextChoices):
        ORDINARY = "ordinary", _("Ordinary (สามัญ)")
        ASSOCIATE = "associate", _("Associate (สมทบ)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RESIGNED = "resigned", _("Resigned")
        DECEASED = "deceased", _("Deceased")
        TRANSFERRED = "transferred", _("Transferred")
        EXPELLED = "expelled", _("Expelled")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("member number"), max_length=20, unique=True)
    title = models.CharField(_("title"), max_length=50, blank=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=150, blank=True)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="members", verbose_name=_("unit")
    )
    district = models.CharField(_("district / sub-unit"), max_length=150, blank=True)
    member_type = models.CharField(
        _("member type"), max_length=10, choices=MemberType.choices, default=MemberType.ORDINARY
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    email_valid = models.BooleanField(_("e-mail looks valid"), default=True)
    line_id = models.CharField(_("LINE ID (as typed)"), max_length=100, blank=True)
    line_user_id = models.CharField(
        _("linked LINE user"), max_length=64, null=True, blank=True, unique=True
    )
    no_line = models.BooleanField(_("does not use LINE"), default=False)
    national_id = models.CharField(_("national ID"), max_length=13, blank=True)
    joined_on = models.DateField(_("member since"), null=True, blank=True)
    unreachable_reason = models.CharField(_("why unreachable"), max_length=200, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["first_name", "last_name"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.full_name}"

    @property
    def full_name(self) -> str:
        return f"{self.title}{self.first_name} {self.last_name}".strip()

    @property
    def sort_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Phone(models.Model):
    """A phone number of a member: as typed, and in E.164 when it could be read."""

    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        LANDLINE = "landline", _("Landline")
        UNKNOWN = "unknown", _("Unknown")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="phones")
    raw = models.CharField(_("as typed"), max_length=100)
    e164 = models.CharField(_("E.164"), max_length=20, blank=True, db_index=True)
    extension = models.CharField(_("extension"), max_length=10, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.UNKNOWN)
    valid = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["member", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "e164", "extension"],
                condition=~Q(e164=""),
                name="phone_unique_member_number",
            )
        ]

    def __str__(self) -> str:
        return self.e164 or self.raw

    @property
    def last4(self) -> str:
        digits = "".join(c for c in (self.e164 or self.raw) if c.isdigit())
        return digits[-4:]


class Representative(models.Model):
    """A member elected as member representative (ผู้แทนสมาชิก) of a unit for a term."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="representations")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="representatives")
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("term end"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit", "member__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(ended_on__isnull=True),
                name="representative_one_current_per_member",
            ),
            models.CheckConstraint(
                condition=Q(term_end__gte=models.F("term_start")),
                name="representative_term_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} ({self.unit.abbreviation})"

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


class ImportJob(models.Model):
    """An uploaded file validated into a preview, then committed (or not) in one transaction."""

    class Kind(models.TextChoices):
        MEMBERS = "members", _("Member list")
        REPRESENTATIVES = "representatives", _("Representatives")
        FORM = "form", _("Returned attachment 3 form")

    class Status(models.TextChoices):
        # A large file is read in the background; the page shows progress until the preview.
        READING = "reading", _("Being read")
        PREVIEW = "preview", _("Waiting for confirmation")
        # Confirmed, being written by the slow queue (a large list or form): progress shown.
        APPLYING = "applying", _("Being written into the register")
        COMMITTED = "committed", _("Imported")
        FAILED = "failed", _("Could not be read")
        DISCARDED = "discarded", _("Discarded")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    summary = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name} ({self.get_status_display()})"
