"""The TLS probe: which protocol versions an endpoint accepts, and what its leaf certificate says.

One handshake per version (TLS 1.0 to 1.3) with the client pinned to that
version and legacy ciphers allowed (``@SECLEVEL=0``) so that old protocols
can be detected. When the local OpenSSL cannot offer a version at all, the
version is reported as unknown (``offered: None``) with the reason, never as
"not offered". Connections go to the scope-approved address; SNI carries the
declared hostname.
"""

from __future__ import annotations

import _ssl
import datetime as dt
import hashlib
import ipaddress
import os
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning

from secaudit.model.facts import CertificateInfo, ChainEntry, ProtocolSupport, TlsFacts
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
    served: list[bytes] | None = None
    for name in sorted(VERSIONS, key=lambda n: VERSIONS[n], reverse=True):
        support, der, chain = _try_version(endpoint, name, _remaining(deadline))
        facts.protocols[name] = support
        if der is not None and leaf is None:
            leaf, served = der, chain
    for name, attempt in (("SSLv3", _try_sslv3), ("SSLv2", _try_sslv2)):
        facts.protocols[name] = attempt(endpoint, _remaining(deadline))
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
    if served:
        facts.certificate.chain_length = len(served)
        described = describe_chain(served, endpoint.ca_bundle)
        if described is not None:
            facts.certificate.chain, facts.certificate.chain_anchor, facts.certificate.anchor_source = described
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


Attempt = tuple[ProtocolSupport, bytes | None, list[bytes] | None]
"""One handshake: the version's support, the leaf's DER, and every certificate the server sent (or None)."""


def _try_version(endpoint: Endpoint, version: str, timeout_s: float) -> Attempt:
    if not client_can_offer(version):
        return ProtocolSupport(offered=None, error=f"the local OpenSSL cannot offer {version}; not tested"), None, None
    ctx = client_context(version)
    try:
        sock = socket.create_connection((endpoint.address, endpoint.port), timeout=timeout_s)
    except OSError as exc:
        return ProtocolSupport(offered=None, error=f"connect: {exc}"), None, None
    try:
        with ctx.wrap_socket(sock, server_hostname=_sni(endpoint.sni)) as tls:
            cipher = tls.cipher()
            der = tls.getpeercert(binary_form=True)
            return ProtocolSupport(offered=True, cipher=cipher[0] if cipher else None), der, served_chain(tls)
    except ssl.SSLError as exc:
        return ProtocolSupport(offered=False, error=_short(exc)), None, None
    except TimeoutError:
        # silence is not a refusal: a server that never answers has not said "not offered"
        return ProtocolSupport(offered=None, error=f"handshake timed out ({version})"), None, None
    except (ConnectionError, OSError) as exc:
        # a server that drops the connection on an unwanted ClientHello does not offer the version
        return ProtocolSupport(offered=False, error=f"handshake aborted: {exc}"), None, None
    finally:
        sock.close()


# SSL 2.0 and 3.0 are prohibited by every baseline, and today's OpenSSL cannot speak them at all: they are
# asked for with a hand-made ClientHello, and only the first bytes of the answer are read.
_SSLV3_SUITES = (0x0035, 0x002F, 0x000A, 0x0005, 0x0004, 0x0009, 0x0016, 0x0039, 0x0033, 0x00FF)
_SSLV2_SPECS = (0x010080, 0x020080, 0x030080, 0x040080, 0x050080, 0x060040, 0x0700C0)


def sslv3_client_hello() -> bytes:
    """An SSL 3.0 ClientHello record offering the suites SSL 3.0 servers commonly accept."""
    suites = b"".join(s.to_bytes(2, "big") for s in _SSLV3_SUITES)
    body = b"\x03\x00" + os.urandom(32) + b"\x00" + len(suites).to_bytes(2, "big") + suites + b"\x01\x00"
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x00" + len(handshake).to_bytes(2, "big") + handshake


def sslv2_client_hello() -> bytes:
    """An SSL 2.0 CLIENT-HELLO offering the SSL 2.0 cipher kinds."""
    specs = b"".join(s.to_bytes(3, "big") for s in _SSLV2_SPECS)
    challenge = os.urandom(16)
    body = b"\x01\x00\x02" + len(specs).to_bytes(2, "big") + b"\x00\x00" + len(challenge).to_bytes(2, "big")
    body += specs + challenge
    return (0x8000 | len(body)).to_bytes(2, "big") + body


def _try_sslv3(endpoint: Endpoint, timeout_s: float) -> ProtocolSupport:
    """Offered when the server answers with a ServerHello for version 3.0."""

    def accepted(reply: bytes) -> bool:
        # record: handshake (22), any version; first message ServerHello (2) whose version is 3.0
        return len(reply) >= 11 and reply[0] == 0x16 and reply[5] == 0x02 and reply[9:11] == b"\x03\x00"

    return _raw_hello(endpoint, timeout_s, "SSLv3", sslv3_client_hello(), accepted)


def _try_sslv2(endpoint: Endpoint, timeout_s: float) -> ProtocolSupport:
    """Offered when the server answers with an SSL 2.0 SERVER-HELLO."""

    def accepted(reply: bytes) -> bool:
        return len(reply) >= 3 and reply[0] & 0x80 == 0x80 and reply[2] == 0x04

    return _raw_hello(endpoint, timeout_s, "SSLv2", sslv2_client_hello(), accepted)


def _raw_hello(
    endpoint: Endpoint, timeout_s: float, version: str, hello: bytes, accepted: Callable[[bytes], bool]
) -> ProtocolSupport:
    try:
        sock = socket.create_connection((endpoint.address, endpoint.port), timeout=timeout_s)
    except OSError as exc:
        return ProtocolSupport(offered=None, error=f"connect: {exc}")
    try:
        sock.sendall(hello)
        reply = b""
        while len(reply) < 11:
            chunk = sock.recv(11 - len(reply))
            if not chunk:
                break
            reply += chunk
    except TimeoutError:
        return ProtocolSupport(offered=None, error=f"handshake timed out ({version})")
    except OSError as exc:
        return ProtocolSupport(offered=False, error=f"handshake aborted: {exc}")
    finally:
        sock.close()
    if accepted(reply):
        return ProtocolSupport(offered=True)
    return ProtocolSupport(offered=False, error=f"{version} refused")


def served_chain(tls: ssl.SSLSocket) -> list[bytes] | None:
    """The certificates the server sent, as it sent them (DER, leaf first); None when Python cannot say.

    Python 3.13 has ``SSLSocket.get_unverified_chain()``; 3.10 to 3.12 have the same call on the
    underlying ``_sslobj``. OpenSSL does not fetch missing intermediates, so this is what the server sent.
    """
    public = getattr(tls, "get_unverified_chain", None)
    if callable(public):
        return [bytes(c) for c in public()]
    private = getattr(getattr(tls, "_sslobj", None), "get_unverified_chain", None)
    chain = private() if callable(private) else None
    if not chain:
        return None
    return [c.public_bytes(_ssl.ENCODING_DER) for c in chain]


MAX_CHAIN = 10
"""More certificates than this in one handshake is not a chain to describe (a hostile server's padding)."""


AnchorSource = Literal["system", "ca_bundle"]


def describe_chain(
    served: list[bytes], ca_bundle: str | None
) -> tuple[list[ChainEntry], str | None, AnchorSource | None] | None:
    """The served chain in order, and the trust anchor that issued its last certificate (with where it was
    found: the target's CA bundle first, then the system's store); None when a certificate is unreadable."""
    try:
        certs = [x509.load_der_x509_certificate(der) for der in served[:MAX_CHAIN]]
        entries = [
            ChainEntry(
                subject=c.subject.rfc4514_string(),
                issuer=c.issuer.rfc4514_string(),
                sha256=hashlib.sha256(der).hexdigest(),
                self_signed=c.issuer == c.subject,
            )
            for c, der in zip(certs, served, strict=False)
        ]
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm):
        return None
    last = certs[-1]
    sources: tuple[tuple[AnchorSource, tuple[x509.Name, ...]], ...] = (
        ("ca_bundle", bundle_anchors(ca_bundle)),
        ("system", system_anchors()),
    )
    for source, anchors in sources:
        for anchor in anchors:
            if anchor == last.issuer or anchor == last.subject:
                return entries, anchor.rfc4514_string(), source
    return entries, None, None


def bundle_anchors(path: str | None) -> tuple[x509.Name, ...]:
    """The subjects of the certificates in a CA bundle (PEM); none when there is no bundle or it is unreadable."""
    if not path:
        return ()
    return _pem_subjects(Path(path))


@cache
def system_anchors() -> tuple[x509.Name, ...]:
    """The subjects of the system's trusted certificates (OpenSSL's default CA file, else its CA folder)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and os.path.isfile(candidate):
            return _pem_subjects(Path(candidate))
    folder = paths.capath or paths.openssl_capath
    names: list[x509.Name] = []
    if folder and os.path.isdir(folder):
        for entry in sorted(Path(folder).iterdir()):
            if entry.is_file():
                names.extend(_pem_subjects(entry))
    return tuple(names)


def _pem_subjects(path: Path) -> tuple[x509.Name, ...]:
    try:
        data = path.read_bytes()
        with warnings.catch_warnings():
            # a system store may hold an old root with a non-positive serial: still an anchor to name
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            return tuple(c.subject for c in x509.load_pem_x509_certificates(data))
    except (OSError, ValueError):
        return ()


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
