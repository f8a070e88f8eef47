"""Loopback demo targets for the demo service ``kosodate-portal``.

Starts an HTTPS server on 127.0.0.1 (port 8443 by default) with a certificate
for ``localhost`` issued by a demo CA generated on the spot, so that a scan of
the demo service finds a realistic mix: modern TLS and some security headers,
but no HSTS, no Content-Security-Policy and a server banner that names its
version. Writes into DIR:

  ca.pem         the demo CA certificate (name it as the target's ca_bundle)
  server.pem     the server certificate and key (private, 0600)
  demo_targets.pid

and prints ``ready https://localhost:PORT/`` once it accepts connections. It
runs until it is killed (SIGTERM or SIGINT), then removes its pid file.

    python examples/demo_targets.py --dir DIR [--port 8443]

Only 127.0.0.1 is ever bound: this program serves nothing to the network.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import signal
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "127.0.0.1"
PAGE = """<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>子育て支援オンライン申請（デモ）</title></head>
<body><h1>子育て支援オンライン申請（デモ）</h1>
<p>This is a demo target for secaudit. It serves nothing real.</p></body></html>
""".encode()
# Some but not all of the recommended headers, so the demo report shows passes and findings.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cache-Control": "no-store",
}
SERVER_BANNER = "DemoPortal/1.4.2"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "secaudit demo"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def make_certificates(folder: Path, now: dt.datetime | None = None) -> tuple[Path, Path]:
    """Create a demo CA and a ``localhost`` server certificate it signs; return (ca.pem, server.pem)."""
    moment = now or dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("secaudit demo CA"))
        .issuer_name(_name("secaudit demo CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - dt.timedelta(minutes=5))
        .not_valid_after(moment + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - dt.timedelta(minutes=5))
        .not_valid_after(moment + dt.timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    ca_path, server_path = folder / "ca.pem", folder / "server.pem"
    _write(ca_path, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    _write(server_path, cert.public_bytes(serialization.Encoding.PEM) + _pem_key(key), 0o600)
    return ca_path, server_path


class DemoPortalHandler(BaseHTTPRequestHandler):
    """Serves the demo page with a partial set of security headers."""

    server_version = SERVER_BANNER
    sys_version = ""

    def _send(self, body: bytes | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(PAGE)))
        for name, value in HEADERS.items():
            self.send_header(name, value)
        self.send_header("Set-Cookie", "session=demo; Path=/; Secure; HttpOnly")
        self.end_headers()
        if body is not None:
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802  (the name http.server dispatches to)
        """The demo page."""
        self._send(PAGE)

    def do_HEAD(self) -> None:  # noqa: N802
        """The demo page's headers."""
        self._send(None)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the demo prints only its ready line."""


class TlsHTTPServer(ThreadingHTTPServer):
    """HTTPS as real servers serve it: the TLS handshake in each connection's own thread, and a
    plain-HTTP request on the HTTPS port answered with a 400 page instead of silence.

    Wrapping the listening socket would shake hands inside accept(): one client that connects and
    says nothing would hold up every other client. Answering plain HTTP the way common servers do
    also lets nmap's version detection recognise TLS quickly.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext) -> None:
        super().__init__(address, DemoPortalHandler)
        self.context = context

    def get_request(self) -> tuple[socket.socket, Any]:
        raw, client = self.socket.accept()
        raw.settimeout(HANDSHAKE_TIMEOUT_S)
        return raw, client

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            first = request.recv(1, socket.MSG_PEEK)
            if first and first != b"\x16":  # not a TLS handshake record: plain text on the HTTPS port
                request.sendall(PLAIN_HTTP_REPLY)
                return
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a client that did not speak TLS, or went away: nothing to serve
        super().finish_request(tls, client_address)


PLAIN_HTTP_BODY = b"<html><head><title>400 The plain HTTP request was sent to HTTPS port</title></head></html>\r\n"
PLAIN_HTTP_REPLY = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nConnection: close\r\n"
    + f"Content-Length: {len(PLAIN_HTTP_BODY)}\r\n\r\n".encode()
    + PLAIN_HTTP_BODY
)
HANDSHAKE_TIMEOUT_S = 10.0


def serve(folder: Path, port: int) -> None:
    """Run the HTTPS demo target on 127.0.0.1:port until SIGTERM or SIGINT."""
    _, server_pem = make_certificates(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(server_pem)
    httpd = TlsHTTPServer((HOST, port), context)
    actual_port = httpd.server_address[1]
    pid_file = folder / "demo_targets.pid"
    _write(pid_file, f"{os.getpid()}\n".encode(), 0o644)

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"ready https://localhost:{actual_port}/ (CA: {folder / 'ca.pem'}, pid {os.getpid()})", flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
        pid_file.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description="Loopback demo targets for the secaudit demo service.")
    parser.add_argument("--dir", required=True, type=Path, help="folder for ca.pem, server.pem and the pid file")
    parser.add_argument("--port", type=int, default=8443, help="HTTPS port on 127.0.0.1 (0 picks a free one)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0-65535")
    try:
        serve(args.dir.resolve(), args.port)
    except OSError as exc:
        print(f"error: cannot serve on {HOST}:{args.port}: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
