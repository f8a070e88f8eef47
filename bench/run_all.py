"""Run every benchmark in sequence and print each figure beside its goal (what ``make bench`` runs).

Each benchmark runs as its own process with modest default sizes (a few
minutes in all on 2 cores, the 1,000-service portfolio included); its own
output is shown as it goes, then one summary table: figure, value, goal,
met / MISSED. Exit status 0 even when a goal is missed (benchmarks inform,
they do not gate); 1 when a benchmark itself failed to run.

Reproduce: PYTHONPATH=$PWD python bench/run_all.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import FIGURES_ENV, Figure, fmt_value

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

# (script, arguments, arguments with --quick); sizes chosen so the whole run stays within a few minutes.
BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    ("cli.py", ["--runs", "9"], ["--runs", "3"]),
    ("questionnaire.py", ["--workbooks", "20"], ["--workbooks", "5"]),
    ("scan_overhead.py", ["--repetitions", "3"], ["--repetitions", "1"]),
    ("portfolio.py", ["--services", "1000"], ["--services", "100"]),
    ("assess_bench.py", ["1000"], ["200"]),
    ("dashboard_phases.py", ["1000"], ["100"]),
    ("portal.py", ["--owners", "50"], ["--owners", "10", "--think", "0.5"]),
    ("dispatch.py", ["--services", "200"], ["--services", "40"]),
]


def run_one(script: str, args: list[str], figures_file: Path) -> tuple[int, float]:
    """Run one benchmark, streaming its output; return its exit status and seconds."""
    env = {**os.environ, "PYTHONPATH": str(REPO), FIGURES_ENV: str(figures_file)}
    print(f"\n== bench/{script} {' '.join(args)}", flush=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(BENCH / script), *args], cwd=REPO, env=env, check=False)
    return done.returncode, time.perf_counter() - started


def summary(figures: list[Figure]) -> str:
    """The table of every figure with a goal, then those shown for information."""
    width = max((len(f.label.strip()) for f in figures), default=10)
    lines = [f"{'figure':<{width}}  {'value':>12}  {'goal':<12}  result", "-" * (width + 40)]
    for f in sorted(figures, key=lambda f: f.goal is None):
        lines.append(f"{f.label.strip():<{width}}  {fmt_value(f.value, f.unit):>12}  {f.goal_text():<12}  {f.verdict}")
    return "\n".join(lines)


def main() -> None:
    """Run the benchmarks, then print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run, not the figures of record)")
    options = parser.parse_args()
    failed = []
    with tempfile.TemporaryDirectory(prefix="secaudit-bench-") as tmp:
        figures_file = Path(tmp) / "figures.jsonl"
        figures_file.touch()
        timings = []
        for script, args, quick_args in BENCHMARKS:
            code, seconds = run_one(script, quick_args if options.quick else args, figures_file)
            timings.append((script, seconds))
            if code != 0:
                failed.append(f"{script} (exit {code})")
        figures = [Figure(**json.loads(line)) for line in figures_file.read_text(encoding="utf-8").splitlines()]
    print("\n== summary" + (" (--quick sizes: not the figures of record)" if options.quick else ""))
    print(summary(figures))
    met = sum(1 for f in figures if f.met is True)
    missed = [f.label.strip() for f in figures if f.met is False]
    print(f"\n{met} goal(s) met, {len(missed)} missed" + (f": {'; '.join(missed)}" if missed else ""))
    print("benchmark run times: " + ", ".join(f"{s} {t:.0f} s" for s, t in timings))
    if failed:
        print(f"benchmarks that failed to run: {', '.join(failed)}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
