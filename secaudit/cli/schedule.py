"""``secaudit schedule show``: the crontab line, the systemd units, and when each service is due."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from secaudit import clock
from secaudit.cli.common import OutputFormat, print_json, state

app = typer.Typer(
    help="Scheduled scans: what cron or systemd should run, and when services are due.", no_args_is_help=True
)

CRON_EVERY = "*/15 * * * *"
TIMER_EVERY = "*:0/15"
REMIND_AT_CRON = "0 8 * * *"
REMIND_AT_TIMER = "*-*-* 08:00"
"""Reminders once a day, at 08:00 in the machine's time."""


def secaudit_command() -> str:
    """How to start this secaudit from cron: the console script beside the interpreter, else ``python -m``."""
    script = Path(sys.executable).parent / "secaudit"
    if script.is_file():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m secaudit"


def crontab_line(root: Path, command: str) -> str:
    """A crontab line that runs the due scans every 15 minutes and appends JSON logs to .secaudit/cron.log."""
    return (
        f"{CRON_EVERY} cd {shlex.quote(str(root))} && {command} scan --due --log-format json >> .secaudit/cron.log 2>&1"
    )


def remind_crontab_line(root: Path, command: str) -> str:
    """A crontab line that sends the day's reminders (questionnaires due or overdue) at 08:00."""
    return f"{REMIND_AT_CRON} cd {shlex.quote(str(root))} && {command} remind >> .secaudit/cron.log 2>&1"


def remind_units(root: Path, command: str) -> dict[str, str]:
    """A oneshot service and a daily timer for ``secaudit remind``."""
    service = f"""[Unit]
Description=secaudit reminders ({root})
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
WorkingDirectory={root}
ExecStart={command} remind
NoNewPrivileges=yes
PrivateTmp=yes
"""
    timer = f"""[Unit]
Description=Send secaudit's reminders every morning

[Timer]
OnCalendar={REMIND_AT_TIMER}
Persistent=true

[Install]
WantedBy=timers.target
"""
    return {"secaudit-remind.service": service, "secaudit-remind.timer": timer}


def systemd_units(root: Path, command: str) -> dict[str, str]:
    """A oneshot service and a timer that starts it every 15 minutes."""
    service = f"""[Unit]
Description=secaudit scheduled scans ({root})
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
WorkingDirectory={root}
ExecStart={command} scan --due --log-format json
# 75: another run holds the lock (not a failure). 1 (new drift) and 3 (a service
# could not be scanned) stay failures, so 'systemctl --failed' and OnFailure= see them.
SuccessExitStatus=75
Nice=10
NoNewPrivileges=yes
PrivateTmp=yes
"""
    timer = f"""[Unit]
Description=Run secaudit scheduled scans every 15 minutes

[Timer]
OnCalendar={TIMER_EVERY}
Persistent=true
RandomizedDelaySec=60

[Install]
WantedBy=timers.target
"""
    return {"secaudit-scan.service": service, "secaudit-scan.timer": timer}


@app.command("show")
def show(
    ctx: typer.Context,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.TABLE,
) -> None:
    """Print a ready crontab line, systemd units, and each service's schedule and next due time."""
    from secaudit.pipeline.records import last_successful_runs
    from secaudit.schedule.due import due_status

    st = state(ctx)
    workspace = st.workspace()
    tz = workspace.config.zone
    now = clock.now()
    services = st.services()
    runs = last_successful_runs(st, [service.id for service in services])
    rows: list[dict[str, Any]] = []
    for service in services:
        last = runs.get(service.id)
        status = due_status(service, last.started_at if last else None, now, tz)
        rows.append(
            {
                "service": service.id,
                "schedule": service.schedule,
                "last_success": last.started_at.astimezone(tz).isoformat(timespec="minutes") if last else None,
                "next_due": status.next_due.astimezone(tz).isoformat(timespec="minutes") if status.next_due else None,
                "due_now": status.due,
                "note": status.reason.value,
            }
        )
    command = secaudit_command()
    cron = crontab_line(workspace.root, command)
    units = systemd_units(workspace.root, command)
    remind_cron = remind_crontab_line(workspace.root, command)
    remind = remind_units(workspace.root, command)
    if fmt is OutputFormat.JSON:
        print_json(
            {
                "timezone": workspace.config.timezone,
                "crontab": cron,
                "systemd": units,
                "remind": {"crontab": remind_cron, "systemd": remind},
                "services": rows,
            }
        )
        return
    out = [
        "# crontab (crontab -e); secaudit takes its own lock, so no flock(1) is needed:",
        cron,
        "# reminders of questionnaires due or overdue, every morning:",
        remind_cron,
        "",
    ]
    for name, text in {**units, **remind}.items():
        out.append(f"# /etc/systemd/system/{name}")
        out.append(text)
    out.append("# then: systemctl daemon-reload && systemctl enable --now secaudit-scan.timer secaudit-remind.timer")
    out.append("")
    out.append(f"# services (times in {workspace.config.timezone})")
    width = max((len(r["service"]) for r in rows), default=7)
    for r in rows:
        due = "due now" if r["due_now"] else (f"next {r['next_due']}" if r["next_due"] else r["note"])
        schedule = r["schedule"] or "-"
        last_text = r["last_success"] or "never"
        out.append(f"{r['service']:<{width}}  {schedule:<14}  last {last_text:<22}  {due}")
    typer.echo("\n".join(out))
