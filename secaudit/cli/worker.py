"""``secaudit worker --zone ZONE``: a scan worker inside one network zone (Celery over Redis)."""

from __future__ import annotations

from typing import Annotated

import typer

from secaudit.cli.common import info, state


def worker(
    ctx: typer.Context,
    zone: Annotated[str, typer.Option("--zone", help="The network zone this worker scans in: internet, lgwan, ...")],
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=32, help="Scans at once (one process each).")
    ] = 2,
    name: Annotated[
        str | None, typer.Option("--name", help="This worker's name in the audit log (default: ZONE@host).")
    ] = None,
) -> None:
    """Run a scan worker for one network zone: take that zone's scan orders from the broker
    (SECAUDIT_BROKER_URL), scan each service within the scope this workspace declares, and store the run in
    the shared database (SECAUDIT_DATABASE_URL). Stops cleanly on Ctrl-C or SIGTERM, finishing the scans
    under way; an order it could not finish goes to another worker of the zone."""
    from secaudit.pipeline.workers import zone_worker
    from secaudit.schedule.dispatch import shown_broker

    st = state(ctx)
    app, queue, worker_name = zone_worker(st, zone, name)
    info(
        f"worker {worker_name}: zone {zone} (queue {queue}), {concurrency} scan(s) at once, "
        f"broker {shown_broker(str(app.conf.broker_url))}; Ctrl-C to stop"
    )
    running = app.Worker(
        queues=[queue],
        concurrency=concurrency,
        hostname=worker_name if "@" in worker_name else f"{worker_name}@%h",
        loglevel="INFO",
        quiet=True,
        without_mingle=True,
        without_gossip=True,
        without_heartbeat=True,
        optimization="fair",
    )
    running.start()
    if running.exitcode:
        raise typer.Exit(int(running.exitcode))
