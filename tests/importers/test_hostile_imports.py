"""Hostile and wrong files are refused clearly and fast (exit 2), naming the file, and nothing is stored."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from secaudit.importers.base import MAX_IMPORT_BYTES
from secaudit.pipeline.session import Session
from secaudit.store import scans
from tests.conftest import run_cli
from tests.scan.conftest import write_service

SERVICE = "imp-site"


def nmap_xml(address: str = "127.0.0.1", start: int = 1764900000, product: str = "web", port: int = 8443) -> str:
    """A small nmap -oX document (the structure nmap 7.93 writes) for one host with one open port."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sT -sV -p 1-10000 -oX out.xml 127.0.0.1" start="{start}" version="7.93"
 xmloutputversion="1.05">
<scaninfo type="connect" protocol="tcp" numservices="10000" services="1-10000"/>
<host starttime="{start}" endtime="{start + 5}"><status state="up" reason="user-set" reason_ttl="0"/>
<address addr="{address}" addrtype="ipv4"/>
<hostnames/>
<ports><port protocol="tcp" portid="{port}"><state state="open" reason="syn-ack" reason_ttl="0"/>
<service name="https" product="{product}" method="probed" conf="10"/></port></ports>
</host>
<runstats><finished time="{start + 5}" timestr="" summary="" elapsed="5.00" exit="success"/>
<hosts up="1" down="0" total="1"/></runstats>
</nmaprun>
"""


@pytest.fixture
def site(workspace: Path) -> Path:
    write_service(workspace, SERVICE, ["{host: localhost, addresses: [127.0.0.1], ports: [8443]}"])
    return workspace


def _refused(workspace: Path, path: Path, *extra: str) -> str:
    started = time.monotonic()
    result = run_cli(["scan", "import", SERVICE, str(path), *extra], workspace)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert time.monotonic() - started < 30  # refused, not chewed on
    assert scans.runs_of(Session(workspace_path=workspace).store(), SERVICE) == []
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    return result.stderr


def test_a_good_file_is_stored_so_the_refusals_below_mean_something(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "ok.xml"
    path.write_text(nmap_xml(), encoding="utf-8")
    result = run_cli(["scan", "import", SERVICE, str(path)], site)
    assert result.exit_code == 0, result.stderr
    assert len(scans.runs_of(Session(workspace_path=site).store(), SERVICE)) == 1


def test_an_oversized_file_is_refused_before_it_is_read(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as handle:
        handle.truncate(MAX_IMPORT_BYTES + 1)  # sparse: no disk used
    assert "huge.xml" in _refused(site, path) and "larger than the 32 MiB an import reads" in _refused(site, path)


def test_an_xml_bomb_is_refused_as_hostile(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
        + ']><nmaprun start="1" version="7.93">&i;</nmaprun>',
        encoding="utf-8",
    )
    stderr = _refused(site, path, "--format", "nmap-xml")
    assert "bomb.xml: nmap XML refused as hostile" in stderr


def test_an_external_entity_is_refused(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "xxe.xml"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<nmaprun start="1" version="7.93"><x>&x;</x></nmaprun>',
        encoding="utf-8",
    )
    assert "xxe.xml: nmap XML refused as hostile" in _refused(site, path)


def test_deeply_nested_json_is_refused_before_parsing(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"server_scan_results": ' + "[" * 100_000 + "]" * 100_000 + ', "sslyze_version": "6"}')
    stderr = _refused(site, path, "--format", "sslyze-json")
    assert "deep.json: JSON nested deeper than 64 levels; refused" in stderr


def test_a_file_of_another_format_than_named_is_refused_with_a_hint(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "scan.xml"
    path.write_text(nmap_xml(), encoding="utf-8")
    assert "scan.xml: not sslyze-json output; it looks like nmap-xml" in _refused(site, path, "--format", "sslyze-json")


def test_an_unknown_format_and_an_unrecognised_file_are_refused(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("port 22 is open, trust me\n", encoding="utf-8")
    assert "--format: unknown format 'burp' (known: auto, nmap-xml, sslyze-json" in _refused(
        site, path, "--format", "burp"
    )
    assert "notes.txt: not recognised as any format secaudit imports" in _refused(site, path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.xml", "", "empty.xml: the file is empty"),
        ("cut.xml", nmap_xml()[:400], "cut.xml: nmap XML is malformed or truncated"),
        ("cut.json", '{"server_scan_results": [{"server_location": ', "cut.json: line 1, column"),
        ("latin1.json", None, "latin1.json: not UTF-8 text"),
        ("unfinished.xml", nmap_xml().split("<runstats>")[0] + "</nmaprun>", "the run did not finish"),
    ],
)
def test_broken_files_are_refused_naming_the_file_and_the_place(
    site: Path, tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is None:
        path.write_bytes(b'{"server_scan_results": [], "sslyze_version": "caf\xe9"}')
    else:
        path.write_text(content, encoding="utf-8")
    fmt = "sslyze-json" if name.endswith(".json") else "nmap-xml"
    assert message in _refused(site, path, "--format", fmt)


def test_a_host_outside_the_scope_is_refused_by_address(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "other.xml"
    path.write_text(nmap_xml(address="192.0.2.10"), encoding="utf-8")
    assert "other.xml: 192.0.2.10: not within the declared scope of imp-site" in _refused(site, path)


def test_a_scan_dated_in_the_future_is_refused(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "later.xml"
    path.write_text(nmap_xml(start=int(time.time()) + 86400), encoding="utf-8")
    assert "later than now" in _refused(site, path)


def test_a_scan_after_the_authorisation_ended_is_refused(workspace: Path, tmp_path: Path) -> None:
    write_service(
        workspace, SERVICE, ["{host: localhost, addresses: [127.0.0.1], ports: [8443]}"], authorized_until="2025-01-31"
    )
    path = tmp_path / "late.xml"
    path.write_text(nmap_xml(start=1764900000), encoding="utf-8")  # 2025-12-05
    stderr = _refused(workspace, path)
    assert "the authorisation by 情報政策課長 ended on 2025-01-31, before the scan (2025-12-05)" in stderr


def test_a_missing_file_is_named(site: Path, tmp_path: Path) -> None:
    assert f"{tmp_path / 'nowhere.xml'}: cannot read the file" in _refused(site, tmp_path / "nowhere.xml")


def test_html_in_a_banner_is_kept_as_text(site: Path, tmp_path: Path) -> None:
    path = tmp_path / "html.xml"
    path.write_text(nmap_xml(product="&lt;script&gt;alert(1)&lt;/script&gt;"), encoding="utf-8")
    result = run_cli(["scan", "import", SERVICE, str(path), "--output", "json"], site)
    assert result.exit_code == 0, result.stderr
    [facts] = [
        f for p, _, f in scans.facts_of(Session(workspace_path=site).store(), json.loads(result.stdout)["run"]["id"])
    ]
    assert facts["ports"][0]["product"] == "<script>alert(1)</script>"
    report = run_cli(["report", SERVICE, "--format", "html", "--output", str(tmp_path / "r.html")], site)
    assert report.exit_code in (0, 1), report.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
