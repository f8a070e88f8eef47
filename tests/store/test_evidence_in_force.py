"""The scan evidence in force: a service's own newest run, with imported runs added check by check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secaudit.model import Observation, ObservationStatus, RunStatus, ScanRun
from secaudit.store import Store, open_store
from secaudit.store import scans as scan_store

T0 = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
TLS = "https://localhost:8443/"
PASS, FAIL, NOT_RUN = ObservationStatus.PASS, ObservationStatus.FAIL, ObservationStatus.NOT_RUN


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'secaudit.db'}")


def _store_run(
    store: Store,
    run_id: str,
    days: int,
    results: dict[tuple[str, str], ObservationStatus],
    *,
    imported: bool = False,
    status: RunStatus = RunStatus.COMPLETED,
    service: str = "svc",
    fmt: str | None = None,
) -> None:
    started = T0 + dt.timedelta(days=days)
    scope: dict[str, object] = {"targets": []}
    if imported:
        scope["imported"] = {"format": "sslyze-json", "tool": "sslyze", "sha256": run_id}
    run = ScanRun(
        id=run_id,
        service_id=service,
        profile=f"import-{fmt or run_id}" if imported else "standard",
        started_at=started,
        finished_at=started,
        status=status,
        secaudit_version="1",
        scope=scope,
    )
    items = [
        Observation(
            run_id=run_id,
            service_id=service,
            check_id=check,
            target=target,
            status=outcome,
            evidence=f"{run_id}: {outcome.value}",
            observed_at=started,
        )
        for (check, target), outcome in results.items()
    ]
    assert scan_store.insert_complete_run(store, run, items, [], [], "test", {}, event="scan.import")


def _in_force(store: Store, since: dt.datetime | None = None) -> tuple[str | None, dict[tuple[str, str], str]]:
    run, observations, imported = scan_store.evidence_in_force_of(store, ["svc"], since)["svc"]
    assert [r.id for r in imported] == sorted({o.run_id for o in observations} - {run.id}, reverse=True)
    return (run.id if run else None), {(o.check_id, o.target): o.evidence for o in observations}


def test_a_newer_import_replaces_the_checks_it_answers_and_leaves_the_rest(store: Store) -> None:
    _store_run(store, "own", 0, {("tls.legacy", TLS): PASS, ("ports.unexpected", "localhost"): PASS})
    _store_run(store, "vendor", 2, {("tls.legacy", TLS): FAIL}, imported=True)
    base, found = _in_force(store)
    assert base == "own"  # the gate's age and reachability rules read the service's own run
    assert found == {("tls.legacy", TLS): "vendor: fail", ("ports.unexpected", "localhost"): "own: pass"}


def test_an_import_that_did_not_look_never_hides_evidence_that_did(store: Store) -> None:
    _store_run(store, "own", 0, {("tls.legacy", TLS): FAIL})
    _store_run(store, "vendor", 2, {("tls.legacy", TLS): NOT_RUN}, imported=True)
    assert _in_force(store)[1] == {("tls.legacy", TLS): "own: fail"}


def test_the_newest_look_wins_whoever_made_it(store: Store) -> None:
    _store_run(store, "vendor", 0, {("tls.legacy", TLS): FAIL}, imported=True)
    _store_run(store, "own", 2, {("tls.legacy", TLS): PASS})
    assert _in_force(store)[1] == {("tls.legacy", TLS): "own: pass"}


def test_an_import_older_than_the_window_adds_nothing(store: Store) -> None:
    _store_run(store, "own", 40, {("ports.unexpected", "localhost"): PASS})
    _store_run(store, "vendor", 0, {("web.sqli", TLS): FAIL}, imported=True)
    assert _in_force(store, T0 + dt.timedelta(days=10))[1] == {("ports.unexpected", "localhost"): "own: pass"}
    assert _in_force(store, T0)[1] == {
        ("ports.unexpected", "localhost"): "own: pass",
        ("web.sqli", TLS): "vendor: fail",
    }


def test_only_older_own_runs_are_not_mixed_in(store: Store) -> None:
    """A quick scan after a standard one is the service's evidence as it was before imports existed."""
    _store_run(store, "standard", 0, {("ports.unexpected", "localhost"): PASS, ("tls.legacy", TLS): PASS})
    _store_run(store, "quick", 1, {("ports.unexpected", "localhost"): FAIL})
    assert _in_force(store) == ("quick", {("ports.unexpected", "localhost"): "quick: fail"})


def test_a_service_with_imports_only_has_its_newest_import_as_base(store: Store) -> None:
    _store_run(store, "nmap", 0, {("ports.unexpected", "localhost"): FAIL}, imported=True)
    _store_run(store, "sslyze", 1, {("tls.legacy", TLS): PASS}, imported=True)
    base, found = _in_force(store, T0 - dt.timedelta(days=1))
    assert base == "sslyze"
    assert found == {("tls.legacy", TLS): "sslyze: pass", ("ports.unexpected", "localhost"): "nmap: fail"}
    # outside the window only the base remains, as an own run would
    assert _in_force(store, T0 + dt.timedelta(days=5)) == ("sslyze", {("tls.legacy", TLS): "sslyze: pass"})


def test_failed_runs_and_other_services_are_never_evidence(store: Store) -> None:
    _store_run(store, "own", 0, {("tls.legacy", TLS): PASS})
    _store_run(store, "broken", 1, {("tls.legacy", TLS): FAIL}, imported=True, status=RunStatus.FAILED)
    _store_run(store, "theirs", 2, {("tls.legacy", TLS): FAIL}, imported=True, service="other")
    assert _in_force(store) == ("own", {("tls.legacy", TLS): "own: pass"})


def test_a_rescan_in_the_same_format_over_the_same_targets_replaces_the_file_before(store: Store) -> None:
    """A vendor's rescan that no longer reports a finding has fixed it, even if it says nothing of that check."""
    _store_run(store, "own", 0, {("ports.unexpected", "localhost"): PASS})
    _store_run(store, "zap1", 1, {("webapp.sqli", TLS): FAIL, ("webapp.xss", TLS): FAIL}, imported=True, fmt="zap")
    _store_run(store, "zap2", 2, {("webapp.xss", TLS): FAIL}, imported=True, fmt="zap")
    assert _in_force(store)[1] == {("ports.unexpected", "localhost"): "own: pass", ("webapp.xss", TLS): "zap2: fail"}
