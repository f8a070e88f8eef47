"""Scheduled scans: what is due, the run lock, drift between runs, notifications.

``due`` and ``drift`` are pure; ``lock`` touches one file in the workspace;
``notify`` talks to SMTP and webhook receivers; ``batch`` runs the due
services and ties the rest together for ``secaudit scan --due``.
"""

from secaudit.errors import EnvironmentFailure, InputError


class ScheduleError(InputError):
    """A schedule or notification setting cannot be used as written (exit 2)."""


class NotificationError(EnvironmentFailure):
    """A notification could not be delivered; it stays in the outbox for the next run."""


__all__ = ["NotificationError", "ScheduleError"]
