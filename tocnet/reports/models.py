import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    # The units whose members are in the file: a download needs them all still in scope.
    unit_codes = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
