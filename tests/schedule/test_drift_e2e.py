"""Drift end to end: real nmap, real TLS and HTTP probes over loopback servers."""

from __future__ import annotations

from pathlib import Path

from secaudit.model.drift import DriftKind, DriftState
from secaudit.store import open_store
from secaudit.store.drift import drift_in_force, drift_of, latest_drift
from secaudit.store.scans import runs_of
from tests.conftest import run_cli
from tests.schedule.conftest import Listener, TlsSite, json_lines


def scan_all(root: Path):
    return run_cli(["scan", "--all", "--profile", "quick", "--log-format", "json"], workspace=root)


def test_new_port_and_short_certificate_are_new_drift_then_quiet(loop_workspace: Path, site: TlsSite) -> None:
    first = scan_all(loop_workspace)
    assert first.exit_code in (0, 1), first.stdout + first.stderr
    events = json_lines(first.stdout)
    assert any(e["event"] == "scan.finish" and e["service"] == "loop-portal" for e in events), first.stdout
    skipped = [e for e in events if e["event"] == "service.skipped"]
    assert [(e["service"], e["message"]) for e in skipped] == [("paper-only", "skipped: no scope")]

    extra = Listener(int((loop_workspace / "extra-port").read_text()))
    try:
        site.use(days=5)
        second = scan_all(loop_workspace)
        assert second.exit_code == 1, second.stdout + second.stderr
        drift = [e["drift"] for e in json_lines(second.stdout) if e["event"] == "drift"]
        new_ports = [d for d in drift if d["kind"] == "open_port" and d["state"] == "new"]
        assert [d["after"]["port"] for d in new_ports] == [extra.port]
        kinds = {(d["kind"], d["state"]) for d in drift}
        assert ("certificate", "changed") in kinds
        assert ("certificate_expiring", "new") in kinds

        third = scan_all(loop_workspace)
        assert third.exit_code == 0, third.stdout + third.stderr
        assert [e for e in json_lines(third.stdout) if e["event"] == "drift"] == []
    finally:
        extra.close()

    store = open_store(f"sqlite:///{loop_workspace / '.secaudit' / 'secaudit.db'}")
    runs = runs_of(store, "loop-portal")
    assert len(runs) == 3
    second_run = runs[1]
    stored = drift_of(store, "loop-portal", second_run.id)
    assert {(d.kind, d.state) for d in stored} >= {(DriftKind.OPEN_PORT, DriftState.NEW)}
    assert latest_drift(store, "loop-portal") == []
    open_now = {d.kind for d in drift_in_force(store, "loop-portal")}
    assert {DriftKind.OPEN_PORT, DriftKind.CERTIFICATE_EXPIRING} <= open_now
