"""``secaudit portal`` and ``secaudit serve``: invitations, accounts, and the owners' portal itself."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Annotated

import typer

from secaudit.cli.common import OutputFormat, console, date_option, info, print_json, state, warn
from secaudit.errors import InputError
from secaudit.model import Language

app = typer.Typer(help="The owners' portal: invitation links and officers' accounts.", no_args_is_help=True)
users = typer.Typer(help="Officers' and auditors' accounts on the portal.", no_args_is_help=True)
app.add_typer(users, name="user")


@app.command("invite")
def invite(
    ctx: typer.Context,
    service_id: Annotated[str, typer.Argument(metavar="SERVICE", help="The service whose questionnaire to answer.")],
    email: Annotated[str, typer.Option("--email", help="Who answers (the link is for this person only).")],
    expires: Annotated[
        str | None, typer.Option(help="Last day the link works, YYYY-MM-DD (default: 30 days from today).")
    ] = None,
    lang: Annotated[
        Language | None, typer.Option(help="The portal's language for this person (default: workspace).")
    ] = None,
    no_mail: Annotated[
        bool, typer.Option("--no-mail", help="Only print the link, even when e-mail is set up.")
    ] = False,
) -> None:
    """Invite a service owner: print a signed link that opens the service's questionnaire on the portal,
    and e-mail it to them when notifications.smtp is set up."""
    from secaudit.pipeline.portal_access import invite as issue

    st = state(ctx)
    language = lang or st.workspace().config.language
    issued = issue(st, service_id, email, date_option(expires, "--expires"), st.auditor(), language.value)
    base = st.workspace().config.portal.public_url.rstrip("/")
    last_day = (issued.invitation.expires_at - dt.timedelta(seconds=1)).astimezone(st.workspace().config.zone)
    info(
        f"invitation {issued.invitation.id} for {issued.invitation.email} ({service_id}), "
        f"valid until {last_day.date().isoformat()}; revoke with: secaudit portal revoke {issued.invitation.id}"
    )
    link = f"{base}/invite/{issued.token}"
    typer.echo(link)
    if not no_mail:
        from secaudit.pipeline.portal_access import mail_invitation

        problem = mail_invitation(st, issued, link)
        if problem is None:
            info(f"the link was e-mailed to {issued.invitation.email}")
        elif st.workspace().config.notifications.smtp is not None:
            warn(f"the link was not e-mailed ({problem}); send the printed link yourself")


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    invitation_id: Annotated[str, typer.Argument(metavar="INVITATION", help="The id `portal list` shows.")],
) -> None:
    """Revoke an invitation: its link stops working and the owner's open pages are signed out."""
    from secaudit.pipeline.portal_access import revoke as end

    st = state(ctx)
    found = end(st, invitation_id, st.auditor())
    info(f"revoked invitation {found.id} ({found.email}, {found.service_id})")


@app.command("list")
def list_(
    ctx: typer.Context,
    service_id: Annotated[str | None, typer.Argument(metavar="[SERVICE]", help="Only this service's.")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """List invitations: who, for which service, until when, and whether revoked."""
    from secaudit import clock
    from secaudit.pipeline.portal_access import list_invitations

    st = state(ctx)
    now = clock.now()
    rows = [
        {
            "id": inv.id,
            "service": inv.service_id,
            "email": inv.email,
            "created_at": inv.created_at.isoformat(),
            "created_by": inv.created_by,
            "expires_at": inv.expires_at.isoformat(),
            "state": "revoked" if inv.revoked_at else ("expired" if not inv.usable(now) else "active"),
        }
        for inv in list_invitations(st, service_id)
    ]
    if fmt is OutputFormat.JSON:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"portal invitations ({len(rows)})")
    for column in ("id", "service", "email", "expires_at", "state"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["service"], row["email"], row["expires_at"][:16], row["state"])
    console().print(table)


@users.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Account name: 2-64 of a-z, 0-9, '.', '_', '-'.")],
    role: Annotated[str, typer.Option(help="officer (reviews and decides) or auditor (reads only).")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (for scripts).")
    ] = False,
) -> None:
    """Add an officer's or an auditor's account (the password is kept as an Argon2id hash)."""
    from secaudit.pipeline.portal_access import Role, add_user

    try:
        chosen = Role(role)
    except ValueError:
        raise InputError(f"--role: {role!r} is not one of officer, auditor") from None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    st = state(ctx)
    add_user(st, name, chosen, password, st.auditor())
    info(f"account {name} added ({chosen.value})")


@users.command("list")
def user_list(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """List the portal's accounts and their roles."""
    from secaudit.pipeline.portal_access import list_users

    rows = list_users(state(ctx))
    if fmt is OutputFormat.JSON:
        print_json([{"name": name, "role": role} for name, role in rows])
        return
    for name, role in rows:
        typer.echo(f"{name}\t{role}")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default; put a TLS proxy in front).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8080,
    tls_cert: Annotated[
        Path | None,
        typer.Option(help="Serve https with this certificate (PEM), when no proxy terminates TLS.", dir_okay=False),
    ] = None,
    tls_key: Annotated[Path | None, typer.Option(help="The certificate's private key (PEM).", dir_okay=False)] = None,
) -> None:
    """Serve the owners' portal (owners answer by invitation link; officers sign in)."""
    from secaudit.portal.server import run

    if (tls_cert is None) != (tls_key is None):
        raise InputError("--tls-cert and --tls-key go together")
    for option, path in (("--tls-cert", tls_cert), ("--tls-key", tls_key)):
        if path is not None and not path.is_file():
            raise InputError(f"{option}: {path} is not a readable file")
    st = state(ctx)
    st.store()  # a missing or newer database is reported here, before the server starts
    scheme = "https" if tls_cert else "http"
    info(f"secaudit portal on {scheme}://{host}:{port}/ (public address: {st.workspace().config.portal.public_url})")
    run(st, host, port, (tls_cert, tls_key) if tls_cert and tls_key else None)
