"""Drift between two runs of one service: pure functions over facts and observations.

Errored facts are never compared: a probe that could not finish says nothing
about what closed or went away.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import ValidationError

from secaudit.model import Facts, HttpFacts, Observation, ObservationStatus, PortFacts, ScanRun, TlsFacts
from secaudit.model.drift import DriftKind, DriftState
from secaudit.model.facts import CertificateInfo, PortInfo
from secaudit.store.drift import DriftRecord

SECURITY_HEADERS = (
    "Strict-Transport-Security",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Permissions-Policy",
)
COOKIE_FLAGS = ("secure", "httponly", "samesite")
_FACT_MODELS: dict[str, type[PortFacts] | type[TlsFacts] | type[HttpFacts]] = {
    "ports": PortFacts,
    "tls": TlsFacts,
    "http": HttpFacts,
}
F = TypeVar("F", PortFacts, TlsFacts, HttpFacts)
_MAX_AGE_RE = re.compile(r"max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class RunView:
    """What drift reads of one run: the run record, its facts and its observations."""

    run: ScanRun
    facts: list[Facts] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)


@dataclass(frozen=True)
class DriftResult:
    """The changes one run shows against its baseline, and how many checks newly fail."""

    items: list[DriftRecord]
    new_failures: int
    baseline_run_id: str | None

    @property
    def has_news(self) -> bool:
        """True when something appeared or changed (not only resolved) or a check newly fails."""
        return self.new_failures > 0 or any(i.state is not DriftState.RESOLVED for i in self.items)


def parse_facts(rows: Iterable[tuple[str, str, dict[str, Any]]]) -> list[Facts]:
    """Facts as the store keeps them (probe, target, dict) turned back into models; unreadable rows are skipped."""
    parsed: list[Facts] = []
    for probe, _target, data in rows:
        model = _FACT_MODELS.get(probe) or _FACT_MODELS.get(str(data.get("kind")))
        if model is None:
            continue
        try:
            parsed.append(model.model_validate(data))
        except ValidationError:
            continue
    return parsed


def scope_targets(scope: dict[str, Any]) -> Any:
    """The part of a run's scope snapshot that decides comparability: its targets."""
    return scope.get("targets", scope) if isinstance(scope, dict) else scope


def comparable(baseline: ScanRun, run: ScanRun) -> bool:
    """True when ``baseline`` is the same service and profile over the same scope targets as ``run``."""
    return (
        baseline.id != run.id
        and baseline.service_id == run.service_id
        and baseline.profile == run.profile
        and scope_targets(baseline.scope) == scope_targets(run.scope)
    )


def compute_drift(
    previous: RunView | None,
    current: RunView,
    cert_expiry_warning_days: int,
    detected_at: dt.datetime | None = None,
) -> DriftResult:
    """Every change from ``previous`` to ``current``; with no previous run, failing checks are the news."""
    if previous is None:
        failures = sum(1 for o in current.observations if o.status is ObservationStatus.FAIL)
        return DriftResult([], failures, None)
    differ = _Differ(current.run.service_id, current.run.id, previous.run.id, detected_at)
    _ports(differ, previous.facts, current.facts)
    _tls(differ, previous.facts, current.facts, cert_expiry_warning_days)
    _http(differ, previous.facts, current.facts)
    _checks(differ, previous.observations, current.observations)
    new_failures = sum(1 for i in differ.items if i.kind is DriftKind.CHECK_FAILING and i.state is DriftState.NEW)
    return DriftResult(differ.items, new_failures, previous.run.id)


class _Differ:
    def __init__(self, service_id: str, run_id: str, baseline_run_id: str, detected_at: dt.datetime | None) -> None:
        self.detected_at = detected_at
        self.service_id = service_id
        self.run_id = run_id
        self.baseline_run_id = baseline_run_id
        self.items: list[DriftRecord] = []

    def add(
        self, kind: DriftKind, target: str, key: str, state: DriftState, message: str, before: Any, after: Any
    ) -> None:
        self.items.append(
            DriftRecord(
                service_id=self.service_id,
                kind=kind,
                target=target,
                key=key,
                state=state,
                message=message,
                before=before,
                after=after,
                run_id=self.run_id,
                baseline_run_id=self.baseline_run_id,
                detected_at=self.detected_at,
            )
        )


def _usable(facts: Iterable[Facts], kind: type[F]) -> list[F]:
    return [f for f in facts if isinstance(f, kind) and f.error is None]


# --- ports -----------------------------------------------------------------


def _port_summary(info: PortInfo) -> dict[str, Any]:
    return {
        "port": info.port,
        "protocol": info.protocol,
        "service": info.service,
        "product": info.product,
        "version": info.version,
    }


def _ports(differ: _Differ, before: list[Facts], after: list[Facts]) -> None:
    old = {(f.target, f.address): f for f in _usable(before, PortFacts)}
    for new in _usable(after, PortFacts):
        prev = old.get((new.target, new.address))
        if prev is None:
            continue
        known = bool(prev.scanned and new.scanned)  # runs stored without their port set compare every port
        was = {(p.protocol, p.port): p for p in prev.ports if p.state == "open"}
        now = {(p.protocol, p.port): p for p in new.ports if p.state == "open"}
        for proto, port in sorted(set(was) | set(now), key=lambda k: (k[1], k[0])):
            if known and not (prev.covers(port) and new.covers(port)):
                continue
            key = f"{new.address} {proto}/{port}"
            where = f"{new.target} ({new.address})"
            if (proto, port) in now and (proto, port) not in was:
                differ.add(
                    DriftKind.OPEN_PORT,
                    new.target,
                    key,
                    DriftState.NEW,
                    f"port {proto}/{port} is now open on {where}",
                    None,
                    _port_summary(now[(proto, port)]),
                )
            elif (proto, port) in was and (proto, port) not in now:
                differ.add(
                    DriftKind.OPEN_PORT,
                    new.target,
                    key,
                    DriftState.RESOLVED,
                    f"port {proto}/{port} is no longer open on {where}",
                    _port_summary(was[(proto, port)]),
                    None,
                )
            else:
                a, b = was[(proto, port)], now[(proto, port)]
                if (a.product, a.version) != (b.product, b.version) and (a.product or a.version or b.product):
                    differ.add(
                        DriftKind.SERVICE_VERSION,
                        new.target,
                        key,
                        DriftState.CHANGED,
                        f"service on {proto}/{port} at {where} changed from {_label(a)} to {_label(b)}",
                        _port_summary(a),
                        _port_summary(b),
                    )


def _label(info: PortInfo) -> str:
    text = " ".join(x for x in (info.product, info.version) if x)
    return text or "(unidentified)"


# --- tls -------------------------------------------------------------------


def _cert_summary(cert: CertificateInfo) -> dict[str, Any]:
    return {
        "sha256": cert.sha256,
        "subject": cert.subject,
        "issuer": cert.issuer,
        "not_after": cert.not_after.isoformat(),
        "days_left": cert.days_left,
    }


def _tls(differ: _Differ, before: list[Facts], after: list[Facts], warning_days: int) -> None:
    old = {(f.target, f.port): f for f in _usable(before, TlsFacts)}
    for new in _usable(after, TlsFacts):
        prev = old.get((new.target, new.port))
        if prev is None:
            continue
        target = new.target
        for version in sorted(set(prev.protocols) | set(new.protocols)):
            was = prev.protocols[version].offered if version in prev.protocols else None
            now = new.protocols[version].offered if version in new.protocols else None
            if was is None or now is None or was == now:
                continue
            state = DriftState.NEW if now else DriftState.RESOLVED
            message = f"{version} is {'now' if now else 'no longer'} offered by {target}"
            differ.add(DriftKind.TLS_PROTOCOL, target, version, state, message, was, now)
        a, b = prev.certificate, new.certificate
        if a is None or b is None:
            continue
        if a.sha256 != b.sha256:
            moved = [
                name
                for name, x, y in (
                    ("fingerprint", a.sha256, b.sha256),
                    ("issuer", a.issuer, b.issuer),
                    ("subject", a.subject, b.subject),
                    ("expiry", a.not_after, b.not_after),
                )
                if x != y
            ]
            differ.add(
                DriftKind.CERTIFICATE,
                target,
                "leaf",
                DriftState.CHANGED,
                f"certificate of {target} changed ({', '.join(moved)}); expires {b.not_after.date().isoformat()}",
                _cert_summary(a),
                _cert_summary(b),
            )
        was_expiring = a.days_left <= warning_days
        now_expiring = b.days_left <= warning_days
        if now_expiring and not was_expiring:
            differ.add(
                DriftKind.CERTIFICATE_EXPIRING,
                target,
                "leaf",
                DriftState.NEW,
                f"certificate of {target} expires in {b.days_left} days ({b.not_after.date().isoformat()}), "
                f"within the {warning_days}-day warning",
                _cert_summary(a),
                _cert_summary(b),
            )
        elif was_expiring and not now_expiring:
            differ.add(
                DriftKind.CERTIFICATE_EXPIRING,
                target,
                "leaf",
                DriftState.RESOLVED,
                f"certificate of {target} now has {b.days_left} days left",
                _cert_summary(a),
                _cert_summary(b),
            )


# --- http ------------------------------------------------------------------


def _max_age(value: str) -> int | None:
    match = _MAX_AGE_RE.search(value)
    return int(match.group(1)) if match else None


def _weakened(header: str, was: str, now: str) -> bool | None:
    """Whether a header value got weaker, where we can tell; None where we cannot."""
    if header == "Strict-Transport-Security":
        a, b = _max_age(was), _max_age(now)
        lost_subdomains = "includesubdomains" in was.lower() and "includesubdomains" not in now.lower()
        return lost_subdomains or (a is not None and (b is None or b < a))
    if header == "X-Content-Type-Options":
        return was.strip().lower() == "nosniff" and now.strip().lower() != "nosniff"
    return None


def _http(differ: _Differ, before: list[Facts], after: list[Facts]) -> None:
    old = {f.target: f for f in _usable(before, HttpFacts)}
    for new in _usable(after, HttpFacts):
        prev = old.get(new.target)
        if prev is None:
            continue
        target = new.target
        for header in SECURITY_HEADERS:
            was = ", ".join(prev.header(header))
            now = ", ".join(new.header(header))
            if was and not now:
                differ.add(
                    DriftKind.HEADER_MISSING,
                    target,
                    header.lower(),
                    DriftState.NEW,
                    f"{header} is no longer sent by {target}",
                    was,
                    None,
                )
            elif now and not was:
                differ.add(
                    DriftKind.HEADER_MISSING,
                    target,
                    header.lower(),
                    DriftState.RESOLVED,
                    f"{header} is sent again by {target}",
                    None,
                    now,
                )
            elif was != now:
                weaker = _weakened(header, was, now)
                verb = "weakened" if weaker else "changed"
                differ.add(
                    DriftKind.HEADER_VALUE,
                    target,
                    header.lower(),
                    DriftState.CHANGED,
                    f"{header} {verb} on {target}: {was!r} -> {now!r}",
                    was,
                    {"value": now, "weakened": weaker},
                )
        old_cookies = {c.name: c for c in prev.cookies}
        for cookie in new.cookies:
            was_cookie = old_cookies.get(cookie.name)
            if was_cookie is None:
                continue
            for flag in COOKIE_FLAGS:
                had = bool(getattr(was_cookie, flag)) and str(getattr(was_cookie, flag)).lower() != "none"
                has = bool(getattr(cookie, flag)) and str(getattr(cookie, flag)).lower() != "none"
                if had == has:
                    continue
                key = f"{cookie.name}/{flag}"
                if had:
                    differ.add(
                        DriftKind.COOKIE_FLAG_MISSING,
                        target,
                        key,
                        DriftState.NEW,
                        f"cookie {cookie.name} on {target} lost its {flag} flag",
                        getattr(was_cookie, flag),
                        getattr(cookie, flag),
                    )
                else:
                    differ.add(
                        DriftKind.COOKIE_FLAG_MISSING,
                        target,
                        key,
                        DriftState.RESOLVED,
                        f"cookie {cookie.name} on {target} has its {flag} flag again",
                        getattr(was_cookie, flag),
                        getattr(cookie, flag),
                    )


# --- checks ----------------------------------------------------------------


def _checks(differ: _Differ, before: list[Observation], after: list[Observation]) -> None:
    was = {(o.check_id, o.target): o.status for o in before}
    for obs in after:
        prev = was.get((obs.check_id, obs.target))
        key = obs.check_id
        if obs.status is ObservationStatus.FAIL and prev in (ObservationStatus.PASS, None):
            origin = "passed" if prev is ObservationStatus.PASS else "was not judged"
            differ.add(
                DriftKind.CHECK_FAILING,
                obs.target,
                key,
                DriftState.NEW,
                f"check {obs.check_id} now fails on {obs.target} (it {origin} in the previous run): {obs.evidence}",
                prev.value if prev else None,
                obs.status.value,
            )
        elif obs.status is ObservationStatus.PASS and prev is ObservationStatus.FAIL:
            differ.add(
                DriftKind.CHECK_FAILING,
                obs.target,
                key,
                DriftState.RESOLVED,
                f"check {obs.check_id} passes again on {obs.target}",
                prev.value,
                obs.status.value,
            )
