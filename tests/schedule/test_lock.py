"""The run lock: exclusive, non-blocking, recovered after a killed run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from secaudit.errors import ExitCode, LockHeld
from secaudit.schedule.lock import LOCK_NAME, RunLock
from tests.conftest import REPO, run_subprocess


def test_second_holder_is_refused_at_once(tmp_path: Path) -> None:
    with RunLock(tmp_path) as first:
        record = json.loads((tmp_path / LOCK_NAME).read_text())
        assert record["pid"] == os.getpid() and first.stale is None
        with pytest.raises(LockHeld, match=f"pid {os.getpid()}") as caught:
            RunLock(tmp_path).acquire()
        assert caught.value.exit_code is ExitCode.LOCKED
    assert not (tmp_path / LOCK_NAME).exists()
    with RunLock(tmp_path):
        pass


def test_leftover_file_from_a_killed_run_is_recovered(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text('{"pid": 4194301, "started_at": "2026-11-26T03:00:00+00:00"}\n')
    with RunLock(tmp_path) as lock:
        assert lock.stale is not None and lock.stale.pid == 4194301
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_garbage_in_a_leftover_file_is_tolerated(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text("not json")
    with RunLock(tmp_path) as lock:
        assert lock.stale is not None and lock.stale.pid is None


HOLDER = """
import sys
from pathlib import Path
from secaudit.schedule.lock import RunLock
with RunLock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()
"""


def test_scan_due_exits_75_while_another_process_holds_the_lock(workspace: Path) -> None:
    data = workspace / ".secaudit"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        result = run_subprocess(["scan", "--due"], cwd=workspace, timeout=60)
        assert result.returncode == 75, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "another scan run holds" in lines[0] and str(holder.pid) in lines[0]
        assert result.stdout == ""
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=10)
