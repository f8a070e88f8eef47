"""A probe's wall-clock deadline over its sockets.

Socket timeouts bound each read, not the whole exchange: a peer that
trickles one byte a second never trips them. The watchdog shuts every
watched socket down when the deadline passes, which wakes a blocked read.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time


class Watchdog:
    """Shuts down every watched socket once ``deadline`` (a ``time.monotonic()`` value) passes."""

    def __init__(self, deadline: float) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.expired = False
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: object) -> None:
        """Cut ``sock`` at the deadline (at once when it has already passed)."""
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            if not self.expired:
                self._sockets.append(sock)
                return
        _cut(sock)

    def close(self) -> None:
        """Stop the timer; the sockets are their owners' to close."""
        self._timer.cancel()
        with self._lock:
            self._sockets.clear()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _cut(sock)


def _cut(sock: socket.socket) -> None:
    # the plain socket method: an SSLSocket's own shutdown would drop its TLS state under a reading thread
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
