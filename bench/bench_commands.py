"""How fast `tocnet` commands run, whole processes, against the least such a process can do.

    .venv/bin/python bench/bench_commands.py [--members 10669] [--runs 5]

Two ratios (issue #9), each side a fresh process started the same way, timed from outside
(wall clock, and the child's CPU time, which moves less when other work shares the cores):

- planning: `tocnet plan_registers --json` on the demo cooperative (10,669 members, registers
  applied) / a process that starts Django and reads every member's number, district and
  unit. Target <= 2.
- import: `tocnet import_members FILE --json` of a 10.7k-row messy workbook into a register
  holding the units only / a process that reads every cell of that workbook with openpyxl
  (read_only, values_only). Target <= 2.5. Each import run gets a fresh copy of the database.

Runs alternate between the two sides of a ratio so that a change in machine load hits both.
Prints, per process, the best and the median of the runs, the ratios of the medians (the
verdict) and of the best, and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

TOCNET = [str(ROOT / ".venv/bin/tocnet")]
PYTHON = sys.executable

READ_MEMBERS = """
import os
import django
django.setup()
from tocnet.members.models import Member
rows = list(Member.objects.values_list("number", "district", "unit_id"))
print(len(rows))
"""

READ_CELLS = """
import sys
from openpyxl import load_workbook
workbook = load_workbook(sys.argv[1], read_only=True, data_only=True)
cells = sum(len(row) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True))
workbook.close()
print(cells)
"""


def env_for(database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tocnet.settings",
        "DEBUG": "0",  # as in production
        "SECRET_KEY": "bench-only-not-a-secret",
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": f"sqlite:///{database}",
        "PYTHONPATH": str(ROOT),
        # The reading time limit protects the web server; a loaded machine must not stop the
        # measurement (the figure would be meaningless anyway, see the load average printed).
        "IMPORT_MAX_SECONDS": "600",
    }


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, child CPU seconds, last line of output) of one process."""
    before = os.times()
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = os.times()
    if result.returncode != 0:
        raise SystemExit(f"{command} failed:\n{result.stderr[-2000:]}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    lines = result.stdout.strip().splitlines()
    return wall, cpu, (lines[-1] if lines else "")[:120]


def prepare_plan_database(folder: Path, members: int) -> Path:
    """The demo cooperative: units, members, representatives, registers planned and applied."""
    database = folder / "plan.sqlite3"
    env = env_for(database)
    subprocess.run([*TOCNET, "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [*TOCNET, "demo", "--members", str(members), "--seed", "2564"],
        env=env,
        check=True,
        capture_output=True,
    )
    return database


def prepare_import(folder: Path, members: int) -> tuple[Path, Path]:
    """A register with the units only, and the demo's members as an office's messy workbook
    (bench_import.py builds it)."""
    folder.mkdir(parents=True, exist_ok=True)
    code = (
        "import sys; from pathlib import Path; import bench_import; "
        "d, w = bench_import.prepare(Path(sys.argv[1]), int(sys.argv[2])); print(d); print(w)"
    )
    output = subprocess.run(
        [PYTHON, "-c", code, str(folder), str(members)],
        env={**os.environ, "PYTHONPATH": f"{BENCH}:{ROOT}"},
        cwd=BENCH,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return Path(output[-2]), Path(output[-1])


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def summary(name: str, runs: list[tuple[float, float, str]]) -> dict[str, float]:
    walls = [r[0] for r in runs]
    cpus = [r[1] for r in runs]
    figures = {
        "best": min(walls),
        "median": statistics.median(walls),
        "cpu_best": min(cpus),
        "cpu_median": statistics.median(cpus),
    }
    print(
        f"  {name:<34} wall best {figures['best']:.2f} s, median {figures['median']:.2f} s; "
        f"CPU best {figures['cpu_best']:.2f} s, median {figures['cpu_median']:.2f} s  "
        f"(output: {runs[-1][2][:40]})"
    )
    return figures


def ratio(label: str, target: float, command: dict[str, float], base: dict[str, float]) -> None:
    best = command["best"] / base["best"]
    median = command["median"] / base["median"]
    cpu = command["cpu_median"] / base["cpu_median"]
    # Judged by the medians: one fast run of either side (the best) moves a ratio of bests by
    # 20% on a shared machine, the median of several runs much less.
    verdict = "met" if median <= target else "NOT met"
    print(
        f"  {label}: {median:.2f}x median, {best:.2f}x best (CPU {cpu:.2f}x median); "
        f"target <= {target}x: {verdict} (by the medians)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10669)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tocnet-bench-commands-"))
    try:
        print(f"preparing {args.members} members in {folder} ...", flush=True)
        plan_db = prepare_plan_database(folder, args.members)
        import_db, workbook = prepare_import(folder / "import", args.members)
        print(f"load average before: {load_average()}", flush=True)

        plan_env = env_for(plan_db)
        plan_runs, read_runs = [], []
        for _ in range(args.runs):
            read_runs.append(timed([PYTHON, "-c", READ_MEMBERS], plan_env))
            plan_runs.append(timed([*TOCNET, "plan_registers", "--json"], plan_env))

        print(f"{args.runs} runs each (load average now {load_average()}):", flush=True)
        read = summary("start Django, read every member", read_runs)
        plan = summary("tocnet plan_registers --json", plan_runs)
        ratio("planning", 2.0, plan, read)
        sys.stdout.flush()

        cell_runs, import_runs = [], []
        for run in range(args.runs):
            cell_runs.append(timed([PYTHON, "-c", READ_CELLS, str(workbook)], os.environ.copy()))
            copy = folder / f"import-{run}.sqlite3"
            shutil.copy(import_db, copy)
            import_runs.append(
                timed([*TOCNET, "import_members", str(workbook), "--json"], env_for(copy))
            )
            copy.unlink()
        print(f"load average after: {load_average()}")
        cells = summary("openpyxl reads every cell", cell_runs)
        imported = summary("tocnet import_members --json", import_runs)
        ratio("import", 2.5, imported, cells)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
