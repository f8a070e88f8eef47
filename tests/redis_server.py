"""A throw-away Redis for the tests: Debian's ``redis-server`` (``make test`` installs it) started on a loopback
port with a password, nothing saved to disk, stopped when the session ends."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """One server for the whole test session; ``url(db)`` gives each test a database number of its own."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is not installed: make test installs it (apt-get install redis-server)"
        self.binary = binary
        self.folder = folder
        self.port = _free_port()
        self.password = f"redis-{uuid.uuid4().hex}"
        self.process: subprocess.Popen[bytes] | None = None
        self._next_db = 0

    def start(self) -> None:
        """Start on 127.0.0.1 only, with a password, no persistence; wait until it answers PING."""
        self.folder.mkdir(parents=True, exist_ok=True)
        settings = {
            "--bind": "127.0.0.1",
            "--port": str(self.port),
            "--requirepass": self.password,
            "--save": "",
            "--appendonly": "no",
            "--dir": str(self.folder),
            "--databases": "64",
        }
        self.process = subprocess.Popen(
            [self.binary, *(part for pair in settings.items() for part in pair)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.05)
        self.stop()
        raise AssertionError("redis-server did not answer within 20 s")

    def ping(self) -> bool:
        """True when the server answers an authenticated PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                return b"+PONG" in conn.recv(100)
        except OSError:
            return False

    def url(self) -> str:
        """The URL of the next database number, emptied first (so no test sees another's messages)."""
        self._next_db = (self._next_db + 1) % 64
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(f"AUTH {self.password}\r\nSELECT {self._next_db}\r\nFLUSHDB\r\n".encode())
            replies = b""
            while replies.count(b"\r\n") < 3:
                chunk = conn.recv(100)
                assert chunk, "redis-server closed the connection"
                replies += chunk
        assert replies == b"+OK\r\n+OK\r\n+OK\r\n", replies
        return f"redis://:{self.password}@127.0.0.1:{self.port}/{self._next_db}"

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.folder, ignore_errors=True)
