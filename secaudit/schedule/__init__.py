"""Scheduled scans: what is due, the run lock, drift between runs, notifications.

``due`` and ``drift`` are pure; ``lock`` touches one file in the workspace;
``notify`` talks to SMTP and webhook receivers; ``batch`` runs the due
services and ties the rest together for ``secaudit scan --due``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from secaudit.errors import EnvironmentFailure, InputError

if TYPE_CHECKING:
    from secaudit.model.config import Notifications


class ScheduleError(InputError):
    """A schedule or notification setting cannot be used as written (exit 2)."""


class NotificationError(EnvironmentFailure):
    """A notification could not be delivered; it stays in the outbox for the next run."""


def check_settings(settings: Notifications, workspace_root: Path) -> None:
    """Refuse settings that would leak a secret: a password file inside the workspace."""
    smtp = settings.smtp
    if smtp is None or smtp.password_file is None:
        return
    path = Path(smtp.password_file).expanduser()
    if not path.is_absolute():
        raise ScheduleError("secaudit.yaml: notifications.smtp.password_file: must be an absolute path")
    root = workspace_root.resolve()
    resolved = path.resolve()
    if resolved == root or root in resolved.parents:
        raise ScheduleError(
            "secaudit.yaml: notifications.smtp.password_file: must be outside the workspace "
            "(a workspace is shared and archived; the password must not be)"
        )


__all__ = ["NotificationError", "ScheduleError", "check_settings"]
