"""Serving the portal with uvicorn (the one place that starts the web server)."""

from __future__ import annotations

from secaudit.pipeline.session import Session
from secaudit.portal.app import build_app


def run(session: Session, host: str, port: int) -> None:
    """Serve the portal until interrupted; no Server header, access log on standard error."""
    import uvicorn

    uvicorn.run(
        build_app(session),
        host=host,
        port=port,
        server_header=False,
        date_header=True,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="info",
    )
