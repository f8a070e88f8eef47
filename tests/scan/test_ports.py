"""The ports probe: nmap arguments, deadlines, and XML that never turns an unscanned host into a pass."""

from __future__ import annotations

import ipaddress
import time
from pathlib import Path
from typing import Any

import pytest

from secaudit.model import NmapOptions, ObservationStatus, PortFacts, Target
from secaudit.model.facts import port_ranges
from secaudit.scan.errors import ProbeFailure
from secaudit.scan.judges import REGISTRY, judge, validate_checks
from secaudit.scan.probes import ports
from secaudit.scan.probes.nmap_xml import parse_nmap_xml
from secaudit.scan.scope import ApprovedTarget
from secaudit.workspace import builtin_layer

FIXTURES = Path(__file__).parent / "fixtures" / "nmap"
LOCAL = ipaddress.ip_address("127.0.0.1")
INSTALL = ports.NmapInstall(path="/usr/bin/nmap", version="7.93")


def _approved(ports_declared: list[int]) -> ApprovedTarget:
    return ApprovedTarget(Target(host="localhost", ports=ports_declared), "localhost", (LOCAL,))


def _ports_checks() -> list[Any]:
    from secaudit.catalog import load_catalog

    return [c for c in load_catalog([builtin_layer()]).checks.values() if c.probe.value == "ports"]


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("host_timeout.xml", "host timeout"),
        ("unresolved.xml", "nmap reported nothing for 127.0.0.1"),
        ("truncated.xml", "malformed or truncated"),
        ("entity_bomb.xml", "refused as hostile"),
        ("host_down.xml", "host is down"),
        ("run_error.xml", "nmap failed: Failed to open device"),
    ],
)
def test_unscanned_host_is_an_error_never_a_pass(fixture: str, reason: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (FIXTURES / fixture).read_bytes()
    monkeypatch.setattr(
        ports, "run_nmap", lambda argv, deadline: ports.NmapExecution(argv, data, "", 0, timed_out=False)
    )
    result = ports.scan_ports(_approved([443]), NmapOptions(), INSTALL)
    [facts] = result.facts
    assert facts.error is not None and reason in facts.error
    assert facts.ports == []
    checks = _ports_checks()
    parameters = validate_checks(checks)
    verdicts = {judge(c, parameters[c.id], facts)[0] for c in checks}
    assert verdicts == {ObservationStatus.ERROR}
    assert result.raw_xml == [("127.0.0.1", data)]


def test_overrun_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        ports, "run_nmap", lambda argv, deadline: ports.NmapExecution(argv, b"<nmaprun", "", -9, timed_out=True)
    )
    [facts] = ports.scan_ports(_approved([443]), NmapOptions(), INSTALL).facts
    assert facts.error == "nmap overran its deadline and was killed"


def test_deadline_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child-survived"
    started = time.monotonic()
    execution = ports.run_nmap(["sh", "-c", f"(sleep 1; touch {marker}) & sleep 30"], deadline_s=0.3)
    assert execution.timed_out
    assert time.monotonic() - started < 10
    time.sleep(1.5)  # the background child would have touched the marker by now had it survived
    assert not marker.exists()


def test_banner_with_markup_is_kept_verbatim() -> None:
    report = parse_nmap_xml((FIXTURES / "banner.xml").read_bytes())
    host = report.for_address("127.0.0.1")
    assert host.error is None
    by_port = {p.port: p for p in host.ports}
    assert by_port[2222].banner == "<script>alert(1)</script> StrayDaemon 1.0"
    assert by_port[80].product == "Apache httpd" and by_port[80].version == "2.4.1"
    assert host.scripts["2222/banner"] == "<script>alert(1)</script> StrayDaemon 1.0"


def test_arguments_come_from_the_profile_only() -> None:
    options = NmapOptions(ports=[443, 80], timing=3, version_detection=True, host_timeout_s=60, max_rate=100)
    argv = ports.nmap_arguments(options, port_ranges([8443, 80, 81, 82]), ipv6=False)
    assert argv[:2] == ["-sT", "-n"]
    assert "-sS" not in argv and "sudo" not in argv
    assert argv[argv.index("--host-timeout") + 1] == "60s"
    assert argv[argv.index("-p") + 1] == "80-82,8443"
    assert "-sV" in argv and argv[argv.index("--max-rate") + 1] == "100"
    assert ports.target_arguments([LOCAL]) == ["--", "127.0.0.1"]


def test_top_ports_are_nmaps_own_ranking() -> None:
    """nmap lists its top N ports in its XML without scanning anything: the profile's base set."""
    top = ports.top_ports(ports.locate_nmap().path, 100)
    assert len(top) == 100
    assert {21, 22, 23, 80, 443, 3306, 3389, 8081, 8443} <= set(top)


def test_the_port_set_adds_declared_and_named_ports_to_the_profile() -> None:
    install = ports.locate_nmap()
    quick = ports.port_set(NmapOptions(top_ports=100), install, declared=[18443], named=[6379, 27017])
    covered = {p for low, high in quick.ranges for p in range(low, high + 1)}
    assert len(covered) == 103 and {18443, 6379, 27017, 8081} <= covered
    assert quick.source == "nmap top 100 + declared + named by checks"
    deep = ports.port_set(NmapOptions(all_ports=True), install, declared=[18443], named=[6379])
    assert deep.ranges == [(1, 65535)] and deep.source == "all 65,535 ports"
    listed = ports.port_set(NmapOptions(ports=[443]), install, declared=[])
    assert listed.source == "the profile's list"
    # every part of the port set's origin reads in Japanese in a Japanese report
    for source, ja in (
        (quick.source, "nmapの上位100ポート、申告されたポート、チェックが指定するポート"),
        (deep.source, "全65,535ポート"),
        (listed.source, "プロファイルの一覧"),
    ):
        assert PortFacts(target="t", address="127.0.0.1", scanned_from=source).scanned_from_ja() == ja


def test_a_profile_scans_either_all_ports_or_the_top_ones() -> None:
    with pytest.raises(ValueError, match="all_ports or top_ports"):
        NmapOptions(all_ports=True, top_ports=100)


@pytest.mark.parametrize("smuggled", ["-iL /etc/passwd", "-iL", "--script=evil"])
def test_non_addresses_never_reach_nmap(smuggled: str) -> None:
    with pytest.raises(ProbeFailure):
        ports.target_arguments([smuggled])  # type: ignore[list-item]


def test_no_ports_is_an_error_not_a_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ports, "run_nmap", lambda *a: pytest.fail("nmap started"))
    [facts] = ports.scan_ports(_approved([]), NmapOptions(), INSTALL).facts
    assert facts.error is not None and "no ports to scan" in facts.error


def test_missing_nmap_names_the_install_command() -> None:
    with pytest.raises(ports.ScanEnvironmentError) as exc:
        ports.locate_nmap(["/nonexistent/nmap"])
    assert "apt-get install nmap" in exc.value.message


def test_real_nmap_sees_the_stray_port_and_its_banner(loopback: Any) -> None:
    stray = loopback.ports["stray"]
    # only the stray port: the banner script would wait out its timeout on a server that speaks second
    options = NmapOptions(ports=[stray], timing=4, host_timeout_s=30, scripts=["banner"])
    result = ports.scan_ports(_approved([]), options, ports.locate_nmap())
    [facts] = result.facts
    assert facts.error is None, facts.error
    assert facts.open_ports() == [stray]
    banner = next(p.banner for p in facts.ports if p.port == stray)
    assert banner == "<script>alert(1)</script> StrayDaemon 1.0"
    assert isinstance(facts, PortFacts) and facts.nmap_version
    assert facts.nmap_args[facts.nmap_args.index("--script") + 1] == "banner"


def test_every_ports_assertion_is_registered() -> None:
    assert {c.assertion for c in _ports_checks()} <= set(REGISTRY[_ports_checks()[0].probe])
