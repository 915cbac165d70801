"""Which page actions take longer than ~2 s on the demo cooperative (and must run in the
background with a progress bar, GUIDE: "every job longer than ~2 s runs in the background").

    .venv/bin/python bench/bench_slow_actions.py [--database var/tocnet.sqlite3] [--runs 3]

Works on a throw-away copy of the demo database (`tocnet demo`, as scripts/run loads it), DEBUG
off, and times what the requests do, median of the runs:

- the attachment 3 of the largest unit, .xlsx and PDF (a unit's download links);
- a returned attachment 3 of that unit: the preview (read + compare) and the apply;
- the member list import: the preview (`import_job_validate`) and the commit, on the demo's
  own members written as a workbook (one sheet, every member unchanged);
- the attachment 3 PDF of the largest register whose representative has an account (what
  a representative downloads from their page);
- the register plan: the overview (plans every unit), and approve-all of every unit after
  every member was taken off their register (the first approval after an import);
- since #16.3, the moved actions through their pages (a signed-in test client, DEBUG off):
  what the request still does (build the form to count it, or confirm, then hand the job to
  the slow queue) and what the job then does, timed apart (its progress counting included).
  The queues and progress files go to the throw-away folder; the jobs are run here.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))  # signin


def setup_django(database: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tocnet.settings"
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost,testserver")
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    # Queues, uploads and progress files of the jobs started here stay in the copy's folder.
    os.environ["TOCNET_VAR_DIR"] = str(database.parent)
    os.environ["HUEY_IMMEDIATE"] = "0"
    import django

    django.setup()


def largest_inline_list(members_file: bytes) -> tuple[int, bytes]:
    """The first rows of the members workbook, as many as fit IMPORT_INLINE_MAX_BYTES: the
    largest list an upload still previews in the request (above it: in the background)."""
    import io

    from django.conf import settings
    from openpyxl import Workbook, load_workbook

    rows = list(load_workbook(io.BytesIO(members_file), read_only=True).active.iter_rows(
        values_only=True))  # fmt: skip

    def first(n: int) -> bytes:
        workbook = Workbook()
        for row in rows[: n + 1]:
            workbook.active.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    low, high = 1, len(rows) - 1
    while high - low > 20:
        middle = (low + high) // 2
        if len(first(middle)) <= settings.IMPORT_INLINE_MAX_BYTES:
            low = middle
        else:
            high = middle
    return low, first(low)


def timed(label: str, runs: int, action: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    flag = "  <-- over 2 s" if median > 2 else ""
    print(
        f"{label:<58} median {median:6.2f} s  (runs {', '.join(f'{t:.2f}' for t in times)}){flag}"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default=str(ROOT / "var" / "tocnet.sqlite3"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-slow-"))
    copy = folder / "db.sqlite3"
    shutil.copy(args.database, copy)
    setup_django(copy)

    from django.db.models import Count, Q
    from django.utils import timezone
    from openpyxl import Workbook

    from tocnet.accounts.models import User
    from tocnet.members.importing.services import import_job_validate, member_import_commit
    from tocnet.members.models import ImportJob, Member, Unit
    from tocnet.registers.models import RegisterMembership
    from tocnet.registers.selectors import planning_unit_list_for_user, unit_plan_list
    from tocnet.registers.services import register_plan_apply
    from tocnet.reports.forms_io.export import attachment3_build, attachment3_pdf, attachment3_xlsx
    from tocnet.reports.forms_io.importing import form_upload_apply, form_upload_preview

    staff = User.objects.filter(role=User.Role.STAFF, is_active=True).order_by("pk").first()
    assert staff is not None, "no staff user: load the demo first (tocnet demo)"
    unit = (
        Unit.objects.annotate(n=Count("members", filter=Q(members__status="active")))
        .order_by("-n")
        .first()
    )
    assert unit is not None
    print(
        f"largest unit: {unit.name} ({unit.n:,} active members); {Member.objects.count():,} members"
    )
    runs = args.runs
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
          "load average at start: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))  # fmt: skip
    timed("attachment 3 .xlsx, largest unit", runs,
          lambda: attachment3_xlsx(attachment3_build(unit=unit, user=staff)))  # fmt: skip
    timed("attachment 3 PDF, largest unit", runs,
          lambda: attachment3_pdf(attachment3_build(unit=unit, user=staff)))  # fmt: skip
    from tocnet.registers.models import Register

    register = (
        Register.objects.filter(retired_at__isnull=True, representative__member__user__isnull=False)
        .annotate(n=Count("memberships", filter=Q(memberships__until__isnull=True)))
        .order_by("-n")
        .first()
    )
    if register is not None:
        rep = register.representative.member.user  # type: ignore[union-attr]
        print(
            f"largest register with a representative's account: {register} ({register.n} members)"
        )
        timed("attachment 3 PDF, a representative's own register", runs,
              lambda: attachment3_pdf(attachment3_build(unit=register.unit, user=rep)))  # fmt: skip
    data = attachment3_xlsx(attachment3_build(unit=unit, user=staff))
    jobs: list[ImportJob] = []
    timed("returned attachment 3 preview, largest unit", runs,
          lambda: jobs.append(form_upload_preview(unit=unit, actor=staff, data=data,
                                                  file_name="f.xlsx")))  # fmt: skip
    timed("returned attachment 3 apply, largest unit", runs,
          lambda: form_upload_apply(job=jobs.pop(), actor=staff))  # fmt: skip

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["ลำดับ", "เลขทะเบียนสมาชิก", "ชื่อ-สกุล", "หน่วยงาน", "อำเภอ", "โทรศัพท์มือถือ", "อีเมล"])
    for i, m in enumerate(
        Member.objects.select_related("unit").prefetch_related("phones").order_by("number"), 1
    ):
        phones = ", ".join(p.raw for p in m.phones.all())
        sheet.append([i, m.number, m.full_name, m.unit.name if m.unit else "", m.district,
                      phones, m.email])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    members_file = buffer.getvalue()
    imports: list[ImportJob] = []
    timed("member import preview (every member, unchanged)", runs,
          lambda: imports.append(import_job_validate(kind=ImportJob.Kind.MEMBERS,
                                                     data=members_file, file_name="m.xlsx",
                                                     actor=staff)))  # fmt: skip
    timed("member import commit (every member, unchanged)", 1,
          lambda: member_import_commit(job=imports[-1], actor=staff))  # fmt: skip
    # The largest list still previewed in the request (just under IMPORT_INLINE_MAX_BYTES).
    inline_rows, inline_file = largest_inline_list(members_file)
    timed(f"member import preview in the request ({inline_rows:,} rows, largest inline)", runs,
          lambda: import_job_validate(kind=ImportJob.Kind.MEMBERS, data=inline_file,
                                      file_name="m.xlsx", actor=staff))  # fmt: skip

    background_actions(unit=unit, staff=staff, register=register, runs=runs,
                       members_file=members_file)  # fmt: skip

    units = list(planning_unit_list_for_user(staff))
    timed("register plan overview (plans every unit)", runs, lambda: unit_plan_list(units))
    RegisterMembership.objects.filter(until__isnull=True).update(until=timezone.now())
    cooperative = unit_plan_list(units)
    fingerprints = {plan.key: cooperative.fingerprints[plan.key] for plan in cooperative.plans}
    timed("approve all units (every member placed again)", 1,
          lambda: register_plan_apply(units=units, actor=staff, fingerprints=fingerprints,
                                      confirm_renames=True))  # fmt: skip
    print("load average at end: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    shutil.rmtree(folder)


def background_actions(
    *, unit: Any, staff: Any, register: Any, runs: int, members_file: bytes
) -> None:
    """The actions #16.3 moved to the slow queue, through their pages: the request, then the
    job (run here, as the worker would)."""
    from django.urls import reverse
    from openpyxl import load_workbook
    from signin import signed_in_client

    from tocnet.members.importing.services import import_job_commit, import_job_read
    from tocnet.members.models import ImportJob
    from tocnet.reports.forms_io.importing import form_upload_apply_job
    from tocnet.reports.models import ReportJob
    from tocnet.reports.services import report_job_run

    client = signed_in_client(staff)

    def report_job(url: str, user_client: Any) -> tuple[float, float]:
        ReportJob.objects.all().delete()  # a fresh job each run (a ready PDF is reused)
        start = time.perf_counter()
        response = user_client.get(url, secure=True)
        request = time.perf_counter() - start
        assert response.status_code == 302, response.status_code
        job = ReportJob.objects.get()
        start = time.perf_counter()
        report_job_run(job_id=job.pk)
        took = time.perf_counter() - start
        job.refresh_from_db()
        assert job.status == ReportJob.Status.DONE, job.error
        return request, took

    def pair(label: str, action: Callable[[], tuple[float, float]]) -> None:
        requests, jobs = [], []
        for _ in range(runs):
            request, job = action()
            requests.append(request)
            jobs.append(job)
        print(
            f"{label:<44} request median {statistics.median(requests):5.2f} s "
            f"(runs {', '.join(f'{t:.2f}' for t in requests)}); "
            f"job {statistics.median(jobs):5.2f} s (runs {', '.join(f'{t:.2f}' for t in jobs)})"
        )

    print("-- moved to the background (#16.3): the request, then the job --")
    xlsx_url = reverse("reports:attachment3", args=[unit.code, "xlsx"])
    pair("attachment 3 .xlsx, largest unit", lambda: report_job(xlsx_url, client))
    if register is not None:
        rep_client = signed_in_client(register.representative.member.user)
        pdf_url = reverse("reports:attachment3", args=[register.unit.code, "pdf"])
        pair("a representative's own register PDF", lambda: report_job(pdf_url, rep_client))

    form_data = client.get(xlsx_url, secure=True)  # a .xlsx job: read its file
    job = ReportJob.objects.filter(kind=ReportJob.Kind.UNIT_XLSX).first()
    assert form_data.status_code == 302 and job is not None
    report_job_run(job_id=job.pk)
    job.refresh_from_db()
    form_bytes = bytes(job.content)
    load_workbook(io.BytesIO(form_bytes))  # a real workbook

    def form_apply() -> tuple[float, float]:
        upload = io.BytesIO(form_bytes)
        upload.name = "form.xlsx"
        client.post(reverse("reports:upload", args=[unit.code]), {"file": upload}, secure=True)
        form_job = ImportJob.objects.filter(kind=ImportJob.Kind.FORM).order_by("-pk").first()
        assert form_job is not None and form_job.status == ImportJob.Status.PREVIEW
        start = time.perf_counter()
        client.post(reverse("reports:upload_detail", args=[form_job.code]), secure=True)
        request = time.perf_counter() - start
        form_job.refresh_from_db()
        assert form_job.status == ImportJob.Status.APPLYING, form_job.status
        start = time.perf_counter()
        form_upload_apply_job(job_id=form_job.pk)
        took = time.perf_counter() - start
        form_job.refresh_from_db()
        assert form_job.status == ImportJob.Status.COMMITTED, form_job.error
        return request, took

    pair("returned attachment 3 apply, largest unit", form_apply)

    def member_commit() -> tuple[float, float]:
        client.post(
            reverse("members:import_upload"),
            {"kind": "members", "file": _named(members_file, "members.xlsx")},
            secure=True,
        )
        list_job = ImportJob.objects.filter(kind=ImportJob.Kind.MEMBERS).order_by("-pk").first()
        assert list_job is not None and list_job.status == ImportJob.Status.READING
        import_job_read(job_id=list_job.pk)
        start = time.perf_counter()
        client.post(reverse("members:import_commit", args=[list_job.code]), secure=True)
        request = time.perf_counter() - start
        list_job.refresh_from_db()
        assert list_job.status == ImportJob.Status.APPLYING, list_job.status
        start = time.perf_counter()
        import_job_commit(job_id=list_job.pk)
        took = time.perf_counter() - start
        list_job.refresh_from_db()
        assert list_job.status == ImportJob.Status.COMMITTED, list_job.error
        return request, took

    pair("member import commit (every member, unchanged)", member_commit)


def _named(data: bytes, name: str) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = name
    return upload


if __name__ == "__main__":
    main()
