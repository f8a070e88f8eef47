"""How long `secaudit dashboard` takes over N services (default 1000), half of them with answers and a scan.

Usage: python bench/dashboard_scale.py [N]   (prints seconds for evaluation, HTML and JSON)
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from secaudit.model import Answer, AnswerSource, Observation, ObservationStatus, RunStatus, ScanRun  # noqa: E402
from secaudit.store import open_store  # noqa: E402
from secaudit.store.answers import AnswerSet, save_answer_set  # noqa: E402
from secaudit.store.scans import begin_run, finish_run  # noqa: E402
from secaudit.workspace import init_workspace  # noqa: E402


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    template = (REPO / "examples" / "services" / "kosodate-portal.yaml").read_text()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        init_workspace(root)
        (root / "services" / "example-portal.yaml").unlink()
        for i in range(count):
            sid = f"svc-{i:04d}"
            launch = dt.date(2027, 1, 1) + dt.timedelta(days=i % 365)
            text = template.replace("id: kosodate-portal", f"id: {sid}").replace(
                "launch_date: 2027-04-01", f"launch_date: {launch.isoformat()}"
            )
            (root / "services" / f"{sid}.yaml").write_text(text)
        store = open_store(f"sqlite:///{root / '.secaudit' / 'secaudit.db'}")
        now = dt.datetime.now(dt.UTC)
        for i in range(0, count, 2):
            sid = f"svc-{i:04d}"
            answers = [
                Answer(
                    service_id=sid,
                    control_id=c,
                    question_id="q1",
                    value=v,
                    answered_by="bench",
                    answered_at=now,
                    source=AnswerSource.FILE,
                )
                for c, v in (("HUM-5.3-001", "yes"), ("HUM-5.4-001", "no"), ("ORG-1-001", "yes"))
            ]
            save_answer_set(store, AnswerSet(service_id=sid, source=AnswerSource.FILE, submitted_by="bench"), answers)
            run = ScanRun(id=f"run-{sid}", service_id=sid, profile="standard", started_at=now, secaudit_version="b")
            begin_run(store, run)
            obs = [
                Observation(
                    run_id=run.id,
                    service_id=sid,
                    check_id="ports.unexpected-open",
                    target="localhost",
                    status=ObservationStatus.FAIL,
                    evidence="8080 open",
                    observed_at=now,
                )
            ]
            finish_run(store, run.model_copy(update={"status": RunStatus.COMPLETED, "finished_at": now}), obs, [])
        env_cmd = [sys.executable, "-m", "secaudit", "--workspace", str(root), "dashboard"]
        for fmt, extra in (("html", ["-o", str(Path(tmp) / "d.html")]), ("json", ["-o", str(Path(tmp) / "d.json")])):
            started = time.perf_counter()
            done = subprocess.run(
                [*env_cmd, "--format", fmt, *extra],
                capture_output=True,
                text=True,
                env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
                check=False,
            )
            elapsed = time.perf_counter() - started
            size = (Path(tmp) / f"d.{fmt}").stat().st_size if done.returncode == 0 else 0
            print(
                f"dashboard --format {fmt}: {count} services in {elapsed:.1f} s "
                f"(exit {done.returncode}, {size / 1024:.0f} KiB){'' if done.returncode == 0 else done.stderr[-500:]}"
            )


if __name__ == "__main__":
    main()
