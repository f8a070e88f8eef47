"""Keeping the original of every accepted workbook, private and named by its hash."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from secaudit import clock
from secaudit.atomic import PRIVATE_FILE, atomic_write_bytes, private_dir


@dataclass(frozen=True)
class ArchivedFile:
    """Where the original went and its SHA-256."""

    path: Path
    sha256: str


def sha256_of(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def archive_original(data_dir: Path, service_id: str, data: bytes, suffix: str = ".xlsx") -> ArchivedFile:
    """Write ``data`` under ``<data_dir>/archive/<service>/`` (0600, folders 0700); the id is a validated slug."""
    digest = sha256_of(data)
    folder = private_dir(private_dir(data_dir / "archive") / service_id)
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{digest[:16]}{suffix}"
    atomic_write_bytes(path, data, PRIVATE_FILE)
    return ArchivedFile(path, digest)
