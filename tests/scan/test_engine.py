"""The engine: bounded concurrency, one observation per check per target, errors kept as data."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from secaudit.model import HttpFacts
from secaudit.scan import engine
from secaudit.scan.probes.base import Collected
from tests.scan.conftest import write_service


def _setup(workspace: Path, targets: int, concurrency: int) -> tuple[Any, ...]:
    from secaudit.catalog import load_catalog
    from secaudit.inventory import find_service
    from secaudit.store import open_store
    from secaudit.workspace import find_workspace

    (workspace / "scanners").mkdir(exist_ok=True)
    (workspace / "scanners" / "narrow.yaml").write_text(
        f"""profiles:
  - id: narrow
    title: {{ja: 狭い, en: Narrow}}
    probes: [http]
    concurrency: {concurrency}
""",
        encoding="utf-8",
    )
    write_service(
        workspace, "many", [f"{{url: 'http://127.0.0.1:{8000 + i}/', addresses: [127.0.0.1]}}" for i in range(targets)]
    )
    ws = find_workspace(workspace)
    catalog = load_catalog(ws.catalog_layers())
    return (
        find_service(ws.services_dir, "many", catalog.checklists, ws.config.classification_scheme),
        catalog,
        open_store(ws.database_url),
        ws.config,
    )


def test_probes_run_with_bounded_concurrency(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    running, peak, lock = [0], [0], threading.Lock()

    def fake_task(task: Any, _context: Any) -> Any:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return Collected([HttpFacts(target=task.approved.label, error="not contacted")])

    monkeypatch.setattr(engine, "_run_task", fake_task)
    service, catalog, store, config = _setup(workspace, targets=6, concurrency=2)
    lines: list[str] = []
    outcome = engine.run_scan(service, catalog, store, config, "narrow", progress=lines.append)
    assert peak[0] == 2
    assert outcome.unreachable
    http_checks = [c for c in catalog.checks.values() if c.probe.value == "http"]
    assert len(outcome.observations) == 6 * len(http_checks)
    assert {o.status.value for o in outcome.observations} == {"error"}
    assert lines[0] == "[0/6] scanning with profile narrow" and lines[-1].startswith("[6/6] http ")


def test_a_crashing_probe_is_an_error_fact_and_the_run_completes(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secaudit.scan.probes import http as http_probe

    def crash(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(http_probe, "probe_http", crash)
    service, catalog, store, config = _setup(workspace, targets=1, concurrency=1)
    outcome = engine.run_scan(service, catalog, store, config, "narrow")
    # recorded, not failed: every probe errored, so nothing of the target was seen (exit 3 on the CLI)
    assert outcome.run.status.value == "unreachable" and outcome.unreachable
    assert outcome.facts[0].error == "probe failed: RuntimeError: boom"
    assert all(o.evidence == "probe error: probe failed: RuntimeError: boom" for o in outcome.observations)
