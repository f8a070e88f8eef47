"""Drift vocabulary: what changed between two scan runs and how (plain enums, no pydantic).

The values are stored in the database and sent in notifications; they never change meaning.
"""

from __future__ import annotations

from enum import StrEnum


class DriftKind(StrEnum):
    """The conditions drift follows between runs."""

    OPEN_PORT = "open_port"
    SERVICE_VERSION = "service_version"
    TLS_PROTOCOL = "tls_protocol"
    CERTIFICATE = "certificate"
    CERTIFICATE_EXPIRING = "certificate_expiring"
    HEADER_MISSING = "header_missing"
    HEADER_VALUE = "header_value"
    COOKIE_FLAG_MISSING = "cookie_flag_missing"
    CHECK_FAILING = "check_failing"
    WEB_FINDING = "web_finding"


class DriftState(StrEnum):
    """``new``: the condition appeared; ``resolved``: it went away; ``changed``: its value moved."""

    NEW = "new"
    RESOLVED = "resolved"
    CHANGED = "changed"
