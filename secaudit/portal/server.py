"""Serving the portal with uvicorn (the one place that starts the web server)."""

from __future__ import annotations

from pathlib import Path

from secaudit.pipeline.session import Session
from secaudit.portal.app import build_app


def run(session: Session, host: str, port: int, tls: tuple[Path, Path] | None = None) -> None:
    """Serve the portal until interrupted (https when given a certificate and key); no Server header."""
    import uvicorn

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
