"""Dashboard, representative's page, forms out and back in, submissions."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tocnet.accounts.http import AuthenticatedHttpRequest
from tocnet.accounts.models import User
from tocnet.accounts.roles import (
    can_manage_forms,
    can_plan,
    can_use_forms,
    dashboard_level,
    is_cooperative_staff,
    is_representative,
)
from tocnet.core.audit import accessed_members_copy, audit_access
from tocnet.core.http import client_ip, is_htmx
from tocnet.core.progress import progress_label, progress_read
from tocnet.core.thai import thai_sort_key
from tocnet.members.importing.services import progress_key
from tocnet.members.models import ImportJob, Member, Representative, Unit
from tocnet.reports.charts import coverage_map, submission_status_chart, unit_group_share_chart
from tocnet.reports.exports import coverage_xlsx
from tocnet.reports.forms_io.export import (
    PDF,
    ZIP,
    ExportNotAllowed,
    attachment2_file,
    attachment3_build,
    attachment3_pdf,
    attachment3_xlsx,
    exportable_units,
    form_file_name,
    forms_zip,
)
from tocnet.reports.forms_io.importing import (
    form_apply_in_background,
    form_upload_apply,
    form_upload_apply_start,
    form_upload_preview,
    in_thai_and_english,
    job_plan,
)
from tocnet.reports.forms_io.reading import FormUploadError
from tocnet.reports.models import ReportJob
from tocnet.reports.responsiveness import representative_responsiveness
from tocnet.reports.selectors import (
    Coverage,
    coverage_cache_key,
    coverage_for_user,
    current_campaign,
    my_register_sections,
    sort_rows,
)
from tocnet.reports.services import (
    UNIT_KINDS,
    SubmissionError,
    completeness_messages,
    report_job_expired,
    report_job_request,
    submitter_role,
    unit_submission_submit,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Above this many registers the page shows the register table on request (htmx or a link).
REGISTERS_INLINE = 40


def _user(request: AuthenticatedHttpRequest) -> User:
    return request.user


def attachment(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A download response with an RFC 6266 file name (Thai names survive)."""
    response = HttpResponse(content, content_type=content_type)
    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@login_required
def dashboard(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = _user(request)
    level = dashboard_level(user)
    if level == "none":
        raise PermissionDenied
    seconds = settings.DASHBOARD_CACHE_SECONDS
    # One key per scope (the units and registers this user may see, asked afresh), level, day
    # and data version: 20 staff share one computation, no one gets another scope's figures.
    key = coverage_cache_key(user) if seconds > 0 else None
    _rows, sort = sort_rows([], request.GET.get("sort", "name"))
    if request.GET.get("export") == "xlsx":
        coverage = coverage_for_user(user, key=key)
        units, sort = sort_rows(coverage.units, sort)
        follow_up = representative_responsiveness(user) if level != "totals" else None
        # The follow-up sheet names representatives: the members the file shows.
        keys = [row.key for row in follow_up.rows] if follow_up is not None else []
        audit_access(
            actor=user,
            action="reports.dashboard_exported",
            detail={"level": level, "units": len(units)},
            ip_address=client_ip(request),
            members=Representative.objects.filter(code__in=keys).values_list("member_id", flat=True)
            if keys
            else None,
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return attachment(
            coverage_xlsx(coverage, units=units, follow_up=follow_up),
            filename=f"tocnet-coverage-{stamp}.xlsx",
            content_type=XLSX,
        )
    if request.GET.get("part") == "registers" and is_htmx(request):
        coverage = coverage_for_user(user, key=key)
        registers, sort = sort_rows(coverage.registers, sort)
        return render(
            request,
            "reports/dashboard_content.html#registers",
            {"registers": registers, "sort": sort, "map_metric": ""},
        )
    map_metric = "reach" if request.GET.get("map") == "reach" else "line"
    wants_registers = request.GET.get("registers") == "1"
    # The content is the same for everyone of one scope who may (or may not) plan; the
    # representatives' follow-up in it is at most DASHBOARD_CACHE_SECONDS old.
    page_key = (
        f"reports:dashboard:{key}:{can_plan(user)}:{sort}:{map_metric}:{wants_registers}:"
        f"{get_language()}"
    )
    content = cache.get(page_key) if key else None
    if not isinstance(content, str):
        coverage = coverage_for_user(user, key=key)
        content = render_to_string(
            "reports/dashboard_content.html",
            _dashboard_context(user, coverage, level, sort, map_metric, wants_registers),
            request=request,
        )
        if key:
            cache.set(page_key, content, seconds)
    # Our own template's output, escaped when it was rendered.
    return render(request, "reports/dashboard.html", {"content": mark_safe(content)})  # noqa: S308


def _dashboard_context(
    user: User, coverage: Coverage, level: str, sort: str, map_metric: str, wants_registers: bool
) -> dict[str, object]:
    units, sort = sort_rows(coverage.units, sort)
    registers, _rsort = sort_rows(coverage.registers, sort)
    context: dict[str, object] = {
        "coverage": coverage,
        "level": level,
        "status_chart": submission_status_chart(coverage),
        "sort": sort,
        "map_metric": map_metric,
        "show_registers": level == "register"
        or wants_registers
        or len(coverage.registers) <= REGISTERS_INLINE,
        "province_map": coverage_map(coverage, metric=map_metric),
    }
    if can_plan(user):
        # Units whose terms ended (due for election), then those ending within 90 days.
        context["election_units"] = sorted(
            (r for r in coverage.units if r.units_due or r.terms_ending),
            key=lambda r: (not r.units_due, thai_sort_key(r.label)),
        )
    if level != "totals":
        context["follow_up"] = representative_responsiveness(user)
        context["unit_chart"] = unit_group_share_chart(coverage)
        context["units"] = units
        context["registers"] = registers
    return context


# --- forms out ----------------------------------------------------------------------------


def _unit_for_export(user: User, code: uuid.UUID) -> Unit:
    try:
        return exportable_units(user).get(code=code)
    except Unit.DoesNotExist as exc:
        raise Http404 from exc


@login_required
def forms(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Units in scope with their forms, submission state and what is still missing."""
    user = _user(request)
    if not can_use_forms(user):
        raise PermissionDenied
    coverage = coverage_for_user(user)
    codes = {str(u.code): u.abbreviation for u in exportable_units(user)}
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    status_counts: dict[str, int] = {"all": 0}
    rows = []
    for row in coverage.units:
        if row.unit_code not in codes:
            continue
        key = row.submission.key if row.submission else "not_started"
        status_counts["all"] += 1
        status_counts[key] = status_counts.get(key, 0) + 1
        if query and query.lower() not in f"{row.label} {codes[row.unit_code]}".lower():
            continue
        if status and key != status:
            continue
        rows.append(
            {
                "row": row,
                "problems": completeness_messages(row),
                "warnings": completeness_messages(row, warnings=True),
            }
        )
    jobs = list(
        ReportJob.objects.filter(requested_by=user).defer("content").order_by("-created_at")[:5]
    )
    for job in jobs:
        job.expired = report_job_expired(job)  # type: ignore[attr-defined]  # sweep may lag
    status_labels = {
        "not_started": _("Not started"),
        "in_progress": _("In progress"),
        "submitted": _("Submitted"),
        "late": _("Late"),
    }
    context = {
        "rows": rows,
        "query": query,
        "status": status,
        "status_counts": status_counts,
        "status_choices": [
            (key, label, status_counts.get(key, 0)) for key, label in status_labels.items()
        ],
        "can_member_list": can_manage_forms(user),
    }
    if is_htmx(request):
        return render(request, "reports/forms.html#rows", context)
    return render(
        request,
        "reports/forms.html",
        {
            **context,
            "coverage": coverage,
            "rows": rows,
            "jobs": jobs,
            "can_member_list": can_manage_forms(user),
            "upload_form": FormUploadForm(),
        },
    )


@login_required
def attachment3_download(
    request: AuthenticatedHttpRequest, code: uuid.UUID, fmt: str
) -> HttpResponse:
    user = _user(request)
    unit = _unit_for_export(user, code)
    if fmt not in ("xlsx", "pdf"):
        raise Http404
    if _in_background(user, unit, fmt):
        # Drawing a long PDF takes seconds (about 20 ms a member on the demo machine), a large
        # unit's .xlsx too on a busy server: built in the background, the person watches its
        # progress, then downloads it. Decided on a count, before anything is built.
        kind = ReportJob.Kind.UNIT_PDF if fmt == "pdf" else ReportJob.Kind.UNIT_XLSX
        job = report_job_request(actor=user, kind=kind, unit=unit)
        return redirect("reports:report_job_status", code=job.code)
    try:
        form = attachment3_build(unit=unit, user=user)
    except ExportNotAllowed as exc:
        raise PermissionDenied from exc
    content = attachment3_pdf(form) if fmt == "pdf" else attachment3_xlsx(form)
    audit_access(
        actor=user,
        action="reports.attachment3_exported",
        target=unit,
        detail={"format": fmt, "members": form.member_count, "sections": len(form.sections)},
        ip_address=client_ip(request),
        members=form.member_pks,
    )
    return attachment(
        content,
        filename=form_file_name(unit, "attachment3", fmt),
        content_type=PDF if fmt == "pdf" else XLSX,
    )


def _in_background(user: User, unit: Unit, fmt: str) -> bool:
    """Whether a unit's attachment 3 is built by a task rather than in the request.

    Every PDF a representative asks for: their 40-60 member register took 1.5-4.8 s on the
    loaded demo machine (bench/README.md), on a phone inside LINE where a blank page looks
    broken; their .xlsx (their own registers only) comes at once. For staff and agents the
    form holds the unit's active members: PDFs above REPORT_PDF_INLINE_MAX_MEMBERS, .xlsx
    above REPORT_XLSX_INLINE_MAX_MEMBERS (the largest unit's took 2.4 s under load)."""
    if is_representative(user):
        return fmt == "pdf"
    members = Member.objects.filter(unit=unit, status=Member.Status.ACTIVE).count()
    if fmt == "pdf":
        return members > settings.REPORT_PDF_INLINE_MAX_MEMBERS
    return members > settings.REPORT_XLSX_INLINE_MAX_MEMBERS


@login_required
def attachment2_download(request: AuthenticatedHttpRequest, code: uuid.UUID) -> HttpResponse:
    user = _user(request)
    unit = _unit_for_export(user, code)
    try:
        content, form = attachment2_file(unit=unit, user=user)
    except ExportNotAllowed as exc:
        raise PermissionDenied from exc
    audit_access(
        actor=user,
        action="reports.attachment2_exported",
        target=unit,
        detail={"format": "xlsx"},
        ip_address=client_ip(request),
        members=form.member_pks,
    )
    return attachment(
        content, filename=form_file_name(unit, "attachment2", "xlsx"), content_type=XLSX
    )


@login_required
def forms_zip_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Attachment 3 (and 2) of every unit in scope, as .xlsx, in one zip."""
    user = _user(request)
    if not can_manage_forms(user):
        raise PermissionDenied
    units = list(exportable_units(user).order_by("name"))
    shown: set[int] = set()
    content = forms_zip(units=units, user=user, fmt="xlsx", shown=shown)
    audit_access(
        actor=user,
        action="reports.forms_zip_exported",
        detail={"format": "xlsx", "units": len(units)},
        ip_address=client_ip(request),
        members=shown,
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return attachment(content, filename=f"tocnet-forms-{stamp}.zip", content_type=ZIP)


@login_required
@require_POST
def forms_pdf_zip_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask for every unit's attachment 3 as PDF in one zip, built by a task."""
    report_job_request(actor=_user(request), kind=ReportJob.Kind.FORMS_PDF_ZIP)
    messages.success(
        request, _("The PDF forms are being prepared; the download appears here when ready.")
    )
    return redirect("reports:forms")


@login_required
@require_POST
def forms_xlsx_zip_request(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Ask for every unit's forms as .xlsx in one zip, built by a task (about 30 s for all)."""
    report_job_request(actor=_user(request), kind=ReportJob.Kind.FORMS_XLSX_ZIP)
    messages.success(
        request, _("The forms are being prepared; the download appears here when ready.")
    )
    return redirect("reports:forms")


@login_required
def report_job_status(request: AuthenticatedHttpRequest, code: uuid.UUID) -> HttpResponse:
    """One job's line; htmx polls it every 2 s until the job has finished. Opened as a page
    (a unit's PDF being drawn), the same line in the site's frame."""
    user = _user(request)
    try:
        job = ReportJob.objects.defer("content").get(code=code, requested_by=user)
    except ReportJob.DoesNotExist as exc:
        raise Http404 from exc
    job.expired = report_job_expired(job)  # type: ignore[attr-defined]
    if is_htmx(request):
        return render(request, "reports/includes/report_job.html", {"job": job})
    unit = None
    if job.kind in UNIT_KINDS and job.unit_codes:
        unit = exportable_units(user).filter(code=job.unit_codes[0]).first()
    return render(request, "reports/report_job.html", {"job": job, "unit": unit})


@login_required
def report_job_download(request: AuthenticatedHttpRequest, code: uuid.UUID) -> HttpResponse:
    user = _user(request)
    try:
        job = ReportJob.objects.get(code=code, requested_by=user, status=ReportJob.Status.DONE)
    except ReportJob.DoesNotExist as exc:
        raise Http404 from exc
    # Personal data: only while the file is fresh and every unit in it is still in scope
    # (a job without its list of units, made before the list was kept, is not served).
    one_unit = job.kind in UNIT_KINDS
    if report_job_expired(job) or not (one_unit or can_manage_forms(user)):
        raise Http404
    if len(job.unit_codes) != job.units:
        raise Http404
    in_scope = {str(c) for c in exportable_units(user).values_list("code", flat=True)}
    if not set(job.unit_codes) <= in_scope:
        raise Http404
    with transaction.atomic():
        event = audit_access(
            actor=user,
            action="reports.report_job_downloaded",
            detail={"job": str(job.code), "kind": job.kind, "units": job.units},
            ip_address=client_ip(request),
        )
        # The file holds the members its build named (that event's rows): so does this.
        accessed_members_copy(event=event, job_code=str(job.code))
    content_type = {ReportJob.Kind.UNIT_PDF: PDF, ReportJob.Kind.UNIT_XLSX: XLSX}.get(
        ReportJob.Kind(job.kind), ZIP
    )
    return attachment(bytes(job.content), filename=job.file_name, content_type=content_type)


# --- forms back in ------------------------------------------------------------------------


class FormUploadForm(django_forms.Form):
    file = django_forms.FileField(
        label=gettext_lazy("Filled attachment 3 (.xlsx)"),
        widget=django_forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


@login_required
@require_POST
def form_upload(request: AuthenticatedHttpRequest, code: uuid.UUID) -> HttpResponse:
    user = _user(request)
    unit = _unit_for_export(user, code)
    form = FormUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the filled attachment 3 file (.xlsx)."))
        return redirect("reports:forms")
    upload = form.cleaned_data["file"]
    if upload.size > settings.IMPORT_MAX_BYTES:
        messages.error(
            request,
            _("The file is %(size_mb)s MB; the limit is %(limit_mb)s MB.")
            % {
                "size_mb": f"{upload.size / 1024 / 1024:.1f}",
                "limit_mb": f"{settings.IMPORT_MAX_BYTES / 1024 / 1024:.0f}",
            },
        )
        return redirect("reports:forms")
    try:
        job = form_upload_preview(
            unit=unit, actor=user, data=upload.read(), file_name=upload.name or "form.xlsx"
        )
    except FormUploadError as exc:
        messages.error(request, in_thai_and_english(exc.message))
        return redirect("reports:forms")
    return redirect("reports:upload_detail", code=job.code)


def _job_for_user(user: User, code: uuid.UUID) -> ImportJob:
    try:
        job = ImportJob.objects.select_related("unit").get(code=code, kind=ImportJob.Kind.FORM)
    except ImportJob.DoesNotExist as exc:
        raise Http404 from exc
    if job.unit is None or submitter_role(unit=job.unit, user=user) is None:
        raise Http404
    if not is_cooperative_staff(user) and job.uploaded_by_id != user.pk:
        raise Http404
    return job


@login_required
def upload_detail(request: AuthenticatedHttpRequest, code: uuid.UUID) -> HttpResponse:
    """Preview of an uploaded form (changes, conflicts, problems); POST applies it."""
    user = _user(request)
    job = _job_for_user(user, code)
    if request.method == "POST":
        if job.status != ImportJob.Status.PREVIEW:
            return redirect("reports:upload_detail", code=job.code)
        accepted = request.POST.getlist("accept")
        try:
            if form_apply_in_background(job):
                # A large unit's form takes seconds: applied by the slow queue while this
                # page counts the rows; a failure changes nothing and shows the preview again.
                form_upload_apply_start(job=job, actor=user, accept_conflicts=accepted)
                return redirect("reports:upload_detail", code=job.code)
            form_upload_apply(job=job, actor=user, accept_conflicts=accepted)
        except FormUploadError as exc:
            messages.error(request, in_thai_and_english(exc.message))
            return redirect("reports:forms")
        messages.success(request, _("The form was applied."))
        return redirect("reports:upload_detail", code=job.code)
    applying = job.status == ImportJob.Status.APPLYING
    if applying or (is_htmx(request) and request.GET.get("wait") == "1"):
        if is_htmx(request) and not applying:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("reports:upload_detail", args=[job.code])
            return response
        progress = progress_read(progress_key(job))
        return render(
            request,
            "reports/includes/form_applying.html"
            if is_htmx(request)
            else "reports/form_applying.html",
            {"job": job, "progress": progress, "label": progress_label(progress)},
        )
    plan = job_plan(job)
    # The preview shows members' current phones and e-mails: a read of personal data (PDPA).
    audit_access(
        actor=user,
        action="reports.form_upload_viewed",
        target=job.unit,
        detail={"job": str(job.code), "rows": len(plan.rows)},
        ip_address=client_ip(request),
        members=[r.member_id for r in plan.rows if r.changes or r.reported],
    )
    return render(
        request,
        "reports/upload_detail.html",
        {
            "job": job,
            "plan": plan,
            "changed_rows": [r for r in plan.rows if r.changes or r.reported],
            "problems": [in_thai_and_english(p.message) for p in plan.problems],
            "result": job.result,
        },
    )


# --- submissions --------------------------------------------------------------------------


@login_required
@require_POST
def submit(request: AuthenticatedHttpRequest, code: uuid.UUID) -> HttpResponse:
    user = _user(request)
    unit = _unit_for_export(user, code)
    campaign = current_campaign()
    if campaign is None:
        raise Http404
    try:
        unit_submission_submit(campaign=campaign, unit=unit, actor=user)
    except SubmissionError as exc:
        if exc.problems == ["not_allowed"]:
            raise PermissionDenied from exc
        for text in exc.messages:
            messages.error(request, f"{unit.name}: {text}")
        return redirect("reports:forms")
    messages.success(request, _("Attachment 3 of %(unit)s was submitted.") % {"unit": unit.name})
    return redirect("reports:forms")


# --- the representative's page ------------------------------------------------------------


@login_required
def my_register(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A representative's own register, made for a phone: members, contacts, what is missing."""
    user = _user(request)
    if not is_representative(user):
        raise PermissionDenied
    coverage = coverage_for_user(user)
    sections = my_register_sections(user, coverage)
    audit_access(
        actor=user,
        action="reports.my_register_viewed",
        detail={
            "registers": len(sections),
            "members": sum(len(s.rows) for s in sections),
        },
        ip_address=client_ip(request),
        members=[r.member.pk for s in sections for r in s.rows],
    )
    return render(
        request,
        "reports/my_register.html",
        {
            "sections": sections,
            "coverage": coverage,
            "follow_up": representative_responsiveness(user),
        },
    )
