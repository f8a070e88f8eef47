"""The probe registry: every probe has the whole shape, and the planner, the engine and drift cover exactly it."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import threading
from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from secaudit.model import HttpFacts, ProbeKind, Profile, ScanRun, Target
from secaudit.model.drift import DriftKind, DriftState
from secaudit.scan import engine
from secaudit.scan.plan import build_plan
from secaudit.scan.probes import REGISTRY
from secaudit.scan.probes.base import Change, Collected, DriftPolicy, Probe, ProbeContext
from secaudit.scan.scope import ApprovedTarget, ScopeDecision
from secaudit.schedule.drift import RunView, compute_drift, parse_facts
from tests.scan.conftest import write_service

HOST = Target.model_validate({"host": "localhost", "addresses": ["127.0.0.1"], "ports": [443]})
HTTPS = Target.model_validate({"url": "https://localhost/", "addresses": ["127.0.0.1"]})
PLAIN = Target.model_validate({"url": "http://localhost:8080/", "addresses": ["127.0.0.1"]})
NOW = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)


def approved(target: Target) -> ApprovedTarget:
    return ApprovedTarget(target, "localhost", (ipaddress.ip_address("127.0.0.1"),))


def profile(*probes: str) -> Profile:
    return Profile.model_validate({"id": "p", "title": {"ja": "p", "en": "p"}, "probes": list(probes)})


class BannerProbe:
    """A probe for the tests: plans for plain http URLs, reads the target's first line, reports one change."""

    kind = ProbeKind.HTTP
    facts_model = HttpFacts

    def __init__(self, crash: bool = False) -> None:
        self.crash = crash
        self.visited: list[tuple[str, float]] = []

    def plans_for(self, target: Target) -> bool:
        return target.url is not None and target.url.startswith("http://")

    def needs_nmap(self, profile: Profile) -> bool:
        return False

    def collect(self, approved: ApprovedTarget, context: ProbeContext) -> Collected:
        if self.crash:
            raise OSError("the banner probe broke")
        address = str(approved.preferred_address())
        self.visited.append((approved.label, context.profile.probe_timeout_s))
        with socket.create_connection((address, approved.target.url_port), context.profile.probe_timeout_s) as conn:
            banner = conn.makefile("rb").readline().decode().strip()
        return Collected([HttpFacts(target=approved.label, address=address, headers={"X-Banner": [banner]})])

    def error_facts(self, approved: ApprovedTarget, message: str) -> HttpFacts:
        return HttpFacts(target=approved.label, address="banner-error", error=message)

    def answered(self, facts: HttpFacts) -> bool:
        return facts.error is None

    def pairing(self, facts: HttpFacts) -> Hashable:
        return facts.target

    def changes(self, pairs: Sequence[tuple[HttpFacts, HttpFacts]], policy: DriftPolicy) -> Iterator[Change]:
        for prev, new in pairs:
            was, now = prev.header("X-Banner"), new.header("X-Banner")
            if was != now:
                yield Change(
                    DriftKind.HEADER_VALUE,
                    new.target,
                    "x-banner",
                    DriftState.CHANGED,
                    f"banner {was} -> {now}",
                    was,
                    now,
                )


@pytest.mark.parametrize("kind", list(REGISTRY))
def test_each_probe_has_the_whole_shape(kind: ProbeKind) -> None:
    probe = REGISTRY[kind]
    assert isinstance(probe, Probe) and probe.kind is kind
    target = HOST if probe.plans_for(HOST) else HTTPS
    failed = probe.error_facts(approved(target), "probe failed: boom")
    assert isinstance(failed, probe.facts_model) and failed.kind == kind.value
    assert (failed.target, failed.error) == (target.label, "probe failed: boom")
    assert not probe.answered(failed)
    assert list(probe.changes([], DriftPolicy([], 30))) == []


def test_every_probe_kind_is_registered_and_plans_for_its_targets() -> None:
    assert set(REGISTRY) == set(ProbeKind)
    planned = {kind: [t.label for t in (HOST, HTTPS, PLAIN) if p.plans_for(t)] for kind, p in REGISTRY.items()}
    assert planned == {
        ProbeKind.PORTS: [HOST.label],
        ProbeKind.TLS: [HTTPS.label],
        ProbeKind.HTTP: [HTTPS.label, PLAIN.label],
        ProbeKind.WEBAPP: [],  # web application findings are only imported: secaudit never attacks an application
    }
    assert [kind for kind, p in REGISTRY.items() if p.needs_nmap(profile("ports", "tls", "http"))] == [ProbeKind.PORTS]


def test_the_plan_follows_the_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    decision = ScopeDecision(approved=[approved(HOST), approved(HTTPS), approved(PLAIN)])
    every = profile("ports", "tls", "http")
    assert [t.label for t in build_plan(decision, every)] == [
        f"ports {HOST.label}",
        f"tls {HTTPS.label}",
        f"http {HTTPS.label}",
        f"http {PLAIN.label}",
    ]
    monkeypatch.setitem(REGISTRY, ProbeKind.HTTP, BannerProbe())
    monkeypatch.delitem(REGISTRY, ProbeKind.TLS)
    assert [t.label for t in build_plan(decision, every)] == [f"ports {HOST.label}", f"http {PLAIN.label}"]
    assert [t.label for t in build_plan(decision, profile("http"))] == [f"http {PLAIN.label}"]


@pytest.fixture
def banner_server() -> Iterator[int]:
    """A loopback listener that greets every connection with one line."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"hello from the loopback\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    server.close()


def _banner_scan(workspace: Path, port: int, probe: BannerProbe, monkeypatch: pytest.MonkeyPatch) -> Any:
    from secaudit.catalog import load_catalog
    from secaudit.inventory import find_service
    from secaudit.store import open_store
    from secaudit.workspace import find_workspace

    (workspace / "scanners").mkdir(exist_ok=True)
    (workspace / "scanners" / "banner.yaml").write_text(
        "profiles:\n  - id: banner\n    title: {ja: 挨拶, en: Banner}\n    probes: [http]\n    probe_timeout_s: 5\n",
        encoding="utf-8",
    )
    write_service(workspace, "banner", [f"{{url: 'http://127.0.0.1:{port}/', addresses: [127.0.0.1]}}"])
    ws = find_workspace(workspace)
    catalog = load_catalog(ws.catalog_layers())
    service = find_service(ws.services_dir, "banner", catalog.checklists, ws.config.classification_scheme)
    store = open_store(ws.database_url)
    monkeypatch.setitem(REGISTRY, ProbeKind.HTTP, probe)
    return engine.run_scan(service, catalog, store, ws.config, "banner"), store


def test_a_registered_probe_is_run_by_the_engine_and_its_facts_stored(
    workspace: Path, banner_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secaudit.store.scans import facts_of

    probe = BannerProbe()
    outcome, store = _banner_scan(workspace, banner_server, probe, monkeypatch)
    label = f"http://127.0.0.1:{banner_server}/"
    assert probe.visited == [(label, 5.0)]
    assert [f.header("X-Banner") for f in outcome.facts] == [["hello from the loopback"]]
    assert not outcome.unreachable and outcome.observations
    assert parse_facts(facts_of(store, outcome.run.id)) == outcome.facts


def test_a_registered_probe_that_crashes_leaves_its_own_error_facts(
    workspace: Path, banner_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    outcome, _store = _banner_scan(workspace, banner_server, BannerProbe(crash=True), monkeypatch)
    [facts] = outcome.facts
    assert (facts.address, facts.error) == ("banner-error", "probe failed: OSError: the banner probe broke")
    assert outcome.unreachable and {o.status.value for o in outcome.observations} == {"error"}


def test_drift_asks_every_registered_probe_and_only_those(monkeypatch: pytest.MonkeyPatch) -> None:
    run = ScanRun(id="r1", service_id="svc", profile="p", started_at=NOW, secaudit_version="t", scope={})
    later = run.model_copy(update={"id": "r2"})
    before = [HttpFacts(target="http://a/", headers={"X-Banner": ["one"]})]
    after = [HttpFacts(target="http://a/", headers={"X-Banner": ["two"]})]
    policy = DriftPolicy([], 30)
    assert compute_drift(RunView(run, before), RunView(later, after), policy).items == []
    monkeypatch.setitem(REGISTRY, ProbeKind.HTTP, BannerProbe())
    [item] = compute_drift(RunView(run, before), RunView(later, after), policy).items
    assert (item.kind, item.key, item.state) == (DriftKind.HEADER_VALUE, "x-banner", DriftState.CHANGED)
    assert item.message == "banner ['one'] -> ['two']"
    rows = [(f.kind, f.target, f.model_dump(mode="json")) for f in after]
    monkeypatch.delitem(REGISTRY, ProbeKind.HTTP)
    assert compute_drift(RunView(run, before), RunView(later, after), policy).items == []
    assert parse_facts(rows) == []
