"""A city's portfolio at scale: assess + register + HTML report for N services, and the dashboard.

Builds a synthetic workspace of N services (``bench/portfolio_workspace.py``:
varied attributes and classifications; checklists mic-baseline, web-service,
cloud-saas and online-payment where they fit), with answers to the applicable
questions (a mix of compliant, partial, non-compliant and missing), a completed
scan run with observations for every check-verified control, and some accepted
risks. Then, each in a fresh interpreter:

* evaluates every service and writes its HTML report the way ``secaudit
  report`` does (``write_report``: assess, register, lifecycle, gate, render,
  atomic write, audit log), timing the total, the median per service and the
  peak memory (max RSS of that process);
* runs ``secaudit dashboard`` over the whole portfolio (the command a user
  runs, start to exit): first when every service changed since the last one
  (each is judged; the figure held to the goal), then with nothing changed
  (remembered rows), then cold again in one process (``SECAUDIT_JOBS=1``).

Goals (1,000 services, 2 cores): reports for all within 60 s and peak memory
under 1 GB; dashboard under 5 s; cost linear in N (``--scale`` shows 100, 300
and 1,000).

Reproduce: PYTHONPATH=$PWD python bench/portfolio.py --services 1000
           PYTHONPATH=$PWD python bench/portfolio.py --scale
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from figures import figure  # noqa: E402
from portfolio_workspace import build_workspace  # noqa: E402

REPORT_GOAL_S = 60.0
MEMORY_GOAL_MB = 1024.0
DASHBOARD_GOAL_S = 5.0
SCALE = (100, 300, 1000)
LINEAR_TOLERANCE = 1.25  # "grows linearly": per-service cost at N no more than 25 % above that at the smallest N
COMMAND = "PYTHONPATH=$PWD python bench/portfolio.py"


def bench_env() -> dict[str, str]:
    """The environment of every timed child: this checkout on the path, bytecode cached as an install has it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("SECAUDIT_WORKSPACE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "secaudit-bench-pycache"))
    return env


def measure_reports(root: Path, out: Path) -> dict[str, float]:
    """In this process: evaluate and write the HTML report of every service; return the timings and peak RSS."""
    from secaudit.inventory import service_files
    from secaudit.pipeline.reporting import write_report
    from secaudit.pipeline.session import Session
    from secaudit.report import ReportFormat

    started = time.perf_counter()
    st = Session(workspace_path=root)
    moment = dt.datetime.now(dt.UTC)
    per_service = []
    for path in service_files(st.workspace().services_dir):
        begun = time.perf_counter()
        write_report(st, path.stem, ReportFormat.HTML, output=out, now=moment)
        per_service.append(time.perf_counter() - begun)
    total = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "services": len(per_service),
        "total_s": total,
        "median_s": statistics.median(per_service),
        "peak_mb": peak_mb,
    }


def measure_dashboard(root: Path, out: Path, jobs: int | None = None) -> float:
    """Seconds ``secaudit dashboard`` takes over the workspace, as a fresh process, start to exit."""
    argv = [sys.executable, "-m", "secaudit", "--workspace", str(root), "dashboard", "-o", str(out)]
    env = bench_env()
    if jobs is not None:
        env["SECAUDIT_JOBS"] = str(jobs)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=900)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"secaudit dashboard exited {done.returncode}: {done.stderr[-800:]}")
    return elapsed


def forget_dashboard_rows(root: Path) -> None:
    """Drop the dashboard's remembered rows, so that the next dashboard judges every service again."""
    import sqlite3

    with sqlite3.connect(root / ".secaudit" / "secaudit.db") as conn:
        conn.execute("DELETE FROM dashboard_rows")


def run_size(count: int) -> dict[str, float]:
    """Build a portfolio of ``count`` services, then measure it in fresh processes."""
    tmp = Path(tempfile.mkdtemp(prefix="secaudit-portfolio-"))
    try:
        root = tmp / "ws"
        began = time.perf_counter()
        made = build_workspace(root, count)
        built = time.perf_counter() - began
        out = tmp / "reports"
        out.mkdir()
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(root), "--out", str(out)],
            capture_output=True,
            text=True,
            env=bench_env(),
            check=False,
            timeout=1800,
        )
        if child.returncode != 0:
            raise SystemExit(f"measuring child failed: {child.stderr[-2000:]}")
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        # The first dashboard judges every service afresh (they all changed since it last ran);
        # the next one reuses each service's remembered row while its inputs are unchanged.
        figures["dashboard_first_s"] = measure_dashboard(root, tmp / "dashboard.html")
        figures["dashboard_s"] = measure_dashboard(root, tmp / "dashboard.html")
        # For information: the same cold dashboard judged in one process (SECAUDIT_JOBS=1).
        forget_dashboard_rows(root)
        figures["dashboard_one_process_s"] = measure_dashboard(root, tmp / "dashboard.html", jobs=1)
        figures["jobs"] = float(
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        )
        figures["build_s"] = built
        figures["controls_mean"] = made["controls"] / count
        figures.update({k: v for k, v in made.items() if k != "controls"})
        return figures
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def print_size(f: dict[str, float], command: str) -> None:
    """The figures of one portfolio size, each beside its goal (report goals scale linearly from 1,000)."""
    n = int(f["services"])
    print(
        f"portfolio of {n} services: {f['controls_mean']:.0f} applicable controls each on average, "
        f"{int(f['answers'])} answers, {int(f['observations'])} observations, {int(f['accepted'])} accepted risks "
        f"(built in {f['build_s']:.0f} s, not timed)"
    )
    figure(
        f"{n} services: assess + register + HTML report, all",
        f["total_s"],
        "s",
        REPORT_GOAL_S * n / 1000,
        "<=",
        command,
    )
    figure(f"{n} services: per service, median", f["median_s"] * 1000, "ms", None, "<", command)
    figure(f"{n} services: peak memory (max RSS)", f["peak_mb"], "MB", MEMORY_GOAL_MB, "<", command)
    figure(
        f"{n} services: secaudit dashboard, every service changed since the last one",
        f["dashboard_first_s"],
        "s",
        DASHBOARD_GOAL_S if n >= 1000 else None,
        "<",
        command,
    )
    figure(
        f"{n} services:   the same, judged in one process (SECAUDIT_JOBS=1; above: {int(f['jobs'])})",
        f["dashboard_one_process_s"],
        "s",
        None,
        "<",
        command,
    )
    figure(
        f"{n} services: secaudit dashboard, nothing changed since the last one",
        f["dashboard_s"],
        "s",
        None,
        "<",
        command,
    )


def main() -> None:
    """Parse arguments; build, measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=1000, help="portfolio size (default 1000)")
    parser.add_argument("--scale", action="store_true", help="measure 100, 300 and 1000 services")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure_reports(args.measure, args.out)))
        return
    sizes = SCALE if args.scale else (args.services,)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; each size measured in fresh processes")
    command = f"{COMMAND} " + ("--scale" if args.scale else f"--services {args.services}")
    results = []
    for n in sizes:
        measured = run_size(n)
        results.append(measured)
        print_size(measured, command)
    if len(results) > 1:
        base = results[0]
        print(
            f"linearity: cost per service relative to N={int(base['services'])} (1.00 = linear; "
            f"held to <= {LINEAR_TOLERANCE:g})"
        )
        for f in results[1:]:
            n = int(f["services"])
            per = f["total_s"] / f["services"] / (base["total_s"] / base["services"])
            dash = f["dashboard_first_s"] / f["services"] / (base["dashboard_first_s"] / base["services"])
            figure(f"  N={n}: reports, per-service cost relative", per, "x", LINEAR_TOLERANCE, "<=", command)
            figure(f"  N={n}: dashboard, per-service cost relative", dash, "x", LINEAR_TOLERANCE, "<=", command)
    print(f"reproduce: {command}")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
