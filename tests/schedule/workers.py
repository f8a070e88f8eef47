"""Zone workers for the tests: ``secaudit worker --zone`` as separate processes on the suite's Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import REPO

BRISK_PROFILE = """\
profiles:
  - id: brisk
    title: {ja: 短時間スキャン, en: Brisk scan}
    probes: [ports, tls, http]
    nmap: {top_ports: 10, timing: 4, host_timeout_s: 20}
    probe_timeout_s: 4
"""


class Worker:
    """One ``secaudit worker`` process in a session of its own, so that the whole worker (its pool too) can be
    stopped or killed; its output is collected line by line."""

    def __init__(
        self,
        root: Path,
        broker_url: str,
        name: str,
        zone: str = "internet",
        concurrency: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, "-m", "secaudit", "worker", "--zone", zone, "--concurrency", str(concurrency)]
            + ["--name", name],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(REPO), "SECAUDIT_BROKER_URL": broker_url, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        """Everything the worker printed so far."""
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 60) -> bool:
        """True once a line containing ``text`` was printed; False when ``timeout`` passes or the worker ends."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the reader take the last lines
                return any(text in line for line in self.lines)
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        """SIGKILL to the worker and its pool at once: a machine that dies mid-scan."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> int:
        """SIGTERM (warm shutdown, scans under way finish), SIGKILL after 30 s; the exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        try:  # the pool's children left behind, if any
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reader.join(timeout=10)
        return int(self.process.returncode)
