"""``secaudit schedule show``: crontab line, systemd units, services with their next due time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from secaudit.model import RunStatus, ScanRun
from secaudit.store import open_store
from secaudit.store.scans import begin_run, finish_run
from tests.conftest import run_cli


def test_show_prints_a_ready_crontab_line_and_systemd_units(workspace: Path) -> None:
    result = run_cli(["schedule", "show"], workspace)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    [cron] = [line for line in lines if line.startswith("*/15 * * * * ")]
    assert f"cd {workspace}" in cron
    assert cron.endswith("scan --due --log-format json >> .secaudit/cron.log 2>&1")
    assert "flock" not in cron
    assert "[Service]" in result.stdout and "Type=oneshot" in result.stdout
    assert f"WorkingDirectory={workspace}" in result.stdout and "SuccessExitStatus=75" in result.stdout
    assert "[Timer]" in result.stdout and "OnCalendar=*:0/15" in result.stdout and "Persistent=true" in result.stdout
    rows = {
        line.split()[0]: line
        for line in lines
        if line.split() and line.split()[0] in ("kosodate-portal", "zeimu-lgwan", "mynumber-kyufu")
    }
    assert "due now" in rows["kosodate-portal"] and "last never" in rows["kosodate-portal"]
    assert "no scope" in rows["mynumber-kyufu"]
    assert "times in Asia/Tokyo" in result.stdout


def test_show_json_gives_next_due_in_the_workspace_time_zone(workspace: Path) -> None:
    store = open_store(f"sqlite:///{workspace / '.secaudit' / 'secaudit.db'}")
    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    run = ScanRun(id="r1", service_id="kosodate-portal", profile="quick", started_at=started, secaudit_version="t")
    begin_run(store, run)
    run.status, run.finished_at = RunStatus.COMPLETED, started
    finish_run(store, run, [], [])
    result = run_cli(["schedule", "show", "--format", "json"], workspace)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["timezone"] == "Asia/Tokyo"
    assert data["crontab"].startswith("*/15 * * * * cd ")
    assert set(data["systemd"]) == {"secaudit-scan.service", "secaudit-scan.timer"}
    services = {row["service"]: row for row in data["services"]}
    kosodate = services["kosodate-portal"]
    assert kosodate["due_now"] is False and kosodate["schedule"] == "0 3 * * 1"
    next_due = dt.datetime.fromisoformat(kosodate["next_due"])
    assert next_due.utcoffset() == dt.timedelta(hours=9)
    assert (next_due.weekday(), next_due.hour, next_due.minute) == (0, 3, 0)  # Monday 03:00 in Tokyo
    assert dt.timedelta(0) < next_due - started <= dt.timedelta(days=7)
    assert services["mynumber-kyufu"]["note"] == "no scope" and services["mynumber-kyufu"]["next_due"] is None
    assert services["zeimu-lgwan"]["due_now"] is True


def test_show_in_another_time_zone(workspace: Path) -> None:
    config = workspace / "secaudit.yaml"
    config.write_text(config.read_text().replace("timezone: Asia/Tokyo", "timezone: UTC"))
    store = open_store(f"sqlite:///{workspace / '.secaudit' / 'secaudit.db'}")
    started = dt.datetime.now(dt.UTC)
    run = ScanRun(id="r1", service_id="zeimu-lgwan", profile="quick", started_at=started, secaudit_version="t")
    begin_run(store, run)
    run.status = RunStatus.COMPLETED
    finish_run(store, run, [], [])
    data = json.loads(run_cli(["schedule", "show", "--format", "json"], workspace).stdout)
    zeimu = {row["service"]: row for row in data["services"]}["zeimu-lgwan"]
    next_due = dt.datetime.fromisoformat(zeimu["next_due"])
    assert next_due.utcoffset() == dt.timedelta(0)
    assert (next_due.weekday(), next_due.hour, next_due.minute) == (6, 2, 30)  # "30 2 * * 0": Sunday 02:30 UTC


def test_unknown_time_zone_is_an_input_error(workspace: Path) -> None:
    config = workspace / "secaudit.yaml"
    config.write_text(config.read_text().replace("timezone: Asia/Tokyo", "timezone: Mars/Base"))
    result = run_cli(["schedule", "show"], workspace)
    assert result.exit_code == 2 and "Mars/Base" in result.stderr
