"""testssl.sh's JSON imported as evidence: the real testssl.sh run against loopback TLS servers the tests start.

testssl.sh runs against 127.0.0.1 only (``--ip``), with no DNS look-up (``--nodns none``) and no CRL or OCSP
fetch (``--phone-out`` is off by default), and checks only what the importer reads: protocols (``-p``), the
certificate (``-S``) and the suites per protocol (``-E``). Its runs are made once per module, side by side.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from secaudit.importers import REGISTRY, detect
from secaudit.pipeline.session import Session
from secaudit.store import scans
from tests.conftest import REPO, run_cli
from tests.importers.conftest import TlsTargets, elsewhere_service, import_service, run_sslyze
from tests.scan.conftest import write_service
from tests.scan.loopback import GOOD_HEADERS, Loopback, TestCA, make_handler, serve_http, server_context

# testssl.sh times its handshakes with real timeouts (sleep, openssl's own); under libfaketime, which shifts the
# monotonic clock too, a run that takes 20 s did not finish in 120 (seen in make test-future). Run a year ahead,
# the sslyze and nmap imports and the hostile-file tests still cover the importers.
pytestmark = pytest.mark.realtime

TESTSSL = shutil.which("testssl") or shutil.which("testssl.sh")
"""testssl.sh as `make test-deps` installs it (the Debian package testssl.sh, 3.0.8)."""
WHAT_IS_IMPORTED = ["-p", "-S", "-E"]
"""Protocols, server defaults (the certificate) and the suites of each protocol: what the importer reads."""
NMAP_XML = REPO / "tests" / "scan" / "fixtures" / "nmap" / "banner.xml"


def run_testssl(
    ports: list[int], out: Path, checks: list[str], ca_bundle: Path | None = None, flat: bool = False
) -> Path:
    """Run the real testssl.sh against ``https://localhost:PORT`` at 127.0.0.1 for each of ``ports``; its JSON
    (pretty, or flat with ``flat``) at ``out``. Several ports are one mass-testing run (``--file``), one file."""
    if TESTSSL is None:
        pytest.fail("testssl.sh is not installed: run `make test-deps` (it installs Debian's testssl.sh)")
    argv = [TESTSSL, "--quiet", "--warnings", "off", "--color", "0", "--sneaky", "--nodns", "none", *checks]
    if ca_bundle is not None:
        argv += ["--add-ca", str(ca_bundle)]
    argv += ["--jsonfile" if flat else "--jsonfile-pretty", str(out)]
    uris = [f"--ip 127.0.0.1 https://localhost:{port}" for port in ports]
    if len(uris) == 1:
        argv += uris[0].split()
    else:
        listing = out.with_suffix(".targets")
        listing.write_text("\n".join(uris) + "\n", encoding="utf-8")
        argv += ["--parallel", "--file", str(listing)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, cwd=out.parent)
    assert out.exists() and out.stat().st_size > 0, (
        f"testssl.sh wrote no JSON (exit {done.returncode}): {done.stdout[-1500:]} {done.stderr[-1500:]}"
    )
    return out


@dataclass
class Chained:
    """A TLS 1.2+ server that sends its leaf and an intermediate CA's certificate; ``ca_bundle`` is the root."""

    port: int
    ca_bundle: Path


@dataclass
class TestsslFiles:
    """The module's testssl.sh results: ``both`` (old and modern, -p -S -E, pretty), ``chained`` (-S only,
    pretty) and ``flat`` (modern, -p, flat JSON)."""

    __test__ = False  # a helper, not a test class

    both: Path
    chained: Path
    flat: Path


@pytest.fixture(scope="module")
def chained_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chained]:
    folder = tmp_path_factory.mktemp("chained")
    root = TestCA.create(folder)
    middle = root.intermediate(folder)
    now = dt.datetime.now(dt.UTC)
    cert, key = middle.issue(folder, "chained", now - dt.timedelta(days=1), now + dt.timedelta(days=90))
    full = folder / "chained-full.pem"
    full.write_bytes(cert.read_bytes() + middle.bundle.read_bytes())
    loop = Loopback()
    try:
        port = serve_http(
            loop,
            "chained",
            make_handler(GOOD_HEADERS, "web", trace=False),
            server_context(full, key, ssl.TLSVersion.TLSv1_2),
        )
    except BaseException:
        loop.stop()
        raise
    yield Chained(port, root.bundle)
    loop.stop()


@pytest.fixture(scope="module")
def testssl(tls_targets: TlsTargets, chained_target: Chained, tmp_path_factory: pytest.TempPathFactory) -> TestsslFiles:
    folder = tmp_path_factory.mktemp("testssl")
    p = tls_targets.ports
    with ThreadPoolExecutor(max_workers=3) as pool:
        both = pool.submit(
            run_testssl, [p["old"], p["modern"]], folder / "both.json", WHAT_IS_IMPORTED, tls_targets.ca_bundle
        )
        chained = pool.submit(
            run_testssl, [chained_target.port], folder / "chained.json", ["-S"], chained_target.ca_bundle
        )
        flat = pool.submit(run_testssl, [p["modern"]], folder / "flat.json", ["-p"], None, True)
        return TestsslFiles(both.result(), chained.result(), flat.result())


@pytest.fixture(scope="module")
def sslyze_both(tls_targets: TlsTargets, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sslyze's JSON for both servers in one run, given the test CA as testssl.sh is (``--add-ca``)."""
    out = tmp_path_factory.mktemp("sslyze") / "both.json"
    p = tls_targets.ports
    return run_sslyze(
        [f"localhost:{p['old']}{{127.0.0.1}}", f"localhost:{p['modern']}{{127.0.0.1}}"], out, tls_targets.ca_bundle
    )


def _import(workspace: Path, service_id: str, path: Path, fmt: str | None = "testssl-json") -> Any:
    args = ["scan", "import", service_id, str(path), "--output", "json"]
    result = run_cli([*args, "--format", fmt] if fmt else args, workspace)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _statuses(shown: Any) -> dict[tuple[str, str], str]:
    return {(o["check_id"], o["target"]): o["status"] for o in shown["observations"]}


def _version(path: Path) -> str:
    version: str = json.loads(path.read_text(encoding="utf-8"))["version"].split()[0]
    assert re.fullmatch(r"\d+\.\d+(\.\d+)*", version), version
    return version


def _runs(workspace: Path, service_id: str) -> list[object]:
    return list(scans.runs_of(Session(workspace_path=workspace).store(), service_id))


def test_legacy_protocol_and_expired_certificate_fail_marked_as_imported_from_testssl(
    workspace: Path, tls_targets: TlsTargets, testssl: TestsslFiles
) -> None:
    import_service(workspace, tls_targets)
    shown = _import(workspace, "legacy-site", testssl.both)
    assert shown["format"] == "testssl-json"
    version = _version(testssl.both)
    observed = {(o["check_id"], o["target"]): (o["status"], o["evidence"]) for o in shown["observations"]}
    old = f"https://localhost:{tls_targets.ports['old']}/"
    modern = f"https://localhost:{tls_targets.ports['modern']}/"
    status, evidence = observed[("tls.legacy-protocols-disabled", old)]
    assert status == "fail"
    assert evidence.startswith(f"[imported from testssl.sh {version}] offered: TLSv1 (ECDHE-"), evidence
    status, evidence = observed[("tls.certificate-valid", old)]
    assert status == "fail"
    assert evidence.startswith(f"[imported from testssl.sh {version}] expired on "), evidence
    # the modern server, in the same file: TLS 1.2+ only, and a valid certificate that testssl.sh trusted
    # through the test CA it was given (--add-ca)
    for check in ("tls.legacy-protocols-disabled", "tls.certificate-valid", "tls.certificate-trusted"):
        assert observed[(check, modern)][0] == "pass", (check, observed[(check, modern)])
    [run] = scans.runs_of(Session(workspace_path=workspace).store(), "legacy-site")
    assert run.profile == "import-testssl-json" and run.imported is not None
    assert {k: run.imported[k] for k in ("format", "tool", "tool_version", "file")} == {
        "format": "testssl-json",
        "tool": "testssl.sh",
        "tool_version": version,
        "file": testssl.both.name,
    }
    started = int(json.loads(testssl.both.read_text(encoding="utf-8"))["startTime"])
    assert run.started_at == dt.datetime.fromtimestamp(started, dt.UTC)


def test_testssl_and_sslyze_agree_check_by_check(
    workspace: Path, tls_targets: TlsTargets, testssl: TestsslFiles, sslyze_both: Path
) -> None:
    import_service(workspace, tls_targets)
    by_sslyze = _statuses(_import(workspace, "legacy-site", sslyze_both, "sslyze-json"))
    by_testssl = _statuses(_import(workspace, "legacy-site", testssl.both))
    assert set(by_sslyze) == set(by_testssl)
    answered = [key for key in by_sslyze if "not_run" not in (by_sslyze[key], by_testssl[key])]
    differing = {key: (by_sslyze[key], by_testssl[key]) for key in answered if by_sslyze[key] != by_testssl[key]}
    assert differing == {}
    # both tools answer every TLS check of both servers: the agreement is over all of them, not a few
    assert len(answered) == len(by_sslyze), sorted(set(by_sslyze) - set(answered))
    assert {"fail", "pass"} <= set(by_testssl.values())
    assert {target for _, target in answered} == {
        f"https://localhost:{tls_targets.ports[name]}/" for name in ("old", "modern")
    }


def test_checks_testssl_did_not_run_or_cannot_say_are_not_run_never_pass(
    workspace: Path, testssl: TestsslFiles, chained_target: Chained
) -> None:
    url = f"https://localhost:{chained_target.port}/"
    write_service(
        workspace,
        "chained-site",
        [f"{{url: '{url}', addresses: [127.0.0.1], ca_bundle: '{chained_target.ca_bundle}'}}"],
    )
    findings = {
        f["id"]: f["finding"] for f in json.loads(testssl.chained.read_text())["scanResult"][0]["serverDefaults"]
    }
    # testssl.sh 3.0 counts the intermediate the server sent but does not write it (3.1 added intermediate_cert)
    assert findings["certs_countServer"] == "2"
    assert not [key for key in findings if key.startswith("intermediate_cert")]
    shown = _import(workspace, "chained-site", testssl.chained)
    version = _version(testssl.chained)
    observed = {o["check_id"]: (o["status"], o["evidence"]) for o in shown["observations"]}
    for check in ("tls.legacy-protocols-disabled", "tls.modern-protocol-offered", "tls.cipher-strength"):
        status, evidence = observed[check]
        assert status == "not_run", (check, evidence)
        assert evidence.endswith(
            f"[imported from testssl.sh {version}] not run: testssl.sh's results do not say which of SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, "
            "TLSv1.3 the server accepts"
        ), evidence
    status, evidence = observed["tls.certificate-chain"]
    assert status == "not_run", evidence
    assert evidence == (
        f"[imported from testssl.sh {version}] not run: testssl.sh's results hold 1 of the 2 certificates the server sent"
    )
    # the target declares its own CA: which lifespan limit applies depends on the chain the file does not hold
    assert observed["tls.certificate-lifespan"][0] == "not_run"
    for check in ("tls.certificate-valid", "tls.certificate-trusted", "tls.certificate-hostname", "tls.key-strength"):
        assert observed[check][0] == "pass", (check, observed[check])


def test_a_testssl_file_named_as_sslyze_and_an_sslyze_file_named_as_testssl_are_refused(
    workspace: Path, tls_targets: TlsTargets, testssl: TestsslFiles, sslyze_both: Path
) -> None:
    import_service(workspace, tls_targets)
    result = run_cli(["scan", "import", "legacy-site", str(testssl.both), "--format", "sslyze-json"], workspace)
    assert result.exit_code == 2
    assert f"{testssl.both.name}: not sslyze-json output; it looks like testssl-json" in result.stderr
    result = run_cli(["scan", "import", "legacy-site", str(sslyze_both), "--format", "testssl-json"], workspace)
    assert result.exit_code == 2
    assert f"{sslyze_both.name}: not testssl-json output; it looks like sslyze-json" in result.stderr
    assert _runs(workspace, "legacy-site") == []


def test_a_truncated_testssl_file_is_refused_naming_the_place(
    workspace: Path, tls_targets: TlsTargets, testssl: TestsslFiles, tmp_path: Path
) -> None:
    import_service(workspace, tls_targets)
    data = testssl.both.read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[: len(data) // 2])
    result = run_cli(["scan", "import", "legacy-site", str(cut), "--format", "testssl-json"], workspace)
    assert result.exit_code == 2
    assert re.search(r"cut\.json: line \d+, column \d+: not valid JSON", result.stderr), result.stderr
    assert _runs(workspace, "legacy-site") == []


def test_a_certificate_that_is_not_pem_is_refused_naming_the_finding(
    workspace: Path, tls_targets: TlsTargets, testssl: TestsslFiles, tmp_path: Path
) -> None:
    import_service(workspace, tls_targets)
    document = json.loads(testssl.both.read_text(encoding="utf-8"))
    section = document["scanResult"][1]["serverDefaults"]
    [position] = [i for i, finding in enumerate(section) if finding["id"] == "cert"]
    section[position]["finding"] = "-----BEGIN CERTIFICATE----- not*base64 -----END CERTIFICATE-----"
    damaged = tmp_path / "damaged.json"
    damaged.write_text(json.dumps(document), encoding="utf-8")
    result = run_cli(["scan", "import", "legacy-site", str(damaged), "--format", "testssl-json"], workspace)
    assert result.exit_code == 2
    assert (
        f"damaged.json: scanResult[1].serverDefaults[{position}] (id=cert): the certificate is not PEM" in result.stderr
    )
    assert _runs(workspace, "legacy-site") == []


def test_the_testssl_file_for_a_service_whose_scope_does_not_cover_it_is_refused_by_name(
    workspace: Path, tls_targets: TlsTargets, testssl: TestsslFiles
) -> None:
    elsewhere_service(workspace)
    result = run_cli(["scan", "import", "other-site", str(testssl.both), "--format", "testssl-json"], workspace)
    assert result.exit_code == 2
    for name in ("old", "modern"):
        port = tls_targets.ports[name]
        assert f"localhost:{port} (127.0.0.1): not within the declared scope of other-site" in result.stderr
    assert _runs(workspace, "other-site") == []
    log = run_cli(["log", "show", "--service", "other-site"], workspace)
    assert "scan.import" not in log.stdout


def test_testssl_flat_json_is_refused_because_it_has_no_scan_time(
    workspace: Path, tls_targets: TlsTargets, testssl: TestsslFiles
) -> None:
    import_service(workspace, tls_targets)
    result = run_cli(["scan", "import", "legacy-site", str(testssl.flat)], workspace)
    assert result.exit_code == 2
    assert f"{testssl.flat.name}: testssl.sh's flat JSON (--jsonfile) records neither" in result.stderr
    assert "--jsonfile-pretty" in result.stderr
    assert _runs(workspace, "legacy-site") == []


def test_auto_detects_testssl_json_and_tells_it_from_sslyze_and_nmap(
    workspace: Path, tls_targets: TlsTargets, testssl: TestsslFiles, sslyze_both: Path
) -> None:
    importer = REGISTRY["testssl-json"]
    assert detect(testssl.both.read_bytes()) is importer
    assert detect(testssl.flat.read_bytes()) is importer
    assert detect(sslyze_both.read_bytes()) is REGISTRY["sslyze-json"]
    assert detect(NMAP_XML.read_bytes()) is REGISTRY["nmap-xml"]
    assert not importer.detect(sslyze_both.read_bytes()) and not importer.detect(NMAP_XML.read_bytes())
    import_service(workspace, tls_targets)
    assert _import(workspace, "legacy-site", testssl.both, fmt=None)["format"] == "testssl-json"
