"""The run lock: one ``scan --due`` / ``scan --all`` at a time per workspace.

The lock is ``fcntl.flock`` on ``.secaudit/scan.lock``. The kernel drops a
flock when its process dies, so a run killed with SIGKILL never blocks the
next one; the file it leaves behind (with the dead run's pid and start time)
is how the next run learns that a run was interrupted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from secaudit import clock
from secaudit.errors import LockHeld

LOCK_NAME = "scan.lock"


@dataclass(frozen=True)
class LockHolder:
    """Who wrote a lock file: process id and start time (as far as the file says)."""

    pid: int | None
    started_at: dt.datetime | None

    def describe(self) -> str:
        """``pid 123 since 2026-...`` or ``an unknown process``."""
        if self.pid is None:
            return "an unknown process"
        since = f" since {self.started_at.isoformat(timespec='seconds')}" if self.started_at else ""
        return f"pid {self.pid}{since}"


def _parse(text: str) -> LockHolder:
    try:
        data = json.loads(text)
        pid = int(data["pid"])
        started = dt.datetime.fromisoformat(str(data["started_at"]))
    except (ValueError, KeyError, TypeError):
        return LockHolder(None, None)
    return LockHolder(pid, started)


class RunLock:
    """An exclusive, non-blocking lock on ``<data_dir>/scan.lock``; use as a context manager."""

    def __init__(self, data_dir: Path, now: dt.datetime | None = None) -> None:
        self.path = data_dir / LOCK_NAME
        self.started_at = now or clock.now()
        self.stale: LockHolder | None = None
        self._fd: int | None = None
        self._leftover = ""

    def acquire(self) -> RunLock:
        """Take the lock or raise LockHeld at once; remember a stale holder left by a killed run."""
        for _ in range(5):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _parse(os.read(fd, 4096).decode("utf-8", "replace"))
                os.close(fd)
                raise LockHeld(f"another scan run holds {self.path} ({holder.describe()}); try again later") from None
            # The holder before us may have unlinked the file between our open and our flock;
            # a lock on an unlinked inode guards nothing, so open the path again.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            leftover = os.read(fd, 4096).decode("utf-8", "replace").strip()
            if leftover:
                self.stale = _parse(leftover)
                self._leftover = leftover
            record = {"pid": os.getpid(), "started_at": self.started_at.isoformat()}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(record).encode() + b"\n", 0)
            os.fsync(fd)
            self._fd = fd
            return self
        raise LockHeld(f"could not take {self.path}: it keeps being replaced; try again later")

    def hand_back(self) -> None:
        """Drop the lock leaving the file as it was found, so the next run still sees a stale holder's record."""
        if self._fd is None:
            return
        if self._leftover:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, self._leftover.encode() + b"\n", 0)
            os.fsync(self._fd)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        else:
            self.release()

    def release(self) -> None:
        """Remove the lock file and drop the lock (in that order, so no one locks a dead inode)."""
        if self._fd is None:
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
