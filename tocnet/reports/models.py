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
