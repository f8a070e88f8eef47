"""Serving the portal with uvicorn (the one place that starts the web server)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from secaudit.pipeline.session import Session
from secaudit.portal.app import build_app

_INVITE_PATH = re.compile(r"(/invite/v1\.[0-9a-f]{1,24})[^\s?#]*")


class HideLinkSecrets(logging.Filter):
    """Keep invitation links' signatures out of the access log: an id says which link, the signature would let
    anyone who reads the log open it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_INVITE_PATH.sub(r"\1.…", a) if isinstance(a, str) else a for a in record.args)
        return True


def run(session: Session, host: str, port: int, tls: tuple[Path, Path] | None = None) -> None:
    """Serve the portal until interrupted (https when given a certificate and key); no Server header."""
    import uvicorn

    logging.getLogger("uvicorn.access").addFilter(HideLinkSecrets())
    uvicorn.run(
        build_app(session, https=tls is not None or None),
        ssl_certfile=str(tls[0]) if tls else None,
        ssl_keyfile=str(tls[1]) if tls else None,
        host=host,
        port=port,
        server_header=False,
        date_header=True,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="info",
    )
