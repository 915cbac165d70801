"""What reports hold about a member, for the PDPA export and erasure (privacy's registry)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tocnet.members.models import Member
from tocnet.privacy.erasure import Identifiers
from tocnet.privacy.registry import ExportRow, register_member_data, register_retention
from tocnet.reports.models import MemberFormReport, ReportJob
from tocnet.reports.services import REPORT_JOB_KEEP, report_job_expire


def _export_form_report(member: Member) -> list[ExportRow]:
    return [
        {
            "in_the_group": r.in_group,
            "uses_line": r.uses_line,
            "remarks": r.note,
            "reported_at": r.reported_at.isoformat(),
        }
        for r in MemberFormReport.objects.filter(member=member)
    ]


def _erase_form_report(member: Member, ids: Identifiers) -> dict[str, int]:
    deleted, _by_model = MemberFormReport.objects.filter(member=member).delete()
    # Files already built (attachment 3 as PDF/xlsx) may list the member: they are emptied now
    # rather than at the end of their seven days.
    files = ReportJob.objects.exclude(status=ReportJob.Status.EXPIRED).filter(
        Q(unit_codes=[]) | Q(unit_codes__icontains=str(member.unit.code))
    )
    emptied = files.update(status=ReportJob.Status.EXPIRED, content=b"", size=0)
    return {"deleted": deleted, "files_emptied": emptied}


def register_privacy_hooks() -> None:
    register_member_data(
        "reports.form_report",
        label=_("What the unit's form said"),
        export=_export_form_report,
        erase=_erase_form_report,
        order=30,
    )
    register_retention(
        "reports.files",
        label=_("Report files (attachment 3 as PDF or Excel)"),
        period=REPORT_JOB_KEEP,
        select=lambda now: ReportJob.objects.filter(
            created_at__lte=now - REPORT_JOB_KEEP,
            status__in=[ReportJob.Status.DONE, ReportJob.Status.FAILED, ReportJob.Status.PENDING],
        ),
        purge=lambda now: report_job_expire(now=now),
    )
