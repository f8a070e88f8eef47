"""The worker's side of an order, without a broker: its own scope guard, one transaction, no second run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from secaudit.model import RunStatus
from secaudit.pipeline.session import Session
from secaudit.schedule.dispatch import OrderReply, ScanOrder, carry_out, declared_targets
from secaudit.store import audit_log
from secaudit.store.scans import runs_of
from tests.schedule.workers import BRISK_PROFILE

SERVICE = "loop-portal"


@pytest.fixture
def session(loop_workspace: Path) -> Any:
    (loop_workspace / "scanners").mkdir(exist_ok=True)
    (loop_workspace / "scanners" / "brisk.yaml").write_text(BRISK_PROFILE, encoding="utf-8")
    st = Session(workspace_path=loop_workspace)
    yield st
    st.store().close()


def _order(session: Session, **changes: Any) -> dict[str, Any]:
    service = session.service(SERVICE)
    message = ScanOrder("a" * 32, SERVICE, "internet", "brisk", declared_targets(service), "2026-12-05T00:00:00Z")
    return {**message.message(), **changes}


def _never(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("the worker scanned although the order had to be refused")


def _carry(session: Session, message: Any, zone: str = "internet", scan: Any = _never) -> OrderReply:
    reply = carry_out(session.workspace(), session.catalog(), session.store(), zone, "w1", message, scan)
    return OrderReply.from_message(reply)


@pytest.mark.parametrize(
    ("changes", "zone", "expected"),
    [
        ({"targets": ["127.0.0.1", "10.0.0.5"]}, "internet", "does not declare in its scope: 10.0.0.5"),
        ({"targets": ["https://evil.example/"]}, "internet", "does not declare in its scope: https://evil.example/"),
        ({}, "lgwan", "an order for zone internet reached a worker of zone lgwan"),
        ({"zone": "lgwan"}, "lgwan", "is in zone internet here, not lgwan"),
        ({"service": "paper-gone"}, "internet", "service paper-gone is not in this worker's workspace"),
        ({"service": "../etc/passwd"}, "internet", "the order's service is not valid"),
        ({"id": "../../x"}, "internet", "the order's id is not valid"),
        ({"targets": "127.0.0.1"}, "internet", "the order's targets is not valid"),
        ({"profile": "-oN /tmp/x"}, "internet", "the order's profile is not valid"),
        ({"database_url": "sqlite:///x"}, "internet", "not a secaudit scan order of this version"),
        ({"v": 2}, "internet", "not a secaudit scan order of this version"),
    ],
)
def test_an_order_the_worker_cannot_vouch_for_is_refused_before_any_scan(
    session: Session, changes: dict[str, Any], zone: str, expected: str
) -> None:
    reply = _carry(session, _order(session, **changes), zone)
    assert reply.run is None and reply.error is not None
    assert expected in reply.error and "nothing scanned" in reply.error
    assert runs_of(session.store(), SERVICE) == []


@pytest.mark.parametrize("message", [None, [], "order", {"v": 1}])
def test_a_message_that_is_no_order_at_all_is_refused(session: Session, message: Any) -> None:
    reply = _carry(session, message)
    assert reply.run is None and "nothing scanned" in (reply.error or "")


def test_an_order_is_scanned_and_stored_once_and_a_redelivery_returns_the_same_run(session: Session) -> None:
    message = _order(session)
    first = _carry(session, message, scan=None)
    assert first.run == "a" * 32 and first.status == RunStatus.COMPLETED.value, first
    again = _carry(session, message)  # redelivered: the stored run is returned, nothing is scanned
    assert again == first
    [run] = runs_of(session.store(), SERVICE)
    assert run.id == first.run and run.status is RunStatus.COMPLETED
    [entry] = audit_log.entries(session.store(), SERVICE, action="scan.finish")
    assert entry.actor == "worker:w1" and entry.details["status"] == "completed"


def test_a_scope_guard_refusal_on_the_worker_is_a_reply_not_a_crash(session: Session) -> None:
    path = session.workspace().services_dir / f"{SERVICE}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("2099-12-31", "2020-01-01"), encoding="utf-8")
    reply = _carry(session, _order(session), scan=None)
    assert reply.run is None and "2020-01-01" in (reply.error or "")
    assert runs_of(session.store(), SERVICE) == []


def test_a_profiles_time_limit_covers_every_probe_spending_its_whole_deadline(session: Session) -> None:
    brisk = session.catalog().profiles["brisk"]
    # 2 targets x 3 probes, 4 at a time: 2 waves of max(probe 4 s, nmap host timeout 20 s) + 30 s, plus 60 s
    assert brisk.run_time_limit_s(2) == 2 * (20 + 30) + 60


def test_a_scan_stopped_by_its_time_limit_is_stored_as_one_failed_run_with_the_reason(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.exceptions import SoftTimeLimitExceeded

    from secaudit.scan import engine

    def overran(*_args: Any, **_kwargs: Any) -> Any:
        raise SoftTimeLimitExceeded("the profile's time limit")

    monkeypatch.setattr(engine, "_execute", overran)
    reply = _carry(session, _order(session), scan=None)
    assert reply.run == "a" * 32 and reply.status == RunStatus.FAILED.value
    assert "SoftTimeLimitExceeded" in (reply.error or "")
    [run] = runs_of(session.store(), SERVICE)
    assert run.status is RunStatus.FAILED and run.finished_at is not None


def test_a_worker_that_cannot_work_says_why_before_taking_any_order(
    loop_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import run_cli
    from tests.schedule.conftest import free_port

    bad_zone = run_cli(["worker", "--zone", "Bad Zone"], loop_workspace)
    assert bad_zone.exit_code == 2 and "--zone: 'Bad Zone' is not a zone name" in bad_zone.stderr
    monkeypatch.delenv("SECAUDIT_BROKER_URL", raising=False)
    no_broker = run_cli(["worker", "--zone", "internet"], loop_workspace)
    assert no_broker.exit_code == 2 and "SECAUDIT_BROKER_URL" in no_broker.stderr
    monkeypatch.setenv("SECAUDIT_BROKER_URL", f"redis://:Worker-Secret@127.0.0.1:{free_port()}/0")
    unreachable = run_cli(["worker", "--zone", "internet"], loop_workspace)
    assert unreachable.exit_code == 3 and "cannot reach the broker redis://:**@127.0.0.1:" in unreachable.stderr
    assert "Worker-Secret" not in unreachable.stdout + unreachable.stderr
