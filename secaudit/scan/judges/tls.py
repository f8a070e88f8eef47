"""Judges over TlsFacts: protocol versions, negotiated ciphers and the leaf certificate."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from pydantic import Field, field_validator

from secaudit.model import TlsFacts
from secaudit.model.config import ScanSettings
from secaudit.scan.judges.base import (
    ERROR,
    FAIL,
    NOT_RUN,
    PASS,
    Assertion,
    NoParameters,
    Parameters,
    Said,
    Verdict,
    both,
    listing,
)

KNOWN_VERSIONS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")


class Protocols(Parameters):
    """A set of protocol versions, named as Python's ssl module names them."""

    protocols: list[str] = Field(min_length=1)

    @field_validator("protocols")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in KNOWN_VERSIONS]
        if unknown:
            raise ValueError(f"unknown protocol(s) {unknown}; known: {list(KNOWN_VERSIONS)}")
        return value


class CipherList(Parameters):
    """The cipher suites (OpenSSL and IANA TLS 1.3 names) a baseline recommends."""

    allowed: list[str] = Field(min_length=1)


class MinDays(Parameters):
    """A minimum number of days; None means the workspace's ``scan.cert_expiry_warning_days``."""

    min_days: int | None = Field(default=None, ge=0)

    def with_workspace(self, settings: ScanSettings) -> Self:
        """The workspace's ``cert_expiry_warning_days`` when the check names no minimum."""
        if self.min_days is not None:
            return self
        return self.model_copy(update={"min_days": settings.cert_expiry_warning_days})


class MaxDays(Parameters):
    """A maximum number of days."""

    max_days: int = Field(ge=1)


class LifespanLimit(Parameters):
    """Certificates issued on or after ``since`` may be valid for at most ``max_days``."""

    since: Annotated[dt.date, Field(strict=False)]
    max_days: int = Field(ge=1)


class LifespanSchedule(Parameters):
    """The maximum validity by issuance date (CA/Browser Forum SC-081), and an optional limit for
    certificates of a private CA named in the target's ``ca_bundle`` (None: the workspace's
    ``scan.private_ca_max_lifespan_days``, else the public schedule)."""

    limits: list[LifespanLimit] = Field(min_length=1)
    private_ca_max_days: int | None = Field(default=None, ge=1)

    def with_workspace(self, settings: ScanSettings) -> Self:
        """The workspace's ``private_ca_max_lifespan_days`` when the check names no private CA limit."""
        if self.private_ca_max_days is not None:
            return self
        return self.model_copy(update={"private_ca_max_days": settings.private_ca_max_lifespan_days})

    @field_validator("limits")
    @classmethod
    def _ascending(cls, value: list[LifespanLimit]) -> list[LifespanLimit]:
        dates = [limit.since for limit in value]
        if dates != sorted(set(dates)):
            raise ValueError("limits must be in ascending order of `since`, one per date")
        return value


class KeyBits(Parameters):
    """Minimum key sizes per key type."""

    rsa_min_bits: int = Field(ge=512)
    ec_min_bits: int = Field(ge=160)


class Algorithms(Parameters):
    """Allowed signature algorithm names (as cryptography names them)."""

    allowed: list[str] = Field(min_length=1)


def protocols_not_offered(facts: TlsFacts, params: Protocols) -> Verdict:
    """Fail when any listed version is accepted; error when one could not be tested."""
    offered, untested = _split(facts, params.protocols)
    details = {"offered": offered, "untested": untested}
    if offered:
        en, ja = both([f"{p} ({facts.protocols[p].cipher})" for p in offered])
        return FAIL, Said(f"offered: {en}", f"受け入れています: {ja}"), details
    if untested:
        return ERROR, _untested(facts, untested), details
    en, ja = both(params.protocols)
    return PASS, Said(f"not offered: {en}", f"受け入れていません: {ja}"), details


def protocols_offered_any(facts: TlsFacts, params: Protocols) -> Verdict:
    """Pass when at least one listed version is accepted."""
    offered, untested = _split(facts, params.protocols)
    details = {"offered": offered, "untested": untested}
    if offered:
        en, ja = both(offered)
        return PASS, Said(f"offered: {en}", f"受け入れています: {ja}"), details
    if untested:
        return ERROR, _untested(facts, untested), details
    en, ja = both(params.protocols)
    return FAIL, Said(f"none offered of {en}", f"{ja} のいずれも受け入れていません"), details


def ciphers_recommended(facts: TlsFacts, params: CipherList) -> Verdict:
    """Fail when a negotiated (or enumerated) cipher suite is outside the recommended list."""
    seen = {f"{v}: {p.cipher}": p.cipher for v, p in facts.protocols.items() if p.offered and p.cipher}
    for version, names in facts.ciphers.items():
        seen.update({f"{version}: {name}": name for name in names})
    if not seen:
        return (
            ERROR,
            Said("not judged: no cipher suite was negotiated", "判定不能: 暗号スイートが一つも合意されませんでした"),
            {},
        )
    allowed = set(params.allowed)
    weak = sorted(label for label, name in seen.items() if name not in allowed)
    details = {"seen": sorted(seen), "not_recommended": weak}
    if weak:
        return FAIL, Said(f"not recommended: {listing(weak, 6)}", f"推奨外: {listing(weak, 6, ja=True)}"), details
    return (
        PASS,
        Said(f"recommended only: {listing(sorted(seen), 6)}", f"推奨のもののみ: {listing(sorted(seen), 6, ja=True)}"),
        details,
    )


def certificate_in_validity(facts: TlsFacts, _params: NoParameters) -> Verdict:
    """Fail when the certificate has expired or is not yet valid at the time of the scan."""
    cert = facts.certificate
    if cert is None:
        return _no_cert(facts)
    details = {"not_before": cert.not_before.isoformat(), "not_after": cert.not_after.isoformat()}
    if cert.days_left < 0 or (facts.observed_at is not None and facts.observed_at >= cert.not_after):
        return (
            FAIL,
            Said(
                f"expired on {cert.not_after:%Y-%m-%d} ({-cert.days_left} days ago)",
                f"{cert.not_after:%Y-%m-%d}に期限切れ（{-cert.days_left}日前）",
            ),
            details,
        )
    if facts.observed_at is not None and facts.observed_at < cert.not_before:
        return (
            FAIL,
            Said(
                f"not valid before {cert.not_before:%Y-%m-%d}", f"{cert.not_before:%Y-%m-%d}より前は有効ではありません"
            ),
            details,
        )
    return (
        PASS,
        Said(
            f"valid {cert.not_before:%Y-%m-%d} to {cert.not_after:%Y-%m-%d}",
            f"有効期間 {cert.not_before:%Y-%m-%d} ～ {cert.not_after:%Y-%m-%d}",
        ),
        details,
    )


def certificate_trusted(facts: TlsFacts, _params: NoParameters) -> Verdict:
    """Fail when the chain does not verify against the system store or the target's CA bundle."""
    cert = facts.certificate
    if cert is None:
        return _no_cert(facts)
    if cert.trusted:
        return (
            PASS,
            Said(
                f"chains to a trusted authority (issuer {cert.issuer})",
                f"信頼された認証局に連鎖します（発行者 {cert.issuer}）",
            ),
            {},
        )
    why = cert.trust_error or "verification failed"
    return (
        FAIL,
        Said(
            f"not trusted: {why} (issuer {cert.issuer})",
            f"信頼できません: {cert.trust_error or '検証に失敗'}（発行者 {cert.issuer}）",
        ),
        {},
    )


def certificate_chain_complete(facts: TlsFacts, _params: NoParameters) -> Verdict:
    """Fail when the server omits an intermediate (the last certificate it sends is issued by neither a trust
    anchor nor a certificate it sent) or sends its chain out of order; not run when the chain was not read."""
    cert = facts.certificate
    if cert is None:
        return _no_cert(facts)
    chain = cert.chain
    if not chain:
        return (
            NOT_RUN,
            Said(
                "not run: the certificates the server sent could not be read",
                "未実施: サーバが送った証明書を読み取れませんでした",
            ),
            {},
        )
    details = {"chain": [c.subject for c in chain], "anchor": cert.chain_anchor}
    for child, parent in zip(chain, chain[1:], strict=False):
        if child.issuer != parent.subject:
            return (
                FAIL,
                Said(
                    f"chain out of order: {parent.subject} does not issue {child.subject} "
                    f"(its issuer is {child.issuer})",
                    f"証明書の順序が不正: {parent.subject} は {child.subject} の発行者ではありません"
                    f"（発行者は {child.issuer}）",
                ),
                details,
            )
    last = chain[-1]
    if last.self_signed or cert.chain_anchor is not None:
        sent = len(chain)
        anchor = cert.chain_anchor or last.subject
        return (
            PASS,
            Said(
                f"complete: {sent} certificate(s) sent, up to {anchor}",
                f"完全: {sent}枚の証明書を送信し、{anchor} まで連鎖します",
            ),
            details,
        )
    return (
        FAIL,
        Said(
            f"incomplete chain: the intermediate certificate {last.issuer} (issuer of {last.subject}) is not sent",
            f"チェーンが不完全: 中間証明書 {last.issuer}（{last.subject} の発行者）が送信されていません",
        ),
        details,
    )


def certificate_hostname_matches(facts: TlsFacts, _params: NoParameters) -> Verdict:
    """Fail when the declared hostname is not among the certificate's subjectAltNames."""
    cert = facts.certificate
    if cert is None:
        return _no_cert(facts)
    details = {"sni": facts.sni, "san": cert.san}
    if cert.hostname_matches:
        return PASS, Said(f"{facts.sni} matches the certificate", f"{facts.sni} は証明書と一致します"), details
    return (
        FAIL,
        Said(
            f"{facts.sni} not in subjectAltName ({listing(cert.san, 6) or 'none'})",
            f"{facts.sni} がsubjectAltNameにありません（{listing(cert.san, 6, ja=True) or 'なし'}）",
        ),
        details,
    )


def certificate_days_left(facts: TlsFacts, params: MinDays) -> Verdict:
    """Fail when fewer than ``min_days`` remain before the certificate expires."""
    cert = facts.certificate
    if cert is None:
        return _no_cert(facts)
    if params.min_days is None:
        return (
            ERROR,
            Said("not judged: no minimum number of days configured", "判定不能: 残り日数の下限が設定されていません"),
            {},
        )
    details = {"days_left": cert.days_left, "min_days": params.min_days}
    if cert.days_left < params.min_days:
        return (
            FAIL,
            Said(
                f"{cert.days_left} days left (minimum {params.min_days})",
                f"残り{cert.days_left}日（最低 {params.min_days}日）",
            ),
            details,
        )
    return PASS, Said(f"{cert.days_left} days left", f"残り{cert.days_left}日"), details


def certificate_max_lifespan(facts: TlsFacts, params: MaxDays) -> Verdict:
    """Fail when the certificate's validity period is longer than ``max_days``."""
    cert = facts.certificate
    if cert is None:
        return _no_cert(facts)
    details = {"lifespan_days": cert.lifespan_days, "max_days": params.max_days}
    if cert.lifespan_days > params.max_days:
        return (
            FAIL,
            Said(
                f"lifespan {cert.lifespan_days} days (maximum {params.max_days})",
                f"有効期間 {cert.lifespan_days}日（上限 {params.max_days}日）",
            ),
            details,
        )
    return PASS, Said(f"lifespan {cert.lifespan_days} days", f"有効期間 {cert.lifespan_days}日"), details


def certificate_lifespan_by_issuance(facts: TlsFacts, params: LifespanSchedule) -> Verdict:
    """Fail when the certificate is valid for longer than the schedule allows on its issuance date."""
    cert = facts.certificate
    if cert is None:
        return _no_cert(facts)
    issued = cert.not_before.date()
    details: dict[str, object] = {"lifespan_days": cert.lifespan_days, "issued": issued.isoformat()}
    if cert.anchor_source == "ca_bundle" and params.private_ca_max_days is not None:
        limit = params.private_ca_max_days
        basis = f"the workspace's limit for certificates of a private CA ({cert.chain_anchor})"
        basis_ja = f"私設認証局（{cert.chain_anchor}）の証明書に対するワークスペースの上限"
    else:
        rule = ([r for r in params.limits if r.since <= issued] or params.limits[:1])[-1]
        limit = rule.max_days
        basis = f"issued {issued}, at most {limit} days for certificates issued from {rule.since}"
        basis_ja = f"{issued}発行: {rule.since}以降に発行された証明書の上限は{limit}日"
    details["max_days"] = limit
    if cert.lifespan_days > limit:
        return (
            FAIL,
            Said(
                f"lifespan {cert.lifespan_days} days, longer than allowed ({basis})",
                f"有効期間 {cert.lifespan_days}日が上限を超えています（{basis_ja}）",
            ),
            details,
        )
    return (
        PASS,
        Said(f"lifespan {cert.lifespan_days} days ({basis})", f"有効期間 {cert.lifespan_days}日（{basis_ja}）"),
        details,
    )


def key_strength(facts: TlsFacts, params: KeyBits) -> Verdict:
    """Fail when an RSA or EC key is below its minimum size, or the key type is not RSA/EC/EdDSA."""
    cert = facts.certificate
    if cert is None:
        return _no_cert(facts)
    label = f"{cert.key_type} {cert.key_bits} bits"
    label_ja = f"{cert.key_type} {cert.key_bits}ビット"
    details = {"key_type": cert.key_type, "key_bits": cert.key_bits}
    minimum = {"RSA": params.rsa_min_bits, "EC": params.ec_min_bits, "Ed25519": 0, "Ed448": 0}.get(cert.key_type)
    if minimum is None:
        return FAIL, Said(f"{label}: key type not accepted", f"{label_ja}: 認めていない鍵の種類です"), details
    if cert.key_bits < minimum:
        return FAIL, Said(f"{label} (minimum {minimum})", f"{label_ja}（最低 {minimum}ビット）"), details
    return PASS, Said(label, label_ja), details


def signature_algorithm_allowed(facts: TlsFacts, params: Algorithms) -> Verdict:
    """Fail when the certificate's signature algorithm is not in ``allowed``."""
    cert = facts.certificate
    if cert is None:
        return _no_cert(facts)
    if cert.signature_algorithm in params.allowed:
        return PASS, Said(cert.signature_algorithm, cert.signature_algorithm), {}
    return (
        FAIL,
        Said(
            f"{cert.signature_algorithm} is not an accepted signature algorithm",
            f"{cert.signature_algorithm} は認めていない署名アルゴリズムです",
        ),
        {},
    )


def _split(facts: TlsFacts, versions: list[str]) -> tuple[list[str], list[str]]:
    offered = [v for v in versions if v in facts.protocols and facts.protocols[v].offered]
    untested = [v for v in versions if v not in facts.protocols or facts.protocols[v].offered is None]
    return offered, untested


def _untested(facts: TlsFacts, untested: list[str]) -> Said:
    support = facts.protocols.get(untested[0])
    error = support.error if support and support.error else None
    en, ja = both(untested)
    return Said(
        f"not tested: {en} ({error or 'no handshake attempted'})",
        f"未確認: {ja}（{error or 'ハンドシェイクを試みていません'}）",
    )


def _no_cert(facts: TlsFacts) -> Verdict:
    return (
        ERROR,
        Said("not judged: no certificate was received", "判定不能: 証明書を受け取れませんでした"),
        {"error": facts.error},
    )


ASSERTIONS: dict[str, Assertion[TlsFacts]] = {
    "protocols_not_offered": Assertion(Protocols, protocols_not_offered, "none of `protocols` is accepted"),
    "protocols_offered_any": Assertion(Protocols, protocols_offered_any, "at least one of `protocols` is accepted"),
    "ciphers_recommended": Assertion(CipherList, ciphers_recommended, "every negotiated suite is in `allowed`"),
    "certificate_in_validity": Assertion(NoParameters, certificate_in_validity, "the leaf is within its validity"),
    "certificate_trusted": Assertion(NoParameters, certificate_trusted, "the chain verifies"),
    "certificate_chain_complete": Assertion(
        NoParameters, certificate_chain_complete, "the server sends every intermediate, in order"
    ),
    "certificate_hostname_matches": Assertion(
        NoParameters, certificate_hostname_matches, "the declared hostname matches a subjectAltName"
    ),
    "certificate_days_left": Assertion(MinDays, certificate_days_left, "at least `min_days` remain"),
    "certificate_max_lifespan": Assertion(MaxDays, certificate_max_lifespan, "validity period <= `max_days`"),
    "certificate_lifespan_by_issuance": Assertion(
        LifespanSchedule, certificate_lifespan_by_issuance, "validity period within the limit of its issuance date"
    ),
    "key_strength": Assertion(KeyBits, key_strength, "RSA >= `rsa_min_bits`, EC >= `ec_min_bits`"),
    "signature_algorithm_allowed": Assertion(Algorithms, signature_algorithm_allowed, "signature in `allowed`"),
}
