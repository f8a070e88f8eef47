"""Loopback targets for scan tests and the bench: a test CA and small HTTP(S) servers on 127.0.0.1."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import ipaddress
import socket
import socketserver
import ssl
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

GOOD_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "geolocation=()",
    "Set-Cookie": "session=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
}
LEAKY_HEADERS = {"Set-Cookie": "sid=123; Path=/"}


@dataclass
class TestCA:
    """A throwaway certificate authority that writes its certificate to ``bundle``."""

    __test__ = False  # a helper, not a test class

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    bundle: Path

    @classmethod
    def create(cls, folder: Path) -> TestCA:
        """A new CA with its PEM bundle in ``folder``."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secaudit test CA")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        bundle = folder / "test-ca.pem"
        bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(key, cert, bundle)

    def intermediate(self, folder: Path, name: str = "secaudit test intermediate CA") -> TestCA:
        """An intermediate CA under this one (its ``bundle`` holds the intermediate's own certificate)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        bundle = folder / "intermediate.pem"
        bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return TestCA(key, cert, bundle)

    def issue(self, folder: Path, name: str, not_before: dt.datetime, not_after: dt.datetime) -> tuple[Path, Path]:
        """A leaf for localhost and 127.0.0.1; returns (cert.pem, key.pem)."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        cert_path = folder / f"{name}.crt"
        key_path = folder / f"{name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return cert_path, key_path


def make_handler(
    headers: dict[str, str],
    server_header: str,
    trace: bool,
    redirect: str | None = None,
    body: bytes = b"<html><title>welcome</title><body>hello</body></html>",
    hits: list[str] | None = None,
) -> type:
    """A request handler answering GET/HEAD with ``headers``; TRACE echoed only when ``trace``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def version_string(self) -> str:
            return server_header

        def log_message(self, format: str, *args: object) -> None:
            return

        def _reply(self, status: int, body: bytes, extra: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            if hits is not None:
                hits.append(self.path)
            if redirect is not None:
                self._reply(301, b"", {"Location": redirect})
                return
            self._reply(200, body, headers)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_OPTIONS(self) -> None:
            allow = "GET, HEAD, POST, PUT, DELETE, TRACE, OPTIONS" if trace else "GET, HEAD, OPTIONS"
            self._reply(200, b"", {"Allow": allow})

        def do_TRACE(self) -> None:
            if trace:
                self._reply(200, self.requestline.encode("latin-1"), {})
            else:
                self._reply(405, b"", {})

    return Handler


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # failed handshakes from version probing are expected


@dataclass
class Loopback:
    """Started servers (port by name) and how to stop them."""

    ports: dict[str, int] = field(default_factory=dict)
    stoppers: list[Callable[[], None]] = field(default_factory=list)
    ca_bundle: Path | None = None
    tls10_available: bool = False
    tls10_reason: str = ""

    def stop(self) -> None:
        """Shut every server down."""
        for stop in self.stoppers:
            stop()


def serve_http(loop: Loopback, name: str, handler: type, tls: ssl.SSLContext | None = None) -> int:
    """Serve ``handler`` on 127.0.0.1 (optionally over TLS) in a daemon thread; returns the port."""
    server = _Server(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    loop.stoppers.append(stop)
    loop.ports[name] = server.server_address[1]
    return loop.ports[name]


def serve_banner(loop: Loopback, name: str, banner: bytes, read_first: bool = False) -> int:
    """A TCP port that sends ``banner`` on connect and closes (a stray, undeclared service); with
    ``read_first``, it first reads what the client sends (an old TLS server answering a ClientHello)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stopping = threading.Event()

    def run() -> None:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with conn, contextlib.suppress(OSError):
                if read_first:
                    conn.settimeout(2)
                    conn.recv(4096)
                conn.sendall(banner)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=2)
        listener.close()

    loop.stoppers.append(stop)
    loop.ports[name] = listener.getsockname()[1]
    return loop.ports[name]


def server_context(cert: Path, key: Path, minimum: ssl.TLSVersion, legacy: bool = False) -> ssl.SSLContext:
    """A server context offering ``minimum`` and up."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = minimum
    if legacy:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def tls10_server_supported(cert: Path, key: Path) -> tuple[bool, str]:
    """Whether the local OpenSSL can complete a TLS 1.0 handshake with itself (in memory)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return _tls10_handshake(cert, key)


def _tls10_handshake(cert: Path, key: Path) -> tuple[bool, str]:
    try:
        server = server_context(cert, key, ssl.TLSVersion.TLSv1, legacy=True)
        server.maximum_version = ssl.TLSVersion.TLSv1
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname = False
        client.verify_mode = ssl.CERT_NONE
        client.minimum_version = client.maximum_version = ssl.TLSVersion.TLSv1
        client.set_ciphers("ALL:@SECLEVEL=0")
    except (ssl.SSLError, ValueError) as exc:
        return False, f"local OpenSSL refuses TLS 1.0 settings: {exc}"
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client.wrap_bio(c_in, c_out)
    s = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        for side in (c, s):
            try:
                side.do_handshake()
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as exc:
                return False, f"local OpenSSL cannot serve TLS 1.0 even at SECLEVEL=0: {exc}"
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        try:
            if c.version() == "TLSv1" and s.version() == "TLSv1":
                return True, ""
        except ValueError:
            continue
    return False, "TLS 1.0 handshake did not complete in memory"


def start_targets(folder: Path) -> Loopback:
    """Start every loopback target the scan tests and the bench use."""
    loop = Loopback()
    ca = TestCA.create(folder)
    loop.ca_bundle = ca.bundle
    now = dt.datetime.now(dt.UTC)
    good_cert = ca.issue(folder, "good", now - dt.timedelta(days=1), now + dt.timedelta(days=90))
    expired_cert = ca.issue(folder, "expired", now - dt.timedelta(days=100), now - dt.timedelta(days=10))
    try:
        serve_http(loop, "leaky", make_handler(LEAKY_HEADERS, "Apache/2.4.1", trace=True))
        good = serve_http(
            loop,
            "good",
            make_handler(GOOD_HEADERS, "web", trace=False),
            server_context(*good_cert, ssl.TLSVersion.TLSv1_2),
        )
        serve_http(loop, "redirect", make_handler({}, "web", trace=False, redirect=f"https://localhost:{good}/"))
        serve_http(
            loop,
            "expired",
            make_handler(GOOD_HEADERS, "web", trace=False),
            server_context(*expired_cert, ssl.TLSVersion.TLSv1_2),
        )
        loop.tls10_available, loop.tls10_reason = tls10_server_supported(*good_cert)
        if loop.tls10_available:
            serve_http(
                loop,
                "legacy",
                make_handler(GOOD_HEADERS, "web", trace=False),
                server_context(*good_cert, ssl.TLSVersion.TLSv1, legacy=True),
            )
        serve_banner(loop, "stray", b"<script>alert(1)</script> StrayDaemon 1.0\r\n")
    except BaseException:
        loop.stop()
        raise
    return loop


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
