"""Import pages: upload, preview with unit mapping, confirm, error report, history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from tocnet.accounts.http import AuthenticatedHttpRequest
from tocnet.accounts.models import User
from tocnet.accounts.roles import can_import, is_cooperative_staff
from tocnet.core.audit import audit_access
from tocnet.core.http import client_ip, is_htmx
from tocnet.core.progress import progress_label, progress_read
from tocnet.core.thai import format_thai_date_numeric, parse_thai_date
from tocnet.members.importing.messages import describe
from tocnet.members.importing.normalize import centre_from_name, office_from_name
from tocnet.members.importing.planning import ImportDetails
from tocnet.members.importing.reasons import FIELD_LABELS, ImportFileError
from tocnet.members.importing.report import error_report_xlsx
from tocnet.members.importing.rows import PlannedUnknownUnit, Problem
from tocnet.members.importing.selectors import (
    get_import_job_for_user,
    import_job_list_for_user,
)
from tocnet.members.importing.services import (
    CREATE,
    ImportSealError,
    ImportStateError,
    default_term,
    import_commit_in_background,
    import_job_commit_start,
    import_job_discard,
    import_job_start,
    import_job_validate,
    import_limits,
    member_import_commit,
    progress_key,
    representative_import_commit,
)
from tocnet.members.models import ImportJob
from tocnet.members.selectors import member_list_for_user, unit_list_for_user

SHOWN_ROWS = 300
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def importer_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Signed in as staff or coop agent; anyone else gets 403. Pages of one job need only
    login_required: the scoped selector answers 404 to everyone else."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_import(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=[
            (ImportJob.Kind.MEMBERS, _("Member list")),
            (ImportJob.Kind.REPRESENTATIVES, _("Representatives")),
        ],
        widget=forms.RadioSelect,
        initial=ImportJob.Kind.MEMBERS,
    )
    file = forms.FileField(
        label=_("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self) -> Any:
        # tocnet.core.uploads stops storing an upload once it passes IMPORT_MAX_BYTES and
        # hands over an empty file whose size is the real one: refused here, with the sizes.
        upload = self.cleaned_data["file"]
        limit = import_limits().max_bytes
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size_mb)s MB; the limit is %(limit_mb)s MB."),
                params={
                    "size_mb": f"{upload.size / 1024 / 1024:.1f}",
                    "limit_mb": f"{limit / 1024 / 1024:.0f}",
                },
            )
        return upload


@importer_required
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    file_error = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            if len(data) > settings.IMPORT_INLINE_MAX_BYTES:
                # The whole cooperative's list takes seconds to read: in the background,
                # the person watches its progress on the job's page.
                job = import_job_start(
                    kind=form.cleaned_data["kind"],
                    data=data,
                    file_name=upload.name,
                    actor=request.user,
                )
            else:
                job = import_job_validate(
                    kind=form.cleaned_data["kind"],
                    data=data,
                    file_name=upload.name,
                    actor=request.user,
                )
        except ImportFileError as error:
            file_error = error.message()
        else:
            return redirect("members:import_detail", code=job.code)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "members/import_upload.html",
        {"form": form, "file_error": file_error, "limit_mb": import_limits().max_bytes // 2**20},
        status=status,
    )


@importer_required
def import_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    jobs = import_job_list_for_user(request.user)[:200]
    return render(request, "members/import_list.html", {"jobs": jobs})


class DescribedProblem(Problem, total=False):
    message: str  # in the active language


def _details(job: ImportJob) -> ImportDetails:
    """The lists of the preview (or, once committed, of the result), as the job stored them."""
    details = job.result.get("details") or job.result.get("preview") or {}
    return cast(ImportDetails, details)


def _described(entries: list[Problem]) -> list[DescribedProblem]:
    return [{**entry, "message": describe(entry)} for entry in entries[:SHOWN_ROWS]]


def _unit_choices(user: User, kind: str) -> list[tuple[str, str]]:
    units = unit_list_for_user(user).order_by("kind", "name")
    choices = [("", str(_("Do not import these rows")))]
    if is_cooperative_staff(user) and kind == ImportJob.Kind.MEMBERS:
        choices.append((CREATE, str(_("Create this unit"))))
    choices += [(str(unit.code), unit.name) for unit in units]
    return choices


class CommitForm(forms.Form):
    """One choice per unknown unit (map, create or reject); term dates for representatives."""

    term_start = forms.CharField(label=_("Term starts"), required=False)
    term_end = forms.CharField(label=_("Term ends"), required=False)

    def __init__(
        self,
        *args: Any,
        unknown_units: list[PlannedUnknownUnit],
        choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.unknown_units = unknown_units
        values = {value for value, _label in choices}
        for index, unit in enumerate(unknown_units):
            initial = ""
            if CREATE in values and (
                centre_from_name(unit["name"]) or office_from_name(unit["name"])
            ):
                initial = CREATE  # a study centre or office named by its province
            else:
                for value, label in choices:
                    if label == unit.get("suggestion"):
                        initial = value
            self.fields[f"unit_{index}"] = forms.ChoiceField(
                label=unit["name"], choices=choices, required=False, initial=initial
            )

    def _date(self, name: str) -> dt.date | None:
        text = self.cleaned_data.get(name, "")
        if not text:
            return None
        try:
            return parse_thai_date(text)
        except ValueError as error:
            raise forms.ValidationError(
                {name: _("Not a date: %(value)s") % {"value": text}}
            ) from error

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["term_start_date"] = self._date("term_start")
        data["term_end_date"] = self._date("term_end")
        return data

    def unit_mapping(self) -> dict[str, str]:
        return {
            unit["name"]: self.cleaned_data.get(f"unit_{index}", "")
            for index, unit in enumerate(self.unknown_units)
        }

    def unit_rows(self) -> list[tuple[PlannedUnknownUnit, forms.BoundField]]:
        return [(unit, self[f"unit_{i}"]) for i, unit in enumerate(self.unknown_units)]


def _commit_form(request: AuthenticatedHttpRequest, job: ImportJob) -> CommitForm:
    details = _details(job)
    start, end = default_term()
    return CommitForm(
        request.POST if request.method == "POST" else None,
        unknown_units=details.get("unknown_units", []),
        choices=_unit_choices(request.user, job.kind),
        initial={
            "term_start": format_thai_date_numeric(start),
            "term_end": format_thai_date_numeric(end),
        },
    )


@login_required
def import_detail(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    job = get_import_job_for_user(request.user, code)
    working = job.status in (ImportJob.Status.READING, ImportJob.Status.APPLYING)
    if working or (is_htmx(request) and request.GET.get("wait") == "1"):
        # Still being read (or written once confirmed): a progress line with the rows counted
        # so far, polled by htmx every 2 s; then htmx is sent to the preview or the result
        # (or to the message saying why the file could not be used).
        if is_htmx(request) and not working:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("members:import_detail", args=[job.code])
            return response
        template = (
            "members/includes/import_reading.html"
            if is_htmx(request)
            else ("members/import_reading.html")
        )
        progress = progress_read(progress_key(job))
        return render(
            request,
            template,
            {"job": job, "progress": progress, "label": progress_label(progress)},
        )
    details = _details(job)
    form = _commit_form(request, job) if job.status == ImportJob.Status.PREVIEW else None
    # The page shows members' names and values from the file: personal data (PDPA). The
    # register's members it names (in the user's scope) are named in the access log.
    audit_access(
        actor=request.user,
        action="import.view",
        target=job,
        ip_address=client_ip(request),
        members=_shown_members(request.user, details),
    )
    return _render_detail(request, job, details, form)


PREVIEW_LISTS = ("updates", "not_in_file", "ended", "leaders", "rejected", "warnings")


def _shown_members(
    user: User,
    details: ImportDetails,
    limit: int | None = SHOWN_ROWS,
    lists: tuple[str, ...] = PREVIEW_LISTS,
) -> list[int]:
    """The primary keys of the register's members the preview shows (each list as far as the
    page shows it; the error report: its lists, every row), in the user's scope: one query."""
    numbers: set[str] = set()
    for key in lists:
        for entry in cast(list[dict[str, object]], details.get(key, []))[:limit]:
            number = entry.get("number") or entry.get("member_number")
            if isinstance(number, str) and number:
                numbers.add(number)
    if not numbers:
        return []
    return list(
        member_list_for_user(user).filter(number__in=sorted(numbers)).values_list("pk", flat=True)
    )


def _render_detail(
    request: HttpRequest,
    job: ImportJob,
    details: ImportDetails,
    form: CommitForm | None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "job": job,
        "summary": job.summary,
        "form": form,
        "rejected": _described(details.get("rejected", [])),
        "warnings": _described(details.get("warnings", [])),
        "duplicates": details.get("duplicates", [])[:SHOWN_ROWS],
        "updates": [
            {
                "number": update["number"],
                "changes": [
                    (FIELD_LABELS.get(name, name), change)
                    for name, change in update["changes"].items()
                ],
            }
            for update in details.get("updates", [])[:SHOWN_ROWS]
        ],
        "not_in_file": details.get("not_in_file", [])[:SHOWN_ROWS],
        "ended": details.get("ended", [])[:SHOWN_ROWS],
        "leaders": details.get("leaders", [])[:SHOWN_ROWS],
        "unknown_units": details.get("unknown_units", []),
        "shown_rows": SHOWN_ROWS,
    }
    return render(request, "members/import_detail.html", context, status=status)


@require_POST
@login_required
def import_commit(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    job = get_import_job_for_user(request.user, code)
    form = _commit_form(request, job)
    if job.status != ImportJob.Status.PREVIEW:
        messages.error(request, _("This import was already confirmed or discarded."))
        return redirect("members:import_detail", code=job.code)
    if not form.is_valid():
        return _render_detail(request, job, _details(job), form, status=400)
    choices = {
        "unit_mapping": form.unit_mapping(),
        "term_start": form.cleaned_data["term_start_date"],
        "term_end": form.cleaned_data["term_end_date"],
    }
    if import_commit_in_background(job):
        # A list this large takes seconds to write: the slow queue writes it while the page
        # counts the rows; a failure writes nothing and brings this preview back with why.
        try:
            import_job_commit_start(job=job, actor=request.user, **choices)
        except ImportStateError:
            messages.error(request, _("This import was already confirmed or discarded."))
        return redirect("members:import_detail", code=job.code)
    try:
        if job.kind == ImportJob.Kind.REPRESENTATIVES:
            representative_import_commit(job=job, actor=request.user, **choices)
        else:
            member_import_commit(job=job, actor=request.user, unit_mapping=choices["unit_mapping"])
    except ImportSealError:
        messages.error(
            request, _("This preview can no longer be confirmed; upload the file again.")
        )
    except ImportStateError:
        messages.error(request, _("This import was already confirmed or discarded."))
    except IntegrityError:
        # Another import wrote the same members meanwhile; nothing of this one was kept.
        messages.error(
            request, _("The register changed while importing; nothing was written. Try again.")
        )
    else:
        messages.success(request, _("Imported. The register is updated."))
    return redirect("members:import_detail", code=job.code)


@require_POST
@login_required
def import_discard(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    job = get_import_job_for_user(request.user, code)
    try:
        import_job_discard(job=job, actor=request.user)
    except ImportStateError:
        messages.error(request, _("This import was already confirmed or discarded."))
    else:
        messages.info(request, _("The file was discarded; nothing was imported."))
    return redirect("members:import_list")


@login_required
def import_errors(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    job = get_import_job_for_user(request.user, code)
    details = _details(job)
    body = error_report_xlsx(details, file_name=job.file_name)
    audit_access(
        actor=request.user,
        action="import.error_report",
        target=job,
        ip_address=client_ip(request),
        members=_shown_members(
            request.user, details, limit=None, lists=("rejected", "warnings", "duplicates")
        ),
    )
    stem = job.file_name.rsplit(".", 1)[0] or "import"
    response = HttpResponse(body, content_type=XLSX_TYPE)
    disposition = content_disposition_header(as_attachment=True, filename=f"errors-{stem}.xlsx")
    assert disposition is not None  # None only without as_attachment and a file name
    response["Content-Disposition"] = disposition
    return response
