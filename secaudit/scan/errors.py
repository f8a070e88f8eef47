"""The scan subsystem's exceptions, each in the family that gives its exit code."""

from __future__ import annotations

from secaudit.errors import CatalogError, EnvironmentFailure, InputError


class ScopeError(InputError):
    """The scope guard refused one or more targets; nothing was scanned (exit 2)."""


class ScanEnvironmentError(EnvironmentFailure):
    """A tool the scan needs (nmap) is missing or unusable (exit 3)."""


class CheckDefinitionError(CatalogError):
    """A check names an assertion its probe does not have, or gives it wrong parameters (exit 2)."""


class ProbeFailure(Exception):
    """Raised inside a probe when it cannot finish; the engine records it as error facts."""
