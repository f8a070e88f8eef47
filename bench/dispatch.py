"""Scans dispatched to zone workers: 200 loopback services through 1 worker, then through 2, on one Redis.

Each service declares one URL on a loopback web server that answers after ``--delay`` seconds (a
real service over a network answers in tens to hundreds of milliseconds; a scan visits it a few
times). ``secaudit scan --all --dispatch celery`` sends the 200 orders to the internet zone's queue;
``secaudit worker --zone internet --concurrency 1`` processes take them. Prints services scanned per
second through 1 and through 2 workers and their ratio, and, for reference, the local batch at the
workspace's default concurrency. Everything runs on loopback: Redis (Debian's redis-server), the
workers and the web server are started here and stopped at the end.

Reproduce: PYTHONPATH=$PWD python bench/dispatch.py [--services 200] [--delay 0.05]
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from figures import figure

REPO = Path(__file__).resolve().parent.parent
COMMAND = "PYTHONPATH=$PWD python bench/dispatch.py"

PROFILE = """\
profiles:
  - id: bench-http
    title: {ja: HTTP のみ, en: HTTP only}
    probes: [http]
    probe_timeout_s: 10
"""

SERVICE = """\
id: {id}
name: {{ja: 窓口 {n}, en: Counter {n}}}
department: テスト課
owner: {{name: Owner, email: owner@city.example.jp}}
security_officer: {{name: Officer, email: officer@city.example.jp}}
classification: {{confidentiality: 2, integrity: 2, availability: 1}}
attributes: {{internet_facing: true, personal_data: false, network_tier: internet}}
scope:
  authorized_by: 情報政策課長
  authorized_until: 2099-12-31
  targets:
    - url: http://127.0.0.1:{port}/{id}
schedule: "0 3 * * 1"
checklists: [mic-baseline]
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def web_server(delay: float) -> tuple[http.server.ThreadingHTTPServer, int]:
    """A loopback web server that answers every request after ``delay`` seconds."""

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            time.sleep(delay)
            body = b"<html><body>ok</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def env_for(broker: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "SECAUDIT_BROKER_URL": broker}


def workspace(folder: Path, services: int, port: int) -> Path:
    root = folder / "ws"
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "secaudit",
            "init",
            str(root),
            "--organisation-ja",
            "試験市",
            "--organisation-en",
            "Test",
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        raise SystemExit(made.stderr)
    (root / "services" / "example-portal.yaml").unlink()
    for n in range(services):
        service_id = f"svc-{n:04d}"
        (root / "services" / f"{service_id}.yaml").write_text(
            SERVICE.format(id=service_id, n=n, port=port), encoding="utf-8"
        )
    (root / "scanners").mkdir(exist_ok=True)
    (root / "scanners" / "bench.yaml").write_text(PROFILE, encoding="utf-8")
    return root


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    process.kill()
    raise SystemExit("redis-server did not start")


def start_worker(root: Path, broker: str, name: str) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "secaudit", "worker", "--zone", "internet", "--concurrency", "1", "--name", name],
        cwd=root,
        env=env_for(broker),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 60
    while not any("ready" in line for line in lines):
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("a worker did not start:\n" + "".join(lines))
        time.sleep(0.05)
    return process, lines


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=20)


def batch(root: Path, broker: str, dispatch: str) -> float:
    """Seconds for one ``scan --all`` of every service; exits when any service was not scanned."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "secaudit", "scan", "--all", "--profile", "bench-http", "--dispatch", dispatch]
        + ["--deadline", "3600"],
        cwd=root,
        env=env_for(broker),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"scan --all --dispatch {dispatch} exited {done.returncode}:\n{done.stdout[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds the web server waits before answering")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="secaudit-dispatch-"))
    server, port = web_server(args.delay)
    redis, broker = start_redis(folder)
    root = workspace(folder, args.services, port)
    rates: dict[int, float] = {}
    try:
        local = batch(root, broker, "local")
        for count in (1, 2):
            workers = [start_worker(root, broker, f"bench-{count}-{i}")[0] for i in range(count)]
            try:
                rates[count] = args.services / batch(root, broker, "celery")
            finally:
                for worker in workers:
                    stop(worker)
    finally:
        redis.terminate()
        redis.wait(timeout=20)
        server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.services} loopback services, web server delay {args.delay:g} s, one scan process per worker")
    figure("local batch (scan.batch_concurrency 2)", args.services / local, "services/s", command=COMMAND)
    figure("dispatched: 1 worker", rates[1], "services/s", command=COMMAND)
    figure("dispatched: 2 workers", rates[2], "services/s", command=COMMAND)
    figure("dispatched: 2 workers / 1 worker", rates[2] / rates[1], "x", command=COMMAND)


if __name__ == "__main__":
    main()
