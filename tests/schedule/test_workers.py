"""Zone workers through a real Redis and real ``secaudit worker`` processes: a dispatched batch reports as a
local one, ends at its deadline when no worker answers, and survives a worker killed mid-scan."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from secaudit.model import RunStatus
from secaudit.schedule.dispatch import TASK, broker_app, queue_of
from secaudit.store import audit_log, open_store
from secaudit.store.scans import runs_of
from tests.conftest import REPO, run_subprocess
from tests.schedule.conftest import TlsSite, free_port, json_lines, wait_for
from tests.schedule.workers import BRISK_PROFILE, Worker

SERVICE = "loop-portal"
pytestmark = pytest.mark.realtime  # deadlines and redelivery are measured in real seconds


def _prepare(root: Path, redelivery_s: int | None = None) -> None:
    (root / "scanners").mkdir(exist_ok=True)
    (root / "scanners" / "brisk.yaml").write_text(BRISK_PROFILE, encoding="utf-8")
    if redelivery_s is not None:
        config = yaml.safe_load((root / "secaudit.yaml").read_text(encoding="utf-8"))
        config["scan"]["worker_redelivery_s"] = redelivery_s
        (root / "secaudit.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def _store(root: Path) -> Any:
    return open_store(f"sqlite:///{root / '.secaudit' / 'secaudit.db'}")


def _runs(root: Path, service: str = SERVICE) -> list[Any]:
    store = _store(root)
    try:
        return runs_of(store, service)
    finally:
        store.close()


def _batch(root: Path, broker_url: str | None, *extra: str) -> Any:
    env = {"SECAUDIT_BROKER_URL": broker_url} if broker_url else None
    args = ["scan", "--all", "--profile", "brisk", "--log-format", "json", *extra]
    return run_subprocess(args, cwd=root, env=env, timeout=300)


@pytest.fixture
def workers() -> Any:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()


def test_a_dispatched_batch_scans_through_the_zone_worker_and_reports_as_the_local_batch(
    loop_workspace: Path, broker_url: str, tmp_path: Path, workers: list[Worker]
) -> None:
    _prepare(loop_workspace)
    local_copy = tmp_path / "local"
    shutil.copytree(loop_workspace, local_copy)
    local = _batch(local_copy, None)

    worker = Worker(loop_workspace, broker_url, "net-worker-1")
    workers.append(worker)
    assert worker.wait_for("ready", timeout=60), worker.output
    dispatched = _batch(loop_workspace, broker_url, "--dispatch", "celery", "--deadline", "120")

    assert dispatched.returncode == local.returncode, dispatched.stdout + dispatched.stderr
    assert local.returncode in (0, 1)
    shape = [(e["level"], e["service"], e["event"]) for e in json_lines(dispatched.stdout)]
    assert shape == [(e["level"], e["service"], e["event"]) for e in json_lines(local.stdout)]
    assert ("info", SERVICE, "scan.finish") in shape
    assert json_lines(dispatched.stdout)[-1]["message"] == json_lines(local.stdout)[-1]["message"]

    [run] = _runs(loop_workspace)
    assert run.status is RunStatus.COMPLETED
    store = _store(loop_workspace)
    try:
        [stored] = audit_log.entries(store, SERVICE, action="scan.finish")
        count, problems = audit_log.verify_log(store)
    finally:
        store.close()
    assert stored.actor == "worker:net-worker-1"
    assert stored.details["run"] == run.id and stored.details["zone"] == "internet"
    assert problems == [] and count > 0
    assert f"Task secaudit.scan[{run.id}] succeeded" in worker.output

    # A forged order naming an address the service does not declare: refused by the worker, nothing scanned.
    app = broker_app(broker_url, 60)
    forged = {
        "v": 1,
        "id": "f" * 32,
        "service": SERVICE,
        "zone": "internet",
        "profile": "brisk",
        "targets": ["127.0.0.1", "10.9.8.7"],
        "sent_at": "2026-12-05T00:00:00+00:00",
    }
    reply = app.send_task(TASK, args=[forged], queue=queue_of("internet")).get(timeout=60)
    assert reply["run"] is None
    assert "does not declare in its scope: 10.9.8.7" in reply["error"] and "nothing scanned" in reply["error"]
    assert [r.id for r in _runs(loop_workspace)] == [run.id]
    assert worker.stop() == 0


def test_with_no_worker_the_batch_ends_at_its_deadline_naming_the_service_and_the_order_holds_no_secret(
    loop_workspace: Path, broker_url: str
) -> None:
    _prepare(loop_workspace)
    done = _batch(loop_workspace, broker_url, "--dispatch", "celery", "--deadline", "5")

    assert done.returncode == 3, done.stdout + done.stderr
    events = json_lines(done.stdout)
    [error] = [e for e in events if e["event"] == "scan.error"]
    assert error["service"] == SERVICE
    assert "not scanned: no worker of zone internet" in error["message"]
    assert "secaudit worker --zone internet" in error["message"]
    assert events[-1]["event"] == "batch.finish" and events[-1]["not_scanned"] == [SERVICE]
    assert "could not be scanned: loop-portal" in events[-1]["message"]
    assert _runs(loop_workspace) == []

    # The order still waits in the zone's queue (it expires unstarted): JSON, with no password and no database.
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        [raw] = client.lrange(queue_of("internet"), 0, -1)
    finally:
        client.close()
    envelope = json.loads(raw)
    assert envelope["content-type"] == "application/json"
    args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
    [order] = args
    assert set(order) == {"v", "id", "service", "zone", "profile", "targets", "sent_at"}
    assert order["targets"] == ["127.0.0.1", f"https://127.0.0.1:{_tls_port(loop_workspace)}/"]
    password = broker_url.split(":")[2].split("@")[0]
    assert password.encode() not in raw
    assert b"secaudit.db" not in raw and b"sqlite" not in raw and b"postgresql" not in raw


def _tls_port(root: Path) -> int:
    service = yaml.safe_load((root / "services" / f"{SERVICE}.yaml").read_text(encoding="utf-8"))
    return int(service["scope"]["targets"][1]["url"].rsplit(":", 1)[1].strip("/"))


def test_an_unreachable_broker_is_exit_3_with_its_password_hidden_and_a_missing_one_exit_2(
    loop_workspace: Path,
) -> None:
    _prepare(loop_workspace)
    url = f"redis://:Hidden-Broker-Pw@127.0.0.1:{free_port()}/0"
    done = _batch(loop_workspace, url, "--dispatch", "celery")
    assert done.returncode == 3
    assert "cannot reach the broker redis://:**@127.0.0.1:" in done.stderr
    assert "Hidden-Broker-Pw" not in done.stdout + done.stderr
    assert _runs(loop_workspace) == []

    missing = _batch(loop_workspace, None, "--dispatch", "celery")
    assert missing.returncode == 2
    assert "SECAUDIT_BROKER_URL" in missing.stderr


def test_a_worker_killed_mid_scan_leaves_no_half_run_and_every_service_ends_with_one_complete_run(
    loop_workspace: Path, broker_url: str, site: TlsSite, workers: list[Worker]
) -> None:
    _prepare(loop_workspace, redelivery_s=5)
    template = (loop_workspace / "services" / f"{SERVICE}.yaml").read_text(encoding="utf-8")
    services = [SERVICE, "loop-second", "loop-third"]
    for other in services[1:]:
        (loop_workspace / "services" / f"{other}.yaml").write_text(template.replace(SERVICE, other), encoding="utf-8")

    site.stall.set()  # TLS handshakes hang: the first worker is surely mid-scan when it is killed
    first = Worker(loop_workspace, broker_url, "doomed-worker")
    workers.append(first)
    assert first.wait_for("ready", timeout=60), first.output
    batch = subprocess.Popen(
        [sys.executable, "-m", "secaudit", "scan", "--all", "--profile", "brisk", "--log-format", "json"]
        + ["--dispatch", "celery", "--deadline", "240"],
        cwd=loop_workspace,
        env={**os.environ, "PYTHONPATH": str(REPO), "SECAUDIT_BROKER_URL": broker_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.wait_for("received", timeout=60), first.output
        assert wait_for(lambda: bool(site.stalled), timeout=30), "the killed worker never reached the TLS probe"
        first.kill()
        site.stall.clear()
        second = Worker(loop_workspace, broker_url, "spare-worker", concurrency=2)
        workers.append(second)
        out, err = batch.communicate(timeout=300)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate(timeout=10)

    assert batch.returncode in (0, 1), out + err + second.output
    for service in services:
        runs = _runs(loop_workspace, service)
        assert [r.status for r in runs] == [RunStatus.COMPLETED], (service, runs)
    store = _store(loop_workspace)
    try:
        finished = audit_log.entries(store, action="scan.finish")
        _count, problems = audit_log.verify_log(store)
    finally:
        store.close()
    assert sorted(e.subject for e in finished) == sorted(services)
    assert {e.actor for e in finished} == {"worker:spare-worker"}
    assert problems == []


def test_a_worker_on_its_own_zone_machine_shares_the_centres_postgresql(
    loop_workspace: Path, broker_url: str, pg_url: str, tmp_path: Path, workers: list[Worker]
) -> None:
    _prepare(loop_workspace)
    zone_machine = tmp_path / "zone-machine"  # the worker's own copy of the service files and configuration
    shutil.copytree(loop_workspace, zone_machine)
    for leftover in (zone_machine / ".secaudit").glob("secaudit.db*"):
        leftover.unlink()
    shared = {"SECAUDIT_DATABASE_URL": pg_url}
    worker = Worker(zone_machine, broker_url, "pg-worker", env=shared)
    workers.append(worker)
    assert worker.wait_for("ready", timeout=60), worker.output
    done = run_subprocess(
        ["scan", "--all", "--profile", "brisk", "--log-format", "json", "--dispatch", "celery", "--deadline", "120"],
        cwd=loop_workspace,
        env={"SECAUDIT_BROKER_URL": broker_url, **shared},
        timeout=300,
    )
    assert done.returncode in (0, 1), done.stdout + done.stderr
    store = open_store(pg_url)
    try:
        [run] = runs_of(store, SERVICE)
        [finished] = audit_log.entries(store, SERVICE, action="scan.finish")
        assert audit_log.verify_log(store)[1] == []
    finally:
        store.close()
    assert run.status is RunStatus.COMPLETED and finished.actor == "worker:pg-worker"
    assert not list((zone_machine / ".secaudit").glob("secaudit.db*"))  # the worker wrote only to PostgreSQL


def test_a_broker_lost_while_waiting_ends_the_batch_with_exit_3_on_one_log_line_per_service(
    loop_workspace: Path, tmp_path: Path
) -> None:
    from tests.redis_server import RedisServer

    _prepare(loop_workspace)
    own = RedisServer(tmp_path / "redis")  # its own server: this test stops it mid-batch
    own.start()
    url = own.url()
    try:
        batch = subprocess.Popen(
            [sys.executable, "-m", "secaudit", "scan", "--all", "--profile", "brisk", "--log-format", "json"]
            + ["--dispatch", "celery", "--deadline", "240"],
            cwd=loop_workspace,
            env={**os.environ, "PYTHONPATH": str(REPO), "SECAUDIT_BROKER_URL": url},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        import redis

        client = redis.Redis.from_url(url)
        try:
            assert wait_for(lambda: client.llen(queue_of("internet")) == 1, timeout=60), "no order was sent"
        finally:
            client.close()
        own.stop()
        out, err = batch.communicate(timeout=200)
    finally:
        own.stop()
    assert batch.returncode == 3, out + err
    [error] = [e for e in json_lines(out) if e["event"] == "scan.error"]
    assert error["message"].startswith("lost the broker redis://:**@127.0.0.1:")
    assert "\n" not in error["message"] and own.password not in out + err
    assert json_lines(out)[-1]["not_scanned"] == [SERVICE]
