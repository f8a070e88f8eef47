"""How much secaudit adds on top of nmap, and how long one TLS probe takes, on loopback.

Starts its own loopback targets (tests/scan/loopback.py) and a temporary
workspace, then measures in the same run, interleaved, several repetitions:

* ``secaudit scan SERVICE --profile quick`` (a service with one host target
  declaring every loopback port, so the work equals nmap's) against the raw
  nmap command secaudit builds for it; goal: ratio <= 1.10. Measured twice:
  the whole command in a fresh interpreter, and the engine in-process
  (``run_scan`` alone), which leaves out Python's start-up, loading the
  catalog and opening the database.
* the TLS probe (five handshakes: four versions plus the trust check) per
  loopback endpoint; goal: median < 0.3 s.

Run: PYTHONPATH=. python bench/scan_overhead.py [--repetitions N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from secaudit.cli.app import app  # noqa: E402
from secaudit.scan.probes import ports as ports_probe  # noqa: E402
from secaudit.scan.probes.tls import Endpoint, collect_tls  # noqa: E402
from tests.scan.loopback import start_targets  # noqa: E402

COMMAND = "PYTHONPATH=. python bench/scan_overhead.py"


def _init_workspace(root: Path, ports: list[int]) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["init", str(root), "--organisation-ja", "ベンチ", "--organisation-en", "Bench"])
    if result.exit_code != 0:
        raise SystemExit(f"secaudit init failed: {result.output}")
    for example in (root / "services").glob("*.yaml"):
        example.unlink()
    owner = "{name: 計測, email: bench@example.jp}"
    (root / "services" / "bench-host.yaml").write_text(
        f"""id: bench-host
name: {{ja: ベンチ, en: Bench}}
department: 情報政策課
owner: {owner}
security_officer: {owner}
classification: {{confidentiality: 1, integrity: 1, availability: 1}}
attributes: {{internet_facing: false, personal_data: false, network_tier: internet}}
scope:
  authorized_by: 情報政策課長
  authorized_until: 2099-12-31
  targets:
    - {{host: localhost, addresses: [127.0.0.1], ports: {sorted(ports)}}}
checklists: []
""",
        encoding="utf-8",
    )


def _timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, capture_output=True, env=env, check=False, timeout=300)
    return time.perf_counter() - started


def _engine_once(root: Path) -> float:
    """One run_scan, timed without loading the catalog or opening the store (the CLI's cost, not the engine's)."""
    from secaudit.catalog import load_catalog
    from secaudit.inventory import find_service
    from secaudit.scan.engine import run_scan
    from secaudit.store import open_store
    from secaudit.workspace import find_workspace

    ws = find_workspace(root)
    service = find_service(ws.services_dir, "bench-host")
    catalog = load_catalog(ws.catalog_layers())
    store = open_store(ws.database_url)
    started = time.perf_counter()
    run_scan(service, catalog, store, ws.config, "quick")
    return time.perf_counter() - started


def main() -> None:
    """Measure and print each figure beside its goal and the command that reproduces it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=7)
    reps = parser.parse_args().repetitions
    with tempfile.TemporaryDirectory(prefix="secaudit-bench-") as tmp:
        folder = Path(tmp)
        loop = start_targets(folder)
        try:
            ports = sorted(loop.ports.values())
            root = folder / "ws"
            _init_workspace(root, ports)
            install = ports_probe.locate_nmap()
            from secaudit.catalog import load_catalog
            from secaudit.workspace import builtin_layer

            quick = load_catalog([builtin_layer()]).profiles["quick"]
            nmap_argv = [
                install.path,
                *ports_probe.nmap_arguments(quick.nmap, ports, ipv6=False),
                "--",
                "127.0.0.1",
            ]
            env = {**os.environ, "PYTHONPATH": str(REPO), "SECAUDIT_WORKSPACE": str(root)}
            cli_argv = [sys.executable, "-m", "secaudit", "scan", "bench-host", "--profile", "quick"]
            nmap_times, cli_times, engine_times = [], [], []
            _timed(nmap_argv)  # warm the page cache before measuring
            for _ in range(reps):
                nmap_times.append(_timed(nmap_argv))
                cli_times.append(_timed(cli_argv, env))
                engine_times.append(_engine_once(root))
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
        finally:
            loop.stop()
    nmap_median = statistics.median(nmap_times)
    cli_ratio = statistics.median(cli_times) / nmap_median
    engine_ratio = statistics.median(engine_times) / nmap_median
    print(f"loopback targets: {len(ports)} ports on 127.0.0.1; {reps} repetitions, medians")
    print(f"raw nmap:                 {nmap_median:.3f} s   ({' '.join(nmap_argv)})")
    print(f"secaudit scan (CLI):      {statistics.median(cli_times):.3f} s   ratio {cli_ratio:.2f}  goal <= 1.10  "
          f"{'met' if cli_ratio <= 1.10 else 'NOT met'}")
    print(f"secaudit engine (run_scan): {statistics.median(engine_times):.3f} s ratio {engine_ratio:.2f}  "
          f"goal <= 1.10  {'met' if engine_ratio <= 1.10 else 'NOT met'}")
    print(f"fixed cost over nmap:     CLI {statistics.median(cli_times) - nmap_median:.3f} s, "
          f"engine {statistics.median(engine_times) - nmap_median:.3f} s per run (independent of nmap's own time)")
    for name, median in tls_medians.items():
        print(f"TLS probe {name:8s}        {median:.3f} s   goal < 0.3 s  {'met' if median < 0.3 else 'NOT met'}")
    print(f"reproduce: {COMMAND} --repetitions {reps}")


if __name__ == "__main__":
    main()
