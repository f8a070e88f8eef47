"""Which earlier run a new run is compared with."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from secaudit.model import PortFacts, PortInfo, RunStatus, ScanRun
from secaudit.schedule.batch import find_baseline
from secaudit.store import open_store
from secaudit.store.drift import Comparison, record_comparison
from secaudit.store.scans import begin_run, finish_run

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
SCOPE = {"targets": [{"target": "127.0.0.1", "hostname": "127.0.0.1", "addresses": ["127.0.0.1"]}]}


def add(
    store, run_id: str, hours: int, *, error: str | None = None, profile: str = "quick", scope=None, compared=False
):
    run = ScanRun(
        id=run_id,
        service_id="svc",
        profile=profile,
        started_at=T0 + dt.timedelta(hours=hours),
        secaudit_version="t",
        scope=scope or SCOPE,
    )
    begin_run(store, run)
    run.status = RunStatus.COMPLETED
    facts = PortFacts(target="127.0.0.1", address="127.0.0.1", ports=[PortInfo(port=443, state="open")], error=error)
    finish_run(store, run, [], [("ports", "127.0.0.1", facts.model_dump(mode="json"))])
    if compared:
        record_comparison(store, Comparison(run_id, "svc", None, run.started_at, 0, []))
    return run


def test_prefers_the_last_compared_run_and_skips_unusable_ones(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    add(store, "batch-1", 0, compared=True)
    add(store, "manual", 1)
    add(store, "unreachable", 2, error="host timed out")
    add(store, "other-profile", 3, profile="deep", compared=True)
    add(store, "other-scope", 4, scope={"targets": []}, compared=True)
    current = add(store, "now", 5)
    view = find_baseline(store, current)
    assert view is not None and view.run.id == "batch-1"
    assert [f.open_ports() for f in view.facts if isinstance(f, PortFacts)] == [[443]]


def test_falls_back_to_the_newest_usable_completed_run(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    add(store, "manual-old", 0)
    add(store, "manual-new", 1)
    add(store, "unreachable", 2, error="refused")
    current = add(store, "now", 3)
    view = find_baseline(store, current)
    assert view is not None and view.run.id == "manual-new"


def test_no_baseline_for_a_first_run(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    current = add(store, "now", 0)
    assert find_baseline(store, current) is None
