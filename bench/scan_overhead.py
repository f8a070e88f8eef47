"""How much secaudit adds on top of nmap, and how long one TLS probe takes, on loopback.

Starts its own loopback targets (tests/scan/loopback.py) and a temporary
workspace, then measures in the same run, interleaved, several repetitions of
``secaudit scan SERVICE --profile P`` against the raw nmap command secaudit
builds for it (the service has one host target, so the work equals nmap's);
goal: ratio <= 1.10. Each is measured three ways: the whole command in a
fresh interpreter; the engine in-process (``run_scan`` alone, which leaves
out Python's start-up, loading the catalog and opening the database); and
the fixed cost per run in seconds, which does not grow with nmap's time.

Two scenarios:

* ``quick`` over the six open loopback ports: nmap needs only ~30 ms here,
  so a fixed cost of a few tens of milliseconds dominates the ratio; shown
  for information, with that fixed cost.
* ``standard`` (the profile cron runs weekly: its 16 ports plus version
  detection) over a threaded plain-HTTP server on loopback: nmap's own work
  (seconds of version probing) dominates, as it does against a real host.
  The goal is judged here.

Also the TLS probe (five handshakes: four versions plus the trust check) per
loopback endpoint (goal: median < 0.3 s); the HTTP probe (the page, its
redirects within scope, the http:// variant, OPTIONS and TRACE, a directory
listing check) per loopback endpoint (information); and a portfolio of 20
loopback services scanned by ``secaudit scan --all --profile quick`` in one
fresh process, as cron runs it (information: total, per service, and the
batch's concurrency).

Run: PYTHONPATH=. python bench/scan_overhead.py [--repetitions N] [--portfolio N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from figures import figure  # noqa: E402

from secaudit.cli.app import app  # noqa: E402
from secaudit.scan.probes import ports as ports_probe  # noqa: E402
from secaudit.scan.probes.tls import Endpoint, collect_tls  # noqa: E402
from tests.scan.loopback import start_targets  # noqa: E402

COMMAND = "PYTHONPATH=. python bench/scan_overhead.py"
GOAL_PROFILE = "standard"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002  (the base class's name)
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # nmap's probes reset connections on purpose


def _start_web_server(folder: Path) -> http.server.ThreadingHTTPServer:
    """A threaded plain-HTTP server on loopback: it answers nmap's version probes as a real web server does."""
    (folder / "www").mkdir(exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(folder / "www"))
    server = _QuietServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return server


SERVICE = """\
id: {sid}
name: {{ja: ベンチ{n}, en: Bench {n}}}
department: 情報政策課
owner: {{name: 計測, email: bench@example.jp}}
security_officer: {{name: 計測, email: bench@example.jp}}
classification: {{confidentiality: 1, integrity: 1, availability: 1}}
attributes: {{internet_facing: {internet}, personal_data: false, network_tier: internet}}
scope:
  authorized_by: 情報政策課長
  authorized_until: 2099-12-31
  targets:
{targets}
checklists: [mic-baseline]
schedule: "0 3 * * 1"
"""


def _init_workspace(root: Path, services: dict[str, list[int]]) -> None:
    """A new workspace whose services each scan one loopback host on the given ports."""
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["init", str(root), "--organisation-ja", "ベンチ", "--organisation-en", "Bench"])
    if result.exit_code != 0:
        raise SystemExit(f"secaudit init failed: {result.output}")
    for example in (root / "services").glob("*.yaml"):
        example.unlink()
    for sid, ports in services.items():
        host = f"    - {{host: localhost, addresses: [127.0.0.1], ports: {sorted(ports)}}}"
        _write_service(root, sid, "", host, internet=False)


def _write_service(root: Path, sid: str, n: str, targets: str, internet: bool) -> None:
    text = SERVICE.format(sid=sid, n=n, targets=targets, internet=str(internet).lower())
    (root / "services" / f"{sid}.yaml").write_text(text, encoding="utf-8")


def _timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, env=env, check=False, timeout=300)
    return time.perf_counter() - started


def _engine_once(root: Path, service_id: str, profile: str) -> float:
    """One run_scan, timed without loading the catalog or opening the store (the CLI's cost, not the engine's)."""
    from secaudit.catalog import load_catalog
    from secaudit.inventory import find_service
    from secaudit.scan.engine import run_scan
    from secaudit.store import open_store
    from secaudit.workspace import find_workspace

    ws = find_workspace(root)
    catalog = load_catalog(ws.catalog_layers())
    service = find_service(ws.services_dir, service_id, catalog.checklists, ws.config.classification_scheme)
    store = open_store(ws.database_url)
    started = time.perf_counter()
    run_scan(service, catalog, store, ws.config, profile)
    return time.perf_counter() - started


def _http_medians(loop: object, reps: int) -> dict[str, float]:
    """Median seconds of the HTTP probe per loopback endpoint (plain, TLS, and a redirect to TLS)."""
    from secaudit.model import Service
    from secaudit.scan.probes.http import probe_http
    from secaudit.scan.scope import check_scope

    ports: dict[str, int] = loop.ports  # type: ignore[attr-defined]
    bundle = str(loop.ca_bundle)  # type: ignore[attr-defined]
    urls = {
        "plain http (leaky)": f"http://localhost:{ports['leaky']}/",
        "https (good)": f"https://localhost:{ports['good']}/",
        "redirect to https": f"http://localhost:{ports['redirect']}/",
    }
    targets = [{"url": url, "addresses": ["127.0.0.1"], "ca_bundle": bundle} for url in urls.values()]
    targets.append({"host": "localhost", "addresses": ["127.0.0.1"], "ports": sorted(ports.values())})
    service = Service.model_validate(
        {
            "id": "bench-http",
            "name": {"ja": "ベンチ", "en": "Bench"},
            "department": "情報政策課",
            "owner": {"name": "計測", "email": "bench@example.jp"},
            "security_officer": {"name": "計測", "email": "bench@example.jp"},
            "classification": {"confidentiality": 1, "integrity": 1, "availability": 1},
            "attributes": {"internet_facing": True, "personal_data": False, "network_tier": "internet"},
            "scope": {"authorized_by": "情報政策課長", "authorized_until": "2099-12-31", "targets": targets},
        }
    )
    decision = check_scope(service, dt.date.today())
    medians = {}
    for (name, url), approved in zip(urls.items(), decision.approved, strict=False):
        assert approved.target.url == url
        samples = []
        for _ in range(reps):
            started = time.perf_counter()
            facts = probe_http(approved, decision, timeout_s=10)
            samples.append(time.perf_counter() - started)
            if facts.error:
                raise SystemExit(f"HTTP probe of {url} failed: {facts.error}")
        medians[name] = statistics.median(samples)
    return medians


def _portfolio(folder: Path, loop: object, count: int, env: dict[str, str]) -> tuple[float, str]:
    """Seconds ``secaudit scan --all --profile quick`` takes over ``count`` loopback services, fresh process."""
    ports: dict[str, int] = loop.ports  # type: ignore[attr-defined]
    bundle = loop.ca_bundle  # type: ignore[attr-defined]
    root = folder / "portfolio"
    _init_workspace(root, {})
    targets = (
        f"    - {{host: localhost, addresses: [127.0.0.1], ports: [{ports['good']}, {ports['leaky']}]}}\n"
        f"    - {{url: 'https://localhost:{ports['good']}/', addresses: [127.0.0.1], ca_bundle: '{bundle}'}}"
    )
    for n in range(count):
        _write_service(root, f"loop-{n:02d}", str(n), targets, internet=True)
    argv = [sys.executable, "-m", "secaudit", "scan", "--all", "--profile", "quick", "--log-format", "json"]
    started = time.perf_counter()
    done = subprocess.run(
        argv, capture_output=True, text=True, env={**env, "SECAUDIT_WORKSPACE": str(root)}, check=False, timeout=900
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"scan --all exited {done.returncode}: {done.stderr[-800:]}{done.stdout[-800:]}")
    finished = done.stdout.count('"event": "scan.finish"')
    if finished != count:
        raise SystemExit(f"scan --all finished {finished} of {count} services:\n{done.stdout[-2000:]}")
    from secaudit.model.config import ScanSettings

    return elapsed, f"{ScanSettings().batch_concurrency} services at a time, the default"


def main() -> None:
    """Measure and print each figure beside its goal and the command that reproduces it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--portfolio", type=int, default=20, help="services in the scan --all portfolio (0: skip)")
    args = parser.parse_args()
    reps = args.repetitions
    portfolio: tuple[float, str] | None = None
    results: dict[str, tuple[list[str], list[float], list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="secaudit-bench-") as tmp:
        folder = Path(tmp)
        loop = start_targets(folder)
        web: http.server.ThreadingHTTPServer | None = None
        try:
            ports = sorted(loop.ports.values())
            web = _start_web_server(folder)
            scenarios = {"quick": ("bench-host", ports), "standard": ("bench-web", [web.server_address[1]])}
            root = folder / "ws"
            _init_workspace(root, dict(scenarios.values()))
            install = ports_probe.locate_nmap()
            from secaudit.catalog import load_catalog
            from secaudit.workspace import builtin_layer

            profiles = load_catalog([builtin_layer()]).profiles
            env = {**os.environ, "PYTHONPATH": str(REPO), "SECAUDIT_WORKSPACE": str(root)}
            env.pop("PYTHONDONTWRITEBYTECODE", None)  # bytecode cached, as in an installed secaudit
            env.setdefault("PYTHONPYCACHEPREFIX", str(folder / "pycache"))
            for profile, (service_id, declared) in scenarios.items():
                options = profiles[profile].nmap
                nmap_argv = [
                    install.path,
                    # the profile's own port set (top N, its list, the declared ports), as the engine chooses it
                    *ports_probe.nmap_arguments(
                        options, ports_probe.port_set(options, install, declared).ranges, ipv6=False
                    ),
                    "--",
                    "127.0.0.1",
                ]
                cli_argv = [sys.executable, "-m", "secaudit", "scan", service_id, "--profile", profile]
                nmap_times, cli_times, engine_times = [], [], []
                _timed(nmap_argv)  # warm the page cache before measuring
                _timed(cli_argv, env)  # and the bytecode cache
                for _ in range(reps):
                    nmap_times.append(_timed(nmap_argv))
                    cli_times.append(_timed(cli_argv, env))
                    engine_times.append(_engine_once(root, service_id, profile))
                results[profile] = (nmap_argv, nmap_times, cli_times, engine_times)
            tls_medians = {}
            now = dt.datetime.now(dt.UTC)
            for name in ("good", "expired", "legacy"):
                if name not in loop.ports:
                    continue
                endpoint = Endpoint("127.0.0.1", loop.ports[name], "localhost", str(loop.ca_bundle))
                samples = []
                for _ in range(reps):
                    started = time.perf_counter()
                    collect_tls(name, endpoint, 10, now)
                    samples.append(time.perf_counter() - started)
                tls_medians[name] = statistics.median(samples)
            http_medians = _http_medians(loop, reps)
            if args.portfolio:
                portfolio = _portfolio(folder, loop, args.portfolio, env)
        finally:
            loop.stop()
            if web is not None:
                web.shutdown()
                web.server_close()
    print(f"loopback targets: {len(ports)} open ports on 127.0.0.1; {reps} repetitions, medians")
    for profile, (nmap_argv, nmap_times, cli_times, engine_times) in results.items():
        nmap_median = statistics.median(nmap_times)
        cli_median = statistics.median(cli_times)
        engine_median = statistics.median(engine_times)
        goal = 1.10 if profile == GOAL_PROFILE else None
        print(f"profile {profile}: raw nmap {nmap_median:.3f} s  ({' '.join(nmap_argv)})")
        figure(
            f"scan overhead, {profile}: engine (run_scan) / nmap", engine_median / nmap_median, "x", goal, "<=", COMMAND
        )
        figure(f"scan overhead, {profile}: whole CLI / nmap", cli_median / nmap_median, "x", goal, "<=", COMMAND)
        figure(f"  fixed cost per run, {profile}: engine", engine_median - nmap_median, "s", None, "<", COMMAND)
        figure(f"  fixed cost per run, {profile}: whole CLI", cli_median - nmap_median, "s", None, "<", COMMAND)
    for name, median in tls_medians.items():
        figure(f"TLS probe median, loopback endpoint '{name}'", median, "s", 0.3, "<", COMMAND)
    for name, median in http_medians.items():
        figure(f"HTTP probe median, loopback endpoint '{name}'", median, "s", None, "<", COMMAND)
    if portfolio is not None:
        elapsed, how = portfolio
        figure(
            f"scan --all, {args.portfolio} loopback services (quick), whole command", elapsed, "s", None, "<", COMMAND
        )
        figure(f"  per service ({how})", elapsed / args.portfolio, "s", None, "<", COMMAND)
    print(f"reproduce: {COMMAND} --repetitions {reps} --portfolio {args.portfolio}")


if __name__ == "__main__":
    main()
