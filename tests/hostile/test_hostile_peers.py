"""Scan targets that answer with hostility: each ends as an ``error`` observation within the probe's
deadline, a redirect out of scope is recorded and never followed, and the other targets are unaffected."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import run_cli
from tests.hostile import peers
from tests.scan.conftest import write_service
from tests.scan.loopback import LEAKY_HEADERS, Loopback, make_handler, serve_http

pytestmark = pytest.mark.timeout(90)
PROBE_TIMEOUT_S = 2


@pytest.fixture(scope="module")
def hostile() -> Iterator[dict[str, peers.Peer]]:
    """Every hostile peer, a well-behaved control server, and a listener outside the scope (127.0.0.2)."""
    started: dict[str, peers.Peer] = {}
    stoppers = []
    behaviours = {
        "stall": peers.stall,
        "tls-trickle": peers.tls_trickle,
        "garbage": peers.garbage,
        "hangup": peers.hang_up,
        "trickle": peers.trickle,
        "body-trickle": peers.body_trickle,
        "flood": peers.header_flood,
        "loop": peers.redirect_to(lambda path: b"/again" + path[:50]),
    }
    outside, stop_outside = peers.serve("127.0.0.2", peers.answer_ok)
    stoppers.append(stop_outside)
    started["outside"] = outside
    behaviours["escape"] = peers.redirect_to(lambda _path: f"http://127.0.0.2:{outside.port}/".encode())
    for name, behaviour in behaviours.items():
        peer, stop = peers.serve("127.0.0.1", behaviour)
        started[name] = peer
        stoppers.append(stop)
    control = Loopback()
    serve_http(control, "control", make_handler(LEAKY_HEADERS, "Apache/2.4.1", trace=True))
    started["control"] = peers.Peer("127.0.0.1", control.ports["control"])
    stoppers.append(control.stop)
    yield started
    for stop in stoppers:
        stop()


@pytest.fixture(scope="module")
def scan_result(hostile: dict[str, peers.Peer], tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One ``secaudit scan`` over every hostile target and the control, with a 2 s probe deadline."""
    root = tmp_path_factory.mktemp("hostile-ws")
    assert run_cli(["init", str(root)]).exit_code == 0
    p = {name: peer.port for name, peer in hostile.items()}
    https = [
        f"{{url: 'https://localhost:{p[n]}/', addresses: [127.0.0.1]}}"
        for n in ("stall", "tls-trickle", "garbage", "hangup")
    ]
    http = [
        f"{{url: 'http://localhost:{p[n]}/', addresses: [127.0.0.1]}}"
        for n in ("trickle", "body-trickle", "flood", "loop", "escape", "control")
    ]
    write_service(root, "hostile-peers", https + http)
    (root / "scanners").mkdir(exist_ok=True)
    (root / "scanners" / "hostile.yaml").write_text(
        f"""profiles:
  - id: hostile-short
    title: {{ja: 敵対的, en: Hostile}}
    probes: [tls, http]
    probe_timeout_s: {PROBE_TIMEOUT_S}
    concurrency: 8
""",
        encoding="utf-8",
    )
    result = run_cli(["scan", "hostile-peers", "--profile", "hostile-short", "--format", "json"], root)
    assert result.exit_code in (0, 1), result.stdout + result.stderr  # findings, never a crash or "unreachable"
    data = json.loads(result.stdout)
    from secaudit.store import open_store, scans
    from secaudit.workspace import find_workspace

    store = open_store(find_workspace(root).database_url)
    try:
        facts = {(probe, target): f for probe, target, f in scans.facts_of(store, data["run"]["id"])}
    finally:
        store.close()
    return {"data": data, "facts": facts, "ports": p}


def _statuses(scan_result: dict[str, object], url: str) -> set[str]:
    data = scan_result["data"]
    assert isinstance(data, dict)
    return {o["status"] for o in data["observations"] if o["target"] == url}


def _facts(scan_result: dict[str, object], probe: str, url: str) -> dict[str, object]:
    facts = scan_result["facts"]
    assert isinstance(facts, dict)
    return facts[(probe, url)]


def _url(scan_result: dict[str, object], name: str, scheme: str = "http") -> str:
    ports = scan_result["ports"]
    assert isinstance(ports, dict)
    return f"{scheme}://localhost:{ports[name]}/"


@pytest.mark.parametrize("name", ["stall", "tls-trickle", "garbage", "hangup"])
def test_hostile_tls_peer_is_an_error(scan_result: dict[str, object], name: str) -> None:
    url = _url(scan_result, name, "https")
    assert _statuses(scan_result, url) == {"error"}
    tls = _facts(scan_result, "tls", url)
    assert tls["error"], tls
    assert tls["certificate"] is None
    assert _facts(scan_result, "http", url)["error"]


@pytest.mark.parametrize("name", ["stall", "tls-trickle"])
def test_stalled_handshake_is_reported_as_a_timeout_not_a_refusal(scan_result: dict[str, object], name: str) -> None:
    tls = _facts(scan_result, "tls", _url(scan_result, name, "https"))
    protocols = tls["protocols"]
    assert isinstance(protocols, dict)
    # silence is not "not offered": every version stays unknown
    assert all(p["offered"] is None for p in protocols.values()), protocols
    assert "timed out" in str(tls["error"])


@pytest.mark.realtime
def test_trickled_headers_end_at_the_probe_deadline(scan_result: dict[str, object]) -> None:
    url = _url(scan_result, "trickle")
    assert _statuses(scan_result, url) == {"error"}
    assert f"deadline of {PROBE_TIMEOUT_S} s passed" in str(_facts(scan_result, "http", url)["error"])


@pytest.mark.realtime
def test_trickled_body_is_cut_at_the_deadline_and_the_headers_still_judged(scan_result: dict[str, object]) -> None:
    url = _url(scan_result, "body-trickle")
    http = _facts(scan_result, "http", url)
    assert http["error"] is None and http["status"] == 200 and http["body_truncated"] is True
    data = scan_result["data"]
    assert isinstance(data, dict)
    server = next(
        o for o in data["observations"] if o["target"] == url and o["check_id"] == "http.server-version-hidden"
    )
    assert server["status"] == "fail" and "TrickleServer/0.1" in server["evidence"]


def test_header_flood_is_an_error(scan_result: dict[str, object]) -> None:
    url = _url(scan_result, "flood")
    assert _statuses(scan_result, url) == {"error"}
    assert _facts(scan_result, "http", url)["error"]


def test_endless_redirect_loop_is_an_error(scan_result: dict[str, object]) -> None:
    url = _url(scan_result, "loop")
    assert _statuses(scan_result, url) == {"error"}
    assert "redirects" in str(_facts(scan_result, "http", url)["error"])


def test_redirect_out_of_scope_is_recorded_and_never_followed(
    scan_result: dict[str, object], hostile: dict[str, peers.Peer]
) -> None:
    url = _url(scan_result, "escape")
    http = _facts(scan_result, "http", url)
    outside = hostile["outside"]
    assert http["redirect_refused"] == f"http://127.0.0.2:{outside.port}/"
    assert any("not followed" in note for note in http["notes"])  # type: ignore[union-attr]
    assert outside.connections == 0
    # the refusal is a finding about the redirect, not a failed probe: the 302 itself is judged
    assert http["error"] is None and http["status"] == 302


def test_well_behaved_target_in_the_same_run_is_judged_normally(scan_result: dict[str, object]) -> None:
    url = _url(scan_result, "control")
    data = scan_result["data"]
    assert isinstance(data, dict)
    obs = {o["check_id"]: o for o in data["observations"] if o["target"] == url}
    assert obs and not [o for o in obs.values() if o["status"] == "error"], obs
    assert obs["http.server-version-hidden"]["status"] == "fail"
    assert "Apache/2.4.1" in obs["http.server-version-hidden"]["evidence"]
    assert obs["http.trace-disabled"]["status"] == "fail"
    assert data["run"]["status"] == "completed"
