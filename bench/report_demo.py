"""The demo service's report, as an officer writes it: seconds and peak memory of `secaudit report`.

Run `make demo` first (it leaves `demo-workspace/` with answers, a scan and a register). Each
format is written by a fresh `secaudit report` process, so the figure is what the officer waits
for: start-up, evaluation and rendering. A second figure is the same report made again inside one
running process (as the owners' portal and the dashboard will make them): evaluation and rendering,
without Python's start-up and imports. Goals (issue 15): the PDF in at most 2 s and under
200 MB, the HTML in under 0.5 s; the PDF's pages are shown beside them.

Not part of `make bench` (it needs the demo's scan targets): run it after `make demo`.

Reproduce: make demo && PYTHONPATH=$PWD python bench/report_demo.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

from figures import figure

REPO = Path(__file__).resolve().parent.parent
SERVICE = "kosodate-portal"


def timed(workspace: Path, fmt: str, out: Path) -> tuple[float, float]:
    """Seconds and peak resident memory (MB) of one `secaudit report` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "secaudit", "report", SERVICE, "--format", fmt, "--lang", "ja", "-o", str(out)],
        cwd=workspace,
        env={**os.environ, "SECAUDIT_WORKSPACE": str(workspace)},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"secaudit report --format {fmt} failed: {done.stderr.strip()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024  # ru_maxrss is in KiB on Linux


WARM = """
import sys, time
from typer.testing import CliRunner
from secaudit.cli.app import app
fmt, out, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
runner = CliRunner()
args = ["report", "kosodate-portal", "--format", fmt, "--lang", "ja", "-o", out]
for i in range(runs + 1):
    started = time.perf_counter()
    result = runner.invoke(app, args)
    if result.exit_code != 0:
        raise SystemExit(result.output)
    if i:
        print(time.perf_counter() - started)
"""


def warm(workspace: Path, fmt: str, out: Path, runs: int) -> list[float]:
    """Seconds of the same report made again in one running process (the first, cold run not counted)."""
    done = subprocess.run(
        [sys.executable, "-c", WARM, fmt, str(out), str(runs)],
        cwd=workspace,
        env={**os.environ, "SECAUDIT_WORKSPACE": str(workspace)},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"in-process report ({fmt}) failed: {done.stdout.strip()} {done.stderr.strip()}")
    return [float(line) for line in done.stdout.split()]


def pages(pdf: Path) -> int:
    """Pages of a PDF: the page tree's /Count, looked for in the file and in its compressed object streams."""
    data = pdf.read_bytes()
    chunks = [data]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            continue
    counts = [int(n) for chunk in chunks for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", chunk)]
    counts += [int(n) for chunk in chunks for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", chunk)]
    return max(counts, default=0)


def main() -> None:
    """Time the demo's Japanese HTML and PDF reports and print them beside their goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=REPO / "demo-workspace")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    workspace = args.workspace.resolve()
    if not (workspace / "secaudit.yaml").is_file():
        raise SystemExit(f"no demo workspace at {workspace}: run `make demo` first")
    with tempfile.TemporaryDirectory() as tmp:
        html = [timed(workspace, "html", Path(tmp) / "r.html") for _ in range(args.runs)]
        pdf = [timed(workspace, "pdf", Path(tmp) / "r.pdf") for _ in range(args.runs)]
        count = pages(Path(tmp) / "r.pdf")
        html_warm = warm(workspace, "html", Path(tmp) / "w.html", args.runs)
        pdf_warm = warm(workspace, "pdf", Path(tmp) / "w.pdf", args.runs)
    command = "PYTHONPATH=$PWD python bench/report_demo.py"
    figure("demo report, HTML (ja)", statistics.median(s for s, _ in html), "s", 0.5, "<", command)
    figure("demo report, PDF (ja)", statistics.median(s for s, _ in pdf), "s", 2.0, "<=", command)
    figure("demo report, PDF peak memory", max(m for _, m in pdf), "MB", 200, "<", command)
    figure("demo report, PDF pages (ja)", count, "pages", 25, "<=", command)
    figure("demo report, HTML (ja), in a running process", statistics.median(html_warm), "s", 0.5, "<", command)
    figure("demo report, PDF (ja), in a running process", statistics.median(pdf_warm), "s", 2.0, "<=", command)


if __name__ == "__main__":
    main()
