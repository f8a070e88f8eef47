"""The workspace configuration, ``secaudit.yaml``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, StrictBool, StrictFloat, StrictInt, StringConstraints

from secaudit.model.classification import ClassificationScheme
from secaudit.model.common import Language, LocalizedText, Severity, Slug, StrictModel, TimeZoneName, UniqueList
from secaudit.model.service import Network, address_as_text
from secaudit.model.vocab import RiskMatrixKind as RiskMatrixKind


class GatePolicy(StrictModel):
    """When a service may launch (the launch gate)."""

    block_at: Severity = Severity.HIGH
    conditional_at: Severity = Severity.MEDIUM
    require_answers: StrictBool = True
    require_scan: StrictBool = True
    max_scan_age_days: Annotated[StrictInt, Field(ge=1, le=3650)] = 30
    block_unplanned: StrictBool = False


class DispatchMode(StrEnum):
    """Where a batch's scans run."""

    LOCAL = "local"
    CELERY = "celery"


class ScanSettings(StrictModel):
    """Workspace-wide scanning settings."""

    default_profile: Slug = "standard"
    denylist: UniqueList[Annotated[Network, BeforeValidator(address_as_text)]] = Field(default_factory=list)
    cert_expiry_warning_days: Annotated[StrictInt, Field(ge=1, le=3650)] = 30
    private_ca_max_lifespan_days: Annotated[StrictInt, Field(ge=1, le=3650)] | None = None
    """The longest validity accepted for certificates of a private CA named in a target's ``ca_bundle``
    (None: such certificates follow the public CA/Browser Forum schedule)."""
    batch_concurrency: Annotated[StrictInt, Field(ge=1, le=16)] = 2
    stale_run_hours: Annotated[StrictInt, Field(ge=1, le=720)] = 24
    dispatch: DispatchMode = DispatchMode.LOCAL
    """Where ``scan --due`` / ``--all`` scan: here (local), or on workers in each service's zone (celery)."""
    broker_url: Annotated[str, StringConstraints(pattern=r"^(redis|rediss)://\S+$", max_length=500)] | None = None
    """The workers' broker (Redis); ``$SECAUDIT_BROKER_URL`` wins, and keeps a password out of this file."""
    dispatch_deadline_s: Annotated[StrictInt, Field(ge=5, le=7 * 86400)] = 3600
    """How long a dispatched batch waits for the workers; a service not scanned by then is an error (exit 3)."""
    worker_redelivery_s: Annotated[StrictInt, Field(ge=5, le=86400)] = 3600
    """An order taken by a worker that died without finishing goes to another worker of the zone after this long
    (longer than the longest scan: a live worker's order is never handed out twice)."""


class SmtpSettings(StrictModel):
    """Where notification e-mail goes out; the password never lives in this file."""

    host: Annotated[str, StringConstraints(min_length=1, max_length=253)]
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 587
    starttls: StrictBool = True
    implicit_tls: StrictBool = False
    """TLS from the first byte (SMTPS, usually port 465) instead of STARTTLS; ``starttls`` is then unused."""
    username: str | None = None
    password_env: Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]{0,63}$")] | None = None
    password_file: str | None = None
    sender: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    ca_file: str | None = None
    timeout_s: Annotated[StrictFloat, Field(gt=0, le=300)] = 20.0


class WebhookSettings(StrictModel):
    """A URL that receives a JSON POST for each notification."""

    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]


class Notifications(StrictModel):
    """How people are told about drift and errors."""

    smtp: SmtpSettings | None = None
    webhook: WebhookSettings | None = None
    recipients: UniqueList[Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,255}$")]] = Field(
        default_factory=list
    )
    repeat_errors_after_hours: Annotated[StrictInt, Field(ge=1, le=24 * 31)] = 24
    """A scan error already told about is told again only after this long (drift is always told)."""
    give_up_after_hours: Annotated[StrictInt, Field(ge=1, le=24 * 31)] = 72
    """A notification still undelivered this long after it was queued is no longer retried (it stays on record)."""


class PortalSettings(StrictModel):
    """The owners' portal (``secaudit serve``)."""

    public_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$", max_length=300)] = (
        "http://127.0.0.1:8080"
    )
    """The address people open (the city's reverse proxy, with TLS): invitation links start with it, and
    cookies are marked Secure when it is https."""


class WorkspaceConfig(StrictModel):
    """Everything ``secaudit.yaml`` may say."""

    organisation: LocalizedText
    language: Language = Language.JA
    timezone: TimeZoneName = "Asia/Tokyo"
    risk_matrix: RiskMatrixKind = RiskMatrixKind.FIVE
    classification_scheme: ClassificationScheme = ClassificationScheme.R6
    """Which edition's 機密性 levels the services declare: r6 (3A/3B/3C/2/1) or r4 (3/2/1)."""
    auditor: Annotated[str, StringConstraints(max_length=200)] | None = None
    gate: GatePolicy = Field(default_factory=GatePolicy)
    scan: ScanSettings = Field(default_factory=ScanSettings)
    notifications: Notifications = Field(default_factory=Notifications)
    portal: PortalSettings = Field(default_factory=PortalSettings)
    database_url: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The workspace time zone (validated when the file was read, so this cannot fail)."""
        return ZoneInfo(self.timezone)
