"""Online services: inventory, classification, attributes and scan scope."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import socket
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from secaudit.model.classification import Classification as Classification
from secaudit.model.common import Date, LocalizedText, Slug, StrictModel, UniqueList, describe_value

HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")

Port = Annotated[StrictInt, Field(ge=1, le=65535)]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Addresses no host has: 0.0.0.0 (with the rest of 0.0.0.0/8, "this network") and :: reach the scanning
# machine itself, 255.255.255.255 is every host on the local link, and a multicast address is a group.
_NOT_A_HOST: tuple[tuple[Network, str], ...] = (
    (ipaddress.ip_network("0.0.0.0/8"), "unspecified (0.0.0.0/8 is this network; 0.0.0.0 is the scanning machine)"),
    (ipaddress.ip_network("::/128"), "unspecified (:: reaches the scanning machine)"),
    (ipaddress.ip_network("255.255.255.255/32"), "broadcast (every host on the local network)"),
    (ipaddress.ip_network("224.0.0.0/4"), "multicast (a group, not a host)"),
    (ipaddress.ip_network("ff00::/8"), "multicast (a group, not a host)"),
)


def not_a_host(value: Address | Network) -> str | None:
    """Why ``value`` (an address, or a network made only of such addresses) can never be a scan target, or None."""
    if isinstance(value, ipaddress.IPv6Address) and value.ipv4_mapped is not None:
        value = value.ipv4_mapped
    for block, reason in _NOT_A_HOST:
        if value.version != block.version:
            continue
        if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
            if value in block:
                return reason
        elif value.subnet_of(block):  # type: ignore[arg-type]
            return reason
    return None


def scannable(value: Address | Network) -> Address | Network:
    """``value`` unchanged, or a ValueError when it is not an address a host can have."""
    reason = not_a_host(value)
    if reason is None:
        return value
    if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
        raise ValueError(f"{value} holds no host address: {reason}")
    raise ValueError(f"{value} is not a host address: {reason}")


def address_as_text(value: object) -> object:
    """Refuse anything but text (or an address object) where an address or network is written."""
    # lax pydantic would read the number 1 as the address 0.0.0.1
    if not isinstance(value, str | ipaddress.IPv4Address | ipaddress.IPv6Address | Network):
        raise ValueError(f"must be an IP address or CIDR, not {describe_value(value)}")
    return value


ScopeAddress = Annotated[Address | Network, BeforeValidator(address_as_text), AfterValidator(scannable)]
"""An address or network a target may be reached at: never unspecified, broadcast or multicast."""


class Cloud(StrEnum):
    """How the service is delivered: the city's own equipment, a cloud model, or an LGWAN-ASP service."""

    NONE = "none"
    IAAS = "iaas"
    PAAS = "paas"
    SAAS = "saas"
    LGWAN_ASP = "lgwan_asp"
    """A service offered over LGWAN by a registered ASP: a delivery model of its own, not SaaS on the Internet."""


class NetworkTier(StrEnum):
    """The tier of the three-tier model (三層の対策) the service lives in."""

    INTERNET = "internet"
    LGWAN = "lgwan"
    MYNUMBER = "mynumber"


class NetworkModel(StrEnum):
    """The city's model of the three-tier separation (α, α′, β, β′), which decides what each tier must add."""

    ALPHA = "alpha"
    ALPHA_PRIME = "alpha_prime"
    BETA = "beta"
    BETA_PRIME = "beta_prime"


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


class Attributes(StrictModel):
    """Service characteristics that decide which controls apply."""

    internet_facing: StrictBool
    personal_data: StrictBool
    mynumber: StrictBool = False
    payment: StrictBool = False
    cloud: Cloud = Cloud.NONE
    outsourced: StrictBool = False
    network_tier: NetworkTier
    network_model: NetworkModel | None = None
    """The city's separation model; None until declared (the model-specific controls then stay out of scope)."""
    standard_system: StrictBool = False
    """The service is a 標準準拠システム or exchanges data with one (地方公共団体情報システムの標準化)."""
    gov_cloud: StrictBool = False
    """The service runs on ガバメントクラウド (デジタル庁), with its connection line and 運用管理補助者."""
    generative_ai: StrictBool = False
    """Generative AI is used in the service's work: by staff, or in features residents see (a chatbot)."""
    remote_access: StrictBool = False
    """Staff or contractors reach the service's systems from outside the city's offices (telework, VPN,
    remote maintenance)."""


def validate_host(value: str) -> str:
    """Accept a hostname, an IP address or a CIDR; refuse anything an nmap could read as an option,
    and addresses that are no host (unspecified, broadcast, multicast)."""
    if not value or value != value.strip() or any(ch.isspace() for ch in value):
        raise ValueError("must be a hostname, IP address or CIDR without whitespace")
    if value.startswith("-"):
        raise ValueError("must not start with '-'")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        address = None
    if address is not None:
        scannable(address)
        return value
    if "/" in value:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ValueError(f"not a valid CIDR: {exc}") from None
        scannable(network)
        return value
    if not HOSTNAME_RE.match(value):
        raise ValueError("not a valid hostname, IP address or CIDR")
    try:
        socket.inet_aton(value)
    except OSError:
        return value.lower().rstrip(".")
    # '0', '127.1', '0x7f000001': the resolver reads these as IPv4 addresses (0 is 0.0.0.0), no DNS asked
    raise ValueError(f"'{value}' is an IPv4 address in a shorthand form; write it as four numbers, a.b.c.d")


class Target(StrictModel):
    """One thing in scope: a host (scanned for ports) or a URL (visited by TLS and HTTP probes)."""

    host: str | None = None
    url: str | None = None
    addresses: UniqueList[ScopeAddress] = Field(default_factory=list)
    ports: UniqueList[Port] = Field(default_factory=list)
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
        hostname = urlsplit(self.url or "").hostname
        if hostname is None:
            raise ValueError(f"target {self.url!r} names no host")
        return hostname

    @property
    def url_port(self) -> int:
        """The port a URL target connects to."""
        if self.url is None:
            raise ValueError(f"target {self.host} is a host, not a URL: it has no URL port")
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def label(self) -> str:
        """How the target is named in output."""
        return self.url if self.url is not None else str(self.host)


class Scope(StrictModel):
    """What may be scanned, on whose authority, until when."""

    authorized_by: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    authorized_until: Date
    targets: list[Target] = Field(default_factory=list)
    zone: Slug | None = None
    """The network zone its scans run from (a sensor is trusted per zone); default: the service's network tier."""

    @field_validator("targets")
    @classmethod
    def _distinct(cls, targets: list[Target]) -> list[Target]:
        # one host with two port lists, or one URL twice: which one is meant is anybody's guess
        seen: dict[str, int] = {}
        for index, target in enumerate(targets):
            if target.label in seen:
                raise ValueError(f"targets[{seen[target.label]}] and targets[{index}] are both '{target.label}'")
            seen[target.label] = index
        return targets

    def is_authorised(self, today: dt.date) -> bool:
        """True while the authorisation has not expired."""
        return today <= self.authorized_until


CRON_REFERENCE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
CRON_HORIZON_YEARS = 5
"""A schedule must fire within this many years of ``CRON_REFERENCE``: every date but 29 February comes each
year, and 29 February in 2000 and 2004, so an expression that does not fire in those five years never will."""


def _validate_cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5:
        raise ValueError("a schedule is a five-field cron expression, e.g. '0 3 * * 1'")
    from croniter import CroniterError, croniter

    try:
        valid = croniter.is_valid(value)
    except (CroniterError, ValueError, TypeError, KeyError, IndexError):
        valid = False
    if not valid:
        raise ValueError(f"not a valid cron expression: {value!r}")
    try:
        croniter(value, CRON_REFERENCE, max_years_between_matches=CRON_HORIZON_YEARS).get_next(dt.datetime)
    except (CroniterError, ValueError, TypeError, KeyError, IndexError):
        raise ValueError(f"'{value}' never fires (no such date: e.g. 30 February or 31 April)") from None
    return value


ORGANISATION_ID = "organisation"
"""The reserved respondent id under which the city-wide (organisation-scope) answers are stored; no service
may take it."""


class Service(StrictModel):
    """An online service under audit, as ``services/<id>.yaml`` declares it."""

    id: Slug
    name: LocalizedText
    department: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    owner: Contact
    security_officer: Contact
    launch_date: Date | None = None
    classification: Classification
    attributes: Attributes
    scope: Scope | None = None
    schedule: str | None = None
    checklists: UniqueList[Slug] = Field(default_factory=list)
    """Checked against the catalog where a service file is read (``secaudit.inventory``): a file must name
    at least one checklist, and only known ones."""
    description: LocalizedText | None = None

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == ORGANISATION_ID:
            raise ValueError(
                f"'{ORGANISATION_ID}' is reserved for the city-wide answers "
                "(secaudit questionnaire export --organisation); choose another service id"
            )
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return None if value is None else _validate_cron(value)

    @property
    def zone(self) -> str:
        """The network zone the service's scans run from: ``scope.zone``, else its network tier (三層の対策)."""
        if self.scope is not None and self.scope.zone:
            return self.scope.zone
        return self.attributes.network_tier.value

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
            "network_model": attrs.network_model.value if attrs.network_model else None,
            "standard_system": attrs.standard_system,
            "gov_cloud": attrs.gov_cloud,
            "generative_ai": attrs.generative_ai,
            "remote_access": attrs.remote_access,
            "confidentiality": self.classification.confidentiality,
            "integrity": self.classification.integrity,
            "availability": self.classification.availability,
        }
