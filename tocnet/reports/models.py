import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tocnet.core.progress import Progress

DEFAULT_DEADLINE = dt.date(2021, 6, 15)  # 15 มิ.ย. 2564, the cooperative's letter


class MemberFormReport(models.Model):
    """What a unit last reported for a member on a returned attachment 3.

    The system keeps its own truth (LINE sightings, contacts); this row keeps what the form
    said that has no other home ("in the group", remarks), so nothing on a form is lost.
    """

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="form_report"
    )
    in_group = models.BooleanField(_("in the group (as reported)"), null=True, blank=True)
    uses_line = models.BooleanField(_("uses LINE (as reported)"), null=True, blank=True)
    note = models.CharField(_("remarks"), max_length=500, blank=True)
    import_job = models.ForeignKey(
        "members.ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField()

    class Meta:
        verbose_name = _("member form report")

    def __str__(self) -> str:
        return f"{self.member_id} reported {self.reported_at:%Y-%m-%d}"


class ReportJob(models.Model):
    """A big export built by a task (all units' attachment 3 as PDF); the file is kept here
    for REPORT_JOB_KEEP (7 days), then emptied by a periodic task (PDPA: no copies kept)."""

    class Kind(models.TextChoices):
        FORMS_PDF_ZIP = "forms_pdf_zip", _("Attachment 3 of every unit (PDF, zip)")
        FORMS_XLSX_ZIP = "forms_xlsx_zip", _("Forms of every unit (.xlsx, zip)")
        # One unit's attachment 3 as PDF when it is too long to draw while the person waits.
        UNIT_PDF = "unit_pdf", _("Attachment 3 of one unit (PDF)")
        # One unit's attachment 3 as .xlsx when the unit is large (seconds on a busy server).
        UNIT_XLSX = "unit_xlsx", _("Attachment 3 of one unit (.xlsx)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Being prepared")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(max_length=200, blank=True)
    content = models.BinaryField(blank=True, default=b"")
    size = models.PositiveIntegerField(default=0)
    units = models.PositiveIntegerField(default=0)
    # Units written so far, for the progress bar (units holds the total once the job runs).
    progress = models.PositiveIntegerField(default=0)
    # The units whose members are in the file: a download needs them all still in scope.
    unit_codes = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the current attempt started, and how many were made (a sweep retries stale ones).
    started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def progress_bar(self) -> Progress:
        """Units written of all, for the progress partial every background job shares."""
        return Progress(stage="units", done=self.progress, total=self.units)


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
    unit = models.ForeignKey("members.Unit", on_delete=models.CASCADE, related_name="submissions")
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
