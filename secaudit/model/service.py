"""Online services: inventory, classification, attributes and scan scope."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, StringConstraints, field_validator, model_validator

from secaudit.model.common import LocalizedText, Slug, StrictModel

HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")

Port = Annotated[int, Field(ge=1, le=65535)]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Cloud(StrEnum):
    """How the service uses cloud computing."""

    NONE = "none"
    IAAS = "iaas"
    PAAS = "paas"
    SAAS = "saas"


class NetworkTier(StrEnum):
    """The tier of the three-tier model (三層の対策) the service lives in."""

    INTERNET = "internet"
    LGWAN = "lgwan"
    MYNUMBER = "mynumber"


class Contact(StrictModel):
    """A person responsible for the service."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]
    email: Annotated[str, StringConstraints(max_length=320)]
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not EMAIL_RE.match(value):
            raise ValueError("not an e-mail address")
        return value


class Classification(StrictModel):
    """MIC information classification: 機密性 1-3, 完全性 1-2, 可用性 1-2."""

    confidentiality: Annotated[int, Field(ge=1, le=3)]
    integrity: Annotated[int, Field(ge=1, le=2)]
    availability: Annotated[int, Field(ge=1, le=2)]


class Attributes(StrictModel):
    """Service characteristics that decide which controls apply."""

    internet_facing: bool
    personal_data: bool
    mynumber: bool = False
    payment: bool = False
    cloud: Cloud = Cloud.NONE
    outsourced: bool = False
    network_tier: NetworkTier


def validate_host(value: str) -> str:
    """Accept a hostname, an IP address or a CIDR; refuse anything an nmap could read as an option."""
    if not value or value != value.strip() or any(ch.isspace() for ch in value):
        raise ValueError("must be a hostname, IP address or CIDR without whitespace")
    if value.startswith("-"):
        raise ValueError("must not start with '-'")
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if "/" in value:
        try:
            ipaddress.ip_network(value, strict=False)
            return value
        except ValueError as exc:
            raise ValueError(f"not a valid CIDR: {exc}") from None
    if not HOSTNAME_RE.match(value):
        raise ValueError("not a valid hostname, IP address or CIDR")
    return value.lower().rstrip(".")


class Target(StrictModel):
    """One thing in scope: a host (scanned for ports) or a URL (visited by TLS and HTTP probes)."""

    host: str | None = None
    url: str | None = None
    addresses: list[Address | Network] = Field(default_factory=list)
    ports: list[Port] = Field(default_factory=list)
    ca_bundle: str | None = None

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        return None if value is None else validate_host(value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if any(ch.isspace() for ch in value) or value.startswith("-"):
            raise ValueError("a URL must not contain whitespace or start with '-'")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https"):
            raise ValueError("a URL must start with http:// or https://")
        if parts.username or parts.password:
            raise ValueError("a URL must not carry credentials")
        if not parts.hostname:
            raise ValueError("a URL needs a host")
        validate_host(parts.hostname)
        try:
            _ = parts.port
        except ValueError as exc:
            raise ValueError(f"bad port in URL: {exc}") from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Target:
        if (self.host is None) == (self.url is None):
            raise ValueError("a target is either 'host' or 'url', not both and not neither")
        if self.url is not None and self.ports:
            raise ValueError("'ports' belong to host targets; a URL carries its port")
        return self

    @property
    def hostname(self) -> str:
        """The host name (or address) the target names."""
        if self.host is not None:
            return self.host
        assert self.url is not None
        hostname = urlsplit(self.url).hostname
        assert hostname is not None
        return hostname

    @property
    def url_port(self) -> int:
        """The port a URL target connects to."""
        assert self.url is not None
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def label(self) -> str:
        """How the target is named in output."""
        return self.url if self.url is not None else str(self.host)


class Scope(StrictModel):
    """What may be scanned, on whose authority, until when."""

    authorized_by: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    authorized_until: dt.date
    targets: list[Target] = Field(default_factory=list)

    def is_authorised(self, today: dt.date) -> bool:
        """True while the authorisation has not expired."""
        return today <= self.authorized_until


def _validate_cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5:
        raise ValueError("a schedule is a five-field cron expression, e.g. '0 3 * * 1'")
    from croniter import croniter

    if not croniter.is_valid(value):
        raise ValueError(f"not a valid cron expression: {value!r}")
    return value


class Service(StrictModel):
    """An online service under audit, as ``services/<id>.yaml`` declares it."""

    id: Slug
    name: LocalizedText
    department: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    owner: Contact
    security_officer: Contact
    launch_date: dt.date | None = None
    classification: Classification
    attributes: Attributes
    scope: Scope | None = None
    schedule: str | None = None
    checklists: list[Slug] = Field(default_factory=list)
    description: LocalizedText | None = None

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return None if value is None else _validate_cron(value)

    def facts(self) -> dict[str, Any]:
        """The values ``applies_if`` expressions test."""
        attrs = self.attributes
        return {
            "internet_facing": attrs.internet_facing,
            "personal_data": attrs.personal_data,
            "mynumber": attrs.mynumber,
            "payment": attrs.payment,
            "cloud": attrs.cloud.value,
            "outsourced": attrs.outsourced,
            "network_tier": attrs.network_tier.value,
            "confidentiality": self.classification.confidentiality,
            "integrity": self.classification.integrity,
            "availability": self.classification.availability,
        }
