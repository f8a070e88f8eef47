"""``secaudit db``: the database's schema version, upgrading it, and moving it to a shared PostgreSQL."""

from __future__ import annotations

from typing import Annotated

import typer

from secaudit.cli.common import OutputFormat, info, print_json, state

app = typer.Typer(help="The workspace's database: schema version, upgrade, copy to PostgreSQL.", no_args_is_help=True)


@app.command("current")
def current(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Show the database in use, its applied migrations and the ones this secaudit would apply."""
    from secaudit.pipeline.database import current as state_of

    found = state_of(state(ctx))
    if fmt is OutputFormat.JSON:
        print_json(
            {"database": found.url, "revision": found.revision, "applied": found.applied, "pending": found.pending}
        )
        return
    typer.echo(f"database: {found.url}")
    if found.revision is not None:
        typer.echo(f"revision: {found.revision} (Alembic)")
    elif found.applied:
        typer.echo("revision: none yet (made before Alembic; recorded the next time secaudit opens it to write)")
    typer.echo(f"applied:  {len(found.applied)} (newest {found.applied[-1] if found.applied else '-'})")
    typer.echo(f"pending:  {', '.join(found.pending) if found.pending else 'none'}")


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Apply pending migrations now (every command also does so when it opens the database)."""
    from secaudit.pipeline.database import upgrade as apply

    done = apply(state(ctx))
    info(f"applied {len(done)} migration(s){': ' + ', '.join(done) if done else ''}")


@app.command("copy")
def copy(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="An empty database, e.g. postgresql+psycopg://user@host/secaudit.")],
) -> None:
    """Copy this workspace's database into an empty one (a shared PostgreSQL) and verify its audit log there.

    Then point the workspace at it (database_url in secaudit.yaml, or SECAUDIT_DATABASE_URL).
    """
    from secaudit.errors import ExitCode
    from secaudit.pipeline.database import copy_to

    st = state(ctx)
    outcome = copy_to(st, to, st.auditor(), progress=lambda table, rows: info(f"  {table}: {rows} row(s)"))
    if outcome.problems:
        for problem in outcome.problems:
            typer.echo(f"TAMPERED: {problem}", err=True)
        info("the copy's audit log does not verify: do not use it")
        raise typer.Exit(int(ExitCode.ENVIRONMENT))
    info(f"copied {sum(outcome.rows.values())} row(s); audit log intact on the target ({outcome.log_entries} entries)")
    info("now set database_url in secaudit.yaml (or SECAUDIT_DATABASE_URL) to the new database")
