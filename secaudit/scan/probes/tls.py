"""The TLS probe: which protocol versions an endpoint accepts, and what its leaf certificate says.

One handshake per version (TLS 1.0 to 1.3) with the client pinned to that
version and legacy ciphers allowed (``@SECLEVEL=0``) so that old protocols
can be detected. When the local OpenSSL cannot offer a version at all, the
version is reported as unknown (``offered: None``) with the reason, never as
"not offered". Connections go to the scope-approved address; SNI carries the
declared hostname.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import socket
import ssl
import threading
import time
import warnings
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from secaudit.model.facts import CertificateInfo, ProtocolSupport, TlsFacts
from secaudit.scan.errors import ProbeFailure
from secaudit.scan.scope import ApprovedTarget

VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
LEGACY_CIPHERS = "ALL:COMPLEMENTOFALL:@SECLEVEL=0"
_WARNINGS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Endpoint:
    """Where to connect and what name to present."""

    address: str
    port: int
    sni: str
    ca_bundle: str | None = None


def probe_tls(approved: ApprovedTarget, timeout_s: float, now: dt.datetime) -> TlsFacts:
    """Collect TLS facts for one https URL target at its approved address."""
    target = approved.target
    port = target.url_port
    address = approved.preferred_address()
    if address is None:
        return TlsFacts(
            target=approved.label,
            address="unresolved",
            port=port,
            sni=approved.hostname,
            error=approved.resolution_error or "no approved address",
            observed_at=now,
        )
    endpoint = Endpoint(str(address), port, approved.hostname, target.ca_bundle)
    return collect_tls(approved.label, endpoint, timeout_s, now)


def collect_tls(label: str, endpoint: Endpoint, timeout_s: float, now: dt.datetime) -> TlsFacts:
    """Handshake once per version, then judge trust of the leaf certificate once."""
    deadline = time.monotonic() + timeout_s
    facts = TlsFacts(target=label, address=endpoint.address, port=endpoint.port, sni=endpoint.sni, observed_at=now)
    leaf: bytes | None = None
    for name in sorted(VERSIONS, key=lambda n: VERSIONS[n], reverse=True):
        support, der = _try_version(endpoint, name, _remaining(deadline))
        facts.protocols[name] = support
        if der is not None and leaf is None:
            leaf = der
    if all(p.offered is None for p in facts.protocols.values()):
        # nothing could be tested (refused, timed out, or no version the local OpenSSL can offer)
        facts.error = next((p.error for p in facts.protocols.values() if p.error), "no handshake attempted")
        return facts
    if leaf is None:
        if not any(p.offered for p in facts.protocols.values()):
            facts.error = "no TLS handshake succeeded with any version"
        return facts
    trusted, trust_error = _verify_trust(endpoint, _remaining(deadline))
    try:
        facts.certificate = describe_certificate(leaf, endpoint.sni, trusted, trust_error, now)
    except CertificateUnreadable as exc:
        facts.error = str(exc)  # the protocol results stay; the certificate checks become errors
    return facts


def _remaining(deadline: float) -> float:
    return max(0.2, deadline - time.monotonic())


def client_context(version: str) -> ssl.SSLContext:
    """A non-verifying client pinned to one protocol version, legacy ciphers allowed."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with _WARNINGS_LOCK, warnings.catch_warnings():
        # detecting TLS 1.0 / 1.1 is the point here; their deprecation in the stdlib is not news
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = VERSIONS[version]
        ctx.maximum_version = VERSIONS[version]
    if VERSIONS[version] < ssl.TLSVersion.TLSv1_3:
        ctx.set_ciphers(LEGACY_CIPHERS)
    return ctx


@cache
def client_can_offer(version: str) -> bool:
    """Whether the local OpenSSL can send a ClientHello for ``version`` at all (no network)."""
    try:
        ctx = client_context(version)
    except (ssl.SSLError, ValueError):
        return False
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = ctx.wrap_bio(incoming, outgoing)
    try:
        conn.do_handshake()
    except ssl.SSLWantReadError:
        return outgoing.pending > 0
    except ssl.SSLError:
        return False
    return True


def _try_version(endpoint: Endpoint, version: str, timeout_s: float) -> tuple[ProtocolSupport, bytes | None]:
    if not client_can_offer(version):
        return ProtocolSupport(offered=None, error=f"the local OpenSSL cannot offer {version}; not tested"), None
    ctx = client_context(version)
    try:
        sock = socket.create_connection((endpoint.address, endpoint.port), timeout=timeout_s)
    except OSError as exc:
        return ProtocolSupport(offered=None, error=f"connect: {exc}"), None
    try:
        with ctx.wrap_socket(sock, server_hostname=_sni(endpoint.sni)) as tls:
            cipher = tls.cipher()
            der = tls.getpeercert(binary_form=True)
            return ProtocolSupport(offered=True, cipher=cipher[0] if cipher else None), der
    except ssl.SSLError as exc:
        return ProtocolSupport(offered=False, error=_short(exc)), None
    except TimeoutError:
        # silence is not a refusal: a server that never answers has not said "not offered"
        return ProtocolSupport(offered=None, error=f"handshake timed out ({version})"), None
    except (ConnectionError, OSError) as exc:
        # a server that drops the connection on an unwanted ClientHello does not offer the version
        return ProtocolSupport(offered=False, error=f"handshake aborted: {exc}"), None
    finally:
        sock.close()


def _verify_trust(endpoint: Endpoint, timeout_s: float) -> tuple[bool, str | None]:
    try:
        ctx = ssl.create_default_context(cafile=endpoint.ca_bundle or None)
    except (OSError, ssl.SSLError) as exc:
        return False, f"CA bundle {endpoint.ca_bundle!r} unusable: {exc}"
    ctx.check_hostname = False  # the hostname is judged separately, so each finding has one cause
    try:
        sock = socket.create_connection((endpoint.address, endpoint.port), timeout=timeout_s)
    except OSError as exc:
        return False, f"connect: {exc}"
    try:
        with ctx.wrap_socket(sock, server_hostname=_sni(endpoint.sni)):
            return True, None
    except ssl.SSLCertVerificationError as exc:
        return False, str(exc.verify_message or exc)
    except (ssl.SSLError, OSError) as exc:
        return False, _short(exc)
    finally:
        sock.close()


class CertificateUnreadable(ProbeFailure):
    """The peer's certificate could not be parsed (malformed or hostile DER)."""


def describe_certificate(
    der: bytes, hostname: str, trusted: bool, trust_error: str | None, now: dt.datetime
) -> CertificateInfo:
    """The leaf certificate's fields, judged against ``hostname`` and the clock ``now``;
    CertificateUnreadable when the DER (chosen by the peer) cannot be parsed."""
    try:
        return _describe(x509.load_der_x509_certificate(der), der, hostname, trusted, trust_error, now)
    except (ValueError, TypeError, OverflowError, UnicodeError, UnsupportedAlgorithm) as exc:
        # cryptography parses lazily: a bad extension or date surfaces at first access
        raise CertificateUnreadable(f"unreadable certificate: {' '.join(str(exc).split())[:200]}") from exc


def _describe(
    cert: x509.Certificate, der: bytes, hostname: str, trusted: bool, trust_error: str | None, now: dt.datetime
) -> CertificateInfo:
    not_before = cert.not_valid_before_utc
    not_after = cert.not_valid_after_utc
    key_type, key_bits = _key(cert)
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"),
        sha256=hashlib.sha256(der).hexdigest(),
        not_before=not_before,
        not_after=not_after,
        days_left=int((not_after - now).total_seconds() / 86400),
        lifespan_days=(not_after - not_before).days,
        san=_san(cert),
        hostname_matches=hostname_matches(cert, hostname),
        trusted=trusted,
        trust_error=trust_error,
        key_type=key_type,
        key_bits=key_bits,
        signature_algorithm=_signature_name(cert),
        self_signed=cert.issuer == cert.subject,
    )


def hostname_matches(cert: x509.Certificate, hostname: str) -> bool:
    """RFC 6125 matching against the subjectAltName (no CN fallback); one-label wildcards only."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    try:
        ip = ipaddress.ip_address(hostname)
    except ValueError:
        ip = None
    if ip is not None:
        return ip in san.get_values_for_type(x509.IPAddress)
    wanted = hostname.lower().rstrip(".")
    for name in san.get_values_for_type(x509.DNSName):
        pattern = name.lower().rstrip(".")
        if pattern == wanted:
            return True
        if pattern.startswith("*.") and "." in wanted:
            head, _, rest = wanted.partition(".")
            if head and rest == pattern[2:]:
                return True
    return False


def _san(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [*san.get_values_for_type(x509.DNSName), *(str(a) for a in san.get_values_for_type(x509.IPAddress))]


def _key(cert: x509.Certificate) -> tuple[str, int]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    return type(key).__name__, 0


def _signature_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def _sni(hostname: str) -> str | None:
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return hostname
    return None  # SNI never carries an IP address


def _short(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason or exc)
    return " ".join(text.split())[:200]
