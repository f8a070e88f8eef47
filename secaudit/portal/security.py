"""The portal's own protection: response headers, a request-size limit, cookies, and client addresses.

The headers are the ones secaudit's HTTP checks ask of every service (scanners/baseline.yaml): the
portal passes its own audit.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 21 * 1024 * 1024
"""A request larger than this is refused before it is read: an evidence file's limit plus the form around it."""

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
SESSION_COOKIE = "secaudit_session"
SIGN_IN_COOKIE = "secaudit_signin"


class Protect:
    """ASGI middleware: security headers on every response (HSTS when served as https), and a body limit."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = self.https or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in (b"server", b"x-powered-by")]
                given = {k.lower() for k, _ in kept}
                # a response may set a stricter value of its own (a download's CSP sandbox): it is kept
                kept.extend((k, v) for k, v in SECURITY_HEADERS if k not in given)
                if https:
                    kept.append(HSTS)
                message["headers"] = kept
            await send(message)

        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            await _too_large(send_with_headers)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except BodyTooLarge:
            await _too_large(send_with_headers)


class BodyTooLarge(Exception):
    """A request's body went past MAX_BODY_BYTES while it was being read."""


async def _too_large(send: Send) -> None:
    body = "送信された内容が大きすぎます。 / What was sent is too large.".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def cookie_options(https: bool) -> dict[str, object]:
    """The flags every cookie of the portal carries: HttpOnly, SameSite=Strict, Secure behind https."""
    return {"httponly": True, "samesite": "strict", "secure": https, "path": "/"}
