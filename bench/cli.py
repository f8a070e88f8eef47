"""Start-up figures of the command line, as cron sees them.

Times ``secaudit --help`` (goal < 0.3 s) and ``secaudit scan --due`` with
nothing due (goal < 0.5 s) in a temporary workspace, each as a fresh
subprocess, and prints the median of several runs beside its goal.

Reproduce: PYTHONPATH=$PWD python bench/cli.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from figures import figure

REPO = Path(__file__).resolve().parent.parent
COMMAND = "PYTHONPATH=$PWD python bench/cli.py"
SERVICE = """\
id: bench-portal
name: {ja: ベンチ, en: Bench}
department: bench
owner: {name: Owner, email: owner@example.jp}
security_officer: {name: Officer, email: officer@example.jp}
classification: {confidentiality: 1, integrity: 1, availability: 1}
attributes: {internet_facing: false, personal_data: false, network_tier: internet}
schedule: "0 3 * * 1"
checklists: [mic-baseline]
"""


def secaudit(args: list[str], cwd: Path, cache: Path) -> float:
    """Seconds one ``python -m secaudit ARGS`` takes, start to exit, with bytecode cached as an install has it."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONPYCACHEPREFIX": str(cache)}
    env.pop("SECAUDIT_WORKSPACE", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "secaudit", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in (0,):
        raise SystemExit(f"secaudit {' '.join(args)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed


def median_of(args: list[str], cwd: Path, cache: Path, runs: int) -> float:
    """The median of ``runs`` timings, after one warm-up run (bytecode caches)."""
    secaudit(args, cwd, cache)
    return statistics.median(secaudit(args, cwd, cache) for _ in range(runs))


def main() -> None:
    """Print each figure beside its goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        cache = Path(tmp) / "pycache"
        secaudit(["init", str(root)], Path(tmp), cache)
        (root / "services" / "example-portal.yaml").unlink()
        (root / "services" / "bench-portal.yaml").write_text(SERVICE, encoding="utf-8")
        figures = [
            ("secaudit --help", ["--help"], 0.3),
            ("secaudit scan --due (nothing due)", ["scan", "--due"], 0.5),
        ]
        print(f"median of {runs} runs, python {sys.version.split()[0]}, bytecode cached (as after pip install)")
        for label, args, goal in figures:
            figure(label, median_of(args, root, cache, runs), "s", goal, "<", f"{COMMAND} --runs {runs}")
    print(f"reproduce: {COMMAND} --runs {runs}")


if __name__ == "__main__":
    main()
