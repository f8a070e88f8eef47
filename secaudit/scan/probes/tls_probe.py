"""The TLS probe: protocol versions and the certificate of an https URL, and nmap's cipher list when asked."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from secaudit.model import ProbeKind, Profile, Target, TlsFacts
from secaudit.model.drift import DriftKind, DriftState
from secaudit.model.facts import CertificateInfo
from secaudit.scan.probes.base import Change, Collected, DriftPolicy, ProbeContext
from secaudit.scan.probes.tls_ciphers import enumerate_ciphers, wants_enumeration
from secaudit.scan.scope import ApprovedTarget


class TlsProbe:
    """Which TLS versions an https endpoint offers, its certificate, and (with ssl-enum-ciphers) its suites."""

    kind = ProbeKind.TLS
    facts_model = TlsFacts

    def plans_for(self, target: Target) -> bool:
        """https URL targets only."""
        return target.url is not None and urlsplit(target.url).scheme == "https"

    def needs_nmap(self, profile: Profile) -> bool:
        """Only when the profile names ssl-enum-ciphers."""
        return wants_enumeration(profile.nmap)

    def collect(self, approved: ApprovedTarget, context: ProbeContext) -> Collected:
        """Handshake within the profile's deadline, then enumerate ciphers with nmap if the profile asks."""
        # imported here: a ports-only run need not pay for cryptography
        from secaudit.scan.probes import tls

        profile = context.profile
        facts = tls.probe_tls(approved, profile.probe_timeout_s, context.now)
        if context.nmap is not None and wants_enumeration(profile.nmap) and facts.error is None:
            facts.ciphers, facts.cipher_enumeration_error = enumerate_ciphers(
                facts.address, facts.port, profile.nmap, context.nmap
            )
        return Collected([facts])

    def error_facts(self, approved: ApprovedTarget, message: str) -> TlsFacts:
        """Facts of an endpoint whose handshakes could not be made."""
        address = str(approved.preferred_address() or "unresolved")
        return TlsFacts(
            target=approved.label, address=address, port=approved.target.url_port, sni=approved.hostname, error=message
        )

    def answered(self, facts: TlsFacts) -> bool:
        """Any facts without error."""
        return facts.error is None

    def pairing(self, facts: TlsFacts) -> Hashable:
        """One URL target on one port."""
        return (facts.target, facts.port)

    def changes(self, pairs: Sequence[tuple[TlsFacts, TlsFacts]], policy: DriftPolicy) -> Iterator[Change]:
        """Protocol versions offered or withdrawn, a new certificate, and one entering or leaving the warning."""
        for prev, new in pairs:
            yield from _protocol_changes(prev, new)
            yield from _certificate_changes(prev, new, policy.cert_expiry_warning_days)


def _protocol_changes(prev: TlsFacts, new: TlsFacts) -> Iterator[Change]:
    for version in sorted(set(prev.protocols) | set(new.protocols)):
        was = prev.protocols[version].offered if version in prev.protocols else None
        now = new.protocols[version].offered if version in new.protocols else None
        if was is None or now is None or was == now:
            continue
        state = DriftState.NEW if now else DriftState.RESOLVED
        message = f"{version} is {'now' if now else 'no longer'} offered by {new.target}"
        yield Change(DriftKind.TLS_PROTOCOL, new.target, version, state, message, was, now)


def _certificate_changes(prev: TlsFacts, new: TlsFacts, warning_days: int) -> Iterator[Change]:
    target = new.target
    a, b = prev.certificate, new.certificate
    if a is None or b is None:
        return
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
        yield Change(
            DriftKind.CERTIFICATE,
            target,
            "leaf",
            DriftState.CHANGED,
            f"certificate of {target} changed ({', '.join(moved)}); expires {b.not_after.date().isoformat()}",
            _summary(a),
            _summary(b),
        )
    was_expiring = a.days_left <= warning_days
    now_expiring = b.days_left <= warning_days
    if now_expiring and not was_expiring:
        yield Change(
            DriftKind.CERTIFICATE_EXPIRING,
            target,
            "leaf",
            DriftState.NEW,
            f"certificate of {target} expires in {b.days_left} days ({b.not_after.date().isoformat()}), "
            f"within the {warning_days}-day warning",
            _summary(a),
            _summary(b),
        )
    elif was_expiring and not now_expiring:
        yield Change(
            DriftKind.CERTIFICATE_EXPIRING,
            target,
            "leaf",
            DriftState.RESOLVED,
            f"certificate of {target} now has {b.days_left} days left",
            _summary(a),
            _summary(b),
        )


def _summary(cert: CertificateInfo) -> dict[str, Any]:
    return {
        "sha256": cert.sha256,
        "subject": cert.subject,
        "issuer": cert.issuer,
        "not_after": cert.not_after.isoformat(),
        "days_left": cert.days_left,
    }
