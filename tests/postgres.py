"""A throw-away PostgreSQL cluster for the tests: made with initdb in a temporary folder, listening on a
loopback port and a private socket folder, stopped and removed when the session ends.

Debian's ``postgresql`` package provides the binaries (``make test`` installs it as root). initdb refuses to
run as root, so as root the cluster is made and run as the ``postgres`` user the package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import uuid
from pathlib import Path


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresCluster:
    """One cluster for the whole test session; each test gets a database of its own."""

    def __init__(self, folder: Path) -> None:
        bin_dir = _bin_dir()
        assert bin_dir is not None, (
            "PostgreSQL is not installed: make test installs it as root (apt-get install postgresql)"
        )
        self.bin = bin_dir
        self.folder = folder
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        folder.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(folder, "postgres")

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(args[:1])} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        """initdb (trust on loopback only), then start on 127.0.0.1 with fsync off (throw-away data)."""
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "secaudit", "-E", "UTF8", "--no-sync")
        options = f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(data), "-l", str(self.folder / "server.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its files."""
        data = self.folder / "data"
        if data.exists():
            self._run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` in this cluster."""
        return f"postgresql+psycopg://secaudit@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=secaudit dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by ``create_database`` (its connections are closed first)."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=secaudit dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
