"""``secaudit prune --keep DAYS``: remove old scan runs, never the ones still needed."""

from __future__ import annotations

from typing import Annotated

import typer

from secaudit import clock
from secaudit.cli.common import OutputFormat, info, print_json, state


def prune(
    ctx: typer.Context,
    keep: Annotated[int, typer.Option("--keep", min=1, max=36500, help="Keep runs started in the last DAYS days.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would be removed.")] = False,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Remove scan runs older than --keep days with their facts, observations and archived nmap XML.

    Kept whatever their age: the newest completed run of each service and profile, runs
    a drift record in force points to, and runs the risk register points to. Takes the
    scan lock, so it never removes what a running batch is reading (exit 75 if held).
    """
    from secaudit.pipeline.records import prune_runs

    cutoff, plan = prune_runs(state(ctx), keep, clock.now(), dry_run)
    verb = "would remove" if dry_run else "removed"
    if fmt is OutputFormat.JSON:
        print_json(
            {
                "dry_run": dry_run,
                "cutoff": cutoff.isoformat(),
                "removed": [vars(r) for r in plan.remove],
                "kept": plan.kept,
            }
        )
        return
    for run in plan.remove:
        typer.echo(f"{verb} run {run.run_id}  {run.service_id}  {run.profile}  {run.started_at}  {run.status}")
    for run_id, why in plan.kept.items():
        info(f"kept run {run_id}: {why}")
    info(
        f"{verb} {len(plan.remove)} run(s) started before {cutoff.date().isoformat()}; "
        f"kept {len(plan.kept)} older run(s)"
    )
