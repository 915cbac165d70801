"""Member import speed and memory against openpyxl alone, on a 10,669-member workbook.

    .venv/bin/python bench/bench_import.py [--members 10669] [--runs 3]

Builds the demo cooperative (tocnet.members.demo) in a throw-away SQLite database, writes its
members as an office would (title lines, header, one sheet per region, messy phones, Thai
digits, blank and subtotal rows, a few duplicates), empties the register, then measures
side by side, each run in a fresh process:

- openpyxl alone: load_workbook(read_only=True) and read every cell of every sheet;
- the import: `member_import_file` (check, ImportJob, commit of every member and phone
  with audit events) into the empty register, and again with the register already filled
  (every member unchanged);
- the web path: `import_job_validate` (preview stored in the ImportJob), then
  `member_import_commit`, into another copy of the empty register.

Reports median seconds, the ratio import / openpyxl (target <= 4) and each process's peak
resident memory (target <= 400 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def setup_django(database: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tocnet.settings"
    # As in production: DEBUG off (with DEBUG on Django also records every SQL statement).
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    import django

    django.setup()


def peak_mb() -> float:
    """This process's peak resident memory. ru_maxrss survives exec (a child would report
    its parent's peak), the kernel's VmHWM does not."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(folder: Path, members: int) -> tuple[Path, Path]:
    """A database with units only and the workbook of the demo's members."""
    database = folder / "bench.sqlite3"
    setup_django(database)
    from django.core.management import call_command
    from openpyxl import Workbook

    from tocnet.core.models import AuditEvent
    from tocnet.members.demo import demo_cooperative_create
    from tocnet.members.models import Member, Phone, Representative
    from tocnet.members.tests.import_builders import MEMBER_HEADER

    call_command("migrate", verbosity=0)
    demo_cooperative_create(members=members, seed=2564)
    rng = random.Random(7)
    # A normal workbook, like Excel's, records each sheet's size (<dimension>); a write-only
    # one does not, and then openpyxl scans every sheet once more just to find that out.
    workbook = Workbook()
    workbook.remove(workbook.active)
    regions: dict[str, list[Member]] = {}
    for member in Member.objects.select_related("unit").prefetch_related("phones"):
        province = member.unit.province
        region = f"ภาค {zlib.crc32(province.encode()) % 4 + 1}" if province else "ส่วนกลาง"
        regions.setdefault(region, []).append(member)
    rows_written = 0
    for region, region_members in sorted(regions.items()):
        sheet = workbook.create_sheet(region)
        sheet.append([f"บัญชีรายชื่อสมาชิก สหกรณ์ออมทรัพย์กรมการพัฒนาชุมชน จำกัด ({region})"])
        sheet.append(["ข้อมูล ณ วันที่ 15 มิ.ย. 2564"])
        sheet.append([])
        sheet.append(MEMBER_HEADER)
        previous_unit = None
        for seq, member in enumerate(region_members, start=1):
            if previous_unit and member.unit_id != previous_unit and rng.random() < 0.5:
                sheet.append([None, None, None, f"รวม {seq - 1} คน"])
                sheet.append([])
            previous_unit = member.unit_id
            phones = [p.raw for p in member.phones.all()]
            phone: object = " / ".join(phones) if phones else None
            if phones and rng.random() < 0.03:
                phone = int(phones[0].replace("-", "").replace(" ", "").replace("+66", "0"))
            number: object = member.number
            if rng.random() < 0.02:
                number = int(member.number)
            elif rng.random() < 0.01:
                number = member.number.translate(THAI_DIGITS)
            first = member.first_name if rng.random() > 0.04 else f" {member.first_name}  "
            row = [
                seq,
                number,
                member.title,
                first,
                member.last_name,
                member.position,
                member.unit.name,
                member.district,
                "สมทบ" if member.member_type == "associate" else "สามัญ",
                phone,
                member.email or None,
                member.line_id or None,
            ]
            sheet.append(row)
            rows_written += 1
            if rng.random() < 0.003:  # sent twice: the later row wins
                sheet.append(row)
                rows_written += 1
    workbook_path = folder / "members-bench.xlsx"
    workbook.save(workbook_path)
    # An empty register with the units: the import creates every member.
    AuditEvent.objects.all().delete()
    Representative.objects.all().delete()
    Phone.objects.all().delete()
    Member.objects.all().delete()
    from tocnet.accounts.models import User

    User.objects.all().delete()
    # The database runs in WAL mode: fold the log into the file before it is copied per run.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    print(
        f"workbook: {rows_written} member rows in {len(regions)} sheets, "
        f"{workbook_path.stat().st_size / 1024:.0f} KB",
        flush=True,
    )
    return database, workbook_path


def run_openpyxl(workbook_path: Path) -> dict[str, float]:
    from openpyxl import load_workbook

    started, cpu = time.perf_counter(), time.process_time()
    workbook = load_workbook(workbook_path, read_only=True, data_only=True)
    cells = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows(values_only=True):
            for _value in row:
                cells += 1
    workbook.close()
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "cells": cells,
        "peak_mb": peak_mb(),
    }


def run_import(database: Path, workbook_path: Path) -> dict[str, float]:
    setup_django(database)
    from tocnet.members.importing.planning import summary_counts
    from tocnet.members.importing.services import member_import_file

    data = workbook_path.read_bytes()
    started, cpu = time.perf_counter(), time.process_time()
    outcome = member_import_file(data=data, file_name=workbook_path.name, actor="bench")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, **summary_counts(outcome.summary), "peak_mb": peak_mb()}


def run_web_path(database: Path, workbook_path: Path) -> dict[str, float]:
    """The web's two phases back to back: preview (ImportJob with the parsed rows), confirm."""
    setup_django(database)
    from tocnet.members.importing.services import import_job_validate, member_import_commit

    data = workbook_path.read_bytes()
    started, cpu = time.perf_counter(), time.process_time()
    job = import_job_validate(
        kind="members", data=data, file_name=workbook_path.name, actor="bench"
    )
    preview_s = time.perf_counter() - started
    summary = member_import_commit(job=job, actor="bench")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu,
        "preview_seconds": preview_s,
        "created": summary["created"],
        "peak_mb": peak_mb(),
    }


def in_child(mode: str, *args: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_669)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="Keep the database and workbook here.")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        mode, *paths = args.child
        if mode == "openpyxl":
            result = run_openpyxl(Path(paths[0]))
        elif mode == "web":
            result = run_web_path(Path(paths[0]), Path(paths[1]))
        else:
            result = run_import(Path(paths[0]), Path(paths[1]))
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        database, workbook_path = prepare(folder, args.members)
        reads, imports, reimports, webs = [], [], [], []
        for run in range(args.runs):
            fresh = folder / f"run{run}.sqlite3"
            shutil.copy(database, fresh)
            reads.append(in_child("openpyxl", workbook_path))
            imports.append(in_child("import", fresh, workbook_path))
            reimports.append(in_child("import", fresh, workbook_path))
            fresh_web = folder / f"web{run}.sqlite3"
            shutil.copy(database, fresh_web)
            webs.append(in_child("web", fresh_web, workbook_path))
        first = imports[0]
        print(
            f"rows read {first['rows_read']}: created {first['created']}, "
            f"duplicates {first['duplicates']}, rejected {first['rejected']}; "
            f"re-import unchanged {reimports[0]['unchanged']}, updated {reimports[0]['updated']}"
        )
        read_s = statistics.median(r["seconds"] for r in reads)
        import_s = statistics.median(r["seconds"] for r in imports)
        reimport_s = statistics.median(r["seconds"] for r in reimports)
        for name, runs in (("openpyxl", reads), ("import", imports), ("re-import", reimports)):
            print(
                f"  {name} runs, wall s: "
                + ", ".join(f"{r['seconds']:.2f}" for r in runs)
                + "; CPU s: "
                + ", ".join(f"{r['cpu']:.2f}" for r in runs)
            )

        def median(runs: list[dict[str, float]], key: str) -> float:
            return statistics.median(r[key] for r in runs)

        cells = int(reads[0]["cells"])
        for key, label in (("seconds", "wall clock"), ("cpu", "CPU time")):
            read_s, import_s, reimport_s = (median(r, key) for r in (reads, imports, reimports))
            print(
                f"{label}: openpyxl read-only, every cell ({cells} cells) {read_s:.2f} s; "
                f"import {import_s:.2f} s = {import_s / read_s:.2f}x; "
                f"re-import {reimport_s:.2f} s = {reimport_s / read_s:.2f}x"
            )
        print(
            f"web path (preview, then confirm; {int(webs[0]['created'])} created): preview "
            f"{median(webs, 'preview_seconds'):.2f} s, both {median(webs, 'seconds'):.2f} s"
        )
        print(
            "peak RSS: openpyxl {:.0f} MB, import {:.0f} MB, re-import {:.0f} MB, "
            "web path {:.0f} MB".format(
                max(r["peak_mb"] for r in reads),
                max(r["peak_mb"] for r in imports),
                max(r["peak_mb"] for r in reimports),
                max(r["peak_mb"] for r in webs),
            )
        )


if __name__ == "__main__":
    main()
