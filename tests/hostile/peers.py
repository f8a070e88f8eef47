"""Hostile loopback peers: raw TCP servers that stall, babble, hang up, trickle or flood."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Behaviour = Callable[[socket.socket, threading.Event], None]


@dataclass
class Peer:
    """One listening hostile server; ``connections`` counts the clients it accepted."""

    address: str
    port: int
    connections: int = 0
    stopping: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)


def serve(address: str, behaviour: Behaviour) -> tuple[Peer, Callable[[], None]]:
    """Listen on ``address`` (ephemeral port) and run ``behaviour`` per connection in a daemon thread."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, 0))
    listener.listen(32)
    listener.settimeout(0.1)
    peer = Peer(address, listener.getsockname()[1])

    def handle(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            behaviour(conn, peer.stopping)

    def accept_loop() -> None:
        while not peer.stopping.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            peer.connections += 1
            thread = threading.Thread(target=handle, args=(conn,), daemon=True)
            thread.start()

    loop = threading.Thread(target=accept_loop, daemon=True)
    loop.start()

    def stop() -> None:
        peer.stopping.set()
        loop.join(timeout=2)
        listener.close()

    return peer, stop


def stall(conn: socket.socket, stopping: threading.Event) -> None:
    """Accept and say nothing: a TLS handshake that never gets its ServerHello."""
    stopping.wait(60)


def garbage(conn: socket.socket, stopping: threading.Event) -> None:
    """Answer anything with random bytes, then hang up."""
    conn.settimeout(2)
    with contextlib.suppress(OSError):
        conn.recv(4096)
    conn.sendall(b"\x15\x03\x03" + os.urandom(4096))


def hang_up(conn: socket.socket, stopping: threading.Event) -> None:
    """Close the connection at once."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def _read_request(conn: socket.socket) -> bytes:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def trickle(conn: socket.socket, stopping: threading.Event) -> None:
    """Slowloris in reverse: a status line, then headers one byte a second, forever."""
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    header = b"X-Slow: " + b"a" * 10_000
    for byte in header:
        if stopping.wait(1.0):
            return
        conn.sendall(bytes([byte]))


def header_flood(conn: socket.socket, stopping: threading.Event) -> None:
    """A 50 MB header block."""
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    line = b"X-Flood: " + b"f" * 1000 + b"\r\n"
    sent = 0
    while sent < 50 * 1024 * 1024 and not stopping.is_set():
        conn.sendall(line * 64)
        sent += len(line) * 64
    conn.sendall(b"\r\n")


def redirect_to(location: Callable[[bytes], bytes]) -> Behaviour:
    """Answer every request with a 302 to ``location(request path)``, keeping the connection alive."""

    def behaviour(conn: socket.socket, stopping: threading.Event) -> None:
        while not stopping.is_set():
            request = _read_request(conn)
            if not request:
                return
            path = request.split(b" ", 2)[1] if request.count(b" ") >= 2 else b"/"
            target = location(path)
            conn.sendall(
                b"HTTP/1.1 302 Found\r\nLocation: " + target + b"\r\nContent-Length: 0\r\n\r\n"
            )

    return behaviour


def answer_ok(conn: socket.socket, stopping: threading.Event) -> None:
    """A plain 200 (the page a redirect must never reach)."""
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll ``condition`` for up to ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def tls_trickle(conn: socket.socket, stopping: threading.Event) -> None:
    """A TLS record header announcing 16 KiB, then its body one byte a second: the handshake never ends."""
    conn.settimeout(2)
    with contextlib.suppress(OSError):
        conn.recv(4096)
    conn.sendall(b"\x16\x03\x03\x40\x00")
    while not stopping.wait(1.0):
        conn.sendall(b"\x00")


def body_trickle(conn: socket.socket, stopping: threading.Event) -> None:
    """Complete headers, then a body that announces 100 kB and arrives one byte a second."""
    _read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nServer: TrickleServer/0.1\r\nContent-Length: 100000\r\n\r\n")
    while not stopping.wait(1.0):
        conn.sendall(b"a")
