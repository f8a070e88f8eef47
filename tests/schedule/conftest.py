"""Loopback servers for the scheduling tests: a TLS web server whose certificate can be
swapped, plain TCP listeners, an SMTP server with STARTTLS and a webhook receiver."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import run_cli

LOOPBACK = "127.0.0.1"
SMTP_PASSWORD = "S3cret-smtp-Pa55word-do-not-leak"  # noqa: S105  (a test secret that must never be printed)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class LoopbackPki:
    """A test CA and the files of leaf certificates it signs."""

    folder: Path
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    serial: int = 1

    def __post_init__(self) -> None:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secaudit test CA")])
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.ca_file = self.folder / "ca.pem"
        self.ca_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def leaf(self, days: int) -> tuple[Path, Path]:
        """A certificate for 127.0.0.1 valid for ``days`` more days: (cert file, key file)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, LOOPBACK)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(__import__("ipaddress").ip_address(LOOPBACK))]),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.serial += 1
        cert_path = self.folder / f"leaf{self.serial}.pem"
        key_path = self.folder / f"leaf{self.serial}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return cert_path, key_path

    def server_context(self, days: int) -> ssl.SSLContext:
        """A server context presenting a fresh leaf valid for ``days`` days."""
        cert_path, key_path = self.leaf(days)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert_path, key_path)
        return ctx


class _Web(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802  (http.server's naming)
        body = b"<html><body>ok</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Set-Cookie", "sid=abc; Secure; HttpOnly; SameSite=Lax")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args: Any) -> None:
        return


class TlsSite:
    """An HTTPS server on loopback; ``use(days)`` swaps its certificate, ``stall`` freezes new handshakes."""

    def __init__(self, pki: LoopbackPki, days: int = 200) -> None:
        self.pki = pki
        self.current = pki.server_context(days)
        self.stall = threading.Event()
        self.stalled: list[socket.socket] = []
        site = self

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> tuple[socket.socket, Any]:
                raw, addr = self.socket.accept()
                raw.settimeout(10)
                if site.stall.is_set():
                    site.stalled.append(raw)
                    raise OSError("stalled on purpose")
                return site.current.wrap_socket(raw, server_side=True), addr

        self.server = Server((LOOPBACK, 0), _Web)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def use(self, days: int) -> None:
        """Present a new certificate valid for ``days`` days from now on."""
        self.current = self.pki.server_context(days)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        for sock in self.stalled:
            sock.close()


class Listener:
    """A plain TCP port that accepts and closes connections."""

    def __init__(self, port: int | None = None) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, port or 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


class WebhookReceiver:
    """An HTTP server on loopback that records every JSON POST."""

    def __init__(self, port: int | None = None) -> None:
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                receiver.received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        socketserver.TCPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer((LOOPBACK, port or 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://{LOOPBACK}:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpServer:
    """aiosmtpd on loopback with STARTTLS required before AUTH (or SMTPS, TLS from the start); keeps every message."""

    def __init__(self, pki: LoopbackPki, port: int | None = None, implicit_tls: bool = False) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.messages: list[Any] = []
        self.logins: list[str] = []
        server = self

        class Handler:
            async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                server.messages.append(envelope)
                return "250 OK"

        def authenticator(smtp: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login == b"secaudit"
                and auth_data.password == SMTP_PASSWORD.encode()
            )
            if ok:
                server.logins.append(auth_data.login.decode())
            return AuthResult(success=ok, handled=False)

        self.port = port or free_port()
        tls: dict[str, Any] = (
            {"ssl_context": pki.server_context(365)}  # SMTPS: TLS from the first byte
            if implicit_tls
            else {"tls_context": pki.server_context(365), "require_starttls": True}
        )
        self.controller = Controller(
            Handler(),
            hostname=LOOPBACK,
            port=self.port,
            authenticator=authenticator,
            auth_require_tls=not implicit_tls,  # aiosmtpd counts only STARTTLS as TLS; SMTPS is TLS throughout
            auth_exclude_mechanism=["LOGIN"],
            ready_timeout=10,
            **tls,
        )
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


@pytest.fixture
def pki(tmp_path: Path) -> LoopbackPki:
    folder = tmp_path / "pki"
    folder.mkdir()
    return LoopbackPki(folder)


@pytest.fixture
def site(pki: LoopbackPki) -> Iterator[TlsSite]:
    server = TlsSite(pki)
    yield server
    server.close()


SERVICE_TEMPLATE = """\
id: loop-portal
name: {{ja: ループバック窓口, en: Loopback portal}}
department: テスト課
owner: {{name: Owner, email: owner@city.example.jp}}
security_officer: {{name: Officer, email: officer@city.example.jp}}
classification: {{confidentiality: 2, integrity: 2, availability: 1}}
attributes: {{internet_facing: true, personal_data: true, network_tier: internet}}
scope:
  authorized_by: 情報政策課長
  authorized_until: 2099-12-31
  targets:
    - host: 127.0.0.1
      addresses: [127.0.0.1]
      ports: [{tls_port}, {extra_port}]
    - url: https://127.0.0.1:{tls_port}/
      ca_bundle: {ca_file}
schedule: "0 3 * * 1"
checklists: [mic-baseline]
"""


@pytest.fixture
def loop_workspace(tmp_path: Path, site: TlsSite, pki: LoopbackPki) -> Path:
    """A workspace with one service over the loopback site (plus a closed extra port) and one without scope."""
    root = tmp_path / "ws"
    result = run_cli(["init", str(root), "--organisation-ja", "テスト市", "--organisation-en", "Test City"])
    assert result.exit_code == 0, result.stderr
    (root / "services" / "example-portal.yaml").unlink()
    extra = free_port()
    text = SERVICE_TEMPLATE.format(tls_port=site.port, extra_port=extra, ca_file=pki.ca_file)
    (root / "services" / "loop-portal.yaml").write_text(text, encoding="utf-8")
    no_scope = text.split("scope:")[0].replace("loop-portal", "paper-only") + 'schedule: "0 3 * * 1"\n'
    no_scope += "checklists: [mic-baseline]\n"
    (root / "services" / "paper-only.yaml").write_text(no_scope, encoding="utf-8")
    (root / "extra-port").write_text(str(extra))
    return root


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every JSON object of a JSON-lines log."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
