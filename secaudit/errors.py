"""The exception families of secaudit and the exit codes they map to.

Each subsystem raises its own subclass; only the CLI turns one into a message
and an exit code (see ``secaudit.cli.common``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes shared by every command (DESIGN.md)."""

    OK = 0
    POLICY = 1
    INPUT = 2
    ENVIRONMENT = 3
    LOCKED = 75


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where it is."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class SecauditError(Exception):
    """Base of every error secaudit raises on purpose."""

    exit_code: ExitCode = ExitCode.INPUT

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = list(problems or [])

    def lines(self) -> list[str]:
        """One line per problem, or the message alone when there are none."""
        if not self.problems:
            return [self.message]
        return [str(p) for p in self.problems]


class InputError(SecauditError):
    """Bad input or usage: a file, a field, an argument (exit 2)."""

    exit_code = ExitCode.INPUT


class EnvironmentFailure(SecauditError):
    """The environment failed: a missing tool, an unreachable database (exit 3)."""

    exit_code = ExitCode.ENVIRONMENT


class LockHeld(SecauditError):
    """Another run holds the lock; try again later (exit 75)."""

    exit_code = ExitCode.LOCKED


class CatalogError(InputError):
    """A checklist or scanner definition is invalid."""


class ServiceError(InputError):
    """A service definition is invalid or unknown."""


class WorkspaceError(InputError):
    """The workspace is missing or its configuration is invalid."""


class StoreError(EnvironmentFailure):
    """The database could not be opened, migrated or written."""
